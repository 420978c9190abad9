// Decoding of NNR bitstreams (ISO/IEC 15938-17, DeepCABAC).
#ifndef NNR_DECODER_H
#define NNR_DECODER_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nnr/error.h"
#include "nnr/syntax.h"
#include "nnr/tensor.h"

namespace nnr {

struct DecodeOptions {
  // Worker threads: 0 = one per core. Output is identical for every value.
  int threads = 0;
  // Decode block rows from their entry points in parallel where a tensor has them.
  bool use_entry_points = true;
  // Output W' = W x LS for NNR_PT_BLOCK units with local scaling and drop LS
  // (the conformance output of edition 1). When false every coded tensor is
  // output as decoded. Edition-2 streams (general_profile_idc 1) always
  // output LS as decoded, as their reference decoder does.
  bool apply_local_scaling = true;
  // Also return each coded tensor's reconstruction levels (DecodedTensor::levels).
  bool keep_levels = false;
  // Upper bound on the decoded output; larger streams fail with kLimitExceeded
  // before anything is allocated.
  uint64_t max_output_bytes = uint64_t{8} << 30;
};

// How one tensor was coded (informative).
struct TensorCodingInfo {
  size_t unit_index = 0;   // index of its NDU among the stream's units (top level)
  int payload_type = 0;    // NnrPayloadType
  int member = -1;         // NNR_PT_BLOCK: list position in topology_elem_ids; -1 otherwise
  int qp = 0;
  double step_size = 0.0;
  int dq_flag = 0;
  int scan_order = 0;
  int cabac_unary_length_minus1 = 0;
  bool codebook = false;
  int64_t cb_zero_offset = 0;
  std::vector<int64_t> codebook_values;
  std::vector<int> init_sets;  // context init set per context index (7.3)
  int partial_data_counter = 0;
  // Edition 2 (general_profile_idc 1).
  int general_profile_idc = 0;
  int temporal_context_modeling_flag = 0;  // contexts chosen by the parent's levels
  int hist_dep_sig_prob_enabled_flag = 0;
  int row_skip_enabled_flag = 0;
  int64_t skipped_rows = 0;
  int64_t put_node_depth = 0;
};

struct DecodedTensor : Tensor {
  TensorCodingInfo info;
  ValueVector<int32_t> levels;  // reconstruction levels (keep_levels); codebook: index - CbZeroOffset
  bool is_local_scaling = false;  // true for an LS member output with apply_local_scaling = false
};

struct DecodedModel {
  std::vector<DecodedTensor> tensors;  // in NDU order; BLOCK members in coding order
  std::vector<NnrUnit> units;          // the parsed units
  std::vector<std::string> warnings;   // things worth knowing that did not stop decoding
  int qp_density = 0;
};

// Decodes a complete bitstream held in memory.
Status decode(const uint8_t* data, size_t size, const DecodeOptions& options, DecodedModel* out);


// Receives the decoded tensors group by group as soon as a group is
// complete, instead of DecodedModel::tensors collecting the whole model: for
// a writer that should not hold every tensor at once, and whose work should
// overlap the decoding. A group is the output of one NNR_NDU (a stream whose
// tensors come in parts is delivered as one group, after the parts are
// joined); the model's output order is group by group, each in its order.
class TensorSink {
 public:
  virtual ~TensorSink() = default;
  // Called before any group, with their number.
  virtual Status begin(size_t groups) = 0;
  // Called from the decoder's threads, possibly at the same time for
  // different groups, in any order of `group`. An error stops the decoding
  // and is what decode() returns.
  virtual Status consume(size_t group, std::vector<DecodedTensor>&& tensors) = 0;
};

// decode() delivering the tensors to `sink` (out->tensors stays empty; the
// units and warnings are filled in as by decode()).
Status decode(const uint8_t* data, size_t size, const DecodeOptions& options, DecodedModel* out,
              TensorSink* sink);

// What a decoder keeps between the streams of an edition-2 update sequence
// (the parameter update tree): per tensor, the levels of its last decoded
// NDU (the parent of its next one, for temporal context adaptation), how
// many of its NDUs were decoded, its parameter_id, and the history that
// history-dependent significance coding reads. A caller keeps one object and
// passes it to decode() for each stream in order; a stream that fails to
// decode leaves it unchanged.
struct DecoderState {
  struct TensorState {
    std::vector<int32_t> levels;  // reconstruction levels (codebook: index - CbZeroOffset)
    int64_t put_node_depth = 0;   // NDUs of this tensor decoded so far
    int64_t parameter_id = -1;
    // 1 where any decoded value of this tensor was non-zero so far (the
    // history rule of the reference software's HDSP tool as its
    // applications use it); empty until the tensor is first decoded.
    std::vector<uint8_t> hdsp_history;
  };
  int64_t device_id = 0;  // 0 until an NDU names another
  std::map<std::string, TensorState> tensors;
  bool keep_hdsp_history = true;
  int streams = 0;  // streams decoded into this state
};

// decode() of one stream of an update sequence: TCA and HDSP read `state`,
// which is updated with the stream's tensors on success. `sink` may be null.
Status decode(const uint8_t* data, size_t size, const DecodeOptions& options, DecoderState* state,
              DecodedModel* out, TensorSink* sink);

// Parses every unit's syntax (no arithmetic decoding), recording each element
// with its bit offset.
Status parse_units(const uint8_t* data, size_t size, std::vector<NnrUnit>* units);

const char* version_string();

}  // namespace nnr

#endif  // NNR_DECODER_H
