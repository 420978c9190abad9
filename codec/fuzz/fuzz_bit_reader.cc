// The bit reader on arbitrary bytes: the input's first byte splits it into an
// "operations" part, which chooses a sequence of descriptors and their
// parameters, and a "data" part they are read from. Besides crashes and
// sanitizer reports, the target traps when a descriptor's result or the
// reader's position breaks the rules of spec section 1.
#include <cstddef>
#include <cstdint>
#include <string>

#include "bitio/bit_reader.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t split = data[0] % size;
  nnr::BitReader ops(data + 1, split);
  const uint8_t* bytes = data + 1 + split;
  const size_t nbytes = size - 1 - split;
  const uint64_t base = 17;
  nnr::BitReader br(bytes, nbytes, base);
  const uint64_t total_bits = uint64_t{nbytes} * 8;
  try {
    for (int i = 0; i < 10000; ++i) {
      // The operation and its parameter come from `ops`; when it runs out the
      // outer catch ends the run.
      const uint64_t op = ops.u(3);
      const int param = op <= 3 ? static_cast<int>(ops.u(op == 0 ? 6 : op == 1 ? 5 : 4)) : 0;
      const uint64_t before = br.bit_pos();
      try {
        switch (op) {
          case 0: {
            const int n = param;  // 0..63
            const uint64_t v = br.u(n);
            check(n == 0 ? v == 0 : v < (uint64_t{1} << n));
            check(br.bit_pos() == before + static_cast<uint64_t>(n));
            break;
          }
          case 1: {
            const int n = 1 + param;  // 1..32
            const int64_t v = br.i(n);
            check(v >= -(int64_t{1} << (n - 1)) && v < (int64_t{1} << (n - 1)));
            check(br.bit_pos() == before + static_cast<uint64_t>(n));
            break;
          }
          case 2: {
            const int k = param;  // 0..15
            const uint64_t v = br.ue(k);
            // k + 1 bits at least; a value >= 2^k needs a prefix zero and k + 1 suffix bits.
            check(br.bit_pos() >= before + static_cast<uint64_t>(k) + 1);
            if (v >= (uint64_t{1} << k)) check(br.bit_pos() >= before + static_cast<uint64_t>(k) + 3);
            break;
          }
          case 3: {
            const int k = param;
            (void)br.ie(k);
            check(br.bit_pos() >= before + static_cast<uint64_t>(k) + 1);
            break;
          }
          case 4:
            (void)br.flt();
            check(br.bit_pos() == before + 32);
            break;
          case 5:
            if (br.byte_aligned()) {
              const std::string s = br.st();
              check(s.find('\0') == std::string::npos);
              check(br.bit_pos() == before + 8 * (s.size() + 1));
            }
            break;
          case 6:
            br.byte_alignment();
            check(br.byte_aligned());
            check(br.bit_pos() > before && br.bit_pos() <= before + 8);
            break;
          default:
            (void)br.u1();
            check(br.bit_pos() == before + 1);
            break;
        }
      } catch (const nnr::Error& e) {
        // Errors of the data reader name a byte inside (or just past) its
        // data, counted from `base`.
        check(e.byte_offset() >= static_cast<int64_t>(base));
        check(e.byte_offset() <= static_cast<int64_t>(base + nbytes));
        check(e.code() == nnr::ErrorCode::kTruncated || e.code() == nnr::ErrorCode::kInvalidBitstream);
        if (e.code() == nnr::ErrorCode::kTruncated) break;
      }
      check(br.bit_pos() <= total_bits);
      check(br.bits_left() == total_bits - br.bit_pos());
    }
  } catch (const nnr::Error&) {
    // The operations ran out.
  }
  return 0;
}
