// The tensors an NDU carries, in coding order, with their names, shapes and
// coding tools (spec 3.3): one tensor, or the members of an NNR_PT_BLOCK unit.
#ifndef NNR_DEC_NDU_MEMBERS_H
#define NNR_DEC_NDU_MEMBERS_H

#include <cstdint>
#include <string>
#include <vector>

#include "nnr/syntax.h"

namespace nnr {

enum class MemberRole { kSingle, kWeight, kG, kH, kLs, kBias, kBnBeta, kBnGamma, kBnMean, kBnVar };
const char* member_role_name(MemberRole role);

struct MemberPlan {
  MemberRole role = MemberRole::kSingle;
  int list_position = -1;  // position in topology_elem_ids (BLOCK), else -1
  std::string name;
  std::vector<int64_t> shape;
  const IntegerCodebook* codebook = nullptr;  // null: uniform / integer
  size_t ep_begin = 0, ep_count = 0;          // its slice of the entry point list
};

// Builds the member list from the parsed header; `names` are the resolved
// topology element ids. Throws nnr::Error (at `unit.offset`) on inconsistency.
std::vector<MemberPlan> plan_ndu_members(const NnrUnit& unit, const std::vector<std::string>& names);

// Number of elements, or throws if the product overflows int64.
int64_t checked_numel(const std::vector<int64_t>& shape, uint64_t unit_offset);

}  // namespace nnr

#endif  // NNR_DEC_NDU_MEMBERS_H
