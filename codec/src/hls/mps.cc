#include <string>

#include "hls/hls.h"

namespace nnr {

bool edition2_syntax(const BitReader& br, const HlsState& state) {
  if (state.general_profile_idc == 0) return false;
  if (state.general_profile_idc == 1) return true;
  br.fail(ErrorCode::kUnsupported, "general_profile_idc " + std::to_string(state.general_profile_idc) +
                                       " (0, edition 1, and 1, edition 2, are supported)");
}

// NNR_MPS payload (spec 2.4; edition 2 adds the flags after
// mps_topology_indexed_reference_flag, two strings and a float).
void parse_mps(BitReader& br, const HlsState& state, NnrUnit& unit) {
  ModelParameterSet& m = unit.mps;
  m.topology_carriage_flag = br.u1("topology_carriage_flag");
  m.mps_sparsification_flag = br.u1("mps_sparsification_flag");
  m.mps_pruning_flag = br.u1("mps_pruning_flag");
  m.mps_unification_flag = br.u1("mps_unification_flag");
  m.mps_decomposition_performance_map_flag = br.u1("mps_decomposition_performance_map_flag");
  m.mps_quantization_method_flags = static_cast<int>(br.u(3, "mps_quantization_method_flags"));
  m.mps_topology_indexed_reference_flag = br.u1("mps_topology_indexed_reference_flag");
  const bool ed2 = edition2_syntax(br, state);
  if (ed2) {
    m.base_model_id_present_flag = br.u1("base_model_id_present_flag");
    m.validation_set_performance_present_flag = br.u1("validation_set_performance_present_flag");
    m.metric_type_performance_map_valid_flag = br.u1("metric_type_performance_map_valid_flag");
    m.mps_parent_signalling_enabled_flag = br.u1("mps_parent_signalling_enabled_flag");
    if (m.mps_parent_signalling_enabled_flag) {
      m.nnr_pre_flag = br.u1("nnr_pre_flag");
    } else {
      br.u(1, "nnr_reserved_zero_1bit");
    }
    br.u(2, "nnr_reserved_zero_2bits");
    if (m.base_model_id_present_flag) m.base_model_id = br.st("base_model_id");
    if (m.validation_set_performance_present_flag || m.metric_type_performance_map_valid_flag)
      m.performance_metric_type = br.st("performance_metric_type");
  } else {
    br.u(7, "nnr_reserved_zero_7bits");
  }
  if (m.mps_quantization_method_flags & (NNR_QSU | NNR_QCB)) {
    m.has_qp = true;
    m.mps_qp_density = static_cast<int>(br.u(3, "mps_qp_density"));
    m.mps_quantization_parameter = static_cast<int>(br.i(13, "mps_quantization_parameter"));
  }
  if (m.mps_sparsification_flag) parse_performance_map(br, "sparsification", m.maps.emplace_back());
  if (m.mps_pruning_flag) parse_performance_map(br, "pruning", m.maps.emplace_back());
  if (m.mps_unification_flag) parse_performance_map(br, "unification", m.maps.emplace_back());
  if (m.mps_decomposition_performance_map_flag)
    parse_performance_map(br, "decomposition", m.maps.emplace_back());
  if (ed2 && m.validation_set_performance_present_flag)
    m.validation_set_performance = br.flt("validation_set_performance");
  br.byte_alignment();
}

}  // namespace nnr
