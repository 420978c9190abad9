// The anchor container's decoder, output limited to 64 MB: any bytes end in
// tensors or an error with a message; nothing is allocated for sizes the
// directory claims before bzip2 delivers the bytes. When the last byte is
// odd, the container is decoded again on 2 threads and must give the same.
#include <cstddef>
#include <cstdint>

#include "nnr/anchor.h"

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nnr::DecodeOptions opt;
  opt.threads = 1;
  opt.max_output_bytes = uint64_t{64} << 20;
  nnr::DecodedModel m;
  const nnr::Status s = nnr::anchor_decode(data, size, opt, &m);
  if (!s.ok()) {
    check(!s.message().empty());
    check(s.code() != nnr::ErrorCode::kInternal);
    return 0;
  }
  if (size > 0 && (data[size - 1] & 1)) {
    opt.threads = 2;
    nnr::DecodedModel m2;
    check(nnr::anchor_decode(data, size, opt, &m2).ok());
    check(m2.tensors.size() == m.tensors.size());
    for (size_t i = 0; i < m.tensors.size(); ++i) check(m.tensors[i].bytes() == m2.tensors[i].bytes());
  }
  return 0;
}
