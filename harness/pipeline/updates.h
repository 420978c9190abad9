// Model updates (NNR edition 2): a use case's model fine-tuned in steps on
// new training samples, and each snapshot coded as one stream of a sequence.
// A codec entry with
//   "updates": {"steps": 3, "mode": "scratch" | "full" | "diff",
//               "fine_tune": {"samples": 2000, "lr": 1e-4, "seed": 1, ...}}
// codes the original model and `steps` snapshots, snapshot k trained from
// snapshot k-1 with seed + k (so on other samples each step):
//   scratch: every snapshot coded alone, as the entry's codec and settings say;
//   full:    every snapshot coded as an update of the streams before it (nnr,
//            general_profile_idc 1; with "tca" the contexts follow the parent's
//            levels);
//   diff:    the first snapshot coded alone, then each the difference to the
//            model decoded so far (closed loop: no drift), for nnr with
//            compress_differences; all-zero tensor updates are left out.
// The record lists every step's stream; stream_bytes is their sum and the
// metrics are those of the last decoded model.
#ifndef NNR_HARNESS_UPDATES_H
#define NNR_HARNESS_UPDATES_H

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "codecs/codec_adapter.h"
#include "config/json_reader.h"
#include "config/run_config.h"
#include "nnr/tensor.h"
#include "nnr/usecase.h"

namespace nnr {

// Validates an "updates" object of a codec entry; throws ConfigError naming
// the JSON path.
void check_updates(const JsonNode& updates, CodecType type, const nlohmann::json& settings);

// The models of a sequence: the original, then each fine-tuned snapshot.
struct UpdateSnapshots {
  std::vector<std::vector<Tensor>> models;
  nlohmann::json log = nlohmann::json::array();  // per step: fine-tuning figures
  nlohmann::json last_metrics = nlohmann::json::object();  // of the last snapshot, uncoded
  std::string error;
};

// Fine-tunes `usecase` from `original` step by step (its parameters are left
// as the last snapshot's). Errors go to `error`.
UpdateSnapshots make_update_snapshots(const nlohmann::json& updates, const std::vector<Tensor>& original,
                                      UseCase* usecase);

struct UpdateRun {
  nlohmann::json steps = nlohmann::json::array();  // per stream: bytes, sha256, tensors coded / left out, times
  uint64_t total_bytes = 0;
  std::vector<Tensor> last_model;  // the decoder's model after the last stream
  bool verified = true;            // every stream decodes to the encoder's reconstruction
  std::string verify_detail;
  double encode_seconds = 0, decode_seconds = 0;
};

// Codes the snapshots with the entry's codec (nnr in process, or the anchor
// through its adapter). Throws Error.
UpdateRun code_updates(const CodecEntry& codec, const nlohmann::json& settings, const UpdateSnapshots& snapshots,
                       const CodecContext& ctx);

}  // namespace nnr

#endif  // NNR_HARNESS_UPDATES_H
