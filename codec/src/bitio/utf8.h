// UTF-8 (RFC 3629) validation: what st(v) strings are (spec 1.5).
#ifndef NNR_BITIO_UTF8_H
#define NNR_BITIO_UTF8_H

#include <cstddef>
#include <cstdint>

namespace nnr {

// The position of the first byte that does not belong to well-formed UTF-8
// (no overlong forms, no surrogates, at most U+10FFFF), or `size`.
inline size_t utf8_invalid_at(const uint8_t* s, size_t size) {
  size_t i = 0;
  while (i < size) {
    const uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF;  // the second byte's range
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) n = 2;
    else if (c == 0xED) n = 2, hi = 0x9F;
    else if (c == 0xF0) n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;
    else return i;
    if (i + n >= size) return i;  // cut short
    for (size_t k = 1; k <= n; ++k) {
      const uint8_t b = s[i + k];
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return i;
    }
    i += n + 1;
  }
  return size;
}

}  // namespace nnr

#endif  // NNR_BITIO_UTF8_H
