#include "common/inspect_json.h"

#include "common/tensor_output.h"

namespace nnr {

namespace {

using json = nlohmann::ordered_json;

json element_json(const SyntaxElement& e) {
  json j;
  j["name"] = e.name;
  j["byte"] = e.bit_offset / 8;
  j["bit"] = e.bit_offset % 8;
  j["bits"] = e.bit_length;
  if (e.is_text) {
    j["value"] = e.text;
  } else {
    j["value"] = e.value;
  }
  return j;
}

json elements_json(const std::vector<SyntaxElement>& v) {
  json a = json::array();
  for (const auto& e : v) a.push_back(element_json(e));
  return a;
}

json maps_json(const std::vector<PerformanceMap>& maps) {
  json a = json::array();
  for (const auto& m : maps) a.push_back({{"kind", m.kind}, {"count", m.count}, {"elements", elements_json(m.elements)}});
  return a;
}

json codebook_json(const IntegerCodebook& cb) {
  return {{"codebook_egk", cb.codebook_egk},
          {"codebook_size", cb.codebook_size},
          {"codebook_centre_offset", cb.codebook_centre_offset},
          {"CbZeroOffset", cb.cb_zero_offset},
          {"values", cb.values}};
}

json unit_json(const NnrUnit& u) {
  json j;
  j["offset"] = u.offset;
  j["nnr_unit_size"] = u.nnr_unit_size;
  j["nnr_unit_size_flag"] = u.nnr_unit_size_flag;
  j["nnr_unit_type"] = nnr_unit_type_name(u.nnr_unit_type);
  j["independently_decodable_flag"] = u.independently_decodable_flag;
  j["partial_data_counter_present_flag"] = u.partial_data_counter_present_flag;
  if (u.partial_data_counter_present_flag) j["partial_data_counter"] = u.partial_data_counter;
  switch (u.nnr_unit_type) {
    case NNR_STR:
      j["general_profile_idc"] = u.general_profile_idc;
      break;
    case NNR_MPS:
      if (u.mps.has_qp) {
        j["mps_qp_density"] = u.mps.mps_qp_density;
        j["mps_quantization_parameter"] = u.mps.mps_quantization_parameter;
      }
      if (!u.mps.maps.empty()) j["performance_maps"] = maps_json(u.mps.maps);
      if (u.mps.mps_parent_signalling_enabled_flag) j["mps_parent_signalling_enabled_flag"] = 1;
      if (u.mps.base_model_id_present_flag) j["base_model_id"] = u.mps.base_model_id;
      if (u.mps.validation_set_performance_present_flag || u.mps.metric_type_performance_map_valid_flag)
        j["performance_metric_type"] = u.mps.performance_metric_type;
      if (u.mps.validation_set_performance_present_flag)
        j["validation_set_performance"] = u.mps.validation_set_performance;
      break;
    case NNR_LPS:
      if (u.lps.has_qp) {
        j["lps_qp_density"] = u.lps.lps_qp_density;
        j["lps_quantization_parameter"] = u.lps.lps_quantization_parameter;
      }
      if (!u.lps.maps.empty()) j["performance_maps"] = maps_json(u.lps.maps);
      break;
    case NNR_TPL:
      j["topology_storage_format"] = topology_storage_format_name(u.tpl.topology_storage_format);
      if (!u.tpl.topology_elem_ids.empty()) j["topology_elem_ids"] = u.tpl.topology_elem_ids;
      break;
    case NNR_NDU: {
      const NduHeader& h = u.ndu;
      j["payload_type"] = payload_type_name(h.nnr_compressed_data_unit_payload_type);
      if (!h.topology_elem_ids.empty()) j["topology_elem_ids"] = h.topology_elem_ids;
      if (!h.topology_elem_id_indices.empty()) j["topology_elem_id_indices"] = h.topology_elem_id_indices;
      j["tensor_dimensions"] = h.tensor_dimensions;
      j["compressed_parameter_types"] = h.compressed_parameter_types;
      j["dq_flag"] = h.dq_flag;
      j["scan_order"] = h.scan_order;
      j["cabac_unary_length_minus1"] = h.cabac_unary_length_minus1;
      if (h.general_profile_idc == 1) {
        json t;
        if (h.node_id_present_flag)
          t = {{"device_id", h.device_id}, {"parameter_id", h.parameter_id}, {"put_node_depth", h.put_node_depth}};
        if (h.parent_node_id_present_flag) {
          t["parent_node_id_type"] = h.parent_node_id_type;
          t["temporal_context_modeling_flag"] = h.temporal_context_modeling_flag;
          if (h.parent_node_id_type == 0) t["parent_device_id"] = h.parent_device_id;
        }
        j["update_tree"] = t;
      }
      if (h.codebook_present_flag) j["codebook"] = codebook_json(h.codebook);
      if (h.codebook_h.codebook_size) j["codebook_h"] = codebook_json(h.codebook_h);
      if (!h.entry_points.empty()) {
        json eps = json::array();
        for (const auto& ep : h.entry_points)
          eps.push_back({{"ep_value", ep.ep_value}, {"ep_dq_state", ep.ep_dq_state}, {"delta", ep.delta}});
        j["entry_points"] = eps;
      }
      j["payload_offset"] = u.payload_offset;
      j["payload_size"] = u.payload_size;
      break;
    }
    case NNR_AGG: {
      j["nnr_aggregate_unit_type"] = u.agg.nnr_aggregate_unit_type;
      json c = json::array();
      for (const auto& ch : u.children) c.push_back(unit_json(ch));
      j["units"] = c;
      break;
    }
    default:
      break;
  }
  j["elements"] = elements_json(u.elements);
  return j;
}

}  // namespace

json units_to_json(const std::vector<NnrUnit>& units) {
  json a = json::array();
  for (const auto& u : units) a.push_back(unit_json(u));
  return a;
}

json tensors_to_json(const std::vector<DecodedTensor>& tensors) {
  json a = json::array();
  for (const DecodedTensor& t : tensors) {
    json j;
    j["name"] = t.name;
    j["dtype"] = dtype_name(t.dtype);
    j["shape"] = t.shape;
    j["sha256"] = tensor_sha256(t);
    j["unit_index"] = t.info.unit_index;
    j["payload_type"] = payload_type_name(t.info.payload_type);
    if (t.info.member >= 0) j["block_member"] = t.info.member;
    if (t.info.payload_type == NNR_PT_FLOAT || t.info.payload_type == NNR_PT_BLOCK) {
      j["qp"] = t.info.qp;
      j["step_size"] = t.info.step_size;
    }
    j["dq_flag"] = t.info.dq_flag;
    if (t.info.codebook) j["cb_zero_offset"] = t.info.cb_zero_offset;
    if (!t.info.init_sets.empty()) j["context_init_sets"] = t.info.init_sets;
    if (t.info.general_profile_idc == 1) {
      j["temporal_context_modeling"] = t.info.temporal_context_modeling_flag;
      j["hist_dep_sig_prob_enabled_flag"] = t.info.hist_dep_sig_prob_enabled_flag;
      j["row_skip_enabled_flag"] = t.info.row_skip_enabled_flag;
      if (t.info.row_skip_enabled_flag) j["skipped_rows"] = t.info.skipped_rows;
    }
    if (!t.levels.empty()) {
      int64_t nz = 0, mx = 0;
      for (int32_t l : t.levels) {
        nz += l != 0;
        const int64_t a = l < 0 ? -int64_t{l} : l;
        if (a > mx) mx = a;
      }
      j["nonzero_levels"] = nz;
      j["max_abs_level"] = mx;
    }
    a.push_back(std::move(j));
  }
  return a;
}

}  // namespace nnr
