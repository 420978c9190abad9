// Any other codec, driven by encode and decode command templates: the input
// goes out as an .npz, the decoder's .npy files come back (names sanitized as
// `nnr decode` writes them).
#include <filesystem>
#include <fstream>
#include <map>

#include "codecs/codec_adapter.h"
#include "common/file_names.h"
#include "common/sha256.h"
#include "common/subprocess.h"
#include "nnr/io.h"

namespace nnr {
namespace fs = std::filesystem;

namespace {

class ExternalCodec final : public CodecAdapter {
 public:
  explicit ExternalCodec(const CodecEntry& e) : entry_(e) {}

  Status run(const std::vector<Tensor>& params, const nlohmann::json& settings, const CodecContext& ctx,
             CodecRun* out) override {
    std::error_code ec;
    fs::create_directories(ctx.work_dir, ec);
    const std::string input = ctx.work_dir + "/input.npz";
    const std::string stream = ctx.work_dir + "/stream.bin";
    const std::string settings_file = ctx.work_dir + "/settings.json";
    const std::string outdir = ctx.work_dir + "/decoded";
    Status st = write_npz(input, params);
    if (!st.ok()) return st;
    {
      const std::string s = settings.dump(2);
      st = write_file_atomic(settings_file, reinterpret_cast<const uint8_t*>(s.data()), s.size());
      if (!st.ok()) return st;
    }
    fs::remove(stream, ec);
    fs::remove_all(outdir, ec);
    fs::create_directories(outdir, ec);

    std::map<std::string, std::string> values = {{"input", input},       {"bitstream", stream},
                                                 {"outdir", outdir},     {"settings", settings_file},
                                                 {"threads", std::to_string(ctx.threads)}};
    for (auto it = settings.begin(); it != settings.end(); ++it)
      values.emplace(it.key(), it.value().is_string() ? it.value().get<std::string>() : it.value().dump());

    const CommandResult enc = run_command(expand_command(entry_.encode_command, values), entry_.timeout_seconds);
    out->encode_seconds = enc.seconds;
    if (!enc.ok())
      return Status(ErrorCode::kIo, kNoOffset,
                    "external encoder: " + enc.describe(entry_.timeout_seconds) + tail(enc.output_tail));
    std::vector<uint8_t> bytes;
    st = read_file(stream, &bytes);
    if (!st.ok()) return Status(ErrorCode::kIo, kNoOffset, "external encoder wrote no stream: " + st.describe(stream));
    out->stream_bytes = bytes.size();
    out->stream_sha256 = sha256_hex(bytes.data(), bytes.size());

    const CommandResult dec = run_command(expand_command(entry_.decode_command, values), entry_.timeout_seconds);
    out->decode_seconds = dec.seconds;
    if (!dec.ok())
      return Status(ErrorCode::kIo, kNoOffset,
                    "external decoder: " + dec.describe(entry_.timeout_seconds) + tail(dec.output_tail));
    out->decoded.clear();
    std::vector<std::string> names;
    for (const Tensor& p : params) names.push_back(p.name);
    const std::vector<std::string> files = tensor_file_names(names);
    for (size_t pi = 0; pi < params.size(); ++pi) {
      const Tensor& p = params[pi];
      const std::string file = outdir + "/" + files[pi];
      std::vector<uint8_t> data;
      st = read_file(file, &data);
      if (!st.ok())
        return Status(ErrorCode::kIo, kNoOffset, "external decoder gave no tensor '" + p.name + "' (" + file + ")");
      Tensor t;
      st = parse_npy(data.data(), data.size(), &t);
      if (!st.ok()) return Status(st.code(), st.byte_offset(), st.describe(file));
      t.name = p.name;
      out->decoded.push_back(std::move(t));
    }
    // An external codec gives no reconstruction of its own to verify against.
    out->verified.reset();
    return Status();
  }

 private:
  static std::string tail(const std::string& s) {
    if (s.empty()) return "";
    std::string t = s.size() > 400 ? s.substr(s.size() - 400) : s;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return "; output: " + t;
  }
  CodecEntry entry_;
};

}  // namespace

std::unique_ptr<CodecAdapter> make_external_codec(const CodecEntry& entry) {
  return std::make_unique<ExternalCodec>(entry);
}

}  // namespace nnr
