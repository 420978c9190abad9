#include "hls/hls.h"

namespace nnr {

// nnr_aggregate_unit_header(). NNCodec does not implement NNR_AGG; this is the
// project's reading of ISO/IEC 15938-17: the aggregate type, an optional table
// of the contained units' types and byte entry points, then byte alignment;
// the payload is the contained NNR units back to back (parsed by the caller).
void parse_agg_header(BitReader& br, NnrUnit& unit) {
  AggregateHeader& a = unit.agg;
  a.nnr_aggregate_unit_type = static_cast<int>(br.u(8, "nnr_aggregate_unit_type"));
  a.entry_points_present_flag = br.u1("entry_points_present_flag");
  a.num_of_nnr_units_minus2 = static_cast<int64_t>(br.u(16, "num_of_nnr_units_minus2"));
  if (a.entry_points_present_flag) {
    const int64_t count = a.num_of_nnr_units_minus2 + 2;
    if (uint64_t(count) * 38 > br.bits_left())
      br.fail(ErrorCode::kTruncated, "aggregate entry point table exceeds the unit");
    for (int64_t i = 0; i < count; ++i) {
      a.nnr_unit_types.push_back(static_cast<int>(br.u(6, "nnr_unit_type")));
      a.nnr_unit_entry_points.push_back(static_cast<int64_t>(br.u(32, "nnr_unit_entry_point")));
    }
  }
  br.byte_alignment();
}

}  // namespace nnr
