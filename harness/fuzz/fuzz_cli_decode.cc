// What `nnr decode` and `nnr inspect` do with a stream, past the decoder:
// the tensors go to a folder (file names from any UTF-8 tensor name, the
// index as JSON) and the units and tensors become inspect's JSON. Any bytes
// end in a complete folder or an error with a message, never an exception
// out of the JSON writer. Output limited to 16 MB; the folder is removed.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "common/inspect_json.h"
#include "common/tensor_output.h"
#include "nnr/anchor.h"
#include "nnr/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir =
      (std::filesystem::temp_directory_path() / ("nnr-fuzz-cli-" + std::to_string(getpid()))).string();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  nnr::DecodeOptions opt;
  opt.threads = 1;
  opt.max_output_bytes = uint64_t{16} << 20;
  nnr::DecodedModel m;
  nnr::TensorFolderWriter writer(dir);
  const bool anchor = nnr::is_anchor_stream(data, size);
  nnr::Status s = anchor ? nnr::anchor_decode(data, size, opt, &m) : nnr::decode(data, size, opt, &m, &writer);
  if (s.ok() && anchor) {
    s = writer.begin(1);
    for (size_t i = 0; s.ok() && i < m.tensors.size(); ++i) s = writer.write(0, i, m.tensors[i]);
  }
  if (s.ok()) s = writer.finish();
  if (!s.ok() && (s.message().empty() || s.code() == nnr::ErrorCode::kInternal)) __builtin_trap();
  std::vector<nnr::NnrUnit> units;
  if (nnr::parse_units(data, size, &units).ok()) {
    const std::string text = nnr::units_to_json(units).dump(1);  // throws on names that are not UTF-8
    if (text.empty()) __builtin_trap();
  }
  std::filesystem::remove_all(dir, ec);
  return 0;
}
