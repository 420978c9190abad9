// Test-only helpers to build bitstreams by hand.
//
// bits("0101 1...")  : a bit string (spaces and other characters ignored) as
//                      bytes, zero-padded to a whole byte.
// TestBitWriter      : a deliberately simple writer of the spec's descriptors,
//                      written from the encoding rules of spec 1.2 / 1.3 (not
//                      from the codec's BitWriter). bit_reader_test.cc checks it
//                      against the spec's example tables before other tests
//                      rely on it.
#ifndef NNR_TESTS_TEST_BITS_H
#define NNR_TESTS_TEST_BITS_H

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace nnr {
namespace testing_bits {

inline std::vector<uint8_t> bits(const std::string& s) {
  std::vector<uint8_t> out;
  int n = 0;
  for (char c : s) {
    if (c != '0' && c != '1') continue;
    if (n % 8 == 0) out.push_back(0);
    if (c == '1') out.back() |= static_cast<uint8_t>(0x80 >> (n % 8));
    ++n;
  }
  return out;
}

// Number of '0'/'1' characters in s.
inline size_t bit_count(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (c == '0' || c == '1');
  return n;
}

inline std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> v;
  for (const auto& p : parts) v.insert(v.end(), p.begin(), p.end());
  return v;
}

inline std::vector<uint8_t> str_bytes(const std::string& s) {
  std::vector<uint8_t> v(s.begin(), s.end());
  v.push_back(0);
  return v;
}

class TestBitWriter {
 public:
  void bit(int b) {
    if (n_ % 8 == 0) out_.push_back(0);
    if (b) out_.back() |= static_cast<uint8_t>(0x80 >> (n_ % 8));
    ++n_;
  }
  // u(n), MSB first.
  void u(int n, uint64_t v) {
    for (int i = n - 1; i >= 0; --i) bit(static_cast<int>((v >> i) & 1));
  }
  // i(n): the n low bits of the two's-complement value.
  void i(int n, int64_t v) { u(n, static_cast<uint64_t>(v)); }
  // ue(k), spec 1.2: while x >= 2^k { 0; x -= 2^k; k++ } 1; u(k) of x.
  void ue(int k, uint64_t x) {
    while (x >= (uint64_t{1} << k)) {
      bit(0);
      x -= uint64_t{1} << k;
      ++k;
    }
    bit(1);
    if (k > 0) u(k, x);
  }
  // ie(k), spec 1.3: v > 0 -> 2v - 1, v <= 0 -> -2v.
  void ie(int k, int64_t v) { ue(k, v > 0 ? 2 * static_cast<uint64_t>(v) - 1 : 2 * static_cast<uint64_t>(-v)); }
  // flt(32): the four bytes little-endian, each as u(8).
  void flt(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    for (int k = 0; k < 4; ++k) u(8, (b >> (8 * k)) & 0xff);
  }
  // st(v): bytes then 0x00 (the caller keeps it aligned).
  void st(const std::string& s) {
    for (unsigned char c : s) u(8, c);
    u(8, 0);
  }
  // byte_alignment(), spec 1.4: a 1, then 0s to the boundary.
  void align() {
    bit(1);
    while (n_ % 8) bit(0);
  }
  void bytes(const std::vector<uint8_t>& b) {
    for (uint8_t x : b) u(8, x);
  }
  bool aligned() const { return n_ % 8 == 0; }
  size_t bit_count() const { return n_; }
  const std::vector<uint8_t>& data() const { return out_; }

 private:
  std::vector<uint8_t> out_;
  size_t n_ = 0;
};

// nnr_unit(): short (15-bit) size form when it fits, else the long form, then
// the one-byte unit header (type, independently_decodable 1, no counter).
inline std::vector<uint8_t> unit(int type, const std::vector<uint8_t>& body) {
  TestBitWriter w;
  const uint64_t short_size = body.size() + 3;
  if (short_size <= 32767) {
    w.u(1, 0);
    w.u(15, short_size);
  } else {
    w.u(1, 1);
    w.u(31, body.size() + 5);
  }
  w.u(6, static_cast<uint64_t>(type));
  w.u(1, 1);
  w.u(1, 0);
  std::vector<uint8_t> v = w.data();
  v.insert(v.end(), body.begin(), body.end());
  return v;
}

// The start unit and model parameter set NNCodec writes (spec 2.3, 2.4):
// qp_density 2, QP 0.
inline const std::vector<uint8_t>& str_unit() {
  static const std::vector<uint8_t> v = {0x00, 0x04, 0x02, 0x00};
  return v;
}
inline const std::vector<uint8_t>& mps_unit() {
  static const std::vector<uint8_t> v = {0x00, 0x08, 0x06, 0x81, 0x00, 0x40, 0x00, 0x80};
  return v;
}

// The fields of an NNR_NDU (spec 2.8.1) a test wants to write. The header is
// written element by element in the order of the syntax table.
struct TestNdu {
  struct Ep {
    uint32_t value = 0;
    uint32_t dq_state = 0;
    int64_t delta = 0;  // Delta[j]; written as ue(11) / second-order ie(7) (1.7)
  };
  int payload_type = 1;               // NNR_PT_FLOAT
  std::vector<std::string> names = {"t"};
  bool multiple = false;              // nnr_multiple_topology_elements_present_flag
  int codebook_present = 0;
  std::string codebook_bits;          // integer_codebook() as a bit string
  std::string codebook_h_bits;        // second codebook (BLOCK with DC)
  int dq = 0;
  int cabac_unary_length_flag = 1;
  int cpt = 0;
  uint64_t decomposition_rank = 0, g_number_of_rows = 0;
  std::vector<uint64_t> dims;
  int cabac_unary_length_minus1 = 10;
  int scan_order = 0;
  std::vector<Ep> eps;
  std::vector<uint8_t> payload;       // raw floats or the arithmetic segment
};

inline void put_bits(TestBitWriter& w, const std::string& s) {
  for (char c : s)
    if (c == '0' || c == '1') w.bit(c == '1');
}

inline std::vector<uint8_t> ndu_body(const TestNdu& n) {
  TestBitWriter w;
  w.u(5, static_cast<uint64_t>(n.payload_type));
  w.u(1, n.multiple ? 1 : 0);
  w.u(1, 0);  // nnr_decompressed_data_format_present_flag
  w.u(1, 1);  // input_parameters_present_flag
  if (n.multiple) {
    w.ue(7, n.names.size() - 2);
    w.align();
    for (const auto& s : n.names) w.st(s);
  } else {
    w.st(n.names.at(0));
  }
  const bool quantised = n.payload_type == 1 || n.payload_type == 3;
  if (quantised) {
    w.u(1, static_cast<uint64_t>(n.codebook_present));
    if (n.codebook_present) put_bits(w, n.codebook_bits);
  }
  if (n.payload_type != 2) w.u(1, static_cast<uint64_t>(n.dq));
  w.u(1, 1);  // tensor_dimensions_flag
  w.u(1, static_cast<uint64_t>(n.cabac_unary_length_flag));
  w.u(4, static_cast<uint64_t>(n.cpt));
  if (n.cpt & 1) {
    w.ue(3, n.decomposition_rank);
    w.ue(3, n.g_number_of_rows);
  }
  w.ue(1, n.dims.size());
  for (uint64_t d : n.dims) w.ue(7, d);
  if (n.cabac_unary_length_flag) w.u(8, static_cast<uint64_t>(n.cabac_unary_length_minus1));
  if (n.payload_type == 3 && (n.cpt & 1) && n.codebook_present) put_bits(w, n.codebook_h_bits);
  if (n.dims.size() > 1) {
    w.u(4, static_cast<uint64_t>(n.scan_order));
    for (size_t j = 0; j < n.eps.size(); ++j) {
      w.u(8, n.eps[j].value);
      if (n.dq) w.u(3, n.eps[j].dq_state);
      if (j == 0) {
        w.ue(11, static_cast<uint64_t>(n.eps[0].delta));
      } else {
        w.ie(7, n.eps[j].delta - n.eps[j - 1].delta);
      }
    }
  }
  w.align();
  w.bytes(n.payload);
  return w.data();
}

inline std::vector<uint8_t> ndu_unit(const TestNdu& n) { return unit(5, ndu_body(n)); }

}  // namespace testing_bits
}  // namespace nnr

#endif  // NNR_TESTS_TEST_BITS_H
