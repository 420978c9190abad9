// The whole decoder (NNR bitstreams and the anchor container), with the
// output limited to 64 MB so the fuzzer's memory holds. parse_units runs on
// the same input (it records every syntax element). When the last input byte
// is odd, the stream is decoded a second time with 2 threads and entry
// points; where both decodes succeed their outputs must be identical.
// When it is even, the stream is decoded twice as an update of itself with
// one decoder state (edition 2: the second decode reads the first's tensors
// as parents for temporal context adaptation, and their HDSP history).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nnr/anchor.h"
#include "nnr/decoder.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

nnr::Status run(const uint8_t* data, size_t size, int threads, nnr::DecodedModel* m) {
  nnr::DecodeOptions opt;
  opt.threads = threads;
  opt.max_output_bytes = uint64_t{64} << 20;
  if (nnr::is_anchor_stream(data, size)) return nnr::anchor_decode(data, size, opt, m);
  return nnr::decode(data, size, opt, m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nnr::DecodedModel m;
  const nnr::Status s = run(data, size, 1, &m);
  if (!s.ok()) {
    check(!s.message().empty());
    check(s.code() != nnr::ErrorCode::kInternal);
  }
  std::vector<nnr::NnrUnit> units;
  (void)nnr::parse_units(data, size, &units);
  if (size > 0 && !(data[size - 1] & 1)) {
    nnr::DecodeOptions opt;
    opt.max_output_bytes = uint64_t{64} << 20;
    nnr::DecoderState state;
    for (int i = 0; i < 2; ++i) {
      nnr::DecodedModel u;
      const nnr::Status su = nnr::decode(data, size, opt, &state, &u, nullptr);
      if (!su.ok()) check(su.code() != nnr::ErrorCode::kInternal);
    }
  }
  if (s.ok() && size > 0 && (data[size - 1] & 1)) {
    nnr::DecodedModel m2;
    const nnr::Status s2 = run(data, size, 2, &m2);
    if (s2.ok()) {
      check(m.tensors.size() == m2.tensors.size());
      for (size_t i = 0; i < m.tensors.size(); ++i) {
        check(m.tensors[i].name == m2.tensors[i].name);
        check(m.tensors[i].shape == m2.tensors[i].shape);
        check(m.tensors[i].bytes() == m2.tensors[i].bytes());
      }
    }
  }
  return 0;
}
