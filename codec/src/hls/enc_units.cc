#include "hls/enc_units.h"

#include <stdexcept>
#include <string>

#include "nnr/error.h"

namespace nnr {

std::vector<uint8_t> write_nnr_unit(int nnr_unit_type, const std::vector<uint8_t>& body,
                                    int partial_data_counter) {
  BitWriter hdr;
  hdr.u(6, static_cast<uint64_t>(nnr_unit_type));
  hdr.u(1, 1);  // independently_decodable_flag
  hdr.u(1, partial_data_counter >= 0 ? 1 : 0);
  if (partial_data_counter >= 0) hdr.u(8, static_cast<uint64_t>(partial_data_counter));
  const std::vector<uint8_t> h = hdr.finish();
  const uint64_t t = h.size() + body.size();
  BitWriter out;
  if (t + 2 <= 32767) {
    out.u(1, 0);
    out.u(15, t + 2);
  } else {
    if (t + 4 > 0x7fffffffu)
      throw Error(ErrorCode::kLimitExceeded, kNoOffset,
                  "NNR unit of " + std::to_string(t + 4) + " bytes exceeds the 31-bit size field");
    out.u(1, 1);
    out.u(31, t + 4);
  }
  out.bytes(h.data(), h.size());
  out.bytes(body.data(), body.size());
  return out.finish();
}

std::vector<uint8_t> write_str_body(int general_profile_idc) {
  BitWriter bw;
  bw.u(8, static_cast<uint64_t>(general_profile_idc));
  return bw.finish();
}

namespace {

// Entries + 1 in the count field: the reference decoder reads count - 1.
uint64_t map_count(size_t entries, const char* kind) {
  if (entries > 254) throw Error(ErrorCode::kInvalidArgument, kNoOffset, std::string(kind) + " performance map has more than 254 entries");
  return entries + 1;
}

void write_performance_maps(BitWriter& bw, const PerformanceMaps& p) {
  if (!p.sparsification.empty()) {
    bw.u(8, map_count(p.sparsification.size(), "sparsification"));
    for (const auto& e : p.sparsification) {
      bw.flt(e.threshold);
      bw.flt(e.non_zero_ratio);
      bw.flt(e.accuracy);
      bw.u(8, 0);   // spm_count_classes
      bw.ue(7, 0);  // spm_class_bitmask
    }
  }
  if (!p.pruning.empty()) {
    bw.u(8, map_count(p.pruning.size(), "pruning"));
    for (const auto& e : p.pruning) {
      bw.flt(e.ratio);
      bw.flt(e.accuracy);
      bw.u(8, 0);
      bw.ue(7, 0);
    }
  }
  if (!p.unification.empty()) {
    bw.u(8, map_count(p.unification.size(), "unification"));
    for (const auto& e : p.unification) {
      bw.ue(1, e.reshaped_tensor_dimensions.size() + 1);
      for (uint32_t d : e.reshaped_tensor_dimensions) bw.ue(7, d);
      bw.byte_alignment();
      bw.u(8, map_count(e.super_block_dimensions.size(), "unification super-block"));
      for (uint8_t d : e.super_block_dimensions) bw.u(8, d);
      bw.u(8, map_count(e.block_dimensions.size(), "unification block"));
      for (uint8_t d : e.block_dimensions) bw.u(8, d);
      bw.flt(e.threshold);
      bw.flt(e.accuracy);
      bw.u(8, 0);   // upm_count_classes
      bw.ue(7, 0);  // upm_class_bitmask (which bounds the class loop as the reference decoder reads it)
    }
  }
  if (!p.decomposition.empty()) {
    bw.u(8, map_count(p.decomposition.size(), "decomposition"));
    for (const auto& e : p.decomposition) {
      bw.flt(e.mse_threshold);
      bw.flt(e.accuracy);
      bw.flt(e.reduction_ratio);
      bw.u(16, 0);  // dpm_count_classes
    }
  }
}

}  // namespace

std::vector<uint8_t> write_mps_body(const ModelParameterSet& m, const PerformanceMaps& maps,
                                   int general_profile_idc) {
  if (!m.maps.empty())
    throw Error(ErrorCode::kUnsupported, kNoOffset, "performance maps are written from PerformanceMaps");
  BitWriter bw;
  bw.u(1, static_cast<uint64_t>(m.topology_carriage_flag));
  bw.u(1, !maps.sparsification.empty());
  bw.u(1, !maps.pruning.empty());
  bw.u(1, !maps.unification.empty());
  bw.u(1, !maps.decomposition.empty());
  bw.u(3, static_cast<uint64_t>(m.mps_quantization_method_flags));
  bw.u(1, static_cast<uint64_t>(m.mps_topology_indexed_reference_flag));
  if (general_profile_idc == 1) {
    bw.u(3, 0);  // base model id, validation-set performance, metric type: absent
    bw.u(1, static_cast<uint64_t>(m.mps_parent_signalling_enabled_flag));
    bw.u(3, 0);  // nnr_pre_flag (or a reserved bit) and two reserved bits
  } else {
    bw.u(7, 0);
  }
  if (m.mps_quantization_method_flags & (NNR_QSU | NNR_QCB)) {
    bw.u(3, static_cast<uint64_t>(m.mps_qp_density));
    bw.i(13, m.mps_quantization_parameter);
  }
  write_performance_maps(bw, maps);
  bw.byte_alignment();
  return bw.finish();
}

std::vector<uint8_t> write_lps_body(const LayerParameterSet& l) {
  if (!l.maps.empty())
    throw Error(ErrorCode::kUnsupported, kNoOffset, "writing performance maps is not supported");
  BitWriter bw;
  bw.u(1, static_cast<uint64_t>(l.lps_self_contained_flag));
  bw.u(7, 0);
  bw.u(1, 0);
  bw.u(1, 0);
  bw.u(1, 0);
  bw.u(1, 0);
  bw.u(3, static_cast<uint64_t>(l.lps_quantization_method_flags));
  bw.u(1, 0);
  if (l.lps_quantization_method_flags & (NNR_QSU | NNR_QCB)) {
    bw.u(3, static_cast<uint64_t>(l.lps_qp_density));
    bw.i(13, l.lps_quantization_parameter);
  }
  bw.byte_alignment();
  return bw.finish();
}

std::vector<uint8_t> write_tpl_body(const Topology& t) {
  BitWriter bw;
  bw.u(8, static_cast<uint64_t>(t.topology_storage_format));
  bw.u(8, static_cast<uint64_t>(t.topology_compression_format));
  if (t.topology_storage_format == NNR_TPL_REFLIST) {
    if (t.topology_elem_ids.size() < 2)
      throw Error(ErrorCode::kInvalidArgument, kNoOffset, "a topology element list needs two ids");
    bw.ue(7, t.topology_elem_ids.size() - 2);
    bw.byte_alignment();
    for (const auto& id : t.topology_elem_ids) bw.st(id);
  } else {
    bw.st(t.topology_data);
  }
  return bw.finish();
}

std::vector<uint8_t> write_qnt_body(const QuantizationData& q) {
  BitWriter bw;
  bw.u(8, static_cast<uint64_t>(q.quantization_storage_format));
  bw.u(8, static_cast<uint64_t>(q.quantization_compression_format));
  bw.st(q.quantization_data);
  return bw.finish();
}

void write_integer_codebook(BitWriter& bw, const IntegerCodebook& cb) {
  const int64_t size = static_cast<int64_t>(cb.values.size());
  bw.u(4, static_cast<uint64_t>(cb.codebook_egk));
  bw.ue(2, static_cast<uint64_t>(size));
  const int64_t centre = cb.cb_zero_offset - (size >> 1);
  bw.ie(2, centre);
  const int64_t z = cb.cb_zero_offset;
  bw.ie(7, cb.values[z]);
  for (int64_t j = z - 1; j >= 0; --j)
    bw.ue(cb.codebook_egk, static_cast<uint64_t>(cb.values[j + 1] - cb.values[j] - 1));
  for (int64_t j = z + 1; j < size; ++j)
    bw.ue(cb.codebook_egk, static_cast<uint64_t>(cb.values[j] - cb.values[j - 1] - 1));
}

std::vector<uint8_t> write_ndu_body(const NduHeader& h, int indexed, const std::vector<uint8_t>& payload,
                                    int mps_parent_signalling_enabled_flag) {
  BitWriter bw;
  const int pt = h.nnr_compressed_data_unit_payload_type;
  bw.u(5, static_cast<uint64_t>(pt));
  bw.u(1, static_cast<uint64_t>(h.nnr_multiple_topology_elements_present_flag));
  bw.u(1, static_cast<uint64_t>(h.nnr_decompressed_data_format_present_flag));
  bw.u(1, static_cast<uint64_t>(h.input_parameters_present_flag));
  if (h.nnr_multiple_topology_elements_present_flag) {
    const size_t count = indexed ? h.topology_elem_id_indices.size() : h.topology_elem_ids.size();
    if (count < 2) throw Error(ErrorCode::kInvalidArgument, kNoOffset, "a block needs two elements");
    bw.ue(7, count - 2);
    if (!indexed) {
      bw.byte_alignment();
      for (const auto& id : h.topology_elem_ids) bw.st(id);
    } else {
      for (int64_t idx : h.topology_elem_id_indices) bw.ue(7, static_cast<uint64_t>(idx));
      bw.byte_alignment();
    }
  } else if (!indexed) {
    bw.st(h.topology_elem_ids.at(0));
  } else {
    bw.ue(7, static_cast<uint64_t>(h.topology_elem_id_indices.at(0)));
  }
  if (h.general_profile_idc == 1) {
    bw.u(1, static_cast<uint64_t>(h.node_id_present_flag));
    if (h.node_id_present_flag) {
      bw.ue(1, static_cast<uint64_t>(h.device_id));
      bw.ue(5, static_cast<uint64_t>(h.parameter_id));
      bw.ue(4, static_cast<uint64_t>(h.put_node_depth));
    }
    if (mps_parent_signalling_enabled_flag) {
      bw.u(1, static_cast<uint64_t>(h.parent_node_id_present_flag));
      if (h.parent_node_id_present_flag) {
        if (h.parent_node_id_type != 0)
          throw Error(ErrorCode::kUnsupported, kNoOffset, "parent_node_id_type other than 0 is not written");
        bw.u(2, 0);
        bw.u(1, static_cast<uint64_t>(h.temporal_context_modeling_flag));
        bw.ue(1, static_cast<uint64_t>(h.parent_device_id));
        if (!h.node_id_present_flag) {
          bw.ue(5, static_cast<uint64_t>(h.parameter_id));
          bw.ue(4, static_cast<uint64_t>(h.put_node_depth));
        }
      }
    }
  }
  if (pt == NNR_PT_FLOAT || pt == NNR_PT_BLOCK) {
    bw.u(1, static_cast<uint64_t>(h.codebook_present_flag));
    if (h.codebook_present_flag) write_integer_codebook(bw, h.codebook);
  }
  if (pt != NNR_PT_RAW_FLOAT) bw.u(1, static_cast<uint64_t>(h.dq_flag));
  if (h.nnr_decompressed_data_format_present_flag)
    bw.u(7, static_cast<uint64_t>(h.nnr_decompressed_data_format));
  if (h.input_parameters_present_flag) {
    bw.u(1, static_cast<uint64_t>(h.tensor_dimensions_flag));
    bw.u(1, static_cast<uint64_t>(h.cabac_unary_length_flag));
    bw.u(4, static_cast<uint64_t>(h.compressed_parameter_types));
    if (h.compressed_parameter_types & NNR_CPT_DC) {
      bw.ue(3, static_cast<uint64_t>(h.decomposition_rank));
      bw.ue(3, static_cast<uint64_t>(h.g_number_of_rows));
    }
    if (h.tensor_dimensions_flag) {
      bw.ue(1, h.tensor_dimensions.size());
      for (int64_t d : h.tensor_dimensions) bw.ue(7, static_cast<uint64_t>(d));
    }
    if (h.cabac_unary_length_flag) bw.u(8, static_cast<uint64_t>(h.cabac_unary_length_minus1));
  }
  if (pt == NNR_PT_BLOCK && (h.compressed_parameter_types & NNR_CPT_DC) && h.codebook_present_flag)
    write_integer_codebook(bw, h.codebook_h);
  if (h.tensor_dimensions.size() > 1) {
    if (h.general_profile_idc == 1) bw.ue(1, static_cast<uint64_t>(h.first_tensor_dimension_shift));
    bw.u(4, static_cast<uint64_t>(h.scan_order));
    if (h.scan_order > 0) {
      for (size_t j = 0; j < h.entry_points.size(); ++j) {
        const EntryPoint& ep = h.entry_points[j];
        bw.u(8, ep.ep_value);
        if (h.dq_flag) bw.u(3, ep.ep_dq_state);
        if (j == 0) {
          bw.ue(11, static_cast<uint64_t>(ep.delta));
        } else {
          bw.ie(7, ep.delta - h.entry_points[j - 1].delta);
        }
      }
    }
  }
  bw.byte_alignment();
  bw.bytes(payload.data(), payload.size());
  return bw.finish();
}

std::vector<uint8_t> write_agg_body(const AggregateHeader& a,
                                    const std::vector<std::vector<uint8_t>>& units) {
  BitWriter bw;
  bw.u(8, static_cast<uint64_t>(a.nnr_aggregate_unit_type));
  bw.u(1, static_cast<uint64_t>(a.entry_points_present_flag));
  if (units.size() < 2) throw Error(ErrorCode::kInvalidArgument, kNoOffset, "an aggregate needs two units");
  bw.u(16, units.size() - 2);
  if (a.entry_points_present_flag) {
    for (size_t i = 0; i < units.size(); ++i) {
      bw.u(6, static_cast<uint64_t>(a.nnr_unit_types.at(i)));
      bw.u(32, static_cast<uint64_t>(a.nnr_unit_entry_points.at(i)));
    }
  }
  bw.byte_alignment();
  for (const auto& u : units) bw.bytes(u.data(), u.size());
  return bw.finish();
}

}  // namespace nnr
