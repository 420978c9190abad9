#include <string>

#include "cabac/dec_levels.h"
#include "hls/hls.h"

namespace nnr {

// integer_codebook() (spec 1.6).
void parse_integer_codebook(BitReader& br, IntegerCodebook& cb) {
  cb.codebook_egk = static_cast<int>(br.u(4, "codebook_egk"));
  cb.codebook_size = static_cast<int64_t>(br.ue(2, "codebook_size"));
  if (cb.codebook_size < 1) br.fail(ErrorCode::kInvalidBitstream, "codebook_size is 0");
  // Each entry besides the centre takes at least one bit.
  if (uint64_t(cb.codebook_size - 1) > br.bits_left())
    br.fail(ErrorCode::kTruncated, "codebook_size exceeds the unit");
  cb.codebook_centre_offset = br.ie(2, "codebook_centre_offset");
  cb.cb_zero_offset = (cb.codebook_size >> 1) + cb.codebook_centre_offset;
  if (cb.cb_zero_offset < 0 || cb.cb_zero_offset >= cb.codebook_size)
    br.fail(ErrorCode::kInvalidBitstream, "CbZeroOffset " + std::to_string(cb.cb_zero_offset) +
                                              " outside the codebook of size " +
                                              std::to_string(cb.codebook_size));
  cb.values.assign(static_cast<size_t>(cb.codebook_size), 0);
  // Codebook values are kept within +-2^53 so the binary64 reconstruction stays exact.
  constexpr int64_t kLimit = int64_t{1} << 53;
  auto checked = [&](int64_t v) {
    if (v > kLimit || v < -kLimit) br.fail(ErrorCode::kInvalidBitstream, "codebook value out of range");
    return v;
  };
  const int64_t zero = cb.cb_zero_offset;
  cb.values[zero] = checked(br.ie(7, "codebook_zero_value"));
  for (int64_t j = zero - 1; j >= 0; --j) {
    const uint64_t d = br.ue(cb.codebook_egk, "codebook_delta_left");
    if (d > uint64_t(kLimit)) br.fail(ErrorCode::kInvalidBitstream, "codebook delta out of range");
    cb.values[j] = checked(cb.values[j + 1] - static_cast<int64_t>(d) - 1);
  }
  for (int64_t j = zero + 1; j < cb.codebook_size; ++j) {
    const uint64_t d = br.ue(cb.codebook_egk, "codebook_delta_right");
    if (d > uint64_t(kLimit)) br.fail(ErrorCode::kInvalidBitstream, "codebook delta out of range");
    cb.values[j] = checked(cb.values[j - 1] + static_cast<int64_t>(d) + 1);
  }
}

namespace {

// ceil(a / b) for a >= 0, b > 0, without overflow for a near INT64_MAX
// (g_number_of_rows and decomposition_rank are ue(3) values up to 2^63 - 9).
int64_t ceil_div(int64_t a, int64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

bool ends_with(const std::string& s, const char* suffix) {
  const std::string x(suffix);
  return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

// Edition 2: the node and parent of the NDU in the parameter update tree,
// right after the topology element ids.
void parse_update_tree_fields(BitReader& br, const HlsState& state, NduHeader& h) {
  h.node_id_present_flag = br.u1("node_id_present_flag");
  if (h.node_id_present_flag) {
    h.device_id = static_cast<int64_t>(br.ue(1, "device_id"));
    h.parameter_id = static_cast<int64_t>(br.ue(5, "parameter_id"));
    h.put_node_depth = static_cast<int64_t>(br.ue(4, "put_node_depth"));
  }
  if (!state.mps.mps_parent_signalling_enabled_flag) return;
  h.parent_node_id_present_flag = br.u1("parent_node_id_present_flag");
  if (!h.parent_node_id_present_flag) return;
  h.parent_node_id_type = static_cast<int>(br.u(2, "parent_node_id_type"));
  h.temporal_context_modeling_flag = br.u1("temporal_context_modeling_flag");
  switch (h.parent_node_id_type) {
    case 0:
      h.parent_device_id = static_cast<int64_t>(br.ue(1, "parent_device_id"));
      if (!h.node_id_present_flag) {
        // The reference software reads these as the NDU's own ids.
        h.parameter_id = static_cast<int64_t>(br.ue(5, "parameter_id"));
        h.put_node_depth = static_cast<int64_t>(br.ue(4, "put_node_depth"));
      }
      break;
    case 1:
    case 2: {
      const int bytes = h.parent_node_id_type == 1 ? 32 : 64;
      const char* name = bytes == 32 ? "parent_node_payload_sha256" : "parent_node_payload_sha512";
      for (int i = 0; i < bytes; ++i) h.parent_node_payload_sha.push_back(static_cast<uint8_t>(br.u(8, name)));
      break;
    }
    default:
      br.fail(ErrorCode::kInvalidBitstream, "reserved parent_node_id_type 3");
  }
}

}  // namespace

// nnr_compressed_data_unit_header() (spec 2.8.1; the edition-2 fields as in
// codec/docs/edition2.md 2.3).
void parse_ndu_header(BitReader& br, const HlsState& state, NnrUnit& unit) {
  NduHeader& h = unit.ndu;
  h.nnr_compressed_data_unit_payload_type =
      static_cast<int>(br.u(5, "nnr_compressed_data_unit_payload_type"));
  const int pt = h.nnr_compressed_data_unit_payload_type;
  if (pt > NNR_PT_BLOCK)
    br.fail(ErrorCode::kInvalidBitstream,
            "reserved nnr_compressed_data_unit_payload_type " + std::to_string(pt));
  h.nnr_multiple_topology_elements_present_flag =
      br.u1("nnr_multiple_topology_elements_present_flag");
  h.nnr_decompressed_data_format_present_flag = br.u1("nnr_decompressed_data_format_present_flag");
  h.input_parameters_present_flag = br.u1("input_parameters_present_flag");
  const int indexed = state.mps.mps_topology_indexed_reference_flag;
  if (h.nnr_multiple_topology_elements_present_flag) {
    parse_topology_elements_ids_list(br, indexed, h.topology_elem_ids, h.topology_elem_id_indices);
  } else if (!indexed) {
    h.topology_elem_ids.push_back(br.st("topology_elem_id"));
  } else {
    h.topology_elem_id_indices.push_back(static_cast<int64_t>(br.ue(7, "topology_elem_id_index")));
  }
  h.general_profile_idc = state.general_profile_idc;
  const bool ed2 = edition2_syntax(br, state);
  if (ed2) parse_update_tree_fields(br, state, h);
  const bool quantised = pt == NNR_PT_FLOAT || pt == NNR_PT_BLOCK;
  if (quantised) {
    h.codebook_present_flag = br.u1("codebook_present_flag");
    if (h.codebook_present_flag) parse_integer_codebook(br, h.codebook);
  }
  if (pt != NNR_PT_RAW_FLOAT) h.dq_flag = br.u1("dq_flag");
  if (h.nnr_decompressed_data_format_present_flag)
    h.nnr_decompressed_data_format = static_cast<int>(br.u(7, "nnr_decompressed_data_format"));
  if (h.input_parameters_present_flag) {
    h.tensor_dimensions_flag = br.u1("tensor_dimensions_flag");
    h.cabac_unary_length_flag = br.u1("cabac_unary_length_flag");
    h.compressed_parameter_types = static_cast<int>(br.u(4, "compressed_parameter_types"));
    if (h.compressed_parameter_types & NNR_CPT_DC) {
      h.decomposition_rank = static_cast<int64_t>(br.ue(3, "decomposition_rank"));
      h.g_number_of_rows = static_cast<int64_t>(br.ue(3, "g_number_of_rows"));
    }
    if (h.tensor_dimensions_flag) {
      const uint64_t count = br.ue(1, "count_tensor_dimensions");
      if (count > 32)
        br.fail(ErrorCode::kUnsupported,
                "count_tensor_dimensions " + std::to_string(count) + " (at most 32 supported)");
      for (uint64_t j = 0; j < count; ++j) {
        const uint64_t d = br.ue(7, "tensor_dimensions");
        if (d > (uint64_t{1} << 40))
          br.fail(ErrorCode::kLimitExceeded, "tensor dimension " + std::to_string(d) + " too large");
        h.tensor_dimensions.push_back(static_cast<int64_t>(d));
      }
    }
    if (pt != NNR_PT_BLOCK && h.nnr_multiple_topology_elements_present_flag)
      br.fail(ErrorCode::kUnsupported,
              "topology_tensor_dimension_mapping (several elements in a non-block unit) is not "
              "supported");
    if (h.cabac_unary_length_flag)
      h.cabac_unary_length_minus1 = static_cast<int>(br.u(8, "cabac_unary_length_minus1"));
  }
  const bool dc = (h.compressed_parameter_types & NNR_CPT_DC) != 0;
  if (pt == NNR_PT_BLOCK && dc && h.codebook_present_flag) parse_integer_codebook(br, h.codebook_h);
  if (h.tensor_dimensions.size() > 1) {
    if (ed2) {
      const uint64_t shift = br.ue(1, "first_tensor_dimension_shift");
      // Its meaning (which dimension forms the rows) is not defined by the
      // reference software, which writes 0 and ignores the value.
      if (shift != 0)
        br.fail(ErrorCode::kUnsupported,
                "first_tensor_dimension_shift " + std::to_string(shift) + " (only 0 is supported)");
    }
    h.scan_order = static_cast<int>(br.u(4, "scan_order"));
    if (h.scan_order > 4)
      br.fail(ErrorCode::kInvalidBitstream, "scan_order " + std::to_string(h.scan_order) + " (0..4)");
    if (h.scan_order > 0) {
      int64_t count;
      if (!dc) {
        count = ScanGeometry::header_block_rows_minus1(h.tensor_dimensions[0], h.scan_order);
      } else {
        const int64_t b = int64_t{4} << h.scan_order;
        const int64_t g_rows = ceil_div(h.g_number_of_rows, b) - 1;
        const int64_t h_rows = ceil_div(h.decomposition_rank, b) - 1;
        if (pt == NNR_PT_BLOCK) {
          count = (g_rows > 0 ? g_rows : 0) + (h_rows > 0 ? h_rows : 0);
        } else {
          const bool is_h = !h.topology_elem_ids.empty() && ends_with(h.topology_elem_ids[0], "_H");
          count = is_h ? h_rows : g_rows;
        }
      }
      if (count < 0) count = 0;
      // Every entry takes at least 9 bits.
      if (uint64_t(count) > br.bits_left() / 9)
        br.fail(ErrorCode::kTruncated, "entry point list (" + std::to_string(count) +
                                           " entries) exceeds the unit");
      h.entry_points.resize(static_cast<size_t>(count));
      int64_t delta = 0;
      for (int64_t j = 0; j < count; ++j) {
        EntryPoint& ep = h.entry_points[j];
        ep.ep_value = static_cast<uint32_t>(br.u(8, "ep_value"));
        if (h.dq_flag) ep.ep_dq_state = static_cast<uint32_t>(br.u(3, "ep_dq_state"));
        if (j == 0) {
          delta = static_cast<int64_t>(br.ue(11, "ep_bit_offset_first"));
        } else {
          const int64_t diff = br.ie(7, "ep_bit_offset_diff");
          if ((diff > 0 && delta > INT64_MAX / 4 - diff) || (diff < 0 && delta < INT64_MIN / 4 - diff))
            br.fail(ErrorCode::kInvalidBitstream, "entry point offset overflow");
          delta += diff;
        }
        ep.delta = delta;
      }
    }
  }
  br.byte_alignment();
}

}  // namespace nnr
