#include "cabac/arith_encoder.h"

namespace nnr {

void ArithEncoder::emit_lead_byte() {
  const uint32_t lead = low_ >> (24 - bits_left_);  // up to 9 bits; bit 8 is a carry
  bits_left_ += 8;
  ++lead_bytes_;
  low_ &= 0xffffffffu >> bits_left_;
  if (lead == 0xff) {
    ++n_buffered_;  // may still receive a carry
  } else if (n_buffered_ == 0) {
    buffered_ = lead;
    n_buffered_ = 1;
  } else {
    const uint32_t carry = lead >> 8;
    put(static_cast<uint8_t>(buffered_ + carry));
    for (uint64_t i = 1; i < n_buffered_; ++i) put(static_cast<uint8_t>(0xff + carry));
    buffered_ = lead & 0xff;
    n_buffered_ = 1;
  }
}

std::vector<uint8_t> ArithEncoder::finish() {
  range_ -= 2;
  low_ += range_;
  low_ <<= 7;
  bits_left_ -= 7;
  range_ = 256;
  if (bits_left_ < 12) emit_lead_byte();
  const uint32_t limit = 32 - bits_left_;  // width of the low register
  if (limit < 32 && low_ >= (1u << limit)) {
    put(static_cast<uint8_t>(buffered_ + 1));
    for (uint64_t i = 1; i < n_buffered_; ++i) put(0x00);
    low_ -= 1u << limit;
  } else {
    if (n_buffered_ > 0) put(static_cast<uint8_t>(buffered_));
    for (uint64_t i = 1; i < n_buffered_; ++i) put(0xff);
  }
  low_ = 2 * (low_ >> 8) + 1;
  bits_left_ -= 1;
  int n = 24 - bits_left_;
  // The low n bits of low, MSB first, zero-padded to whole bytes.
  while (n > 0) {
    if (n >= 8) {
      put(static_cast<uint8_t>(low_ >> (n - 8)));
      n -= 8;
    } else {
      put(static_cast<uint8_t>(low_ << (8 - n)));
      n = 0;
    }
  }
  return std::move(out_);
}

}  // namespace nnr
