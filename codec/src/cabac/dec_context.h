// The decoder's working form of a context (spec 8.1, 8.4): the same two
// estimators as ContextModel, laid out so a decision reads one field (p) and
// the update is table lookups without shifts by sa / sb or sign juggling.
#ifndef NNR_CABAC_DEC_CONTEXT_H
#define NNR_CABAC_DEC_CONTEXT_H

#include <cstdint>

#include "cabac/context_model.h"
#include "cabac/tables.h"

namespace nnr {

struct DecContext {
  int16_t p = 0;    // b + 16a
  int16_t b = 0;
  uint16_t ia = 0;  // 512 (sa - 4) + (a & 255): row of kNextA and a itself
  uint16_t ib = 0;  // 128 (sb - 4) + 17: row of kDeltaB, biased for j >= -17

  static DecContext from(const ContextModel& m) {
    DecContext c;
    c.p = static_cast<int16_t>(m.p());
    c.b = m.b;
    c.ia = static_cast<uint16_t>(512 * (m.sa - 4) + (m.a & 255));
    c.ib = static_cast<uint16_t>(128 * (m.sb - 4) + 17);
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
  // lookup on (sb, bin, j).
  void update(uint32_t bin) {
    const uint32_t ia_new = kTables.next_a[ia + (bin << 8)];
    const int j = (b - 1 + static_cast<int>(bin)) >> 7;
    const int b_new = b + kTables.delta_b[ib + (bin << 6) + j];
    ia = static_cast<uint16_t>(ia_new);
    b = static_cast<int16_t>(b_new);
    p = static_cast<int16_t>(b_new + 16 * static_cast<int8_t>(ia_new & 255));
  }

  struct Tables {
    // [sa - 4][bin][a & 255] -> 512 (sa - 4) + (a' & 255)
    uint16_t next_a[4 * 512];
    // [sb - 4][bin][17 + j], j = (b - 1 + bin) >> 7 in -17 .. 15 -> b' - b
    int16_t delta_b[4 * 128];
    Tables() : next_a(), delta_b() {
      for (int sa = 4; sa < 8; ++sa) {
        for (int bin = 0; bin < 2; ++bin) {
          const int s = bin ? 1 : -1;
          for (int i = 0; i < 256; ++i) {
            const int a = static_cast<int8_t>(i);
            const int x = 16 + ((s * a) >> 3);  // 0 .. 32 (32 only for a = -128)
            const int t = x < 32 ? kProbUpdate[x] : 0;
            const int a2 = a + s * (t >> sa);
            next_a[512 * (sa - 4) + 256 * bin + i] = static_cast<uint16_t>(512 * (sa - 4) + (a2 & 255));
          }
        }
      }
      for (int sb = 4; sb < 8; ++sb) {
        for (int bin = 0; bin < 2; ++bin) {
          for (int j = -17; j < 16; ++j) {
            const int x = 16 + (bin ? j : ~j);  // 0 .. 32 (32 only for b = -2048)
            const int t = x < 32 ? kProbUpdate[x] : 0;
            delta_b[128 * (sb - 4) + 64 * bin + 17 + j] = static_cast<int16_t>(bin ? t >> sb : -(t >> sb));
          }
        }
      }
    }
  };
  static inline const Tables kTables{};
};

}  // namespace nnr

#endif  // NNR_CABAC_DEC_CONTEXT_H
