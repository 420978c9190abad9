#include "hls/hls.h"

namespace nnr {

// NNR_STR: general_profile_idc, empty payload (spec 2.3).
void parse_str(BitReader& br, NnrUnit& unit) {
  unit.general_profile_idc = static_cast<int>(br.u(8, "general_profile_idc"));
}

}  // namespace nnr
