// Bit reader over (pointer, length) with every descriptor of the NNR syntax:
// u(n), i(n), ue(k), ie(k), flt(32), st(v), byte_alignment.
// Reading past the end throws nnr::Error(kTruncated) naming the byte offset;
// nothing is ever read outside [data, data + size).
#ifndef NNR_BITIO_BIT_READER_H
#define NNR_BITIO_BIT_READER_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "nnr/error.h"
#include "nnr/syntax.h"

namespace nnr {

class BitReader {
 public:
  // `base_offset` is the byte offset of data[0] in the whole input, used in
  // error messages and traces so they name absolute positions.
  BitReader(const uint8_t* data, size_t size, uint64_t base_offset = 0)
      : data_(data), size_(size), base_offset_(base_offset) {}

  // Record every element read into `trace` (nullptr: no recording).
  void set_trace(std::vector<SyntaxElement>* trace) { trace_ = trace; }
  std::vector<SyntaxElement>* trace() const { return trace_; }

  uint64_t u(int n, const char* name = nullptr);
  int64_t i(int n, const char* name = nullptr);
  uint64_t ue(int k, const char* name = nullptr);
  int64_t ie(int k, const char* name = nullptr);
  float flt(const char* name = nullptr);
  std::string st(const char* name = nullptr);
  void byte_alignment();
  bool u1(const char* name = nullptr) { return u(1, name) != 0; }

  uint64_t bit_pos() const { return pos_; }
  size_t byte_pos() const { return static_cast<size_t>((pos_ + 7) >> 3); }  // bytes touched
  bool byte_aligned() const { return (pos_ & 7) == 0; }
  uint64_t bits_left() const { return uint64_t{size_} * 8 - pos_; }
  uint64_t absolute_byte(uint64_t bit) const { return base_offset_ + (bit >> 3); }
  int64_t current_offset() const { return static_cast<int64_t>(absolute_byte(pos_)); }

  [[noreturn]] void fail(ErrorCode code, const std::string& message) const;

 private:
  uint32_t bit();
  void record(const char* name, uint64_t start, int64_t value);

  const uint8_t* data_;
  size_t size_;
  uint64_t base_offset_;
  uint64_t pos_ = 0;  // bits consumed
  std::vector<SyntaxElement>* trace_ = nullptr;
};

}  // namespace nnr

#endif  // NNR_BITIO_BIT_READER_H
