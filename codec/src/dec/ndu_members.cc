#include "dec/ndu_members.h"

#include "cabac/dec_levels.h"
#include "nnr/error.h"

namespace nnr {

const char* member_role_name(MemberRole role) {
  switch (role) {
    case MemberRole::kSingle: return "tensor";
    case MemberRole::kWeight: return "W";
    case MemberRole::kG: return "G";
    case MemberRole::kH: return "H";
    case MemberRole::kLs: return "LS";
    case MemberRole::kBias: return "BI";
    case MemberRole::kBnBeta: return "BN beta";
    case MemberRole::kBnGamma: return "BN gamma";
    case MemberRole::kBnMean: return "BN mean";
    case MemberRole::kBnVar: return "BN var";
  }
  return "?";
}

int64_t checked_numel(const std::vector<int64_t>& shape, uint64_t unit_offset) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d != 0 && n > INT64_MAX / d)) {
      throw Error(ErrorCode::kLimitExceeded, static_cast<int64_t>(unit_offset),
                  "tensor dimensions overflow");
    }
    n *= d;
  }
  return n;
}

namespace {

[[noreturn]] void fail(const NnrUnit& unit, const std::string& msg) {
  throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(unit.offset), msg);
}

bool ends_with(const std::string& s, const char* suffix) {
  const std::string x(suffix);
  return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

// Assigns each block-scanned member its slice of the entry point list.
void assign_entry_points(const NnrUnit& unit, std::vector<MemberPlan>& members) {
  const NduHeader& h = unit.ndu;
  const size_t total = h.entry_points.size();
  if (h.scan_order == 0 || total == 0) return;
  size_t next = 0;
  for (MemberPlan& m : members) {
    int64_t want = 0;
    switch (m.role) {
      case MemberRole::kSingle:
      case MemberRole::kWeight:
        want = static_cast<int64_t>(total);
        break;
      case MemberRole::kG:
      case MemberRole::kH:
        want = ScanGeometry::header_block_rows_minus1(m.shape[0], h.scan_order);
        break;
      default:
        continue;
    }
    if (want < 0) want = 0;
    m.ep_begin = next;
    m.ep_count = static_cast<size_t>(want);
    next += m.ep_count;
  }
  if (next != total) fail(unit, "entry point list does not match the tensors of the unit");
}

}  // namespace

std::vector<MemberPlan> plan_ndu_members(const NnrUnit& unit, const std::vector<std::string>& names) {
  const NduHeader& h = unit.ndu;
  const int pt = h.nnr_compressed_data_unit_payload_type;
  const int cpt = h.compressed_parameter_types;
  const bool dc = cpt & NNR_CPT_DC;
  std::vector<MemberPlan> members;
  if (!h.input_parameters_present_flag || !h.tensor_dimensions_flag)
    throw Error(ErrorCode::kUnsupported, static_cast<int64_t>(unit.offset),
                "tensor dimensions supplied out of band (input_parameters_present_flag or "
                "tensor_dimensions_flag is 0) are not supported");
  if (pt != NNR_PT_RAW_FLOAT && !h.cabac_unary_length_flag)
    throw Error(ErrorCode::kUnsupported, static_cast<int64_t>(unit.offset),
                "cabac_unary_length supplied out of band is not supported");
  const std::vector<int64_t>& dims = h.tensor_dimensions;
  std::vector<int64_t> shape = dims.empty() ? std::vector<int64_t>{1} : dims;
  const int64_t d0 = shape[0];
  const int64_t total = checked_numel(shape, unit.offset);

  auto dc_shapes = [&](std::vector<int64_t>& g_shape, std::vector<int64_t>& h_shape) {
    const int64_t r = h.decomposition_rank, g = h.g_number_of_rows;
    if (r <= 0 || g <= 0 || total % g != 0)
      fail(unit, "decomposition_rank / g_number_of_rows do not fit the tensor dimensions");
    g_shape = {g, r};
    h_shape = {r, total / g};
  };

  if (pt != NNR_PT_BLOCK) {
    if (names.size() != 1) fail(unit, "a non-block NDU must carry exactly one topology element");
    MemberPlan m;
    m.name = names[0];
    m.shape = shape;
    if (dc) {
      std::vector<int64_t> gs, hs;
      dc_shapes(gs, hs);
      const bool is_h = ends_with(m.name, "_H");
      m.role = is_h ? MemberRole::kH : MemberRole::kG;
      m.shape = is_h ? hs : gs;
    }
    if (h.codebook_present_flag) m.codebook = &h.codebook;
    members.push_back(std::move(m));
  } else {
    if (!h.nnr_multiple_topology_elements_present_flag)
      fail(unit, "NNR_PT_BLOCK with nnr_multiple_topology_elements_present_flag 0");
    const int ls = (cpt & NNR_CPT_LS) ? 1 : 0, bn = (cpt & NNR_CPT_BN) ? 1 : 0,
              bi = (cpt & NNR_CPT_BI) ? 1 : 0, ndc = dc ? 1 : 0;
    const size_t expected = 1 + ndc + ls + 4 * bn + bi;
    if (names.size() != expected)
      fail(unit, "NNR_PT_BLOCK with compressed_parameter_types " + std::to_string(cpt) + " needs " +
                     std::to_string(expected) + " topology elements, the unit lists " +
                     std::to_string(names.size()));
    auto add = [&](MemberRole role, int pos, std::vector<int64_t> s) {
      MemberPlan m;
      m.role = role;
      m.list_position = pos;
      m.name = names[pos];
      m.shape = std::move(s);
      members.push_back(std::move(m));
    };
    const std::vector<int64_t> vec{d0};
    if (ls) add(MemberRole::kLs, 1 + ndc, vec);
    if (bi) add(MemberRole::kBias, 1 + ndc + ls + 4 * bn, vec);
    if (bn) {
      add(MemberRole::kBnBeta, 1 + ndc + ls, vec);
      add(MemberRole::kBnGamma, 2 + ndc + ls, vec);
      add(MemberRole::kBnMean, 3 + ndc + ls, vec);
      add(MemberRole::kBnVar, 4 + ndc + ls, vec);
    }
    if (dc) {
      std::vector<int64_t> gs, hs;
      dc_shapes(gs, hs);
      add(MemberRole::kG, 0, gs);
      add(MemberRole::kH, 1, hs);
      if (h.codebook_present_flag) {
        members[members.size() - 2].codebook = &h.codebook;
        members.back().codebook = &h.codebook_h;
      }
    } else {
      add(MemberRole::kWeight, 0, shape);
      if (h.codebook_present_flag) members.back().codebook = &h.codebook;
    }
  }
  assign_entry_points(unit, members);
  return members;
}

}  // namespace nnr
