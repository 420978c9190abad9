#include "bitio/bit_writer.h"

#include <cstring>
#include <stdexcept>

namespace nnr {

void BitWriter::u(int n, uint64_t v) {
  for (int b = n - 1; b >= 0; --b) {
    acc_ = (acc_ << 1) | static_cast<uint32_t>((v >> b) & 1);
    if (++nbits_ == 8) {
      buf_.push_back(static_cast<uint8_t>(acc_));
      acc_ = 0;
      nbits_ = 0;
    }
  }
}

void BitWriter::ue(int k, uint64_t x) {
  while (k < 63 && x >= (uint64_t{1} << k)) {
    u(1, 0);
    x -= uint64_t{1} << k;
    ++k;
  }
  u(1, 1);
  if (k > 0) u(k, x);
}

void BitWriter::ie(int k, int64_t v) {
  const uint64_t x = v > 0 ? 2 * static_cast<uint64_t>(v) - 1 : 2 * static_cast<uint64_t>(-v);
  ue(k, x);
}

void BitWriter::flt(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  for (int b = 0; b < 4; ++b) u(8, (bits >> (8 * b)) & 0xff);  // little endian
}

void BitWriter::st(const std::string& s) {
  if (!byte_aligned()) throw std::logic_error("st(v) written at an unaligned position");
  if (s.find('\0') != std::string::npos) throw std::invalid_argument("string contains NUL");
  buf_.insert(buf_.end(), s.begin(), s.end());
  buf_.push_back(0);
}

void BitWriter::byte_alignment() {
  u(1, 1);
  while (nbits_ != 0) u(1, 0);
}

void BitWriter::bytes(const uint8_t* data, size_t n) {
  if (!byte_aligned()) throw std::logic_error("bytes written at an unaligned position");
  buf_.insert(buf_.end(), data, data + n);
}

std::vector<uint8_t> BitWriter::finish() const {
  std::vector<uint8_t> out = buf_;
  if (nbits_) out.push_back(static_cast<uint8_t>(acc_ << (8 - nbits_)));
  return out;
}

}  // namespace nnr
