#include "hls/hls.h"

namespace nnr {

// NNR_LPS header and payload (spec 2.5). While an LPS is active its
// qp_density and quantization parameter replace those of the MPS.
void parse_lps(BitReader& br, NnrUnit& unit) {
  LayerParameterSet& l = unit.lps;
  l.lps_self_contained_flag = br.u1("lps_self_contained_flag");
  br.u(7, "nnr_reserved_zero_7bits");
  br.u(1, "nnr_reserved_zero_1bit");
  l.lps_sparsification_flag = br.u1("lps_sparsification_flag");
  l.lps_pruning_flag = br.u1("lps_pruning_flag");
  l.lps_unification_flag = br.u1("lps_unification_flag");
  l.lps_quantization_method_flags = static_cast<int>(br.u(3, "lps_quantization_method_flags"));
  br.u(1, "nnr_reserved_zero_1bit");
  if (l.lps_quantization_method_flags & (NNR_QSU | NNR_QCB)) {
    l.has_qp = true;
    l.lps_qp_density = static_cast<int>(br.u(3, "lps_qp_density"));
    l.lps_quantization_parameter = static_cast<int>(br.i(13, "lps_quantization_parameter"));
  }
  if (l.lps_sparsification_flag) parse_performance_map(br, "sparsification", l.maps.emplace_back());
  if (l.lps_pruning_flag) parse_performance_map(br, "pruning", l.maps.emplace_back());
  if (l.lps_unification_flag) parse_performance_map(br, "unification", l.maps.emplace_back());
  br.byte_alignment();
}

}  // namespace nnr
