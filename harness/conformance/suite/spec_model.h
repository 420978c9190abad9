// What a conformant decoder outputs, computed from the values a vector puts
// into its stream with the formulas of the specification (sections 3.5, 4,
// 5.1-5.2), written here independently of the project's decoder so that the
// expected outputs do not come from the code under test.
#ifndef NNR_HARNESS_CONFORMANCE_SUITE_SPEC_MODEL_H
#define NNR_HARNESS_CONFORMANCE_SUITE_SPEC_MODEL_H

#include <cstdint>
#include <vector>

#include "nnr/syntax.h"
#include "nnr/tensor.h"

namespace nnr::suite {

// Flat (row-major) positions in the order the scan visits them (5.1, 5.2).
std::vector<int64_t> scan_positions(const std::vector<int64_t>& shape, int scan_order);

// True when the effective scan of `shape` is a block scan (5.1).
bool is_block_scanned(const std::vector<int64_t>& shape, int scan_order);

// Reconstruction levels L by flat position from the coded levels k in scan
// order (4.2, 4.4: the DQ state machine when `dq`).
std::vector<int64_t> reconstruction_levels(const std::vector<int64_t>& k_in_scan_order,
                                           const std::vector<int64_t>& shape, int scan_order, bool dq);

// Delta of a qp (4.1), exact.
double step_size_of(int qp, int qp_density);

// RNE32(Delta x RNE32(L)) (4.3).
std::vector<float> uniform_values(const std::vector<int64_t>& levels, int qp, int qp_density);

// RNE32(Codebook[L + CbZeroOffset] x Delta) (4.5).
std::vector<float> codebook_values(const std::vector<int64_t>& levels, const IntegerCodebook& cb, int qp,
                                   int qp_density);

// W'[i, ...] = RNE32(W[i, ...] x LS[i]) (3.5).
void apply_ls(ValueVector<float>& w, const ValueVector<float>& ls);

// Codebook[] from the coded fields of integer_codebook() (1.6).
std::vector<int64_t> codebook_from_fields(int64_t zero_value, int64_t cb_zero_offset,
                                          const std::vector<int64_t>& deltas_left,
                                          const std::vector<int64_t>& deltas_right);

}  // namespace nnr::suite

#endif
