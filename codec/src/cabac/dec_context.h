// The decoder's working form of a context (spec 8.1, 8.4): the same two
// estimators as ContextModel, laid out so a decision reads one field (its
// row of the LPS tables) and the update is table lookups without shifts by
// sa / sb or sign juggling.
#ifndef NNR_CABAC_DEC_CONTEXT_H
#define NNR_CABAC_DEC_CONTEXT_H

#include <cstddef>
#include <cstdint>

#include "cabac/context_model.h"
#include "cabac/tables.h"

namespace nnr {

// Tables of the decoder's hot loops, in one object so a loop needs one base
// register for all of them.
//
// The LPS tables have a row of 16 entries for each pr = 16 ((p >> 7) & 63)
// (spec 8.3; the mirrored halves give rho = |p >> 7| without computing
// |.|), entries 8 .. 15 used, at R >> 5. The level decoder's asm step reads
// them through a row pointer into lps_r with the other arrays at fixed
// distances, at the range's scale 2^55 so that each selected value is one
// operation after its load. Rows are 128 bytes and the object is aligned to
// 8192, so bit 12 of a row's address is 1 - MPS.
struct alignas(8192) DecTables {
  static constexpr int kScale = 55;
  uint64_t lps_r[64 * 16];      // rLPS << 55
  uint64_t lps_r2[64 * 16];     // rLPS << 56 (mod 2^64): 2R - 2 rLPS is the doubled rMPS
  uint64_t lps_range[64 * 16];  // (rLPS << n) << 55: the range after an LPS
  uint64_t lps_n[64 * 16];      // n, the LPS renormalisation
  // By 512 (sa - 4) + 2 (a & 255) + 1 - bin: a' as 512 (sa - 4) + 2 (a' & 255),
  // and 16 a' - kRowBias (see DecContext). The decision's 1 - bin is added
  // to the index as it is, with no shift.
  struct NextA {
    uint16_t ia;
    int16_t a16;
  };
  NextA next_a[4 * 512];
  // By 512 (sb - 4) + 256 (1 - bin) + 17 + j, j = (b - 1 + bin) >> 7 in -17 .. 15: b' - b.
  int16_t delta_b[4 * 512];
  // The same LPS values unscaled, for the decisions in C++: 8 bytes like the
  // others, so an entry is at a fixed distance from the row pointer too.
  struct Lps {
    uint16_t range;  // rLPS << n
    uint8_t r;       // rLPS
    uint8_t n;
    uint32_t unused;
  };
  Lps lps[64 * 16];
  // The range after a bin by R - 256 for each probability row, for the
  // level loop: its range is then one load after the last, not a load of
  // rLPS, a subtraction and a renormalisation. The loop's contexts point at
  // these rows while it runs (RangeRowGuard), and its update reaches one
  // through range_row_at by the masked p as it is. A row is 1 KB of steps
  // and a cache line of LPS values, so consecutive rows start in different
  // cache sets (rows a power of two apart would share theirs).
  struct RangeStep {
    uint8_t r_mps_next_low;  // R - rLPS, renormalised, less 256
    uint8_t n_mps;           // 0 or 1
    uint16_t r_mps;          // R - rLPS (the decision's threshold), plus (1 - MPS) << 15
  };
  struct RangeLps {
    uint16_t range_low;  // (rLPS << n) - 256
    uint16_t zero;       // so that range_low reads as 32 bits
    uint8_t n;
    uint8_t unused[3];
  };
  struct RangeRow {
    RangeStep step[256];  // by R - 256
    RangeLps lps[8];      // by (R >> 5) - 8
  };
  RangeRow range_rows[64];
  // Row i's address at 128 i.
  struct RangeRowAt {
    const RangeRow* row;
    uint64_t unused[15];
  };
  RangeRowAt range_row_at[64];
  static constexpr size_t kRangeRowAtOffset = 122880;  // offsetof(DecTables, range_row_at)

  DecTables();

  // The row for pr = 16 ((p >> 7) & 63).
  const uint64_t* row(uint32_t pr) const { return lps_r + pr; }
  // The unscaled entry of a row at R >> 5.
  static const Lps& lps_of(const uint64_t* row, uint32_t range_shr5) {
    return *reinterpret_cast<const Lps*>(reinterpret_cast<const char*>(row + range_shr5) + kLpsOffset);
  }
  static constexpr size_t kLpsOffset = 45056;  // offsetof(DecTables, lps)
  // 1 - MPS of a row.
  static uint32_t row_nmps(const uint64_t* row) {
    return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(row) >> 12) & 1u;
  }
};
static_assert(offsetof(DecTables, lps) == DecTables::kLpsOffset && sizeof(DecTables::Lps) == 8 &&
                  offsetof(DecTables, range_row_at) == DecTables::kRangeRowAtOffset &&
                  sizeof(DecTables::RangeStep) == 4 && sizeof(DecTables::RangeLps) == 8 &&
                  offsetof(DecTables::RangeLps, n) == 4 && sizeof(DecTables::RangeRow) == 1088 &&
                  offsetof(DecTables::RangeRow, lps) == 1024 && sizeof(DecTables::RangeRowAt) == 128,
              "DecTables layout");
// Hidden: code built position-independent addresses it directly, not
// through the GOT.
extern const DecTables kDecTables __attribute__((visibility("hidden")));

// A context. b is kept as bb = b + 128 ib, ib = 512 (sb - 4) + 17, so that
// (bb - nb) >> 7 is the row of delta_b for nb = 0 and adding 32767 nb
// before the shift adds that row's 256 nb: the update needs no field for sb.
// 128 ib is 2176 modulo 8192, so p modulo 8192, which gives the row, is
// bb + 16 a - 2176 (kRowBias, folded into next_a's a16).
struct DecContext {
  static constexpr int kRowBias = 2176;
  int32_t bb = 0;
  uint16_t ia = 0;  // 512 (sa - 4) + 2 (a & 255): row of next_a and a itself
  uint16_t ib = 0;  // 512 (sb - 4) + 17
  const uint64_t* row = nullptr;  // of the LPS tables, for p = b + 16a

  static DecContext from(const ContextModel& m) {
    DecContext c;
    c.ib = static_cast<uint16_t>(512 * (m.sb - 4) + 17);
    c.bb = m.b + 128 * c.ib;
    c.ia = static_cast<uint16_t>(512 * (m.sa - 4) + 2 * (m.a & 255));
    c.row = kDecTables.row(static_cast<uint32_t>(m.p() >> 3) & 0x3F0u);
    return c;
  }
  int a() const { return static_cast<int8_t>((ia >> 1) & 255); }
  int b() const { return bb - 128 * ib; }
  void store_to(ContextModel& m) const {
    m.a = static_cast<int16_t>(a());
    m.b = static_cast<int16_t>(b());
  }

  // a <- a + s (T[16 + ((s a) >> 3)] >> sa) is a lookup on (sa, bin, a).
  // b <- b + s (T[16 + ((s b) >> 7)] >> sb): with j = (b - 1 + bin) >> 7,
  // (s b) >> 7 is j for bin 1 and ~j for bin 0, so the signed step is a
  // lookup on (sb, bin, j). Rows by nb = 1 - bin, which the decision gives
  // directly.
  __attribute__((always_inline)) void update_nb(uint32_t nb) {
    const int64_t nb64 = nb;
    const int64_t bb64 = bb;
    const DecTables::NextA na = kDecTables.next_a[int64_t{ia} + nb64];
    const int64_t bb_new = bb64 + kDecTables.delta_b[(bb64 + 32767 * nb64) >> 7];
    ia = na.ia;
    bb = static_cast<int32_t>(bb_new);
    row = reinterpret_cast<const uint64_t*>(reinterpret_cast<const char*>(kDecTables.lps_r) +
                                            ((bb_new + na.a16) & 0x1F80));
  }
  void update(uint32_t bin) { update_nb(bin ^ 1u); }
};

}  // namespace nnr

#endif  // NNR_CABAC_DEC_CONTEXT_H
