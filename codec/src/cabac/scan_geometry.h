// Scan geometry of a tensor (spec 5.1): its 2-D view and the block size of
// the effective scan.
#ifndef NNR_CABAC_SCAN_GEOMETRY_H
#define NNR_CABAC_SCAN_GEOMETRY_H

#include <cstdint>
#include <vector>

namespace nnr {

struct ScanGeometry {
  int64_t height = 1;  // H = d[0]
  int64_t width = 1;   // W = prod(d[1..])
  int block = 0;       // B, or 0 when the effective scan is row-major

  static ScanGeometry make(const std::vector<int64_t>& dims, int scan_order);
  int64_t numel() const { return height * width; }
  int64_t num_rows() const { return block ? (height + block - 1) / block : 1; }
  // Number of entry points the header carries for these dims (spec 2.8.3),
  // which is computed from the header even where the scan is row-major.
  static int64_t header_block_rows_minus1(int64_t d0, int scan_order);
};

}  // namespace nnr

#endif  // NNR_CABAC_SCAN_GEOMETRY_H
