// The DeepCABAC decoder against the specification: constant tables (8.2-8.4,
// Appendix A, 4.4), the context model, the arithmetic decoding engine (8.5)
// on hand-computed inputs, the worked example of section 10 bin by bin, its
// variants (10.4) as complete streams, and random segments from the test's
// own reference encoder (test_cabac.h, written from 8.7), including block
// scans with entry points computed by the closed form of 5.5.
#include <gtest/gtest.h>

#include <cstring>
#include <iterator>
#include <random>
#include <set>

#include "cabac/arith_decoder.h"
#include "cabac/context_model.h"
#include "cabac/contexts.h"
#include "cabac/dec_levels.h"
#include "cabac/tables.h"
#include "nnr/decoder.h"
#include "test_bits.h"
#include "test_cabac.h"

namespace nnr {
namespace {

using namespace testing_bits;

// ---------------------------------------------------------------------------
// Spec 10.2: the 59-byte stream, its 18-byte arithmetic segment.

const std::vector<uint8_t> kNduPrefix = {0x00, 0x29, 0x16, 0x09, 0x6C, 0x61, 0x79, 0x65, 0x72, 0x2E, 0x77,
                                         0x65, 0x69, 0x67, 0x68, 0x74, 0x00, 0x70, 0x48, 0x28, 0x40, 0xA0, 0x80};
const std::vector<uint8_t> kSegment = {0xD9, 0xB3, 0x00, 0x07, 0x87, 0x03, 0x2B, 0x3E, 0x0F,
                                       0xA6, 0xCB, 0x21, 0x23, 0xA0, 0xDA, 0x05, 0xC7, 0xC0};
const std::vector<uint8_t> kTpl = {0x00, 0x06, 0x0E, 0x00, 0x00, 0x00};
// 10.4
const std::vector<uint8_t> kSegmentParamOpt = {0xD9, 0xB3, 0x05, 0xE2, 0x6E, 0x58, 0xA8, 0x1D, 0x7C, 0xFD, 0x60, 0xA2,
                                               0x00, 0x0F, 0x75, 0x88, 0x7B, 0x6D, 0x72, 0x6D, 0x11, 0x11, 0x80};
const std::vector<uint8_t> kSegmentNoDq = {0xD9, 0xB3, 0x00, 0x13, 0x50, 0x00, 0x04, 0xA0, 0x0F, 0xCD, 0xE3,
                                           0x6A, 0xC3, 0x38, 0x00, 0x1C, 0x27, 0x93, 0x11, 0x65, 0xC0};

const uint32_t kDecodedBits[8] = {0x3C400000, 0xBD280000, 0x00000000, 0x3DB40000,
                                  0xBBC00000, 0x3CD80000, 0x3E190000, 0xBDBD0000};
// 10.1: coded levels k and reconstruction levels L; 10.4: levels without DQ.
const std::vector<int64_t> kCoded = {4, -14, 0, 30, -2, 9, 51, -32};
const std::vector<int32_t> kRecon = {8, -28, 0, 60, -4, 18, 102, -63};
const std::vector<int32_t> kLevelsNoDq = {8, -29, 0, 60, -4, 17, 102, -63};
constexpr float kStep = 0.00146484375f;  // qp -38, qp_density 2 (4.1): 6 * 2^-12

std::vector<uint8_t> worked_stream(uint8_t ndu_size, uint8_t flags_byte, const std::vector<uint8_t>& seg) {
  std::vector<uint8_t> ndu = kNduPrefix;
  ndu[1] = ndu_size;
  ndu[17] = flags_byte;
  return cat({str_unit(), mps_unit(), kTpl, ndu, seg});
}

uint32_t float_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// ---------------------------------------------------------------------------
// Constant tables against the specification's text.

TEST(CabacTables, RlpsIsAppendixA) {
  for (int q = 0; q < 8; ++q)
    for (int r = 0; r < 32; ++r) EXPECT_EQ(kRlps[q][r], ref::kSpecRlps[q][r]) << "q " << q << " rho " << r;
}

TEST(CabacTables, UpdateTableAndInitSetsAndDqStates) {
  for (int i = 0; i < 32; ++i) EXPECT_EQ(kProbUpdate[i], ref::kSpecT[i]) << i;
  // 8.2, including the p column.
  const int p[9] = {0, -1310, 3039, 0, 962, 3039, -673, 0, 962};
  for (int n = 0; n < kNumInitSets; ++n) {
    EXPECT_EQ(kInitSets[n].sa, ref::kSpecInitSets[n].sa) << n;
    EXPECT_EQ(kInitSets[n].sb, ref::kSpecInitSets[n].sb) << n;
    EXPECT_EQ(kInitSets[n].a, ref::kSpecInitSets[n].a) << n;
    EXPECT_EQ(kInitSets[n].b, ref::kSpecInitSets[n].b) << n;
    ContextModel c;
    c.init(n);
    EXPECT_EQ(c.p(), p[n]) << n;
    EXPECT_EQ(c.set, n);
  }
  for (int s = 0; s < 8; ++s)
    for (int par = 0; par < 2; ++par) EXPECT_EQ(kDqNextState[s][par], ref::kSpecDqNext[s][par]);
}

// ---------------------------------------------------------------------------
// Context model (8.1, 8.4) with hand-computed values.

TEST(ContextModel, MpsAndProbabilityIndex) {
  struct Case {
    int b, mps, rho;
  };
  // a = 0, so p = b. rho = |p >> 7|: 0..127 -> 0, -128..-1 -> 1.
  const Case cases[] = {{0, 1, 0},    {127, 1, 0},  {128, 1, 1},   {-1, 0, 1},   {-128, 0, 1},
                        {-129, 0, 2}, {3891, 1, 30}, {-3891, 0, 31}, {1919, 1, 14}, {-1920, 0, 15}};
  for (const Case& c : cases) {
    ContextModel m;
    m.a = 0;
    m.b = static_cast<int16_t>(c.b);
    EXPECT_EQ(m.mps(), static_cast<uint32_t>(c.mps)) << c.b;
    EXPECT_EQ(m.rho(), static_cast<uint32_t>(c.rho)) << c.b;
  }
  ContextModel m;
  m.a = -3;  // p = 10 + 16 * -3 = -38
  m.b = 10;
  EXPECT_EQ(m.p(), -38);
  EXPECT_EQ(m.mps(), 0u);
  EXPECT_EQ(m.rho(), 1u);
}

TEST(ContextModel, UpdateByHand) {
  struct Case {
    int set, bin, a, b;
  };
  // a += s * (T[16 + ((s*a) >> 3)] >> sa), b += s * (T[16 + ((s*b) >> 7)] >> sb).
  const Case cases[] = {
      {0, 1, 2, 4},        // T[16] = 64: 64 >> 5 = 2, 64 >> 4 = 4 (spec 10.3: (2,4) -> 36)
      {0, 0, -2, -4},      // (spec 10.3: (-2,-4) -> -36)
      {2, 1, 97, 1523},    // 95 >> 3 = 11, 1519 >> 7 = 11: T[27] = 64
      {2, 0, 45, 1418},    // -95 >> 3 = -12, -1519 >> 7 = -12: T[4] = 1616: 50, 101
      {1, 1, -27, -625},   // -41 >> 3 = -6, -654 >> 7 = -6: T[10] = 464: 14, 29
      {4, 0, 26, 478},     // -30 >> 3 = -4, -482 >> 7 = -4: T[12] = 272 >> 6 = 4
      {7, 1, 0, 2},        // 64 >> 7 = 0, 64 >> 5 = 2
      {6, 1, -18, -334},   // -21 >> 3 = -3, -337 >> 7 = -3: T[13] = 208 >> 6 = 3
  };
  for (const Case& c : cases) {
    ContextModel m;
    m.init(c.set);
    m.update(static_cast<uint32_t>(c.bin));
    EXPECT_EQ(m.a, c.a) << "set " << c.set << " bin " << c.bin;
    EXPECT_EQ(m.b, c.b) << "set " << c.set << " bin " << c.bin;
    EXPECT_EQ(m.sa, ref::kSpecInitSets[c.set].sa);
  }
  // Two bins 1 from set 0: (2,4) then (4,8).
  ContextModel m;
  m.init(0);
  m.update(1);
  m.update(1);
  EXPECT_EQ(m.a, 4);
  EXPECT_EQ(m.b, 8);
  // Saturation: T[31] = 0 once s*a >= 120 and s*b >= 1920.
  m.a = 120;
  m.b = 1920;
  m.sa = 4;
  m.sb = 4;
  m.update(1);
  EXPECT_EQ(m.a, 120);
  EXPECT_EQ(m.b, 1920);
  // ... and the other way: T[1] = 2288 >> 4 = 143 for both.
  m.update(0);
  EXPECT_EQ(m.a, 120 - 143);
  EXPECT_EQ(m.b, 1920 - 143);
}

TEST(ContextModel, ResetReturnsToTheSetKeepingShifts) {
  ContextModel m;
  m.init(4);
  for (int i = 0; i < 20; ++i) m.update(i % 3 == 0);
  EXPECT_NE(m.a, 30);
  m.reset();
  EXPECT_EQ(m.a, 30);
  EXPECT_EQ(m.b, 482);
  EXPECT_EQ(m.sa, 6);
  EXPECT_EQ(m.sb, 6);
  EXPECT_EQ(m.set, 4);
}

TEST(ContextModel, RandomSequencesMatchTheSpecRule) {
  std::mt19937 rng(99);
  for (int set = 0; set < 9; ++set) {
    for (int bias : {50, 90, 99}) {
      ContextModel m;
      ref::RefContext r;
      m.init(set);
      r.init(set);
      for (int i = 0; i < 3000; ++i) {
        const int bin = static_cast<int>(rng() % 100) < bias ? 1 : 0;
        const int b = (i / 500) % 2 ? 1 - bin : bin;  // switch the skew now and then
        ASSERT_EQ(m.mps(), static_cast<uint32_t>(r.mps()));
        ASSERT_EQ(m.rho(), static_cast<uint32_t>(r.rho()));
        m.update(static_cast<uint32_t>(b));
        r.update(b);
        ASSERT_EQ(m.a, r.a) << "set " << set << " step " << i;
        ASSERT_EQ(m.b, r.b) << "set " << set << " step " << i;
        // 8.1: the update keeps |a| <= 123 and |b| <= 1923 (so rho <= 31).
        ASSERT_LE(std::abs(r.a), 123);
        ASSERT_LE(std::abs(r.b), 1923);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Arithmetic decoder (8.5) on hand-computed inputs.

TEST(ArithDecoder, FirstDecisionByHand) {
  // 0x90 0x00: D = 100100000b = 288, R = 510, q = 7, rLPS = RLPS[7][0] = 228,
  // rMPS = 282. D >= rMPS: LPS, bin = 0, D = 6, R = 228 -> 456 with one shift,
  // D = 12.
  const uint8_t lps[] = {0x90, 0x00, 0x00};
  ArithDecoder d(lps, sizeof lps);
  EXPECT_EQ(d.range(), 510u);
  EXPECT_EQ(d.window(), 288u);
  EXPECT_EQ(d.shift_count(), 0u);
  ContextModel c;
  c.init(0);
  EXPECT_EQ(d.decode_bin(c), 0u);
  EXPECT_EQ(d.range(), 456u);
  EXPECT_EQ(d.shift_count(), 1u);
  EXPECT_EQ(d.window(), 12u);
  EXPECT_EQ(c.a, -2);  // updated with bin 0
  EXPECT_EQ(c.b, -4);
  // 0x8C 0x80: D = 100011001b = 281 < 282: MPS 1, R = 282, no shift.
  const uint8_t mps[] = {0x8C, 0x80, 0x00};
  ArithDecoder d2(mps, sizeof mps);
  ContextModel c2;
  c2.init(0);
  EXPECT_EQ(d2.window(), 281u);
  EXPECT_EQ(d2.decode_bin(c2), 1u);
  EXPECT_EQ(d2.range(), 282u);
  EXPECT_EQ(d2.shift_count(), 0u);
  EXPECT_EQ(d2.window(), 281u);
}

TEST(ArithDecoder, BypassByHand) {
  // D = 256. bypass: D = 512 + bit 9 (0) >= 510 -> 1, D = 2; then D = 4 -> 0;
  // then D = 8 + bit 11 (1) = 9 -> 0.
  const uint8_t b[] = {0x80, 0x10, 0x00};
  ArithDecoder d(b, sizeof b);
  EXPECT_EQ(d.decode_bypass(), 1u);
  EXPECT_EQ(d.window(), 2u);
  EXPECT_EQ(d.decode_bypass(), 0u);
  EXPECT_EQ(d.decode_bypass(), 0u);
  EXPECT_EQ(d.window(), 9u);
  EXPECT_EQ(d.shift_count(), 3u);
  EXPECT_EQ(d.range(), 510u);
  // The same three bins at once.
  ArithDecoder d2(b, sizeof b);
  EXPECT_EQ(d2.decode_bypass_bins(3), 4u);  // 100b
  EXPECT_EQ(d2.window(), 9u);
  EXPECT_EQ(d2.shift_count(), 3u);
}

// The one-division form of n bypass bins against n single bypass bins
// (8.5), from every range and window the decoder can be in, across refills
// and past the end of the segment.
TEST(ArithDecoder, BypassRunIsTheSameBins) {
  std::mt19937_64 rng(99);
  std::vector<uint8_t> seg(64);
  for (int iter = 0; iter < 4000; ++iter) {
    for (auto& b : seg) b = static_cast<uint8_t>(rng());
    const size_t size = 2 + rng() % seg.size();
    ArithDecoder a(seg.data(), size), b(seg.data(), size);
    // Some context-coded bins first, so the range is not always 510.
    ContextModel ca, cb;
    ca.init(static_cast<int>(rng() % 9));
    cb = ca;
    for (int i = static_cast<int>(rng() % 20); i > 0; --i) ASSERT_EQ(a.decode_bin(ca), b.decode_bin(cb));
    for (int run = 0; run < 6; ++run) {
      const int n = static_cast<int>(rng() % 32);
      ArithDecoder::Core k = b.core();
      const uint32_t v = b.decode_bypass_run_core(k, n);
      b.set_core(k);
      ASSERT_EQ(v, a.decode_bypass_bins(n)) << "iteration " << iter << " n " << n;
      ASSERT_EQ(b.window(), a.window());
      ASSERT_EQ(b.range(), a.range());
      ASSERT_EQ(b.shift_count(), a.shift_count());
      ASSERT_EQ(b.overread(), a.overread());
    }
  }
}

TEST(ArithDecoder, TerminateByHand) {
  // The segment of only a terminating bin (8.7 finish from the initial
  // state): L = 508 << 7, then 2*floor(L/256)+1 = 509 as 9 bits: FE 80.
  const uint8_t only[] = {0xFE, 0x80};
  ArithDecoder d(only, sizeof only);
  EXPECT_EQ(d.window(), 509u);
  EXPECT_EQ(d.decode_terminate(), 1u);
  EXPECT_EQ(d.shift_count(), 0u);
  EXPECT_EQ(d.bytes_consumed(), 2u);  // 2 + floor(P/8)
  EXPECT_FALSE(d.overread());
  // D = 0: not terminated, R = 508 needs no renormalisation.
  const uint8_t zero[] = {0x00, 0x00, 0x00};
  ArithDecoder z(zero, sizeof zero);
  EXPECT_EQ(z.decode_terminate(), 0u);
  EXPECT_EQ(z.range(), 508u);
  EXPECT_EQ(z.shift_count(), 0u);
  // After a range reset R = 256: R - 2 = 254 < 256 -> doubled with one shift.
  z.range_reset();
  EXPECT_EQ(z.range(), 256u);
  EXPECT_EQ(z.decode_terminate(), 0u);
  EXPECT_EQ(z.range(), 508u);
  EXPECT_EQ(z.shift_count(), 1u);
}

TEST(ArithDecoder, ReadsPastTheEndAsZerosAndSaysSo) {
  const uint8_t b[] = {0x12, 0x34};
  ArithDecoder d(b, sizeof b);
  EXPECT_FALSE(d.overread());
  for (int i = 0; i < 7; ++i) d.decode_bypass();
  EXPECT_FALSE(d.overread());
  d.decode_bypass();  // the 8th shift needs a third byte
  EXPECT_TRUE(d.overread());
  EXPECT_EQ(d.bytes_consumed(), 3u);
}

// ---------------------------------------------------------------------------
// Spec 10.3, bin by bin.

struct Expect {
  int ctx;  // context index, -1 = bypass
  int bin;
  uint32_t range_after;  // 0 = not given by the spec
  int shifts;            // -1 = not given
};

void run(ArithDecoder& d, TensorContexts& t, const std::vector<Expect>& bins, const char* what) {
  for (size_t i = 0; i < bins.size(); ++i) {
    const Expect& e = bins[i];
    const uint64_t p0 = d.shift_count();
    const uint32_t bin = e.ctx < 0 ? d.decode_bypass() : d.decode_bin(t.data()[e.ctx]);
    EXPECT_EQ(bin, static_cast<uint32_t>(e.bin)) << what << " bin " << i << " ctx " << e.ctx;
    if (e.range_after) {
      EXPECT_EQ(d.range(), e.range_after) << what << " bin " << i << " ctx " << e.ctx;
    }
    if (e.shifts >= 0) {
      EXPECT_EQ(d.shift_count() - p0, static_cast<uint64_t>(e.shifts)) << what << " bin " << i;
    }
  }
}

// Bins of the AbsGr flags j = from..to (contexts 27 + 2(j-1) + neg), all equal to `bin`.
std::vector<Expect> gr(int from, int to, int neg, int bin) {
  std::vector<Expect> v;
  for (int j = from; j <= to; ++j) v.push_back({27 + 2 * (j - 1) + neg, bin, 0, -1});
  return v;
}
std::vector<Expect> prefix(const std::string& bins, int first_ctx = 49) {
  std::vector<Expect> v;
  for (size_t i = 0; i < bins.size(); ++i) v.push_back({first_ctx + static_cast<int>(i), bins[i] == '1', 0, -1});
  return v;
}
std::vector<Expect> bypass(const std::string& bins) {
  std::vector<Expect> v;
  for (char c : bins) v.push_back({-1, c == '1', 0, 1});
  return v;
}
std::vector<Expect> join(std::initializer_list<std::vector<Expect>> parts) {
  std::vector<Expect> v;
  for (const auto& p : parts) v.insert(v.end(), p.begin(), p.end());
  return v;
}

TEST(WorkedExample, QpOffsetIsEightBypassBins) {
  ArithDecoder d(kSegment.data(), kSegment.size());
  EXPECT_EQ(d.decode_bypass_bins(8), 0xDAu);  // 11011010b: -38 as 8-bit two's complement
  EXPECT_EQ(d.shift_count(), 8u);
  EXPECT_EQ(d.range(), 510u);
  ArithDecoder d1(kSegment.data(), kSegment.size());
  uint32_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 1) | d1.decode_bypass();
  EXPECT_EQ(v, 0xDAu);
  EXPECT_EQ(d1.window(), d.window());
}

TEST(WorkedExample, InitSetFlags) {
  ArithDecoder d(kSegment.data(), kSegment.size());
  d.decode_bypass_bins(8);
  TensorContexts t;
  t.init(11, /*dq=*/true);
  EXPECT_EQ(t.layout().count(), 85);
  EXPECT_EQ(t.layout().init_flag(), 83);
  t.decode_init_sets(d);
  // 81 flags, all 0: R = 383, S = 27.
  EXPECT_EQ(d.range(), 383u);
  EXPECT_EQ(d.shift_count(), 27u);
  for (int s : t.init_sets()) EXPECT_EQ(s, 0);
  // Flags are read for contexts 0 .. C-5 = 80; 3..23 only with DQ.
  for (int i = 0; i < 85; ++i) {
    EXPECT_EQ(t.layout().signalled(i, true), i <= 80) << i;
    EXPECT_EQ(t.layout().signalled(i, false), i <= 80 && (i < 3 || i > 23)) << i;
  }
}

TEST(WorkedExample, BinTrace) {
  ArithDecoder d(kSegment.data(), kSegment.size());
  d.decode_bypass_bins(8);
  TensorContexts t;
  t.init(11, true);
  t.decode_init_sets(d);
  // e0 (k = 4, state 0, c = 0)
  run(d, t,
      {{0, 1, 424, 1}, {24, 0, 398, 1}, {27, 1, 426, 1}, {29, 1, 454, 1}, {31, 1, 482, 1}, {33, 0, 456, 1}},
      "e0");
  // e1 (k = -14, c = 2): sig, sign, AbsGr1..11 on 28..48, prefix 1 0, suffix 1
  run(d, t, {{2, 1, 486, 1}, {26, 1, 258, 0}}, "e1");
  run(d, t, gr(1, 11, 1, 1), "e1 AbsGr");
  EXPECT_EQ(d.range(), 426u);
  run(d, t, {{49, 1, 454, 1}, {50, 0, 426, 1}, {-1, 1, 426, 1}}, "e1 EG");
  // e2 (k = 0, c = 1)
  run(d, t, {{1, 0, 398, 1}}, "e2");
  // e3 (k = 30, c = 0): contexts 0, 27, 29, 31 now at (2,4), 24 and 33 at (-2,-4).
  EXPECT_EQ(t.data()[0].p(), 36);
  EXPECT_EQ(t.data()[24].p(), -36);
  EXPECT_EQ(t.data()[33].p(), -36);
  run(d, t,
      {{0, 1, 426, 1}, {24, 0, 502, 1}, {27, 1, 274, 0}, {29, 1, 292, 1}, {31, 1, 300, 1}, {33, 1, 500, 2}},
      "e3");
  run(d, t, gr(5, 11, 0, 1), "e3 AbsGr5..11");
  EXPECT_EQ(d.range(), 384u);
  run(d, t, prefix("11110"), "e3 prefix");
  EXPECT_EQ(d.range(), 342u);
  run(d, t, bypass("0011"), "e3 suffix");  // rem = 2^4 - 1 + 3 = 18
  EXPECT_EQ(d.range(), 342u);
  // e4 (k = -2, c = 2)
  run(d, t, {{2, 1, 0, -1}, {26, 1, 0, -1}, {28, 1, 0, -1}, {30, 0, 0, -1}}, "e4");
  // e5 (k = 9, c = 1): AbsGr1..8 = 1, AbsGr9 = 0; state 0 -> 2
  run(d, t, join({{{1, 1, 0, -1}, {25, 0, 0, -1}}, gr(1, 8, 0, 1), gr(9, 9, 0, 0)}), "e5");
  // e6 (k = 51, state 2, c = 2): sig context 8; rem = 39: prefix 111110, suffix 01000
  run(d, t, join({{{8, 1, 0, -1}, {26, 0, 0, -1}}, gr(1, 11, 0, 1), prefix("111110"), bypass("01000")}), "e6");
  // e7 (k = -32, state 3, c = 2): sig context 11; rem = 20: prefix 11110, suffix 0101
  run(d, t, join({{{11, 1, 0, -1}, {26, 1, 0, -1}}, gr(1, 11, 1, 1), prefix("11110"), bypass("0101")}), "e7");
  // Final S = 129, then the terminating bin; 2 + 129/8 = 18 bytes.
  EXPECT_EQ(d.shift_count(), 129u);
  EXPECT_EQ(d.decode_terminate(), 1u);
  EXPECT_EQ(d.bytes_consumed(), 18u);
  EXPECT_FALSE(d.overread());
}

TEST(WorkedExample, DecodeLevels) {
  for (bool to_float : {false, true}) {
    ArithDecoder d(kSegment.data(), kSegment.size());
    d.decode_bypass_bins(8);
    TensorContexts t;
    t.init(11, true);
    t.decode_init_sets(d);
    const ScanGeometry g = ScanGeometry::make({2, 4}, 0);
    EXPECT_EQ(g.block, 0);
    std::vector<int32_t> levels(8, 12345);
    std::vector<float> values(8, -1.0f);
    LevelSink sink;
    if (to_float) {
      sink.values = values.data();
      sink.step = kStep;
    } else {
      sink.levels = levels.data();
    }
    uint32_t state = 0;
    decode_levels(d, t, g, 0, 1, state, sink, nullptr);
    // The states of 10.1: ..., e6 2 -> 3, e7 (k = -32, even) 3 -> 6.
    EXPECT_EQ(state, 6u);
    if (to_float) {
      for (int i = 0; i < 8; ++i) EXPECT_EQ(float_bits(values[i]), kDecodedBits[i]) << i;
    } else {
      EXPECT_EQ(levels, kRecon);
    }
    EXPECT_EQ(d.shift_count(), 129u);
    EXPECT_EQ(d.decode_terminate(), 1u);
  }
}

TEST(WorkedExample, WholeStream) {
  const std::vector<uint8_t> s = worked_stream(0x29, 0x70, kSegment);
  ASSERT_EQ(s.size(), 59u);
  for (int threads : {1, 2}) {
    DecodedModel m;
    DecodeOptions o;
    o.threads = threads;
    o.keep_levels = true;
    const Status st = decode(s.data(), s.size(), o, &m);
    ASSERT_TRUE(st.ok()) << st.describe();
    ASSERT_EQ(m.tensors.size(), 1u);
    const DecodedTensor& t = m.tensors[0];
    EXPECT_EQ(t.name, "layer.weight");
    EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 4}));
    EXPECT_EQ(t.dtype, DType::kFloat32);
    EXPECT_EQ(t.info.qp, -38);
    EXPECT_EQ(float_bits(static_cast<float>(t.info.step_size)), 0x3AC00000u);
    EXPECT_EQ(t.levels, kRecon);
    ASSERT_EQ(t.f32.size(), 8u);
    for (int i = 0; i < 8; ++i) EXPECT_EQ(float_bits(t.f32[i]), kDecodedBits[i]) << i;
    EXPECT_TRUE(m.warnings.empty());
  }
  // Without keep_levels the values go straight to float: same bits.
  DecodedModel m;
  ASSERT_TRUE(decode(s.data(), s.size(), DecodeOptions{}, &m).ok());
  for (int i = 0; i < 8; ++i) EXPECT_EQ(float_bits(m.tensors[0].f32[i]), kDecodedBits[i]) << i;
}

TEST(WorkedExample, ParamOptVariant) {
  // 10.4: NDU size 0x2E, the 23-byte segment; sets 2 for 10 contexts.
  const std::vector<uint8_t> s = worked_stream(0x2E, 0x70, kSegmentParamOpt);
  DecodedModel m;
  DecodeOptions o;
  o.keep_levels = true;
  const Status st = decode(s.data(), s.size(), o, &m);
  ASSERT_TRUE(st.ok()) << st.describe();
  const DecodedTensor& t = m.tensors[0];
  EXPECT_EQ(t.levels, kRecon);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(t.f32[i], static_cast<float>(kRecon[i]) * kStep) << i;
  for (int i = 0; i < 8; ++i) EXPECT_EQ(float_bits(t.f32[i]), kDecodedBits[i]) << i;
  ASSERT_EQ(t.info.init_sets.size(), 85u);
  const std::set<int> two = {27, 29, 31, 33, 35, 37, 39, 49, 50, 52};
  for (int i = 0; i < 85; ++i) EXPECT_EQ(t.info.init_sets[i], two.count(i) ? 2 : 0) << "context " << i;
}

TEST(WorkedExample, NoDqVariant) {
  // 10.4: dq_flag 0 (header byte 0x30), NDU size 0x2C, 60 init-set flags.
  const std::vector<uint8_t> s = worked_stream(0x2C, 0x30, kSegmentNoDq);
  DecodedModel m;
  DecodeOptions o;
  o.keep_levels = true;
  const Status st = decode(s.data(), s.size(), o, &m);
  ASSERT_TRUE(st.ok()) << st.describe();
  const DecodedTensor& t = m.tensors[0];
  EXPECT_EQ(t.info.dq_flag, 0);
  EXPECT_EQ(t.levels, kLevelsNoDq);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(t.f32[i], static_cast<float>(kLevelsNoDq[i]) * kStep) << i;
  // Directly: 60 flags, then the levels.
  ArithDecoder d(kSegmentNoDq.data(), kSegmentNoDq.size());
  EXPECT_EQ(d.decode_bypass_bins(8), 0xDAu);
  TensorContexts c;
  c.init(11, false);
  c.decode_init_sets(d);
  std::vector<int32_t> levels(8);
  LevelSink sink;
  sink.levels = levels.data();
  uint32_t state = 0;
  decode_levels(d, c, ScanGeometry::make({2, 4}, 0), 0, 1, state, sink, nullptr);
  EXPECT_EQ(levels, kLevelsNoDq);
  EXPECT_EQ(state, 0u);
  EXPECT_EQ(d.decode_terminate(), 1u);
  EXPECT_EQ(d.bytes_consumed(), kSegmentNoDq.size());
}

TEST(WorkedExample, CorruptedSegmentIsAnError) {
  // One byte more or less, or a changed last byte, is not a valid segment.
  std::vector<uint8_t> longer = kSegment;
  longer.push_back(0x00);
  std::vector<uint8_t> s = worked_stream(0x2A, 0x70, longer);
  DecodedModel m;
  Status st = decode(s.data(), s.size(), DecodeOptions{}, &m);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidBitstream) << st.describe();
  std::vector<uint8_t> shorter(kSegment.begin(), kSegment.end() - 1);
  s = worked_stream(0x28, 0x70, shorter);
  st = decode(s.data(), s.size(), DecodeOptions{}, &m);
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(st.message().empty());
}

// ---------------------------------------------------------------------------
// The reference encoder of test_cabac.h reproduces the specification's
// segments (which makes it an oracle for the tests below).

TEST(ReferenceEncoder, ReproducesTheSpecSegments) {
  ref::RefTensor t;
  t.k = kCoded;
  t.height = 2;
  t.width = 4;
  t.dq = true;
  t.qp_bits = 8;
  t.qp_offset = -38;
  EXPECT_EQ(ref::encode_segment({t}), kSegment);
  std::vector<int64_t> l = t.reconstruction();
  EXPECT_EQ(std::vector<int32_t>(l.begin(), l.end()), kRecon);

  ref::RefTensor opt = t;
  opt.init_sets.assign(85, 0);
  for (int i : {27, 29, 31, 33, 35, 37, 39, 49, 50, 52}) opt.init_sets[i] = 2;
  EXPECT_EQ(ref::encode_segment({opt}), kSegmentParamOpt);

  ref::RefTensor nodq = t;
  nodq.dq = false;
  nodq.k.assign(kLevelsNoDq.begin(), kLevelsNoDq.end());
  EXPECT_EQ(ref::encode_segment({nodq}), kSegmentNoDq);
}

// ---------------------------------------------------------------------------
// Random segments from the reference encoder.

int64_t random_level(std::mt19937_64& rng, int kind, bool dq) {
  const int64_t cap = dq ? (int64_t{1} << 30) - 1 : INT32_MAX;
  switch (kind) {
    case 0: return 0;
    case 1: return static_cast<int64_t>(rng() % 5) - 2;
    case 2: {
      std::geometric_distribution<int> g(0.15);
      const int64_t v = g(rng);
      return rng() & 1 ? -v : v;
    }
    default: {  // anything up to the int32 / DQ range, sometimes the extremes
      const int r = static_cast<int>(rng() % 8);
      if (r == 0) return rng() & 1 ? cap : -cap;
      const int64_t v = static_cast<int64_t>(rng() % static_cast<uint64_t>(cap));
      return (rng() & 1) ? -(v >> (rng() % 31)) : (v >> (rng() % 31));
    }
  }
}

ref::RefTensor random_ref_tensor(std::mt19937_64& rng, int64_t h, int64_t w, int scan_order) {
  ref::RefTensor t;
  t.height = h;
  t.width = w;
  const ScanGeometry g = ScanGeometry::make({h, w}, scan_order);
  t.block = g.block;
  t.n = 1 + static_cast<int>(rng() % 32);
  t.dq = rng() & 1;
  t.qp_bits = rng() % 3 == 0 ? 0 : 6 + static_cast<int>(rng() % 8);
  if (t.qp_bits) t.qp_offset = static_cast<int64_t>(rng() % (uint64_t{1} << t.qp_bits)) - (int64_t{1} << (t.qp_bits - 1));
  if (rng() & 1) {
    t.init_sets.assign(static_cast<size_t>(2 * t.n + 63), 0);
    // Only contexts 0 .. C-5 are signalled, 3..23 only with DQ (7.3).
    for (int i = 0; i <= 2 * t.n + 58; ++i)
      if (t.dq || i < 3 || i > 23) t.init_sets[static_cast<size_t>(i)] = rng() % 3 == 0 ? static_cast<int>(rng() % 9) : 0;
  }
  const int kind = static_cast<int>(rng() % 4);
  for (int64_t i = 0; i < h * w; ++i) t.k.push_back(random_level(rng, rng() % 5 == 0 ? static_cast<int>(rng() % 4) : kind, t.dq));
  return t;
}

// Decodes one tensor of `t` from `d` as the NDU decoder does and compares.
void expect_decodes(ArithDecoder& d, const ref::RefTensor& t, int scan_order, const std::string& what) {
  if (t.qp_bits) {
    int64_t off = d.decode_bypass_bins(t.qp_bits);
    if (off >> (t.qp_bits - 1)) off -= int64_t{1} << t.qp_bits;
    EXPECT_EQ(off, t.qp_offset) << what;
  }
  TensorContexts c;
  c.init(t.n, t.dq);
  c.decode_init_sets(d);
  const std::vector<int> sets = c.init_sets();
  for (size_t i = 0; i < sets.size(); ++i)
    ASSERT_EQ(sets[i], t.init_sets.empty() ? 0 : t.init_sets[i]) << what << " context " << i;
  const ScanGeometry g = ScanGeometry::make({t.height, t.width}, scan_order);
  std::vector<int32_t> levels(static_cast<size_t>(t.height * t.width));
  LevelSink sink;
  sink.levels = levels.data();
  uint32_t state = 0;
  decode_levels(d, c, g, 0, g.num_rows(), state, sink, nullptr);
  const std::vector<int64_t> want = t.reconstruction();
  ASSERT_EQ(std::vector<int64_t>(levels.begin(), levels.end()), want) << what;
}

TEST(ReferenceEncoder, RandomSegmentsDecode) {
  std::mt19937_64 rng(2024);
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1}, {1, 37}, {37, 1}, {3, 5}, {9, 17}, {16, 8}, {40, 3}, {70, 70}};
  for (int iter = 0; iter < 300; ++iter) {
    const auto [h, w] = shapes[rng() % std::size(shapes)];
    const int scan_order = static_cast<int>(rng() % 5);
    // One to three tensors per segment, the coder state running across them.
    std::vector<ref::RefTensor> ts;
    std::vector<int> scans;
    const int count = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < count; ++i) {
      ts.push_back(random_ref_tensor(rng, h, w, scan_order));
      scans.push_back(scan_order);
    }
    const std::vector<uint8_t> seg = ref::encode_segment(ts);
    const std::string what = "iteration " + std::to_string(iter);
    ArithDecoder d(seg.data(), seg.size());
    for (size_t i = 0; i < ts.size() && !HasFatalFailure(); ++i)
      expect_decodes(d, ts[i], scans[i], what + " tensor " + std::to_string(i));
    if (HasFatalFailure()) return;
    EXPECT_EQ(d.decode_terminate(), 1u) << what;
    EXPECT_EQ(d.bytes_consumed(), seg.size()) << what;
    EXPECT_FALSE(d.overread()) << what;
    if (HasFatalFailure()) return;
  }
}

// A segment of the one tensor t from the reference encoder decodes to t's
// levels and ends where the encoder ended it.
void expect_segment_decodes(const ref::RefTensor& t, int scan_order, const std::string& what) {
  const std::vector<uint8_t> seg = ref::encode_segment({t});
  ArithDecoder d(seg.data(), seg.size());
  expect_decodes(d, t, scan_order, what);
  if (::testing::Test::HasFatalFailure()) return;
  EXPECT_EQ(d.decode_terminate(), 1u) << what;
  EXPECT_EQ(d.bytes_consumed(), seg.size()) << what;
}

// The level decoder has two forms: the level loop for a tensor's first
// window of levels, then the form chosen per window by the share of levels
// past the N AbsGr flags (the bin steps below 5/16 with DQ and 1/8 without
// on x86-64, 1/4 else). Tensors with a small (8 %) and a large share, each
// with zero runs, both signs and levels up to the Exp-Golomb suffix, decode
// to the reference encoder's input.
TEST(ReferenceEncoder, BothLevelDecoderForms) {
  std::mt19937_64 rng(31);
  for (int large_pct : {8, 60}) {
    for (int dq = 0; dq < 2; ++dq) {
      for (int scan_order : {0, 2}) {
        ref::RefTensor t;
        t.height = 64;
        t.width = 80;
        t.block = ScanGeometry::make({t.height, t.width}, scan_order).block;
        t.n = 4;
        t.dq = dq != 0;
        for (int64_t i = 0; i < t.height * t.width; ++i) {
          const int r = static_cast<int>(rng() % 100);
          int64_t v = 0;
          if (r < large_pct) v = 5 + static_cast<int64_t>(rng() % 5000);
          else if (r < 90) v = 1 + static_cast<int64_t>(rng() % 4);
          // else a zero: about one in ten, often next to another
          t.k.push_back(rng() & 1 ? -v : v);
        }
        expect_segment_decodes(t, scan_order,
                               "large " + std::to_string(large_pct) + "% dq " + std::to_string(dq) + " scan " +
                                   std::to_string(scan_order));
        if (HasFatalFailure()) return;
      }
    }
  }
}

// Levels of every magnitude up to the int32 / DQ range, in both forms of
// the level decoder: where most levels are large (the level loop) and
// where one in twenty is (the bin steps after the first window). Suffixes of
// up to 20 bypass bins are one division inside either x86-64 loop, longer
// ones (and any that find too few bits in the register) are decoded in C++.
TEST(ReferenceEncoder, LargeLevelsOfEveryMagnitude) {
  std::mt19937_64 rng(47);
  for (bool sparse : {false, true}) {
    for (int dq = 0; dq < 2; ++dq) {
      for (int scan_order : {0, 1}) {
        ref::RefTensor t;
        t.height = 96;
        t.width = 100;
        t.block = ScanGeometry::make({t.height, t.width}, scan_order).block;
        t.n = 1 + static_cast<int>(rng() % 12);
        t.dq = dq != 0;
        for (int64_t i = 0; i < t.height * t.width; ++i) {
          const int kind = sparse ? (rng() % 20 == 0 ? 3 : 1) : (rng() % 3 == 0 ? 2 : 3);
          t.k.push_back(random_level(rng, kind, t.dq));
        }
        expect_segment_decodes(t, scan_order,
                               std::string(sparse ? "sparse" : "dense") + " dq " + std::to_string(dq) + " scan " +
                                   std::to_string(scan_order));
        if (HasFatalFailure()) return;
      }
    }
  }
}

// Entry points by the closed form of 5.5 agree with the decoder: starting a
// decoder at (P, D) of a block row with init_at gives the same levels.
TEST(ReferenceEncoder, EntryPointsClosedForm) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 60; ++iter) {
    const int scan_order = 1 + static_cast<int>(rng() % 2);
    const int64_t b = int64_t{4} << scan_order;
    const int64_t h = b + 1 + static_cast<int64_t>(rng() % (3 * b)), w = 2 + static_cast<int64_t>(rng() % 40);
    ref::RefTensor t = random_ref_tensor(rng, h, w, scan_order);
    ASSERT_EQ(t.block, b);
    ref::RefArithEncoder enc;
    std::vector<ref::RowStart> rows;
    ref::encode_tensor(enc, t, &rows);
    const std::vector<uint8_t> seg = enc.finish();
    const std::vector<ref::RefEntryPoint> eps = ref::entry_points(rows, seg);
    const int64_t nrows = (h + b - 1) / b;
    ASSERT_EQ(static_cast<int64_t>(eps.size()), nrows - 1);

    // Sequential decode with row marks.
    ArithDecoder d(seg.data(), seg.size());
    if (t.qp_bits) d.decode_bypass_bins(t.qp_bits);
    TensorContexts c;
    c.init(t.n, t.dq);
    c.decode_init_sets(d);
    const TensorContexts after_init = c;
    const ScanGeometry g = ScanGeometry::make({h, w}, scan_order);
    std::vector<int32_t> levels(static_cast<size_t>(h * w));
    LevelSink sink;
    sink.levels = levels.data();
    std::vector<RowMark> marks(static_cast<size_t>(nrows));
    uint32_t state = 0;
    decode_levels(d, c, g, 0, nrows, state, sink, marks.data());
    EXPECT_EQ(marks[0].p, rows[0].s);
    for (int64_t j = 1; j < nrows; ++j) {
      EXPECT_EQ(marks[j].p - marks[j - 1].p, static_cast<uint64_t>(eps[j - 1].delta)) << iter << " row " << j;
      EXPECT_EQ(marks[j].d, eps[j - 1].value) << iter << " row " << j;
      EXPECT_EQ(marks[j].dq_state, eps[j - 1].dq_state) << iter << " row " << j;
    }
    // Independent start at the last block row.
    const int64_t r = nrows - 1;
    ArithDecoder d2;
    d2.init_at(seg.data(), seg.size(), marks[r].p, eps[r - 1].value);
    TensorContexts c2 = after_init;
    std::vector<int32_t> levels2(levels.size(), 777);
    LevelSink sink2;
    sink2.levels = levels2.data();
    uint32_t state2 = eps[r - 1].dq_state;
    decode_levels(d2, c2, g, r, nrows, state2, sink2, nullptr);
    for (int64_t i = r * b * w; i < h * w; ++i) ASSERT_EQ(levels2[i], levels[i]) << iter << " element " << i;
    EXPECT_EQ(state2, state);
    EXPECT_EQ(d2.shift_count(), d.shift_count());
    EXPECT_EQ(d2.decode_terminate(), 1u);
  }
}

// A complete NDU with a block-scanned tensor and entry points from the
// closed form: decoded sequentially and in parallel, without any warning.
TEST(ReferenceEncoder, BlockScanStreamWithEntryPoints) {
  std::mt19937_64 rng(11);
  for (int iter = 0; iter < 12; ++iter) {
    const int scan_order = 1 + iter % 4;
    const int64_t b = int64_t{4} << scan_order;
    const int64_t h = 3 * b + 5, w = b + 3;
    ref::RefTensor t = random_ref_tensor(rng, h, w, scan_order);
    t.qp_bits = 8;  // NNR_PT_FLOAT with qp_density 2
    t.qp_offset = -40 - iter;
    t.n = 11;
    t.init_sets.clear();
    ref::RefArithEncoder enc;
    std::vector<ref::RowStart> rows;
    ref::encode_tensor(enc, t, &rows);
    const std::vector<uint8_t> seg = enc.finish();
    TestNdu n;
    n.names = {"blk.weight"};
    n.dq = t.dq;
    n.dims = {static_cast<uint64_t>(h), static_cast<uint64_t>(w)};
    n.scan_order = scan_order;
    for (const auto& e : ref::entry_points(rows, seg)) n.eps.push_back({e.value, e.dq_state, e.delta});
    n.payload = seg;
    const std::vector<uint8_t> s = cat({str_unit(), mps_unit(), ndu_unit(n)});
    const std::vector<int64_t> want = t.reconstruction();
    for (int threads : {1, 2}) {
      for (bool eps : {true, false}) {
        DecodedModel m;
        DecodeOptions o;
        o.threads = threads;
        o.use_entry_points = eps;
        o.keep_levels = true;
        const Status st = decode(s.data(), s.size(), o, &m);
        ASSERT_TRUE(st.ok()) << st.describe();
        EXPECT_TRUE(m.warnings.empty()) << iter << ": " << (m.warnings.empty() ? "" : m.warnings[0]);
        ASSERT_EQ(m.tensors.size(), 1u);
        EXPECT_EQ(std::vector<int64_t>(m.tensors[0].levels.begin(), m.tensors[0].levels.end()), want);
        EXPECT_EQ(m.tensors[0].info.qp, t.qp_offset);
      }
    }
    // A wrong entry point: still decoded correctly (sequentially), with a warning.
    n.eps[0].value ^= 1;
    const std::vector<uint8_t> bad = cat({str_unit(), mps_unit(), ndu_unit(n)});
    for (int threads : {1, 2}) {
      DecodedModel m;
      DecodeOptions o;
      o.threads = threads;
      o.keep_levels = true;
      const Status st = decode(bad.data(), bad.size(), o, &m);
      ASSERT_TRUE(st.ok()) << st.describe();
      EXPECT_FALSE(m.warnings.empty());
      EXPECT_EQ(std::vector<int64_t>(m.tensors[0].levels.begin(), m.tensors[0].levels.end()), want);
    }
  }
}

// An integer tensor (NNR_PT_INT: no qp offset, never DQ) in a complete stream.
TEST(ReferenceEncoder, IntegerTensorStream) {
  ref::RefTensor t;
  t.height = 3;
  t.width = 4;
  t.k = {0, 1, -1, 2, INT32_MAX, INT32_MIN + 1, 100000, -100000, 7, 0, 0, -3};
  t.n = 11;
  TestNdu n;
  n.payload_type = 0;
  n.names = {"ints"};
  n.dims = {3, 4};
  n.payload = ref::encode_segment({t});
  const std::vector<uint8_t> s = cat({str_unit(), mps_unit(), ndu_unit(n)});
  DecodedModel m;
  const Status st = decode(s.data(), s.size(), DecodeOptions{}, &m);
  ASSERT_TRUE(st.ok()) << st.describe();
  ASSERT_EQ(m.tensors.size(), 1u);
  EXPECT_EQ(m.tensors[0].dtype, DType::kInt32);
  EXPECT_EQ(std::vector<int64_t>(m.tensors[0].i32.begin(), m.tensors[0].i32.end()), t.k);
  // A level of magnitude 2^31 does not fit int32: an error, not a wrap.
  t.k[0] = -(int64_t{1} << 31) - 1;
  n.payload = ref::encode_segment({t});
  const std::vector<uint8_t> s2 = cat({str_unit(), mps_unit(), ndu_unit(n)});
  const Status st2 = decode(s2.data(), s2.size(), DecodeOptions{}, &m);
  EXPECT_EQ(st2.code(), ErrorCode::kInvalidBitstream) << st2.describe();
}

// A FLOAT tensor with a codebook (4.5): value = Codebook[L + CbZeroOffset] * step.
TEST(ReferenceEncoder, CodebookTensorStream) {
  ref::RefTensor t;
  t.height = 2;
  t.width = 3;
  t.k = {-2, -1, 0, 1, 2, 0};  // indices 0..4 with CbZeroOffset 2
  t.qp_bits = 8;
  t.qp_offset = -32;  // d = 2: mul 4, shift -8: step 2^-8
  TestNdu n;
  n.names = {"cb"};
  n.codebook_present = 1;
  // egk 1, size 5, centre offset 0 (CbZeroOffset 2), zero value -3,
  // left deltas 3, 12 -> -7, -20; right deltas 2, 8 -> 0, 9.
  n.codebook_bits = "0001 01001 100 10000110 0101 001110 0100 001010";
  n.dims = {2, 3};
  n.payload = ref::encode_segment({t});
  const std::vector<uint8_t> s = cat({str_unit(), mps_unit(), ndu_unit(n)});
  DecodedModel m;
  const Status st = decode(s.data(), s.size(), DecodeOptions{}, &m);
  ASSERT_TRUE(st.ok()) << st.describe();
  const DecodedTensor& d = m.tensors[0];
  EXPECT_TRUE(d.info.codebook);
  EXPECT_EQ(d.info.codebook_values, (std::vector<int64_t>{-20, -7, -3, 0, 9}));
  const float want[6] = {-20 / 256.0f, -7 / 256.0f, -3 / 256.0f, 0.0f, 9 / 256.0f, -3 / 256.0f};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(d.f32[i], want[i]) << i;
  // An index outside the codebook is an error.
  t.k[0] = -3;
  n.payload = ref::encode_segment({t});
  const std::vector<uint8_t> s2 = cat({str_unit(), mps_unit(), ndu_unit(n)});
  const Status st2 = decode(s2.data(), s2.size(), DecodeOptions{}, &m);
  EXPECT_EQ(st2.code(), ErrorCode::kInvalidBitstream) << st2.describe();
}

// A truncated segment never decodes into zeros forever.
TEST(ArithDecoder, LevelsPastTheSegmentAreAnError) {
  const uint8_t zeros[4] = {0, 0, 0, 0};
  for (bool dq : {false, true}) {
    ArithDecoder d(zeros, sizeof zeros);
    TensorContexts c;
    c.init(11, dq);
    c.decode_init_sets(d);
    std::vector<int32_t> levels(200000);
    LevelSink sink;
    sink.levels = levels.data();
    uint32_t state = 0;
    try {
      decode_levels(d, c, ScanGeometry::make({200000}, 0), 0, 1, state, sink, nullptr);
      FAIL() << "decoded 200000 levels from 4 bytes";
    } catch (const Error& e) {
      EXPECT_TRUE(e.code() == ErrorCode::kTruncated || e.code() == ErrorCode::kInvalidBitstream) << e.what();
    }
  }
}

TEST(ScanGeometry, EffectiveScanAndBlockRows) {
  // 5.1: block scan only with scan_order > 0, more than one dimension, H > 1, W > 1.
  EXPECT_EQ(ScanGeometry::make({10, 10}, 1).block, 8);
  EXPECT_EQ(ScanGeometry::make({10, 10}, 4).block, 64);
  EXPECT_EQ(ScanGeometry::make({10, 10}, 0).block, 0);
  EXPECT_EQ(ScanGeometry::make({10}, 2).block, 0);
  EXPECT_EQ(ScanGeometry::make({10, 1}, 2).block, 0);
  EXPECT_EQ(ScanGeometry::make({1, 10}, 2).block, 0);
  const ScanGeometry g = ScanGeometry::make({4, 3, 2, 5}, 2);
  EXPECT_EQ(g.height, 4);
  EXPECT_EQ(g.width, 30);
  EXPECT_EQ(g.block, 16);
  EXPECT_EQ(ScanGeometry::make({12, 10}, 1).num_rows(), 2);
  EXPECT_EQ(ScanGeometry::make({8, 10}, 1).num_rows(), 1);
  EXPECT_EQ(ScanGeometry::make({9, 10}, 1).num_rows(), 2);
  // 2.8.3: ceil(d0 / B) - 1 entries.
  EXPECT_EQ(ScanGeometry::header_block_rows_minus1(12, 1), 1);
  EXPECT_EQ(ScanGeometry::header_block_rows_minus1(8, 1), 0);
  EXPECT_EQ(ScanGeometry::header_block_rows_minus1(65, 4), 1);
  EXPECT_EQ(ScanGeometry::header_block_rows_minus1(64, 4), 0);
  EXPECT_EQ(ScanGeometry::header_block_rows_minus1(33, 2), 2);
  // The 5.2 example order for H = W = 10, B = 8, as the reference encoder
  // visits it: block (0-7, 0-7), (0-7, 8-9), (8-9, 0-7), (8-9, 8-9).
  const std::vector<int64_t> order = ref::scan_positions(10, 10, 8);
  EXPECT_EQ(order[0], 0);
  EXPECT_EQ(order[7], 7);
  EXPECT_EQ(order[8], 10);
  EXPECT_EQ(order[64], 8);
  EXPECT_EQ(order[65], 9);
  EXPECT_EQ(order[66], 18);
  EXPECT_EQ(order[80], 80);
  EXPECT_EQ(order[96], 88);
  EXPECT_EQ(order[99], 99);
}

}  // namespace
}  // namespace nnr
