// The bit reader against spec section 1: every descriptor, with bit patterns
// written by hand from the specification's tables (1.2, 1.3) and rules.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>

#include "bitio/bit_reader.h"
#include "test_bits.h"

namespace nnr {
namespace {

using testing_bits::bits;
using testing_bits::bit_count;
using testing_bits::TestBitWriter;

// Spec 1.2, the example table and the ue(7) / ue(11) examples.
struct UeCase {
  int k;
  uint64_t value;
  std::string code;
};
const std::vector<UeCase>& ue_cases() {
  static const std::vector<UeCase> v = {
      {0, 0, "1"},        {0, 1, "010"},       {0, 2, "011"},           {0, 3, "00100"},
      {0, 4, "00101"},    {0, 6, "00111"},     {1, 0, "10"},            {1, 1, "11"},
      {1, 2, "0100"},     {1, 3, "0101"},      {1, 4, "0110"},          {1, 6, "001000"},
      {2, 0, "100"},      {2, 1, "101"},       {2, 2, "110"},           {2, 3, "111"},
      {2, 4, "01000"},    {2, 6, "01010"},     {7, 0, "1 0000000"},     {7, 127, "1 1111111"},
      {7, 128, "01 00000000"},                 {11, 0, "1 00000000000"}, {11, 2048, "01 000000000000"},
  };
  return v;
}

// Spec 1.3, ie(2) examples.
struct IeCase {
  int64_t value;
  std::string code;
};
const std::vector<IeCase> kIe2 = {{0, "100"}, {1, "101"}, {-1, "110"}, {2, "111"}, {-2, "01000"}};

// Expects `f` to throw nnr::Error with `code` and `offset`.
void expect_error(const std::function<void()>& f, ErrorCode code, int64_t offset, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << what << ": no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << what << ": " << e.what();
    EXPECT_EQ(e.byte_offset(), offset) << what << ": " << e.what();
    EXPECT_STRNE(e.what(), "") << what;
  }
}

TEST(BitReader, UnsignedAcrossBytes) {
  // 10100101 00111100 11111111 00000001
  const std::vector<uint8_t> b = {0xA5, 0x3C, 0xFF, 0x01};
  {
    BitReader br(b.data(), b.size());
    EXPECT_EQ(br.u(1), 1u);
    EXPECT_EQ(br.u(3), 0x2u);           // 010
    EXPECT_EQ(br.u(4), 0x5u);           // 0101
    EXPECT_EQ(br.u(6), 0x0Fu);          // 001111
    EXPECT_EQ(br.u(12), 0x3FCu);        // 00 11111111 00
    EXPECT_EQ(br.u(6), 0x01u);          // 000001
    EXPECT_EQ(br.bits_left(), 0u);
  }
  {
    BitReader br(b.data(), b.size());
    EXPECT_EQ(br.u(32), 0xA53CFF01u);
  }
  {
    BitReader br(b.data(), b.size());
    br.u(3);
    EXPECT_EQ(br.u(15), 0x14F3u);  // 00101 00111100 11
    EXPECT_EQ(br.bit_pos(), 18u);
    EXPECT_EQ(br.byte_pos(), 3u);  // bytes touched
  }
  {
    // u(31) of the long unit size form: 0x80 00 00 06 -> flag 1, size 6.
    const std::vector<uint8_t> s = {0x80, 0x00, 0x00, 0x06};
    BitReader br(s.data(), s.size());
    EXPECT_EQ(br.u(1), 1u);
    EXPECT_EQ(br.u(31), 6u);
  }
  {
    const std::vector<uint8_t> all(8, 0xFF);
    BitReader br(all.data(), all.size());
    EXPECT_EQ(br.u(64), UINT64_MAX);
  }
}

TEST(BitReader, SignedTwosComplement) {
  struct Case {
    int n;
    std::string code;
    int64_t value;
  };
  const Case cases[] = {
      {1, "1", -1},
      {1, "0", 0},
      {5, "11010", -6},
      {8, "10000000", -128},
      {8, "01111111", 127},
      {13, "1111111111101", -3},   // mps_quantization_parameter -3
      {13, "0111111111111", 4095},
      {13, "1000000000000", -4096},
      {13, "0000000000000", 0},
      {32, "10000000 00000000 00000000 00000000", INT32_MIN},
  };
  for (const Case& c : cases) {
    // Unaligned: two leading bits first.
    const std::vector<uint8_t> b = bits("10" + c.code + "0000000000");
    BitReader br(b.data(), b.size());
    br.u(2);
    EXPECT_EQ(br.i(c.n), c.value) << "i(" << c.n << ") " << c.code;
    EXPECT_EQ(br.bit_pos(), 2 + bit_count(c.code));
  }
}

TEST(BitReader, ExpGolombTable) {
  for (const UeCase& c : ue_cases()) {
    for (int lead = 0; lead < 8; lead += 3) {  // aligned and unaligned starts
      const std::vector<uint8_t> b = bits(std::string(static_cast<size_t>(lead), '1') + c.code + "111");
      BitReader br(b.data(), b.size());
      br.u(lead);
      EXPECT_EQ(br.ue(c.k), c.value) << "ue(" << c.k << ") " << c.code;
      EXPECT_EQ(br.bit_pos(), lead + bit_count(c.code)) << c.code;
    }
  }
}

TEST(BitReader, SignedExpGolombTable) {
  for (const IeCase& c : kIe2) {
    const std::vector<uint8_t> b = bits(c.code + "1");
    BitReader br(b.data(), b.size());
    EXPECT_EQ(br.ie(2), c.value) << c.code;
    EXPECT_EQ(br.bit_pos(), bit_count(c.code));
  }
  // ie(7) of the mapping x = 2v - 1 / -2v: v = 3 -> x = 5, v = -3 -> x = 6,
  // v = 64 -> x = 127, v = -64 -> x = 128 (ue(7): 01 00000000).
  const struct {
    int64_t v;
    std::string code;
  } ie7[] = {{3, "1 0000101"}, {-3, "1 0000110"}, {64, "1 1111111"}, {-64, "01 00000000"}};
  for (const auto& c : ie7) {
    const std::vector<uint8_t> b = bits(c.code);
    BitReader br(b.data(), b.size());
    EXPECT_EQ(br.ie(7), c.v) << c.code;
  }
}

TEST(BitReader, CodesBackToBack) {
  // Every table entry in one stream, read in sequence.
  std::string all;
  for (const UeCase& c : ue_cases()) all += c.code;
  for (const IeCase& c : kIe2) all += c.code;
  const std::vector<uint8_t> b = bits(all);
  BitReader br(b.data(), b.size());
  for (const UeCase& c : ue_cases()) EXPECT_EQ(br.ue(c.k), c.value) << c.code;
  for (const IeCase& c : kIe2) EXPECT_EQ(br.ie(2), c.value) << c.code;
  EXPECT_EQ(br.bit_pos(), bit_count(all));
}

TEST(BitReader, TestBitWriterMatchesTheSpecTables) {
  // The test helper other tests build streams with writes the spec's codes.
  for (const UeCase& c : ue_cases()) {
    TestBitWriter w;
    w.ue(c.k, c.value);
    EXPECT_EQ(w.bit_count(), bit_count(c.code)) << c.code;
    EXPECT_EQ(w.data(), bits(c.code)) << c.code;
  }
  for (const IeCase& c : kIe2) {
    TestBitWriter w;
    w.ie(2, c.value);
    EXPECT_EQ(w.data(), bits(c.code)) << c.code;
  }
  TestBitWriter w;
  w.u(3, 5);
  w.align();  // 101 1 0000
  w.align();  // aligned: a full 0x80
  EXPECT_EQ(w.data(), (std::vector<uint8_t>{0xB0, 0x80}));
}

TEST(BitReader, ExpGolombLargeValues) {
  // Round trips through the test writer for values around powers of two.
  for (int k : {0, 1, 2, 3, 7, 11}) {
    for (int e = 0; e < 60; ++e) {
      for (int64_t d : {-1, 0, 1}) {
        const int64_t v64 = (int64_t{1} << e) + d;
        if (v64 < 0) continue;
        const uint64_t v = static_cast<uint64_t>(v64);
        TestBitWriter w;
        w.ue(k, v);
        w.ie(k, static_cast<int64_t>(v >> 2));
        w.ie(k, -static_cast<int64_t>(v >> 2));
        BitReader br(w.data().data(), w.data().size());
        EXPECT_EQ(br.ue(k), v) << "k " << k << " v " << v;
        EXPECT_EQ(br.ie(k), static_cast<int64_t>(v >> 2));
        EXPECT_EQ(br.ie(k), -static_cast<int64_t>(v >> 2));
        EXPECT_EQ(br.bit_pos(), w.bit_count());
      }
    }
  }
}

TEST(BitReader, ExpGolombTooLongPrefixIsAnError) {
  // 128 zero bits: no valid 64-bit value has such a prefix.
  const std::vector<uint8_t> zeros(16, 0x00);
  for (int k : {0, 7, 11}) {
    BitReader br(zeros.data(), zeros.size(), 40);
    try {
      br.ue(k);
      FAIL() << "ue(" << k << ") of 128 zeros returned";
    } catch (const Error& e) {
      EXPECT_TRUE(e.code() == ErrorCode::kInvalidBitstream || e.code() == ErrorCode::kTruncated) << e.what();
      EXPECT_GE(e.byte_offset(), 40);
      EXPECT_LE(e.byte_offset(), 56);
    }
  }
}

TEST(BitReader, FloatIsLittleEndian) {
  // 1.0f = 0x3F800000 -> bytes 00 00 80 3F.
  const std::vector<uint8_t> one = {0x00, 0x00, 0x80, 0x3F};
  BitReader br(one.data(), one.size());
  EXPECT_EQ(br.flt(), 1.0f);
  EXPECT_EQ(br.bits_left(), 0u);
  // -2.5f = 0xC0200000 after three bits 101 (flt need not be aligned).
  const std::vector<uint8_t> b = bits("101 00000000 00000000 00100000 11000000 00000");
  BitReader br2(b.data(), b.size());
  br2.u(3);
  EXPECT_EQ(br2.flt(), -2.5f);
  EXPECT_EQ(br2.bit_pos(), 35u);
  // The bit pattern is kept as is (a NaN payload, a negative zero).
  const std::vector<uint8_t> nan = {0x01, 0x00, 0xC0, 0x7F, 0x00, 0x00, 0x00, 0x80};
  BitReader br3(nan.data(), nan.size());
  const float f = br3.flt();
  uint32_t u;
  std::memcpy(&u, &f, 4);
  EXPECT_EQ(u, 0x7FC00001u);
  const float z = br3.flt();
  EXPECT_TRUE(z == 0.0f && std::signbit(z));
}

TEST(BitReader, Strings) {
  const std::vector<uint8_t> b = {'a', 'b', 0x00, 0x00, 0xC3, 0xA9, '/', ':', 0x00, 0x41};
  BitReader br(b.data(), b.size());
  EXPECT_EQ(br.st(), "ab");
  EXPECT_EQ(br.bit_pos(), 24u);
  EXPECT_EQ(br.st(), "");  // just the terminator
  EXPECT_EQ(br.bit_pos(), 32u);
  EXPECT_EQ(br.st(), "\xC3\xA9/:");  // UTF-8 bytes as they are
  EXPECT_EQ(br.bit_pos(), 72u);
  EXPECT_EQ(br.u(8), 0x41u);
}

TEST(BitReader, StringMustStartAligned) {
  const std::vector<uint8_t> b = {0x80, 'a', 0x00};
  BitReader br(b.data(), b.size(), 10);
  br.u(1);
  expect_error([&] { br.st(); }, ErrorCode::kInvalidBitstream, 10, "unaligned st()");
}

TEST(BitReader, UnterminatedStringIsTruncation) {
  const std::vector<uint8_t> b = {0x00, 'a', 'b', 'c'};
  BitReader br(b.data(), b.size(), 1000);
  EXPECT_EQ(br.st(), "");
  expect_error([&] { br.st(); }, ErrorCode::kTruncated, 1001, "unterminated st()");
  // Nothing consumed by the failed read.
  EXPECT_EQ(br.bit_pos(), 8u);
  // At the very end: no byte at all.
  BitReader end(b.data(), 0, 5);
  expect_error([&] { end.st(); }, ErrorCode::kTruncated, 5, "st() at the end");
}

TEST(BitReader, ByteAlignment) {
  // Spec 1.4: one bit then zeros to the boundary; a full byte when aligned.
  const std::vector<uint8_t> b = {0xB0, 0x80, 0x00, 0x01};
  BitReader br(b.data(), b.size());
  br.u(3);
  br.byte_alignment();  // 1 0000 after 101
  EXPECT_EQ(br.bit_pos(), 8u);
  br.byte_alignment();  // aligned: the whole 0x80
  EXPECT_EQ(br.bit_pos(), 16u);
  br.byte_alignment();  // the content is not checked (0x00 accepted)
  EXPECT_EQ(br.bit_pos(), 24u);
  br.u(7);
  br.byte_alignment();  // one bit left in the byte
  EXPECT_EQ(br.bit_pos(), 32u);
  EXPECT_EQ(br.bits_left(), 0u);
  // Aligned at the end of the data: the alignment byte is missing.
  expect_error([&] { br.byte_alignment(); }, ErrorCode::kTruncated, 4, "byte_alignment at the end");
}

TEST(BitReader, ReadingPastTheEndNamesTheOffset) {
  const std::vector<uint8_t> b = {0xFF, 0xFF};
  {
    BitReader br(b.data(), b.size(), 100);
    br.u(12);
    expect_error([&] { br.u(8); }, ErrorCode::kTruncated, 101, "u(8) with 4 bits left");
    EXPECT_EQ(br.bit_pos(), 12u);  // the failed read consumed nothing
    EXPECT_EQ(br.u(4), 15u);
  }
  {
    BitReader br(b.data(), b.size(), 0);
    br.u(9);
    expect_error([&] { br.i(13); }, ErrorCode::kTruncated, 1, "i(13)");
  }
  {
    BitReader br(b.data(), b.size(), 7);
    expect_error([&] { br.flt(); }, ErrorCode::kTruncated, 9, "flt with 2 bytes");
  }
  {
    // ue: the prefix runs into the end (all ones then zeros).
    const std::vector<uint8_t> z = {0xF0};
    BitReader br(z.data(), z.size(), 20);
    br.u(4);
    expect_error([&] { br.ue(0); }, ErrorCode::kTruncated, 21, "ue prefix past the end");
  }
  {
    // ue: the suffix runs into the end: ue(7) = 1 + 7 bits, only 3 there.
    const std::vector<uint8_t> z = {0x1F};
    BitReader br(z.data(), z.size(), 3);
    br.u(4);
    expect_error([&] { br.ue(7); }, ErrorCode::kTruncated, 3, "ue suffix past the end");
  }
  {
    BitReader br(nullptr, 0, 42);
    EXPECT_EQ(br.u(0), 0u);
    expect_error([&] { br.u(1); }, ErrorCode::kTruncated, 42, "u(1) of nothing");
    expect_error([&] { br.ue(0); }, ErrorCode::kTruncated, 42, "ue of nothing");
  }
}

TEST(BitReader, NeverReadsOutsideItsRange) {
  // The reader is given the middle of a buffer; the bytes around it must
  // never leak into a value.
  const std::vector<uint8_t> buf = {0xFF, 0x00, 0x00, 0xFF};
  BitReader br(buf.data() + 1, 2, 1);
  EXPECT_EQ(br.u(16), 0u);
  expect_error([&] { br.u(1); }, ErrorCode::kTruncated, 3, "past the window");
  BitReader br2(buf.data() + 1, 2, 1);
  expect_error([&] { br2.ue(0); }, ErrorCode::kTruncated, 3, "zeros to the window end");
}

TEST(BitReader, TraceRecordsAbsolutePositions) {
  std::vector<SyntaxElement> trace;
  const std::vector<uint8_t> b = bits("101 0100 11010 1000 00000000");
  BitReader br(b.data(), b.size(), 10);
  br.set_trace(&trace);
  br.u(3, "a");
  br.ue(1, "b");
  br.i(5, "c");
  br.byte_alignment();
  br.u(8);  // no name: not recorded
  ASSERT_EQ(trace.size(), 4u);
  EXPECT_EQ(trace[0].name, "a");
  EXPECT_EQ(trace[0].bit_offset, 80u);
  EXPECT_EQ(trace[0].bit_length, 3u);
  EXPECT_EQ(trace[0].value, 5);
  EXPECT_EQ(trace[1].name, "b");
  EXPECT_EQ(trace[1].bit_offset, 83u);
  EXPECT_EQ(trace[1].bit_length, 4u);
  EXPECT_EQ(trace[1].value, 2);
  EXPECT_EQ(trace[2].bit_offset, 87u);
  EXPECT_EQ(trace[2].value, -6);
  EXPECT_EQ(trace[3].name, "byte_alignment");
  EXPECT_EQ(trace[3].bit_offset, 92u);
  EXPECT_EQ(trace[3].bit_length, 4u);
}

}  // namespace
}  // namespace nnr
