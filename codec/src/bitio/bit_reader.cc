#include "bitio/bit_reader.h"

#include <cstdio>
#include <cstring>

#include "bitio/utf8.h"

namespace nnr {

void BitReader::fail(ErrorCode code, const std::string& message) const {
  throw Error(code, current_offset(), message);
}

uint32_t BitReader::bit() {
  if (pos_ >= uint64_t{size_} * 8) fail(ErrorCode::kTruncated, "unexpected end of data");
  const uint32_t b = (data_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1u;
  ++pos_;
  return b;
}

void BitReader::record(const char* name, uint64_t start, int64_t value) {
  if (!trace_ || !name) return;
  SyntaxElement e;
  e.name = name;
  e.bit_offset = base_offset_ * 8 + start;
  e.bit_length = static_cast<uint32_t>(pos_ - start);
  e.value = value;
  trace_->push_back(std::move(e));
}

uint64_t BitReader::u(int n, const char* name) {
  const uint64_t start = pos_;
  if (uint64_t(n) > bits_left()) {
    fail(ErrorCode::kTruncated, std::string("unexpected end of data reading ") +
                                    (name ? name : "a field") + " (u(" + std::to_string(n) + "))");
  }
  uint64_t v = 0;
  // Whole bytes at a time where aligned; bit by bit otherwise.
  while (n > 0) {
    if ((pos_ & 7) == 0 && n >= 8) {
      v = (v << 8) | data_[pos_ >> 3];
      pos_ += 8;
      n -= 8;
    } else {
      v = (v << 1) | bit();
      --n;
    }
  }
  record(name, start, static_cast<int64_t>(v));
  return v;
}

int64_t BitReader::i(int n, const char* name) {
  const uint64_t start = pos_;
  const uint64_t raw = u(n, nullptr);
  int64_t v = static_cast<int64_t>(raw);
  if (n > 0 && n < 64 && (raw >> (n - 1)) & 1) v -= int64_t{1} << n;
  record(name, start, v);
  return v;
}

uint64_t BitReader::ue(int k, const char* name) {
  const uint64_t start = pos_;
  uint64_t value = 0;
  while (bit() == 0) {
    // A value that would not fit in 62 bits is not a sensible header value.
    if (k >= 62) fail(ErrorCode::kInvalidBitstream,
                      std::string("Exp-Golomb code too long in ") + (name ? name : "a field"));
    value += uint64_t{1} << k;
    ++k;
  }
  if (k > 0) value += u(k, nullptr);
  record(name, start, static_cast<int64_t>(value));
  return value;
}

int64_t BitReader::ie(int k, const char* name) {
  const uint64_t start = pos_;
  const uint64_t x = ue(k, nullptr);
  const int64_t v = (x & 1) ? static_cast<int64_t>((x + 1) >> 1) : -static_cast<int64_t>(x >> 1);
  record(name, start, v);
  return v;
}

float BitReader::flt(const char* name) {
  const uint64_t start = pos_;
  uint32_t bits = 0;
  for (int b = 0; b < 4; ++b) bits |= static_cast<uint32_t>(u(8, nullptr)) << (8 * b);  // little endian
  float f;
  std::memcpy(&f, &bits, 4);
  record(name, start, bits);
  return f;
}

std::string BitReader::st(const char* name) {
  const uint64_t start = pos_;
  if (!byte_aligned()) fail(ErrorCode::kInvalidBitstream, "string does not start byte-aligned");
  const size_t begin = static_cast<size_t>(pos_ >> 3);
  const void* nul = std::memchr(data_ + begin, 0, size_ - begin);
  if (!nul) fail(ErrorCode::kTruncated, std::string("unterminated string ") + (name ? name : ""));
  const size_t len = static_cast<const uint8_t*>(nul) - (data_ + begin);
  // st(v) is UTF-8; a name that is not cannot become a file name or JSON.
  const size_t bad = utf8_invalid_at(data_ + begin, len);
  if (bad != len) {
    pos_ += uint64_t{bad} * 8;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", data_[begin + bad]);
    fail(ErrorCode::kInvalidBitstream,
         std::string(name ? name : "string") + " is not UTF-8 (byte " + hex + " at position " + std::to_string(bad) + ")");
  }
  std::string s(reinterpret_cast<const char*>(data_ + begin), len);
  pos_ += (uint64_t(len) + 1) * 8;
  if (trace_ && name) {
    record(name, start, static_cast<int64_t>(len));
    trace_->back().text = s;
    trace_->back().is_text = true;
  }
  return s;
}

void BitReader::byte_alignment() {
  const uint64_t start = pos_;
  bit();  // alignment_bit_equal_to_one (value not checked, as the reference decoder)
  while (pos_ & 7) bit();
  record("byte_alignment", start, 0);
}

}  // namespace nnr
