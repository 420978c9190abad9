// Bit writer with every descriptor of the NNR syntax (the mirror of
// BitReader): u(n), i(n), ue(k), ie(k), flt(32), st(v), byte_alignment.
#ifndef NNR_BITIO_BIT_WRITER_H
#define NNR_BITIO_BIT_WRITER_H

#include <cstdint>
#include <string>
#include <vector>

namespace nnr {

class BitWriter {
 public:
  void u(int n, uint64_t v);
  void i(int n, int64_t v) { u(n, static_cast<uint64_t>(v) & (n == 64 ? ~0ull : ((1ull << n) - 1))); }
  void ue(int k, uint64_t v);
  void ie(int k, int64_t v);
  void flt(float f);
  void st(const std::string& s);  // must be byte-aligned
  void byte_alignment();
  void bytes(const uint8_t* data, size_t n);  // must be byte-aligned

  bool byte_aligned() const { return nbits_ == 0; }
  uint64_t bit_pos() const { return uint64_t(buf_.size()) * 8 + nbits_; }
  // The bytes written; a partial last byte is padded with zero bits.
  std::vector<uint8_t> finish() const;

 private:
  std::vector<uint8_t> buf_;
  uint32_t acc_ = 0;  // pending bits (MSB first), nbits_ < 8 of them
  int nbits_ = 0;
};

}  // namespace nnr

#endif  // NNR_BITIO_BIT_WRITER_H
