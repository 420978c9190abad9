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

// Visits the flat positions of a tensor in the scan order of `g`; on_row(r)
// is called at the start of every block row (block scans only).
template <typename OnRow, typename OnElement>
void for_each_in_scan(const ScanGeometry& g, OnRow on_row, OnElement on_element) {
  if (!g.block) {
    for (int64_t pos = 0, total = g.numel(); pos < total; ++pos) on_element(pos);
    return;
  }
  const int64_t b = g.block;
  for (int64_t r = 0; r < g.num_rows(); ++r) {
    on_row(r);
    const int64_t y0 = r * b, y1 = y0 + b < g.height ? y0 + b : g.height;
    for (int64_t x0 = 0; x0 < g.width; x0 += b) {
      const int64_t x1 = x0 + b < g.width ? x0 + b : g.width;
      for (int64_t y = y0; y < y1; ++y)
        for (int64_t x = x0; x < x1; ++x) on_element(y * g.width + x);
    }
  }
}

}  // namespace nnr

#endif  // NNR_CABAC_SCAN_GEOMETRY_H
