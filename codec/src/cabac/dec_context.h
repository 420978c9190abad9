// The decoder's working form of a context (spec 8.1, 8.4): the same two
// estimators as ContextModel, laid out so a decision reads one field (p) and
// the update is table lookups without shifts by sa / sb or sign juggling.
#ifndef NNR_CABAC_DEC_CONTEXT_H
#define NNR_CABAC_DEC_CONTEXT_H

#include <cstddef>
#include <cstdint>

#include "cabac/context_model.h"
#include "cabac/tables.h"

namespace nnr {

// Tables of the decoder's hot loop, in one object so the loop needs one base
// register for all of them.
struct DecTables {
  // A decision's outcome by pr = 16 ((p >> 7) & 63) + (R >> 5): rLPS (spec
  // 8.3; the mirrored halves give rho = |p >> 7| without computing |.|) and
  // the LPS renormalisation: rLPS << n >= 256 and n.
  struct Lps {
    uint16_t range;  // rLPS << n
    uint8_t r;       // rLPS
    uint8_t n;
  };
  Lps lps[64 * 16];
  // By 512 (sa - 4) + 256 (1 - bin) + (a & 255): a' as 512 (sa - 4) + (a' & 255), and 16 a'.
  struct NextA {
    uint16_t ia;
    int16_t a16;
  };
  NextA next_a[4 * 512];
  // By 512 (sb - 4) + 256 (1 - bin) + 17 + j, j = (b - bin) >> 7 in -17 .. 15: b' - b.
  int16_t delta_b[4 * 512];

  DecTables();
};
// Hidden: code built position-independent addresses it directly, not
// through the GOT (a load less per bin in the level decoder).
extern const DecTables kDecTables __attribute__((visibility("hidden")));

struct DecContext {
  int16_t b = 0;
  uint16_t ia = 0;  // 512 (sa - 4) + (a & 255): row of next_a and a itself
  uint16_t ib = 0;  // 512 (sb - 4) + 17: row of delta_b, biased for j >= -17
  uint16_t pr = 0;  // 16 ((p >> 7) & 63), p = b + 16a: row of lps; MPS = pr < 512

  static DecContext from(const ContextModel& m) {
    DecContext c;
    c.b = m.b;
    c.ia = static_cast<uint16_t>(512 * (m.sa - 4) + (m.a & 255));
    c.ib = static_cast<uint16_t>(512 * (m.sb - 4) + 17);
    c.pr = static_cast<uint16_t>((m.p() >> 3) & 0x3F0);
    return c;
  }
  int a() const { return static_cast<int8_t>(ia & 255); }
  void store_to(ContextModel& m) const {
    m.a = static_cast<int16_t>(a());
    m.b = b;
  }

  // a <- a + s (T[16 + ((s a) >> 3)] >> sa) is a lookup on (sa, bin, a).
  // b <- b + s (T[16 + ((s b) >> 7)] >> sb): with j = (b - 1 + bin) >> 7,
  // (s b) >> 7 is j for bin 1 and ~j for bin 0, so the signed step is a
  // lookup on (sb, bin, j). Rows by nb = 1 - bin, which the decision gives
  // directly; 64-bit index arithmetic needs no extensions.
  __attribute__((always_inline)) void update_nb(uint32_t nb) {
    const int64_t nb64 = nb;
    const int64_t row = nb64 << 8;
    const int64_t b64 = b;
    const DecTables::NextA na = kDecTables.next_a[int64_t{ia} + row];
    const int64_t j = (b64 - nb64) >> 7;
    const int64_t b_new = b64 + kDecTables.delta_b[int64_t{ib} + row + j];
    ia = na.ia;
    b = static_cast<int16_t>(b_new);
    pr = static_cast<uint16_t>(((b_new + na.a16) >> 3) & 0x3F0);
  }
  void update(uint32_t bin) { update_nb(bin ^ 1u); }
};

}  // namespace nnr

#endif  // NNR_CABAC_DEC_CONTEXT_H
