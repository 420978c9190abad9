// In the manner of dav1d's checkasm: every table of the level decoder's
// forms (level_run.h: the C++ reference and, on x86-64, the asm) runs on the
// same random decoder states and random streams, and everything it leaves
// behind must equal the C++ reference's: the levels, the register (window,
// valid bits, range), the bytes loaded, the DQ state and neighbour class,
// the count of large levels, every context's state, and the error thrown
// (its message and the register at the failing bin).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "cabac/arith_decoder.h"
#include "cabac/contexts.h"
#include "cabac/level_run.h"
#include "cabac/level_run_dispatch.h"
#include "nnr/error.h"
#include "test_cabac.h"

namespace nnr {
namespace {

struct Start {
  const std::vector<uint8_t>* data;
  bool at_entry = false;  // init_at(p, d), else init() and the init-set flags
  uint64_t p = 0;
  uint32_t d = 0;
  int n = 1;
  bool dq = false;
  uint32_t state = 0, c = 0;
  int64_t count = 0;
  uint64_t ctx_seed = 0;  // 0: contexts as the flags left them; else random states
  bool ctx_ones = false;  // random states trained towards 1 (long prefixes, huge levels)
};

struct Outcome {
  std::vector<int32_t> levels;
  uint64_t value = 0;
  int cnt = 0;
  uint32_t range = 0;
  size_t loaded = 0;
  uint32_t state = 0, c = 0;
  int64_t large = -1;
  std::vector<int32_t> ctx;  // a and b of every context
  std::string error;

  bool operator==(const Outcome& o) const {
    return levels == o.levels && value == o.value && cnt == o.cnt && range == o.range && loaded == o.loaded &&
           state == o.state && c == o.c && large == o.large && ctx == o.ctx && error == o.error;
  }
};

std::string describe(const Outcome& o) {
  std::string s = "value " + std::to_string(o.value) + " cnt " + std::to_string(o.cnt) + " range " +
                  std::to_string(o.range) + " loaded " + std::to_string(o.loaded) + " state " + std::to_string(o.state) +
                  " c " + std::to_string(o.c) + " large " + std::to_string(o.large) + " error '" + o.error + "'";
  size_t first_diff = o.levels.size();
  (void)first_diff;
  return s;
}

// Runs form `loop` (else the bin steps) of table f from `st`.
Outcome run(const LevelRunFns& f, bool loop, const Start& st) {
  ArithDecoder dec;
  const std::vector<uint8_t>& data = *st.data;
  TensorContexts tc;
  tc.init(st.n, st.dq);
  if (st.at_entry) {
    dec.init_at(data.data(), data.size(), st.p, st.d);
  } else {
    dec.init(data.data(), data.size());
    tc.decode_init_sets(dec);
  }
  const int count = tc.layout().count();
  ContextModel* m = tc.data();
  if (st.ctx_seed) {
    std::mt19937_64 rng(st.ctx_seed);
    for (int i = 0; i < count; ++i) {
      m[i].init(static_cast<int>(rng() % kNumInitSets));
      const uint32_t bias = st.ctx_ones ? 90 + static_cast<uint32_t>(rng() % 11) : static_cast<uint32_t>(rng() % 100);
      for (int u = static_cast<int>(rng() % 300); u > 0; --u) m[i].update(rng() % 100 < bias ? 1u : 0u);
    }
  }
  std::vector<DecContext> ctx(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) ctx[static_cast<size_t>(i)] = DecContext::from(m[i]);

  Outcome o;
  o.levels.assign(static_cast<size_t>(st.count), 0x5a5a5a5a);
  o.state = st.state;
  o.c = st.c;
  ArithDecoder::Core k = dec.core();
  try {
    if (loop) {
      o.large = f.loop[st.dq](dec, k, ctx.data(), st.n, o.state, o.c, o.levels.data(), st.count);
    } else {
      const BinSteps steps(ctx.data(), st.n, st.dq);
      o.large = f.steps[st.dq](dec, k, steps, ctx.data(), st.n, o.state, o.c, o.levels.data(), st.count);
    }
  } catch (const Error& e) {
    o.error = e.what();
    o.levels.clear();  // undefined after an error
    o.state = o.c = 0;
    o.large = -1;
  }
  o.value = k.value;
  o.cnt = k.cnt;
  o.range = k.range;
  o.loaded = dec.loaded_bytes();
  for (const DecContext& x : ctx) {
    o.ctx.push_back(x.a());
    o.ctx.push_back(x.b());
  }
  return o;
}

// Every form of every table against the C++ reference's level loop.
void expect_all_forms_agree(const Start& st, const std::string& what, const std::vector<int64_t>* want = nullptr) {
  const Outcome ref = run(kLevelRunC, true, st);
  if (want && ref.error.empty()) {
    ASSERT_EQ(std::vector<int64_t>(ref.levels.begin(), ref.levels.end()), *want) << what << ": the reference";
  }
  for (const LevelRunFns* f : level_run_available()) {
    for (bool loop : {false, true}) {
      const Outcome o = run(*f, loop, st);
      if (o == ref) continue;
      size_t i = 0;
      while (i < o.levels.size() && i < ref.levels.size() && o.levels[i] == ref.levels[i]) ++i;
      ADD_FAILURE() << what << ": " << f->name << (loop ? " level loop" : " bin steps") << " differs from the C++ "
                    << "reference\n  got  " << describe(o) << "\n  want " << describe(ref)
                    << "\n  first different level at " << i
                    << (i < o.levels.size() && i < ref.levels.size()
                            ? ": " + std::to_string(o.levels[i]) + " for " + std::to_string(ref.levels[i])
                            : std::string())
                    << (o.ctx == ref.ctx ? "" : "; contexts differ");
      return;
    }
  }
}

// Streams of the reference encoder, of tensors whose levels are zeros,
// small, geometric or of any size up to the int32 / DQ range, mixed.
TEST(CheckAsm, EncodedStreams) {
  std::mt19937_64 rng(0xC0FFEE);
  for (int iter = 0; iter < 400 && !HasFailure(); ++iter) {
    ref::RefTensor t;
    t.height = 1;
    t.width = 1 + static_cast<int64_t>(rng() % 3000);
    t.n = 1 + static_cast<int>(rng() % 32);
    t.dq = rng() & 1;
    t.init_sets.assign(static_cast<size_t>(2 * t.n + 63), 0);
    if (rng() & 1)
      for (int i = 0; i <= 2 * t.n + 58; ++i)
        if (t.dq || i < 3 || i > 23) t.init_sets[static_cast<size_t>(i)] = static_cast<int>(rng() % 9);
    const int kinds = static_cast<int>(rng() % 16);
    std::geometric_distribution<int> geo(0.02 + 0.3 * static_cast<double>(rng() % 100) / 100.0);
    for (int64_t i = 0; i < t.width; ++i) {
      const int kind = static_cast<int>(rng() % 4);
      int64_t v = 0;
      if ((kinds >> kind) & 1) {
        if (kind == 1) v = static_cast<int64_t>(rng() % 5) - 2;
        if (kind == 2) v = geo(rng);
        if (kind == 3) v = static_cast<int64_t>(rng() % (t.dq ? (uint64_t{1} << 30) - 1 : uint64_t{INT32_MAX})) >> (rng() % 31);
      }
      t.k.push_back(rng() & 1 ? -v : v);
    }
    const std::vector<uint8_t> seg = ref::encode_segment({t});
    Start st;
    st.data = &seg;
    st.n = t.n;
    st.dq = t.dq;
    st.count = t.width;
    const std::vector<int64_t> want = t.reconstruction();
    expect_all_forms_agree(st, "encoded stream " + std::to_string(iter), &want);
  }
}

// Random bytes from random decoder states: entry points (P, D) anywhere in
// the segment, contexts in random states, any DQ state and neighbour class.
// Levels past int32 and over-long prefixes come up here, and must fail alike.
TEST(CheckAsm, RandomStatesAndBytes) {
  std::mt19937_64 rng(0xA53);
  int prefix_errors = 0, range_errors = 0;
  for (int iter = 0; iter < 3000 && !HasFailure(); ++iter) {
    std::vector<uint8_t> bytes(8 + rng() % 600);
    const int fill = static_cast<int>(rng() % 4);  // some streams mostly ones or zeros
    for (uint8_t& b : bytes)
      b = static_cast<uint8_t>(fill == 0 ? rng() : fill == 1 ? (rng() | rng()) : fill == 2 ? (rng() & rng()) : 0xFF);
    Start st;
    st.data = &bytes;
    st.n = 1 + static_cast<int>(rng() % 40);
    st.dq = rng() & 1;
    st.state = st.dq ? static_cast<uint32_t>(rng() % 8) : 0;
    st.c = static_cast<uint32_t>(rng() % 3);
    st.count = 1 + static_cast<int64_t>(rng() % 2500);
    st.ctx_seed = rng() % 4 ? rng() | 1 : 0;
    st.ctx_ones = st.ctx_seed && rng() % 3 == 0;
    if (rng() % 3) {
      st.at_entry = true;
      st.p = rng() % (8 * bytes.size());
      st.d = static_cast<uint32_t>(rng() % 256);
    }
    expect_all_forms_agree(st, "random stream " + std::to_string(iter));
    const std::string e = run(kLevelRunC, true, st).error;
    prefix_errors += e.find("prefix") != std::string::npos;
    range_errors += e.find("int32") != std::string::npos;
  }
  EXPECT_GE(prefix_errors, 5) << "the prefix error was not reached";
  EXPECT_GE(range_errors, 5) << "the int32 range error was not reached";
}

TEST(CheckAsm, DispatchSelectsByName) {
  const std::string before = level_run_fns().name;
  EXPECT_TRUE(select_level_run("c"));
  EXPECT_STREQ(level_run_fns().name, "c");
  EXPECT_FALSE(select_level_run("no-such-isa"));
  EXPECT_STREQ(level_run_fns().name, "c");
  EXPECT_TRUE(select_level_run(before));
  EXPECT_EQ(level_run_fns().name, before);
}

}  // namespace
}  // namespace nnr
