// Encoding of neural-network parameters into an NNR bitstream.
// Defaults are those of the reference software NNCodec 0.3.1, so that the
// same input and settings give the same stream byte for byte.
#ifndef NNR_ENCODER_H
#define NNR_ENCODER_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nnr/decoder.h"
#include "nnr/error.h"
#include "nnr/tensor.h"

namespace nnr {

// How parameter types are derived from names (spec 3.2).
enum class ModelKind { kPlain, kPyTorch, kTensorFlow };

// Performance maps of the model parameter set (spec 2.4.1): how the model
// performs after a parameter-reduction tool, at one or more of its settings.
// Statistics only, never used in reconstruction. A map is written, and its
// mps_*_flag set, when it has entries (at most 254; the count field holds
// entries + 1, as the reference decoder reads it). "accuracy" is the task's
// primary metric of the reduced model; no per-class accuracies are written.
struct PerformanceMaps {
  struct Sparsification {
    float threshold = 0, non_zero_ratio = 0, accuracy = 0;
  };
  struct Pruning {
    float ratio = 0, accuracy = 0;
  };
  struct Unification {
    std::vector<uint32_t> reshaped_tensor_dimensions;
    std::vector<uint8_t> super_block_dimensions, block_dimensions;
    float threshold = 0, accuracy = 0;
  };
  struct Decomposition {
    float mse_threshold = 0, accuracy = 0, reduction_ratio = 0;
  };
  std::vector<Sparsification> sparsification;
  std::vector<Pruning> pruning;
  std::vector<Unification> unification;
  std::vector<Decomposition> decomposition;
  bool empty() const {
    return sparsification.empty() && pruning.empty() && unification.empty() && decomposition.empty();
  }
};

// The keys of a conformance manifest's `encoder_settings`.
struct EncoderSettings {
  int qp = -38;
  int qp_density = 2;
  std::optional<int> nonweight_qp = -75;  // nullopt or 0: qp - 2 * 2^qp_density
  std::map<std::string, int> qp_per_tensor;
  bool use_dq = true;
  int codebook_mode = 0;
  int scan_order = 0;
  double lambda_scale = 0.0;
  bool param_opt = true;
  int cabac_unary_length_minus1 = 10;
  bool opt_qp = false;
  bool bnf = false;
  // block_id_and_param_type: tensor name -> block id (absent: not in a
  // block) and tensor name -> parameter type ("weight", "bias", "bn.beta",
  // "bn.gamma", "bn.mean", "bn.var", "weight.ls", "unspecified", or "raw":
  // stored uncompressed as NNR_PT_RAW_FLOAT).
  bool has_blocks = false;
  std::map<std::string, std::optional<std::string>> block_id;
  std::map<std::string, std::string> parameter_type;
  // A weight W given as a low-rank decomposition W = reshape(G H, shape) is
  // input as two matrices `<W name>_G` (g x r) and `<W name>_H` (r x c), with
  // no tensor `<W name>` (the reference software's names). They are coded in
  // one NNR_PT_BLOCK unit with NNR_CPT_DC, with the members of W's block if
  // block information names W. The shape of W (tensor_dimensions) is taken
  // from here, else [g, c].
  std::map<std::string, std::vector<int64_t>> decomposed_weight_shape;
  ModelKind model_kind = ModelKind::kPlain;
  PerformanceMaps performance_maps;  // "performance_maps": written into the MPS

  // Edition 2 (ISO/IEC 15938-17:2024) as NNCodec 2.0 writes it.
  int general_profile_idc = 0;        // 0: edition 1; 1: edition 2
  bool row_skipping = false;          // all-zero rows signalled and not coded
  bool tca = false;                   // temporal context adaptation from the parent's levels
  bool compress_differences = false;  // the input is an update (difference to the parent)
  int device_id = 0;
  // Integer-aligned quantisation to this many bits (0: off): every float
  // tensor's qp chosen from its 99.95th percentile of |w| and the levels
  // clipped to the bit depth (NNCodec 2.0's int_quant_bw; no reference
  // vector checks it).
  int int_quant_bw = 0;
  // History-dependent significance: each unit whose tensors all have a
  // history is coded with and without it and the shorter kept (the
  // reference software's HDSP tool; not an argument of its compress()).
  bool hdsp = false;
  // The update sequence this stream continues: the decoder state after its
  // earlier streams (empty for its first stream), or null for a stream that
  // is no update (put_node_depth 0). Not owned.
  const DecoderState* parent = nullptr;
};

struct EncodeResult {
  std::vector<uint8_t> stream;
  // What a conformant decoder outputs for the stream (the encoder's own
  // reconstruction), in decoder output order.
  std::vector<Tensor> reconstruction;
  std::vector<std::string> messages;  // notices, e.g. a qp raised to avoid overflow
};

// How the encoder runs (not what it writes: the stream is the same for any
// value).
struct EncodeOptions {
  // Units are encoded in parallel on this many threads; 0: one per core.
  int threads = 1;
  // Fill EncodeResult::reconstruction (as large as the model).
  bool keep_reconstruction = true;
};

// The quantisation step size of a qp at a qp_density (spec 4.1), exact:
// linear between the powers of two, not 2^(qp / 2^qp_density).
double quantizer_step_size(int qp, int qp_density);

Status encode(const std::vector<Tensor>& tensors, const EncoderSettings& settings,
              EncodeResult* out);
Status encode(const std::vector<Tensor>& tensors, const EncoderSettings& settings, const EncodeOptions& options,
              EncodeResult* out);

}  // namespace nnr

#endif  // NNR_ENCODER_H
