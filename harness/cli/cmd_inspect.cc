#include <cstdio>

#include "cli/commands.h"
#include "common/inspect_json.h"
#include "common/tensor_output.h"
#include "common/sha256.h"
#include "nnr/decoder.h"
#include "nnr/io.h"

namespace nnr::cli {

Runner add_inspect(CLI::App& app) {
  struct Opts {
    std::vector<std::string> streams;
    std::string stream, levels;
    bool headers_only = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("STREAM", o->streams,
                 "NNR bitstream; several: an edition-2 update sequence, the last one inspected with the decoder "
                 "state the others leave (its parents)")
      ->required();
  app.add_flag("--headers-only", o->headers_only, "do not decode the arithmetic payloads");
  app.add_option("--levels", o->levels,
                 "also write each coded tensor's integer levels (int32 .npy, after the DQ state mapping; codebook "
                 "tensors: index - CbZeroOffset) into this folder, named as by nnr decode");
  return [o]() {
    // The parents of the last stream, decoded in order.
    DecoderState state;
    for (size_t i = 0; i + 1 < o->streams.size(); ++i) {
      std::vector<uint8_t> b;
      Status s = read_file(o->streams[i], &b);
      if (!s.ok()) return report_error("", s);
      DecodedModel m;
      s = decode(b.data(), b.size(), DecodeOptions{}, &state, &m, nullptr);
      if (!s.ok()) return report_error(o->streams[i], s);
    }
    o->stream = o->streams.back();
    std::vector<uint8_t> bytes;
    Status s = read_file(o->stream, &bytes);
    if (!s.ok()) return report_error("", s);
    nlohmann::ordered_json j;
    j["file"] = o->stream;
    j["size"] = bytes.size();
    j["sha256"] = sha256_hex(bytes.data(), bytes.size());
    std::vector<NnrUnit> units;
    const Status parsed = parse_units(bytes.data(), bytes.size(), &units);
    j["units"] = units_to_json(units);  // what was parsed, also when a later unit fails
    int rc = 0;
    if (!parsed.ok()) {
      j["error"] = {{"byte", parsed.byte_offset()}, {"message", parsed.describe()}};
      rc = report_error(o->stream, parsed);
    } else if (!o->headers_only) {
      DecodeOptions opt;
      opt.keep_levels = true;
      opt.apply_local_scaling = false;
      opt.threads = 1;
      DecodedModel model;
      s = decode(bytes.data(), bytes.size(), opt, o->streams.size() > 1 ? &state : nullptr, &model, nullptr);
      j["tensors"] = tensors_to_json(model.tensors);
      j["warnings"] = model.warnings;
      if (s.ok() && !o->levels.empty()) {
        const Status w = write_levels_folder(o->levels, model.tensors);
        if (!w.ok()) rc = report_error("", w);
      }
      if (!s.ok()) {
        j["error"] = {{"byte", s.byte_offset()}, {"message", s.describe()}};
        rc = report_error(o->stream, s);
      }
    }
    // Names that are not UTF-8 are refused by the parser; the replacement is
    // for what a decoder's message may quote.
    std::printf("%s\n", j.dump(1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
    return rc;
  };
}

}  // namespace nnr::cli
