// An explicit way to write NNR streams unit by unit, for conformance vectors
// that need syntax the high-level encoder never produces (LPS, QNT, AGG,
// partial data, performance maps, forced unit size forms, chosen init sets,
// decomposed weights, levels near the int32 limits ...). It writes through
// the codec's unit writers and level encoder; the caller chooses every
// coded value, and the spec model (spec_model.h) says what a decoder outputs.
#ifndef NNR_HARNESS_CONFORMANCE_SUITE_STREAM_BUILDER_H
#define NNR_HARNESS_CONFORMANCE_SUITE_STREAM_BUILDER_H

#include <cstdint>
#include <string>
#include <vector>

#include "nnr/syntax.h"
#include "nnr/tensor.h"

namespace nnr::suite {

// A member's place in an NNR_PT_BLOCK unit (spec 3.3); kSingle otherwise.
enum class Role { kSingle, kWeight, kG, kH, kLs, kBias, kBnBeta, kBnGamma, kBnMean, kBnVar };

// How the init sets of a tensor's contexts are chosen (7.3).
enum class InitSets { kZero, kChosen /* as the reference encoder, 9.6 */, kCycle /* 0..8 in turn */ };

struct MemberSpec {
  Role role = Role::kSingle;
  std::string name;
  std::vector<int64_t> shape;     // the member's own shape (G, H, [d0] for LS/BI/BN)
  std::vector<int64_t> k;         // coded levels in scan order (arithmetic payloads)
  int qp_offset = 0;              // the coded qp offset (FLOAT / BLOCK)
  InitSets init_sets = InitSets::kChosen;
  int codebook = 0;               // 0 none, 1 the unit's main codebook, 2 its second (H)
};

struct Framing {
  int partial_data_counter = -1;  // -1: partial_data_counter_present_flag 0
  bool long_size = false;         // the 31-bit nnr_unit_size even when 15 bits would do
  int independently_decodable_flag = 1;
};

struct NduSpec {
  int payload_type = NNR_PT_FLOAT;
  std::vector<int64_t> dims;            // tensor_dimensions (count 0 = a 0-D tensor)
  int cpt = 0;                          // compressed_parameter_types
  int64_t decomposition_rank = 0, g_number_of_rows = 0;
  int dq_flag = 0;
  int cabac_unary_length_minus1 = 10;
  int scan_order = 0;
  bool codebook_present = false;
  IntegerCodebook codebook, codebook_h;
  int decompressed_data_format = -1;    // -1: nnr_decompressed_data_format_present_flag 0
  std::vector<int64_t> indices;         // topology_elem_id_index per list position (indexed references)
  std::vector<MemberSpec> members;      // in coding order (LS, BI, BN..., W or G, H)
  std::vector<float> raw;               // NNR_PT_RAW_FLOAT values
  Framing framing;
};

struct PerfMaps {
  bool sparsification = false, pruning = false, unification = false, decomposition = false;
};

// One unit of a stream as a vector describes it.
struct UnitSpec {
  int type = NNR_NDU;
  Framing framing;
  int general_profile_idc = 0;      // STR
  ModelParameterSet mps;            // MPS (flags for the maps are taken from `maps`)
  LayerParameterSet lps;            // LPS
  PerfMaps maps;                    // MPS / LPS performance maps
  Topology tpl;                     // TPL
  QuantizationData qnt;             // QNT
  NduSpec ndu;                      // NDU
  AggregateHeader agg;              // AGG (types and entry points are filled in)
  std::vector<UnitSpec> children;   // AGG
};

// The names in topology_elem_id list order (spec 3.3) for the members.
std::vector<std::string> list_order_names(const NduSpec& n);

// What the builder tracks while writing: the parameter sets in force. The
// latest LPS is active; its qp_density and QP replace the MPS's if it has
// them, otherwise the MPS's apply (spec 2.5).
struct StreamState {
  int mps_qp_density = 0, mps_quant_param = 0;
  bool lps_has_qp = false;
  int lps_qp_density = 0, lps_quant_param = 0;
  int indexed = 0;  // mps_topology_indexed_reference_flag

  int qp_density() const { return lps_has_qp ? lps_qp_density : mps_qp_density; }
  int quant_param() const { return lps_has_qp ? lps_quant_param : mps_quant_param; }
  void apply(const UnitSpec& u);
};

// Writes the units; throws std::logic_error if a value cannot be coded.
std::vector<uint8_t> build_stream(const std::vector<UnitSpec>& units);

// The expected decoder output of the units (spec_model.h), in output order.
std::vector<Tensor> expected_output(const std::vector<UnitSpec>& units);

// A codebook covering reconstruction levels lo..hi (lo <= 0 <= hi) with
// strictly increasing entries whose gaps come from `gap(j)`.
IntegerCodebook make_codebook(int64_t lo, int64_t hi, int64_t zero_value, int codebook_egk,
                              const std::vector<int64_t>& gaps);

}  // namespace nnr::suite

#endif
