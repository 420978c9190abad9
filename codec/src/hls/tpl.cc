#include "hls/hls.h"

namespace nnr {

// topology_elements_ids_list(indexed) (spec 2.8.2), shared by TPL and NDU.
void parse_topology_elements_ids_list(BitReader& br, int indexed, std::vector<std::string>& names,
                                      std::vector<int64_t>& indices) {
  const uint64_t count = br.ue(7, "count_topology_elements_minus2") + 2;
  // Each id takes at least one byte (a string) or one bit (an index).
  if (count > br.bits_left()) br.fail(ErrorCode::kTruncated, "topology element count exceeds the unit");
  if (!indexed) {
    br.byte_alignment();
    for (uint64_t j = 0; j < count; ++j) names.push_back(br.st("topology_elem_id"));
  } else {
    for (uint64_t j = 0; j < count; ++j)
      indices.push_back(static_cast<int64_t>(br.ue(7, "topology_elem_id_index")));
    br.byte_alignment();
  }
}

// NNR_TPL header and payload (spec 2.6).
void parse_tpl(BitReader& br, NnrUnit& unit) {
  Topology& t = unit.tpl;
  t.topology_storage_format = static_cast<int>(br.u(8, "topology_storage_format"));
  t.topology_compression_format = static_cast<int>(br.u(8, "topology_compression_format"));
  if (t.topology_storage_format == NNR_TPL_PRUN) {
    br.fail(ErrorCode::kUnsupported, "NNR_TPL_PRUN (pruning topology container) is not supported");
  } else if (t.topology_storage_format == NNR_TPL_REFLIST) {
    parse_topology_elements_ids_list(br, 0, t.topology_elem_ids, t.topology_elem_id_indices);
  } else {
    t.topology_data = br.st("topology_data");
  }
}

}  // namespace nnr
