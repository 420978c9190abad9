// Bin cost estimates used by encoder decisions (init sets, rate-distortion).
#ifndef NNR_CABAC_BIT_ESTIMATES_H
#define NNR_CABAC_BIT_ESTIMATES_H

#include <cstdint>

namespace nnr {

// EST of spec 9.6 as one table: cost[bin][t], t = 512 + (p >> 3), in
// 1/32768 bit. Built once from Appendix B.
struct BinCostTable {
  constexpr BinCostTable();
  uint32_t cost[2][1024];
};
extern const BinCostTable kBinCost;

// EST(p, bin): the cost of coding `bin` with a context whose probability
// state is p = b + 16a.
inline uint32_t estimate_bin_cost(int p, uint32_t bin) { return kBinCost.cost[bin][512 + (p >> 3)]; }

}  // namespace nnr

#endif  // NNR_CABAC_BIT_ESTIMATES_H
