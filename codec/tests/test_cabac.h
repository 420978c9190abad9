// Test-only reference model of DeepCABAC, written from the specification
// (sections 6, 7 and 8) without using the codec's own tables or encoder:
//
//  - RefContext: the two-speed probability estimator (8.1, 8.2, 8.4) with the
//    update rule as written (s = +1 / -1, plain branches).
//  - RefArithEncoder: the register-level arithmetic encoder with carry
//    handling of 8.7.
//  - encode_levels(): binarisation (6), context selection (7.1, 7.2),
//    init-set signalling (7.3), DQ state machine (4.4) and the block scan
//    with its row events (5.2, 5.3).
//
// arith_decoder_test.cc first checks that this model reproduces the three
// arithmetic segments the specification prints (10.2, and both variants of
// 10.4) byte for byte; other tests then use it to build streams whose levels
// are known by construction.
#ifndef NNR_TESTS_TEST_CABAC_H
#define NNR_TESTS_TEST_CABAC_H

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace nnr {
namespace ref {

// Appendix A.
inline const uint8_t kSpecRlps[8][32] = {
    {128, 112, 97, 84, 74, 65, 57, 50, 45, 39, 34, 30, 27, 23, 20, 18, 15, 14, 12, 11, 10, 9, 7, 7, 5, 5, 4, 4, 3, 3, 2, 2},
    {142, 125, 108, 93, 82, 72, 63, 56, 50, 43, 38, 33, 30, 26, 22, 20, 17, 16, 13, 12, 11, 10, 8, 8, 6, 6, 5, 5, 3, 3, 2, 2},
    {156, 137, 119, 103, 90, 79, 70, 61, 55, 48, 42, 37, 33, 28, 24, 22, 19, 17, 15, 13, 12, 11, 9, 9, 6, 6, 5, 5, 4, 4, 2, 2},
    {171, 150, 130, 112, 99, 87, 76, 67, 60, 52, 46, 40, 36, 31, 27, 24, 21, 19, 16, 15, 13, 12, 10, 10, 7, 7, 6, 6, 4, 4, 3, 3},
    {185, 162, 141, 121, 107, 94, 82, 73, 65, 56, 50, 43, 39, 34, 29, 26, 22, 21, 17, 16, 14, 13, 11, 11, 8, 8, 6, 6, 4, 4, 3, 3},
    {199, 175, 152, 131, 115, 101, 89, 78, 70, 61, 54, 47, 42, 36, 31, 28, 24, 22, 19, 17, 15, 14, 12, 12, 8, 8, 7, 7, 5, 5, 3, 3},
    {213, 187, 163, 140, 123, 108, 95, 84, 75, 65, 58, 50, 45, 39, 33, 30, 26, 24, 20, 18, 16, 15, 13, 13, 9, 9, 7, 7, 5, 5, 3, 3},
    {228, 200, 174, 150, 132, 116, 102, 90, 80, 70, 62, 54, 48, 42, 36, 32, 28, 26, 22, 20, 18, 16, 14, 14, 10, 10, 8, 8, 6, 6, 4, 4},
};

// 8.4, table T.
inline const int kSpecT[32] = {2512, 2288, 2064, 1840, 1616, 1392, 1168, 944, 720, 560, 464,
                               368,  272,  208,  144,  80,   64,   64,   64,   64,  64,  64,
                               64,   64,   64,   64,   64,   64,   64,   64,   64,  0};

// 8.2: {sa, sb, a, b} per set.
struct SpecInitSet {
  int sa, sb, a, b;
};
inline const SpecInitSet kSpecInitSets[9] = {{5, 4, 0, 0},    {5, 4, -41, -654}, {5, 4, 95, 1519},
                                             {4, 5, 0, 0},    {6, 6, 30, 482},   {6, 6, 95, 1519},
                                             {6, 6, -21, -337}, {7, 5, 0, 0},    {7, 5, 30, 482}};

// 4.4: next state for (state, k even) and (state, k odd).
inline const int kSpecDqNext[8][2] = {{0, 2}, {7, 5}, {1, 3}, {6, 4}, {2, 0}, {5, 7}, {3, 1}, {4, 6}};

// floor(x / 2^n) for any sign (the spec's ">>").
inline int floor_shift(int x, int n) {
  int q = x / (1 << n);
  if (x < 0 && q * (1 << n) != x) --q;
  return q;
}

struct RefContext {
  int a = 0, b = 0, sa = 5, sb = 4, set = 0;
  void init(int n) {
    set = n;
    a = kSpecInitSets[n].a;
    b = kSpecInitSets[n].b;
    sa = kSpecInitSets[n].sa;
    sb = kSpecInitSets[n].sb;
  }
  void reset() {
    a = kSpecInitSets[set].a;
    b = kSpecInitSets[set].b;
  }
  int p() const { return b + 16 * a; }
  int mps() const { return p() >= 0 ? 1 : 0; }
  int rho() const { return std::abs(floor_shift(p(), 7)); }
  void update(int bin) {
    const int s = bin ? 1 : -1;
    const int na = a + s * (kSpecT[16 + floor_shift(s * a, 3)] >> sa);
    const int nb = b + s * (kSpecT[16 + floor_shift(s * b, 7)] >> sb);
    a = na;
    b = nb;
  }
};

// 8.7, transcribed literally.
class RefArithEncoder {
 public:
  void decision(int bin, RefContext& ctx) {
    const int rlps = kSpecRlps[(r_ >> 5) & 7][ctx.rho()];
    const uint32_t rmps = r_ - rlps;
    r_ = rmps;
    if (bin == ctx.mps()) {
      if (r_ < 256) {
        r_ <<= 1;
        l_ <<= 1;
        bits_left_ -= 1;
        ++shifts_;
      }
    } else {
      int n = 0;
      uint32_t x = static_cast<uint32_t>(rlps);
      while (x < 256) {
        x <<= 1;
        ++n;
      }
      l_ += r_;
      r_ = static_cast<uint32_t>(rlps) << n;
      l_ <<= n;
      bits_left_ -= n;
      shifts_ += n;
    }
    if (bits_left_ < 12) emit_lead_byte();
    ctx.update(bin);
  }
  void bypass(int bin) {
    l_ <<= 1;
    if (bin) l_ += r_;
    bits_left_ -= 1;
    ++shifts_;
    if (bits_left_ < 12) emit_lead_byte();
  }
  // n bypass bins carrying v, MSB first.
  void bypass_bits(int n, uint64_t v) {
    for (int i = n - 1; i >= 0; --i) bypass(static_cast<int>((v >> i) & 1));
  }
  void range_reset() { r_ = 256; }
  uint32_t range() const { return r_; }
  uint64_t shifts() const { return shifts_; }  // S of 8.6
  uint32_t low9() const { return static_cast<uint32_t>(l_ & 511); }  // low mod 512 (5.5)

  std::vector<uint8_t> finish() {
    r_ -= 2;
    l_ += r_;
    l_ <<= 7;
    bits_left_ -= 7;
    r_ = 256;
    if (bits_left_ < 12) emit_lead_byte();
    const uint64_t top = uint64_t{1} << (32 - bits_left_);
    if (l_ >= top) {
      out_.push_back(static_cast<uint8_t>(buffered_ + 1));
      for (int i = 0; i + 1 < n_buffered_; ++i) out_.push_back(0x00);
      l_ -= top;
    } else {
      if (n_buffered_ > 0) out_.push_back(static_cast<uint8_t>(buffered_));
      for (int i = 0; i + 1 < n_buffered_; ++i) out_.push_back(0xFF);
    }
    l_ = 2 * (l_ / 256) + 1;
    bits_left_ -= 1;
    const int n = 24 - bits_left_;
    int pending = 0, count = 0;
    for (int i = n - 1; i >= 0; --i) {
      pending = (pending << 1) | static_cast<int>((l_ >> i) & 1);
      if (++count == 8) {
        out_.push_back(static_cast<uint8_t>(pending));
        pending = 0;
        count = 0;
      }
    }
    if (count) out_.push_back(static_cast<uint8_t>(pending << (8 - count)));
    return out_;
  }

 private:
  void emit_lead_byte() {
    const uint64_t lead = l_ >> (24 - bits_left_);
    bits_left_ += 8;
    l_ &= (uint64_t{1} << (32 - bits_left_)) - 1;
    if (lead == 0xFF) {
      ++n_buffered_;
    } else if (n_buffered_ == 0) {
      buffered_ = static_cast<int>(lead);
      n_buffered_ = 1;
    } else {
      const int c = static_cast<int>(lead >> 8);
      out_.push_back(static_cast<uint8_t>((buffered_ + c) & 0xFF));
      for (int i = 0; i + 1 < n_buffered_; ++i) out_.push_back(static_cast<uint8_t>((0xFF + c) & 0xFF));
      buffered_ = static_cast<int>(lead & 0xFF);
      n_buffered_ = 1;
    }
  }

  uint64_t l_ = 0;  // L of 8.7 (kept in 64 bits; the spec's values fit 32)
  uint32_t r_ = 510;
  int bits_left_ = 23;
  int buffered_ = 0;
  int n_buffered_ = 0;
  uint64_t shifts_ = 0;
  std::vector<uint8_t> out_;
};

// One tensor as coded in an arithmetic payload (2.8.4): optional qp offset,
// init sets, levels.
struct RefTensor {
  std::vector<int64_t> k;       // coded levels in flat (row-major) positions
  int64_t height = 1, width = 1;  // 2-D view (5.1)
  int block = 0;                  // B of the effective scan, 0 = row-major
  int n = 11;                     // cabac_unary_length
  bool dq = false;
  int qp_bits = 0;                // 6 + qp_density, 0: no qp offset (NNR_PT_INT)
  int64_t qp_offset = 0;
  std::vector<int> init_sets;     // per context index; empty: all 0

  // Reconstruction levels L of 4.4 (dq) or L = k, in flat positions.
  std::vector<int64_t> reconstruction() const;
};

// Positions of the elements in scan order (5.1, 5.2).
inline std::vector<int64_t> scan_positions(int64_t h, int64_t w, int block) {
  std::vector<int64_t> pos;
  if (!block) {
    for (int64_t i = 0; i < h * w; ++i) pos.push_back(i);
    return pos;
  }
  for (int64_t by = 0; by < h; by += block)
    for (int64_t bx = 0; bx < w; bx += block)
      for (int64_t y = by; y < by + block && y < h; ++y)
        for (int64_t x = bx; x < bx + block && x < w; ++x) pos.push_back(y * w + x);
  return pos;
}

inline std::vector<int64_t> RefTensor::reconstruction() const {
  std::vector<int64_t> l(k.size());
  int state = 0;
  for (int64_t p : scan_positions(height, width, block)) {
    const int64_t v = k[static_cast<size_t>(p)];
    if (!dq || v == 0) {
      l[static_cast<size_t>(p)] = dq ? 0 : v;
    } else {
      const int64_t sg = v > 0 ? 1 : -1;
      l[static_cast<size_t>(p)] = (state % 2 == 0) ? 2 * v : 2 * v - sg;
    }
    if (dq) state = kSpecDqNext[state][std::llabs(v) & 1];
  }
  return l;
}

// Encoder state at the start of a block row, after its range reset (5.5).
struct RowStart {
  uint64_t s = 0;       // shift count S (= the decoder's P)
  uint32_t low9 = 0;    // low mod 512
  int dq_state = 0;
};

// Codes one tensor into `enc` (everything of 2.8.4 except the terminating bin).
// `rows`, if given, receives the state at every block-row start.
inline void encode_tensor(RefArithEncoder& enc, const RefTensor& t, std::vector<RowStart>* rows = nullptr) {
  const int n = t.n;
  const int count = 2 * n + 63;
  if (t.qp_bits) enc.bypass_bits(t.qp_bits, static_cast<uint64_t>(t.qp_offset) & ((uint64_t{1} << t.qp_bits) - 1));
  std::vector<RefContext> ctx(static_cast<size_t>(count));
  for (auto& c : ctx) c.init(0);
  RefContext& flag = ctx[static_cast<size_t>(61 + 2 * n)];
  for (int i = 0; i <= count - 5; ++i) {
    if (!t.dq && i >= 3 && i <= 23) continue;
    const int set = t.init_sets.empty() ? 0 : t.init_sets[static_cast<size_t>(i)];
    if (set > 0) {
      enc.decision(1, flag);
      enc.bypass_bits(3, static_cast<uint64_t>(set - 1));
    } else {
      enc.decision(0, flag);
    }
    ctx[static_cast<size_t>(i)].init(set);
  }
  const std::vector<int64_t> order = scan_positions(t.height, t.width, t.block);
  int state = 0, c = 0;
  const int64_t row_elems = t.block ? int64_t{t.block} * t.width : 0;
  for (size_t e = 0; e < order.size(); ++e) {
    if (t.block && static_cast<int64_t>(e) % row_elems == 0) {
      if (e > 0) {
        for (auto& x : ctx) x.reset();
        c = 0;
      }
      enc.range_reset();
      if (rows) rows->push_back(RowStart{enc.shifts(), enc.low9(), state});
    }
    const int64_t k = t.k[static_cast<size_t>(order[e])];
    const int64_t mag = std::llabs(k);
    enc.decision(k != 0, ctx[static_cast<size_t>((t.dq ? 3 * state : 0) + c)]);
    if (k != 0) {
      const int neg = k < 0 ? 1 : 0;
      enc.decision(neg, ctx[static_cast<size_t>(24 + c)]);
      int j = 1;
      for (; j <= n; ++j) {
        const int gr = mag > j ? 1 : 0;
        enc.decision(gr, ctx[static_cast<size_t>(27 + 2 * (j - 1) + neg)]);
        if (!gr) break;
      }
      if (j > n) {
        const int64_t rem = mag - n - 1;
        int p = 0;
        while ((int64_t{2} << p) - 1 <= rem) ++p;  // p = floor(log2(rem + 1))
        for (int i = 0; i < p; ++i) enc.decision(1, ctx[static_cast<size_t>(27 + 2 * n + i)]);
        enc.decision(0, ctx[static_cast<size_t>(27 + 2 * n + p)]);
        if (p) enc.bypass_bits(p, static_cast<uint64_t>(rem + 1 - (int64_t{1} << p)));
      }
    }
    c = k == 0 ? 0 : (k < 0 ? 1 : 2);
    if (t.dq) state = kSpecDqNext[state][mag & 1];
  }
}

// A complete arithmetic segment: the tensors back to back, then the
// terminating bin and the flush (2.8.4, 8.8).
inline std::vector<uint8_t> encode_segment(const std::vector<RefTensor>& tensors) {
  RefArithEncoder enc;
  for (const RefTensor& t : tensors) encode_tensor(enc, t);
  return enc.finish();
}

// Entry points of a block-scanned tensor by the closed form of 5.5: Delta[j] =
// S[j+1] - S[j], ep_value = (w - lowbits) mod 512 with w = payload bits
// S .. S+8 of the finished segment.
struct RefEntryPoint {
  uint32_t value = 0;
  uint32_t dq_state = 0;
  int64_t delta = 0;
};
inline std::vector<RefEntryPoint> entry_points(const std::vector<RowStart>& rows,
                                               const std::vector<uint8_t>& segment) {
  auto bit = [&](uint64_t i) -> uint32_t {
    return i / 8 < segment.size() ? (segment[static_cast<size_t>(i / 8)] >> (7 - i % 8)) & 1u : 0u;
  };
  std::vector<RefEntryPoint> eps;
  for (size_t j = 1; j < rows.size(); ++j) {
    uint32_t w = 0;
    for (uint64_t i = 0; i < 9; ++i) w = (w << 1) | bit(rows[j].s + i);
    RefEntryPoint e;
    e.value = (w + 512 - rows[j].low9) % 512;
    e.dq_state = static_cast<uint32_t>(rows[j].dq_state);
    e.delta = static_cast<int64_t>(rows[j].s - rows[j - 1].s);
    eps.push_back(e);
  }
  return eps;
}

}  // namespace ref
}  // namespace nnr

#endif  // NNR_TESTS_TEST_CABAC_H
