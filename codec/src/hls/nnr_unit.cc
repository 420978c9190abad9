#include <string>

#include "hls/hls.h"

namespace nnr {

namespace {

void check_consumed(const BitReader& br, const NnrUnit& unit) {
  const uint64_t used = br.byte_pos();
  if (used != unit.nnr_unit_size) {
    throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(unit.offset + used),
                std::string(nnr_unit_type_name(unit.nnr_unit_type)) + " unit has " +
                    std::to_string(unit.nnr_unit_size - used) +
                    " bytes after its syntax (nnr_unit_size " + std::to_string(unit.nnr_unit_size) +
                    ")");
  }
}

}  // namespace

// nnr_unit(): size, header, payload (spec 2.1, 2.2).
void parse_nnr_unit(const uint8_t* data, size_t size, uint64_t offset, HlsState& state,
                    NnrUnit* unit, bool trace) {
  NnrUnit& u = *unit;
  u.offset = offset;
  const uint64_t remaining = size - offset;
  {
    BitReader peek(data + offset, static_cast<size_t>(remaining), offset);
    const int flag = peek.u1("nnr_unit_size_flag");
    const uint64_t unit_size = peek.u(15 + 16 * flag, "nnr_unit_size");
    const uint64_t min_size = (flag ? 4 : 2) + 1;
    if (unit_size < min_size) {
      throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(offset),
                  "nnr_unit_size " + std::to_string(unit_size) + " is smaller than its header");
    }
    if (unit_size > remaining) {
      throw Error(ErrorCode::kTruncated, static_cast<int64_t>(offset),
                  "nnr_unit_size " + std::to_string(unit_size) + " exceeds the " +
                      std::to_string(remaining) + " bytes left");
    }
    u.nnr_unit_size_flag = flag;
    u.nnr_unit_size = unit_size;
  }
  BitReader br(data + offset, static_cast<size_t>(u.nnr_unit_size), offset);
  if (trace) br.set_trace(&u.elements);
  br.u1("nnr_unit_size_flag");
  br.u(15 + 16 * u.nnr_unit_size_flag, "nnr_unit_size");
  u.nnr_unit_type = static_cast<int>(br.u(6, "nnr_unit_type"));
  u.independently_decodable_flag = br.u1("independently_decodable_flag");
  u.partial_data_counter_present_flag = br.u1("partial_data_counter_present_flag");
  if (u.partial_data_counter_present_flag)
    u.partial_data_counter = static_cast<int>(br.u(8, "partial_data_counter"));

  switch (u.nnr_unit_type) {
    case NNR_STR:
      parse_str(br, u);
      check_consumed(br, u);
      state.general_profile_idc = u.general_profile_idc;
      break;
    case NNR_MPS:
      parse_mps(br, state, u);
      check_consumed(br, u);
      if (state.ndu_count > 0)
        throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(offset),
                    "NNR_MPS after an NNR_NDU");
      state.have_mps = true;
      state.mps = u.mps;
      break;
    case NNR_LPS:
      parse_lps(br, u);
      check_consumed(br, u);
      state.lps_active = true;
      state.lps = u.lps;
      break;
    case NNR_TPL:
      parse_tpl(br, u);
      check_consumed(br, u);
      if (u.tpl.topology_storage_format == NNR_TPL_REFLIST) {
        state.have_reflist = true;
        state.reflist = u.tpl.topology_elem_ids;
      }
      break;
    case NNR_QNT:
      parse_qnt(br, u);
      check_consumed(br, u);
      break;
    case NNR_NDU:
      parse_ndu_header(br, state, u);
      u.payload_offset = offset + br.byte_pos();
      u.payload_size = u.nnr_unit_size - br.byte_pos();
      ++state.ndu_count;
      break;
    case NNR_AGG: {
      if (state.agg_depth > 0)
        throw Error(ErrorCode::kUnsupported, static_cast<int64_t>(offset),
                    "NNR_AGG inside NNR_AGG is not supported");
      parse_agg_header(br, u);
      u.payload_offset = offset + br.byte_pos();
      u.payload_size = u.nnr_unit_size - br.byte_pos();
      const uint64_t end = offset + u.nnr_unit_size;
      ++state.agg_depth;
      for (uint64_t pos = u.payload_offset; pos < end;) {
        NnrUnit& child = u.children.emplace_back();
        parse_nnr_unit(data, static_cast<size_t>(end), pos, state, &child, trace);
        pos += child.nnr_unit_size;
      }
      --state.agg_depth;
      const int64_t expected = u.agg.num_of_nnr_units_minus2 + 2;
      if (static_cast<int64_t>(u.children.size()) != expected)
        throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(offset),
                    "NNR_AGG holds " + std::to_string(u.children.size()) +
                        " units, num_of_nnr_units_minus2 says " + std::to_string(expected));
      break;
    }
    default:
      throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(offset),
                  "reserved nnr_unit_type " + std::to_string(u.nnr_unit_type));
  }
}

}  // namespace nnr
