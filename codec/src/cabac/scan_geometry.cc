#include "cabac/scan_geometry.h"

#include <cstddef>

namespace nnr {

ScanGeometry ScanGeometry::make(const std::vector<int64_t>& dims, int scan_order) {
  ScanGeometry g;
  g.height = dims.empty() ? 1 : dims[0];
  g.width = 1;
  for (size_t i = 1; i < dims.size(); ++i) g.width *= dims[i];
  const bool block = scan_order > 0 && dims.size() > 1 && g.height > 1 && g.width > 1;
  g.block = block ? (4 << scan_order) : 0;
  return g;
}

int64_t ScanGeometry::header_block_rows_minus1(int64_t d0, int scan_order) {
  const int64_t b = int64_t{4} << scan_order;
  return (d0 + b - 1) / b - 1;
}

}  // namespace nnr
