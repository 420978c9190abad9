#include "hls/hls.h"

namespace nnr {

// NNR_MPS payload (spec 2.4).
void parse_mps(BitReader& br, NnrUnit& unit) {
  ModelParameterSet& m = unit.mps;
  m.topology_carriage_flag = br.u1("topology_carriage_flag");
  m.mps_sparsification_flag = br.u1("mps_sparsification_flag");
  m.mps_pruning_flag = br.u1("mps_pruning_flag");
  m.mps_unification_flag = br.u1("mps_unification_flag");
  m.mps_decomposition_performance_map_flag = br.u1("mps_decomposition_performance_map_flag");
  m.mps_quantization_method_flags = static_cast<int>(br.u(3, "mps_quantization_method_flags"));
  m.mps_topology_indexed_reference_flag = br.u1("mps_topology_indexed_reference_flag");
  br.u(7, "nnr_reserved_zero_7bits");
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
  br.byte_alignment();
}

}  // namespace nnr
