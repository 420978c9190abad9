// One interface for every codec the harness compares (as CompressAI's codec
// adapters): parameters and settings in, a stream and decoded parameters out,
// each step timed.
#ifndef NNR_HARNESS_CODEC_ADAPTER_H
#define NNR_HARNESS_CODEC_ADAPTER_H

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/run_config.h"
#include "nnr/tensor.h"

namespace nnr {

struct CodecRun {
  uint64_t stream_bytes = 0;
  std::string stream_sha256;
  std::vector<Tensor> decoded;  // in the codec's output order
  // Whether the decoded tensors equal the encoder's own reconstruction bit for
  // bit; empty when the codec gives no reconstruction to check against.
  std::optional<bool> verified;
  std::string verify_detail;  // the first mismatch, when not verified
  // The steps' times: in-process codecs repeat a step shorter than 0.2 s
  // and give the fastest run (encode_runs / decode_runs: how many).
  double encode_seconds = 0, decode_seconds = 0;
  int encode_runs = 1, decode_runs = 1;
  std::vector<std::string> notices;
  // The performance maps the decoded stream's model parameter set carries
  // (spec 2.4.1: "sparsification", "pruning", ...), as the decoder read them.
  std::vector<std::string> performance_maps;
};

struct CodecContext {
  std::string work_dir;  // a private scratch folder for this working point
  int threads = 1;       // decoder threads
  // A step (encoding, decoding) shorter than this runs again until its runs
  // add up to it, and the fastest run counts; 0: every step runs once.
  double timing_min_seconds = 0.2;
};

class CodecAdapter {
 public:
  virtual ~CodecAdapter() = default;
  // Encodes and decodes `params` with `settings` (the config's settings object).
  // A failure of the codec is an error Status naming the step.
  virtual Status run(const std::vector<Tensor>& params, const nlohmann::json& settings,
                     const CodecContext& ctx, CodecRun* out) = 0;
};

std::unique_ptr<CodecAdapter> make_codec_adapter(const CodecEntry& entry);

// Compares two tensor lists bit for bit (names, shapes, dtypes, values);
// returns an empty string when equal, else the first difference.
std::string first_difference(const std::vector<Tensor>& a, const std::vector<Tensor>& b);

}  // namespace nnr

#endif  // NNR_HARNESS_CODEC_ADAPTER_H
