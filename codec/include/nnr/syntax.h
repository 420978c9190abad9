// The high-level syntax of an NNR bitstream (ISO/IEC 15938-17), as parsed.
// Names follow the standard. Used by the decoder and by `nnr inspect`.
#ifndef NNR_SYNTAX_H
#define NNR_SYNTAX_H

#include <cstdint>
#include <string>
#include <vector>

namespace nnr {

enum NnrUnitType : int {
  NNR_STR = 0,
  NNR_MPS = 1,
  NNR_LPS = 2,
  NNR_TPL = 3,
  NNR_QNT = 4,
  NNR_NDU = 5,
  NNR_AGG = 6,
};
const char* nnr_unit_type_name(int nnr_unit_type);

enum NnrPayloadType : int {
  NNR_PT_INT = 0,
  NNR_PT_FLOAT = 1,
  NNR_PT_RAW_FLOAT = 2,
  NNR_PT_BLOCK = 3,
};
const char* payload_type_name(int payload_type);

// compressed_parameter_types bits
enum : int { NNR_CPT_DC = 0x1, NNR_CPT_LS = 0x2, NNR_CPT_BN = 0x4, NNR_CPT_BI = 0x8 };

// Quantization method flags (mps/lps_quantization_method_flags)
enum : int { NNR_QSU = 0x1, NNR_QCB = 0x2 };

enum TopologyStorageFormat : int {
  NNR_TPL_UNREC = 0,
  NNR_TPL_NNEF = 1,
  NNR_TPL_ONNX = 2,
  NNR_TPL_PYT = 3,
  NNR_TPL_TEF = 4,
  NNR_TPL_PRUN = 5,
  NNR_TPL_REFLIST = 6,
};
const char* topology_storage_format_name(int format);

// One syntax element as read: where it starts (bits from the start of the
// input), how many bits it took, its value. Strings carry `text`.
struct SyntaxElement {
  std::string name;
  uint64_t bit_offset = 0;
  uint32_t bit_length = 0;
  int64_t value = 0;
  std::string text;
  bool is_text = false;
};

struct IntegerCodebook {
  int codebook_egk = 0;
  int64_t codebook_size = 0;
  int64_t codebook_centre_offset = 0;
  int64_t cb_zero_offset = 0;  // CbZeroOffset
  std::vector<int64_t> values;  // Codebook[0 .. size-1], strictly increasing
};

struct EntryPoint {
  uint32_t ep_value = 0;        // window value D at the start of the block row
  uint32_t ep_dq_state = 0;     // DQ state at the start of the block row
  int64_t delta = 0;            // Delta[j]: decoder shifts since the previous block row start
};

// Performance maps carry statistics only; kept so inspect can show them.
struct PerformanceMap {
  std::string kind;  // "sparsification", "pruning", "unification", "decomposition"
  int count = 0;     // the count field as coded
  std::vector<SyntaxElement> elements;
};

struct ModelParameterSet {
  int topology_carriage_flag = 0;
  int mps_sparsification_flag = 0;
  int mps_pruning_flag = 0;
  int mps_unification_flag = 0;
  int mps_decomposition_performance_map_flag = 0;
  int mps_quantization_method_flags = 0;
  int mps_topology_indexed_reference_flag = 0;
  bool has_qp = false;
  int mps_qp_density = 0;
  int mps_quantization_parameter = 0;
  std::vector<PerformanceMap> maps;
  // Edition 2 (general_profile_idc 1).
  int base_model_id_present_flag = 0;
  int validation_set_performance_present_flag = 0;
  int metric_type_performance_map_valid_flag = 0;
  int mps_parent_signalling_enabled_flag = 0;  // NDUs may name their parent
  int nnr_pre_flag = 0;
  std::string base_model_id;
  std::string performance_metric_type;
  float validation_set_performance = 0.0f;
};

struct LayerParameterSet {
  int lps_self_contained_flag = 0;
  int lps_sparsification_flag = 0;
  int lps_pruning_flag = 0;
  int lps_unification_flag = 0;
  int lps_quantization_method_flags = 0;
  bool has_qp = false;
  int lps_qp_density = 0;
  int lps_quantization_parameter = 0;
  std::vector<PerformanceMap> maps;
};

struct Topology {
  int topology_storage_format = 0;
  int topology_compression_format = 0;
  std::string topology_data;                  // st(v) for formats other than PRUN / REFLIST
  std::vector<std::string> topology_elem_ids;  // REFLIST (by name)
  std::vector<int64_t> topology_elem_id_indices;  // REFLIST (by index)
};

struct QuantizationData {
  int quantization_storage_format = 0;
  int quantization_compression_format = 0;
  std::string quantization_data;
};

struct NduHeader {
  int nnr_compressed_data_unit_payload_type = 0;
  int nnr_multiple_topology_elements_present_flag = 0;
  int nnr_decompressed_data_format_present_flag = 0;
  int input_parameters_present_flag = 0;
  std::vector<std::string> topology_elem_ids;     // by name
  std::vector<int64_t> topology_elem_id_indices;  // by index (mps_topology_indexed_reference_flag)
  int codebook_present_flag = 0;
  IntegerCodebook codebook;    // main codebook (weight, or G with DC)
  IntegerCodebook codebook_h;  // second codebook (H with DC, BLOCK only)
  int dq_flag = 0;
  int nnr_decompressed_data_format = 0;
  int tensor_dimensions_flag = 0;
  int cabac_unary_length_flag = 0;
  int compressed_parameter_types = 0;
  int64_t decomposition_rank = 0;
  int64_t g_number_of_rows = 0;
  std::vector<int64_t> tensor_dimensions;
  int cabac_unary_length_minus1 = 0;
  int scan_order = 0;
  std::vector<EntryPoint> entry_points;
  // Edition 2 (general_profile_idc 1): the parameter update tree.
  int general_profile_idc = 0;  // of the stream's NNR_STR, which decides the syntax below
  int node_id_present_flag = 0;
  int64_t device_id = 0;
  int64_t parameter_id = 0;
  int64_t put_node_depth = 0;
  int parent_node_id_present_flag = 0;
  int parent_node_id_type = 0;  // 0 ICNN_NDU_ID, 1 payload SHA-256, 2 payload SHA-512
  int temporal_context_modeling_flag = 0;
  int64_t parent_device_id = 0;
  std::vector<uint8_t> parent_node_payload_sha;  // 32 or 64 bytes (types 1, 2)
  int first_tensor_dimension_shift = 0;
};

struct AggregateHeader {
  int nnr_aggregate_unit_type = 0;
  int entry_points_present_flag = 0;
  int64_t num_of_nnr_units_minus2 = 0;
  std::vector<int> nnr_unit_types;
  std::vector<int64_t> nnr_unit_entry_points;
};

// One NNR unit: where it is, its header, and the parsed contents of its type.
struct NnrUnit {
  uint64_t offset = 0;        // byte offset of the unit in the input
  int nnr_unit_size_flag = 0;
  uint64_t nnr_unit_size = 0;
  int nnr_unit_type = 0;
  int independently_decodable_flag = 0;
  int partial_data_counter_present_flag = 0;
  int partial_data_counter = 0;
  int general_profile_idc = 0;  // STR
  ModelParameterSet mps;
  LayerParameterSet lps;
  Topology tpl;
  QuantizationData qnt;
  NduHeader ndu;
  uint64_t payload_offset = 0;  // NDU: first byte after the header (raw data or arithmetic segment)
  uint64_t payload_size = 0;
  AggregateHeader agg;
  std::vector<NnrUnit> children;  // units inside an NNR_AGG
  std::vector<SyntaxElement> elements;  // every element read, in order
};

}  // namespace nnr

#endif  // NNR_SYNTAX_H
