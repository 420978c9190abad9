// .npy parsing: any bytes end in an array or an error with a message; an
// array parsed is written back and parses to the same values.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nnr/io.h"

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nnr::Tensor t;
  std::vector<std::string> notes;
  const nnr::Status s = nnr::parse_npy(data, size, &t, &notes);
  if (!s.ok()) {
    check(!s.message().empty());
    check(s.code() != nnr::ErrorCode::kInternal);
    return 0;
  }
  check(static_cast<size_t>(t.numel()) == (t.dtype == nnr::DType::kInt32 ? t.i32.size() : t.f32.size()));
  const std::vector<uint8_t> again = nnr::npy_bytes(t);
  nnr::Tensor u;
  check(nnr::parse_npy(again.data(), again.size(), &u).ok());
  check(u.shape == t.shape && u.dtype == t.dtype && u.bytes() == t.bytes());
  return 0;
}
