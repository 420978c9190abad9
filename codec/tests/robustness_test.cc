// Malformed input never crashes, hangs or allocates from an absurd header:
// every reference stream is truncated at many offsets and has many single
// bits flipped; each decode must end in success or an error with a message.
// Hand-built units with absurd header values must fail fast, without large
// allocations (measured by replacing the global operator new of this test
// binary). Run under ASan + UBSan by scripts/test.sh.
//
// Iteration counts are scaled down in sanitizer builds (NNR_SANITIZE_BUILD)
// and can be scaled with the environment variable NNR_ROBUSTNESS_FACTOR
// (e.g. 0.1 for a quick run, 4 for a long one).
#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <new>
#include <random>
#include <set>

#include "nnr/anchor.h"
#include "nnr/decoder.h"
#include "nnr/encoder.h"
#include "nnr/io.h"
#include "nnr/value_allocator.h"
#include "io/torch_pickle.h"
#include "test_bits.h"
#include "test_cabac.h"

// ---------------------------------------------------------------------------
// Allocation tracking: the largest single request while tracking is on.

namespace {
std::atomic<bool> g_track_alloc{false};
std::atomic<size_t> g_largest_alloc{0};

void* tracked_alloc(size_t n) {
  if (g_track_alloc.load(std::memory_order_relaxed)) {
    size_t cur = g_largest_alloc.load(std::memory_order_relaxed);
    while (n > cur && !g_largest_alloc.compare_exchange_weak(cur, n, std::memory_order_relaxed)) {
    }
  }
  return std::malloc(n ? n : 1);
}
}  // namespace

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(size_t n) {
  void* p = tracked_alloc(n);
  if (!p) throw std::bad_alloc();
  return p;
}
void* operator new[](size_t n) {
  void* p = tracked_alloc(n);
  if (!p) throw std::bad_alloc();
  return p;
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return tracked_alloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return tracked_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace nnr {
namespace {

namespace fs = std::filesystem;
using namespace testing_bits;

// Tracks the largest allocation made during its lifetime.
// Value buffers are seen through the allocator's own record: large ones are
// mappings that operator new never sees.
class AllocationWatch {
 public:
  AllocationWatch() {
    g_largest_alloc.store(0);
    (void)nnr::value_storage_take_largest_request();
    g_track_alloc.store(true);
  }
  ~AllocationWatch() { g_track_alloc.store(false); }
  size_t largest() const { return std::max(g_largest_alloc.load(), nnr::value_storage_take_largest_request()); }
};

constexpr size_t kMiB = size_t{1} << 20;

double factor() {
  static const double f = [] {
    if (const char* e = std::getenv("NNR_ROBUSTNESS_FACTOR")) {
      const double v = std::atof(e);
      if (v > 0) return v;
    }
#ifdef NNR_SANITIZE_BUILD
    return 0.5;  // sanitizers are several times slower
#else
    return 1.0;
#endif
  }();
  return f;
}
int scaled(int n) { return std::max(1, static_cast<int>(n * factor())); }

struct Stream {
  std::string path;
  std::vector<uint8_t> bytes;
  std::vector<NnrUnit> units;
  std::string problem;  // why it could not be read or parsed (then the other tests leave it out)
  bool large() const { return bytes.size() > 100000; }
};

const std::vector<Stream>& streams() {
  static const std::vector<Stream> all = [] {
    std::vector<Stream> out;
    // Edition 1, and edition 2's single streams (its sequences: below).
    for (const char* suite : {"conformance/nncodec", "conformance/nncodec-real", "conformance/nncodec2"}) {
      const fs::path dir = fs::path(NNR_SHARED_DIR) / suite;
      std::error_code ec;
      std::vector<fs::path> found;
      for (const auto& e : fs::directory_iterator(dir, ec))
        if (fs::exists(e.path() / "stream.nnc")) found.push_back(e.path() / "stream.nnc");
      std::sort(found.begin(), found.end());
      for (const fs::path& p : found) {
        Stream s;
        s.path = p.string();
        Status st = read_file(s.path, &s.bytes);
        if (st.ok()) st = parse_units(s.bytes.data(), s.bytes.size(), &s.units);
        if (!st.ok()) s.problem = st.describe();
        out.push_back(std::move(s));
      }
    }
    return out;
  }();
  return all;
}

// The streams that could be read and parsed.
std::vector<const Stream*> usable_streams() {
  std::vector<const Stream*> v;
  for (const Stream& s : streams())
    if (s.problem.empty()) v.push_back(&s);
  return v;
}

#define REQUIRE_STREAMS()                                                                       \
  if (streams().empty())                                                                        \
  GTEST_SKIP() << "no conformance streams under " NNR_SHARED_DIR "/conformance (set NNR_SHARED_DIR)"

bool same_output(const DecodedModel& a, const DecodedModel& b) {
  if (a.tensors.size() != b.tensors.size()) return false;
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const DecodedTensor& x = a.tensors[i];
    const DecodedTensor& y = b.tensors[i];
    if (x.name != y.name || x.shape != y.shape || x.dtype != y.dtype || x.bytes() != y.bytes()) return false;
  }
  return true;
}

struct Outcome {
  Status status;
  DecodedModel model;
};

// Decodes and checks the outcome is a clean success or a described error.
Outcome decode_checked(const uint8_t* data, size_t size, int threads, const std::string& what) {
  DecodeOptions opt;
  opt.threads = threads;
  opt.max_output_bytes = uint64_t{256} << 20;
  Outcome o;
  o.status = decode(data, size, opt, &o.model);
  if (!o.status.ok()) {
    EXPECT_FALSE(o.status.message().empty()) << what;
    EXPECT_NE(o.status.code(), ErrorCode::kInternal) << what << ": " << o.status.describe();
    EXPECT_LE(o.status.byte_offset(), static_cast<int64_t>(size)) << what << ": " << o.status.describe();
    EXPECT_GE(o.status.byte_offset(), kNoOffset) << what;
  }
  return o;
}

// A single-bit change decoded at 1 and 2 threads (alternating which comes
// first); where it decodes, both thread counts must give the same output.
void flip_and_decode(const std::vector<uint8_t>& original, uint64_t bit, int n, bool check_determinism,
                     const std::string& name) {
  std::vector<uint8_t> v = original;
  v[bit / 8] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
  const std::string what = name + " bit " + std::to_string(bit);
  const int first = 1 + (n & 1);
  Outcome a = decode_checked(v.data(), v.size(), first, what);
  if (a.status.ok() && check_determinism) {
    Outcome b = decode_checked(v.data(), v.size(), 3 - first, what);
    EXPECT_TRUE(b.status.ok()) << what << ": decodes at " << first << " threads, not at " << 3 - first << ": "
                               << b.status.describe();
    if (b.status.ok()) {
      EXPECT_TRUE(same_output(a.model, b.model)) << what << ": output depends on the thread count";
    }
  }
}

// ---------------------------------------------------------------------------

TEST(Robustness, ReferenceStreamsDecode) {
  REQUIRE_STREAMS();
  EXPECT_GE(streams().size(), 30u) << "expected the 27 + 3 reference streams";
  for (const Stream& s : streams()) {
    EXPECT_TRUE(s.problem.empty()) << s.path << ": " << s.problem;
    for (int threads : {1, 2}) {
      DecodedModel m;
      DecodeOptions o;
      o.threads = threads;
      const Status st = decode(s.bytes.data(), s.bytes.size(), o, &m);
      EXPECT_TRUE(st.ok()) << s.path << ": " << st.describe();
    }
  }
}

TEST(Robustness, TruncatedStreams) {
  REQUIRE_STREAMS();
  const auto t0 = std::chrono::steady_clock::now();
  int n = 0;
  for (const Stream* sp : usable_streams()) {
    const Stream& s = *sp;
    const size_t size = s.bytes.size();
    std::set<size_t> boundaries;
    for (const NnrUnit& u : s.units) boundaries.insert(u.offset);
    // Tensors of the complete stream, by the unit that carries them.
    DecodedModel full;
    ASSERT_TRUE(decode(s.bytes.data(), size, DecodeOptions{}, &full).ok()) << s.path;

    std::set<size_t> cuts;
    if (size <= 8192) {
      for (size_t c = 0; c < size; ++c) cuts.insert(c);  // every offset
    } else {
      const size_t spread = static_cast<size_t>(scaled(s.large() ? 300 : 600));
      for (size_t i = 0; i < spread; ++i) cuts.insert(i * size / spread);
      for (size_t c = 0; c < 64; ++c) cuts.insert(c);  // the first units' headers
      // Around every unit boundary (cheap: these fail in the unit framing).
      for (size_t b : boundaries)
        for (int d : {-2, -1, 1, 2})
          if (int64_t(b) + d > 0 && int64_t(b) + d < int64_t(size)) cuts.insert(static_cast<size_t>(int64_t(b) + d));
      // Exactly at boundaries: these decode a whole prefix, so fewer on large streams.
      const size_t every = s.large() ? std::max<size_t>(1, boundaries.size() / static_cast<size_t>(scaled(8))) : 1;
      size_t k = 0;
      for (size_t b : boundaries)
        if (k++ % every == 0) cuts.insert(b);
    }
    for (size_t c : cuts) {
      const std::string what = s.path + " cut at " + std::to_string(c);
      const int threads = 1 + (n++ & 1);
      DecodedModel m;
      DecodeOptions opt;
      opt.threads = threads;
      const Status st = decode(s.bytes.data(), c, opt, &m);  // the first c bytes only
      if (c > 0 && boundaries.count(c)) {
        // A cut between units leaves a valid, shorter stream (spec 2.1: no
        // framing beyond the units), with the tensors of the units before it.
        ASSERT_TRUE(st.ok()) << what << ": " << st.describe();
        size_t units_before = 0;
        for (const NnrUnit& u : s.units) units_before += u.offset < c;
        size_t want = 0;
        for (const DecodedTensor& t : full.tensors) want += t.info.unit_index < units_before;
        EXPECT_EQ(m.tensors.size(), want) << what;
        continue;
      }
      // Inside a unit: the unit's size exceeds the data, or its size field is cut.
      ASSERT_FALSE(st.ok()) << what << " decoded";
      EXPECT_EQ(st.code(), ErrorCode::kTruncated) << what << ": " << st.describe();
      EXPECT_FALSE(st.message().empty()) << what;
      const auto next = boundaries.upper_bound(c);
      const size_t unit_start = *std::prev(next);
      EXPECT_GE(st.byte_offset(), static_cast<int64_t>(unit_start)) << what << ": " << st.describe();
      EXPECT_LE(st.byte_offset(), static_cast<int64_t>(c)) << what << ": " << st.describe();
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  RecordProperty("decodes", n);
  std::printf("  %d truncated decodes in %.1f s\n", n, secs);
}

TEST(Robustness, FlippedHeaderBits) {
  REQUIRE_STREAMS();
  const auto t0 = std::chrono::steady_clock::now();
  int n = 0;
  const int stride = factor() >= 1.0 ? 1 : 3;  // every bit, or every third bit
  for (const Stream* sp : usable_streams()) {
    const Stream& s = *sp;
    // The first units (STR, MPS, TPL and the first NDU) as a stream of their
    // own: cut at a unit boundary it is valid, and cheap to decode.
    size_t keep = 0;
    while (keep < s.units.size() && s.units[keep].nnr_unit_type != NNR_NDU) ++keep;
    keep = std::min(keep + 1, s.units.size());
    const size_t end = keep < s.units.size() ? s.units[keep].offset : s.bytes.size();
    const std::vector<uint8_t> prefix(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(end));
    for (size_t i = 0; i < keep; ++i) {
      const NnrUnit& u = s.units[i];
      const uint64_t header_end = u.nnr_unit_type == NNR_NDU ? u.payload_offset : u.offset + u.nnr_unit_size;
      for (uint64_t bit = u.offset * 8; bit < header_end * 8; bit += stride, ++n)
        flip_and_decode(prefix, bit, n, n % 4 == 0, s.path);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("  %d header bit flips in %.1f s\n", n, secs);
}

TEST(Robustness, FlippedPayloadBits) {
  REQUIRE_STREAMS();
  const auto t0 = std::chrono::steady_clock::now();
  std::mt19937_64 rng(12345);  // deterministic
  int n = 0;
  for (const Stream* sp : usable_streams()) {
    const Stream& s = *sp;
    const int flips = scaled(s.large() ? 24 : 300);
    for (int i = 0; i < flips; ++i) {
      const uint64_t bit = rng() % (s.bytes.size() * 8);
      // Check thread-count independence on a quarter of the small streams' flips.
      flip_and_decode(s.bytes, bit, n++, !s.large() && i % 4 == 0, s.path);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("  %d payload bit flips in %.1f s\n", n, secs);
}

// Edition-2 update sequences: each step, bits flipped, decoded with the
// state the steps before it left. A failed decode leaves the state as it
// was; a decode that succeeds on corrupt data is allowed (the payload has no
// checksum), a crash or an internal error is not.
TEST(Robustness, FlippedBitsInUpdateSequences) {
  const fs::path root = fs::path(NNR_SHARED_DIR) / "conformance/nncodec2";
  std::error_code ec;
  std::vector<fs::path> seqs;
  for (const auto& e : fs::directory_iterator(root, ec))
    if (fs::exists(e.path() / "step-01/stream.nnc")) seqs.push_back(e.path());
  if (seqs.empty()) GTEST_SKIP() << "no edition-2 sequences under " << root;
  std::sort(seqs.begin(), seqs.end());
  std::mt19937_64 rng(777);
  int n = 0;
  for (const fs::path& dir : seqs) {
    DecoderState state;
    for (int k = 0; fs::exists(dir / ("step-0" + std::to_string(k)) / "stream.nnc"); ++k) {
      std::vector<uint8_t> bytes;
      ASSERT_TRUE(read_file((dir / ("step-0" + std::to_string(k)) / "stream.nnc").string(), &bytes).ok());
      for (int i = 0; i < scaled(60); ++i, ++n) {
        std::vector<uint8_t> v = bytes;
        const uint64_t bit = rng() % (v.size() * 8);
        v[bit / 8] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
        DecoderState copy = state;
        DecodedModel m;
        DecodeOptions o;
        o.threads = 1 + (i & 1);
        const Status st = decode(v.data(), v.size(), o, &copy, &m, nullptr);
        const std::string what = dir.string() + " step " + std::to_string(k) + " bit " + std::to_string(bit);
        if (!st.ok()) {
          EXPECT_NE(st.code(), ErrorCode::kInternal) << what << ": " << st.describe();
          EXPECT_FALSE(st.message().empty()) << what;
          EXPECT_EQ(copy.streams, state.streams) << what;
        }
      }
      DecodedModel m;
      ASSERT_TRUE(decode(bytes.data(), bytes.size(), DecodeOptions{}, &state, &m, nullptr).ok()) << dir;
    }
  }
  std::printf("  %d bit flips in update sequences\n", n);
}

TEST(Robustness, OutputLimit) {
  REQUIRE_STREAMS();
  for (const Stream* sp : usable_streams()) {
    const Stream& s = *sp;
    if (s.large()) continue;
    // Every coded tensor counts (an LS member too: it is decoded, then applied).
    DecodedModel m;
    DecodeOptions all;
    all.apply_local_scaling = false;
    ASSERT_TRUE(decode(s.bytes.data(), s.bytes.size(), all, &m).ok());
    uint64_t total = 0;
    for (const DecodedTensor& t : m.tensors) total += 4 * static_cast<uint64_t>(t.numel());
    DecodeOptions o;
    o.max_output_bytes = total;
    EXPECT_TRUE(decode(s.bytes.data(), s.bytes.size(), o, &m).ok()) << s.path << " at exactly its size";
    o.max_output_bytes = total - 1;
    const Status st = decode(s.bytes.data(), s.bytes.size(), o, &m);
    EXPECT_EQ(st.code(), ErrorCode::kLimitExceeded) << s.path << ": " << st.describe();
    EXPECT_FALSE(st.message().empty());
  }
}

// ---------------------------------------------------------------------------
// Absurd header values in hand-built streams.

// Decodes with threads 1 and 2; expects failure with one of `codes`, fast and
// without a large allocation.
void expect_fails_fast(const std::vector<uint8_t>& s, std::initializer_list<ErrorCode> codes, const std::string& what,
                       uint64_t max_output_bytes = DecodeOptions{}.max_output_bytes) {
  for (int threads : {1, 2}) {
    DecodeOptions o;
    o.threads = threads;
    o.max_output_bytes = max_output_bytes;
    DecodedModel m;
    const auto t0 = std::chrono::steady_clock::now();
    Status st;
    size_t largest;
    {
      AllocationWatch watch;
      st = decode(s.data(), s.size(), o, &m);
      largest = watch.largest();
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_FALSE(st.ok()) << what << " decoded";
    EXPECT_TRUE(std::find(codes.begin(), codes.end(), st.code()) != codes.end())
        << what << ": " << error_code_name(st.code()) << " " << st.describe();
    EXPECT_FALSE(st.message().empty()) << what;
    EXPECT_LT(largest, 16 * kMiB) << what << ": allocated " << largest << " bytes at once";
    EXPECT_LT(secs, 2.0) << what;
    // parse_units on the same bytes must not fail in a different way or allocate either.
    std::vector<NnrUnit> units;
    {
      AllocationWatch watch;
      (void)parse_units(s.data(), s.size(), &units);
      EXPECT_LT(watch.largest(), 16 * kMiB) << what << " (parse_units)";
    }
  }
}

std::vector<uint8_t> with_ndu(const TestNdu& n) { return cat({str_unit(), mps_unit(), ndu_unit(n)}); }

TEST(Robustness, HugeTensorDimensions) {
  TestNdu n;
  n.payload = {0xD9, 0xB3, 0x00, 0x07};
  // 2^40 x 2^40: the element count overflows int64.
  n.dims = {uint64_t{1} << 40, uint64_t{1} << 40};
  expect_fails_fast(with_ndu(n), {ErrorCode::kLimitExceeded, ErrorCode::kInvalidBitstream}, "2^80 elements");
  // 2^40 elements: more than the default output limit ...
  n.dims = {uint64_t{1} << 20, uint64_t{1} << 20};
  expect_fails_fast(with_ndu(n), {ErrorCode::kLimitExceeded}, "2^40 elements");
  // ... and with no output limit, more than 4 bytes of arithmetic data can hold.
  expect_fails_fast(with_ndu(n), {ErrorCode::kInvalidBitstream, ErrorCode::kLimitExceeded},
                    "2^40 elements, no limit", UINT64_MAX);
  // A small limit: the output size is checked before anything is allocated.
  n.dims = {1000, 1000};
  expect_fails_fast(with_ndu(n), {ErrorCode::kLimitExceeded}, "10^6 elements, 1 MB limit", 1000000);
  // Raw floats: 2^38 elements claimed by 8 bytes.
  n.payload_type = 2;
  n.dims = {uint64_t{1} << 38};
  n.payload.assign(8, 0);
  expect_fails_fast(with_ndu(n), {ErrorCode::kInvalidBitstream, ErrorCode::kLimitExceeded}, "raw 2^38", UINT64_MAX);
  // A dimension beyond 2^40 and more than 32 dimensions.
  n.payload_type = 1;
  n.dims = {(uint64_t{1} << 50) + 3, 2};
  expect_fails_fast(with_ndu(n), {ErrorCode::kLimitExceeded, ErrorCode::kInvalidBitstream}, "dimension 2^50");
  n.dims.assign(1000, 1);
  expect_fails_fast(with_ndu(n), {ErrorCode::kUnsupported, ErrorCode::kLimitExceeded, ErrorCode::kInvalidBitstream},
                    "1000 dimensions");
}

TEST(Robustness, HugeCodebook) {
  TestNdu n;
  n.dims = {4};
  n.payload = {0xD9, 0xB3, 0x00, 0x07};
  n.codebook_present = 1;
  // codebook_size ue(2) = 2^40 in a unit of a few bytes.
  TestBitWriter w;
  w.u(4, 0);
  w.ue(2, uint64_t{1} << 40);
  w.ie(2, 0);
  w.ie(7, 0);
  std::string b;
  for (size_t i = 0; i < w.bit_count(); ++i) b += (w.data()[i / 8] >> (7 - i % 8)) & 1 ? '1' : '0';
  n.codebook_bits = b;
  expect_fails_fast(with_ndu(n), {ErrorCode::kTruncated, ErrorCode::kInvalidBitstream, ErrorCode::kLimitExceeded},
                    "codebook of 2^40 entries");
  // Codebook deltas that leave the int64 range (egk 15, huge deltas).
  TestBitWriter w2;
  w2.u(4, 15);
  w2.ue(2, 3);
  w2.ie(2, 0);  // CbZeroOffset 1
  w2.ie(7, 0);
  w2.ue(15, (uint64_t{1} << 61) + 5);
  w2.ue(15, (uint64_t{1} << 61) + 5);
  b.clear();
  for (size_t i = 0; i < w2.bit_count(); ++i) b += (w2.data()[i / 8] >> (7 - i % 8)) & 1 ? '1' : '0';
  n.codebook_bits = b;
  expect_fails_fast(with_ndu(n), {ErrorCode::kInvalidBitstream, ErrorCode::kLimitExceeded}, "codebook deltas 2^61");
}

TEST(Robustness, HugeEntryPointCount) {
  TestNdu n;
  n.dq = 1;
  n.scan_order = 1;
  // 2^37 entry points claimed (ceil(2^40 / 8) - 1), a few bytes given.
  n.dims = {uint64_t{1} << 40, 2};
  n.eps = {{1, 1, 1}};
  n.payload = {0xD9, 0xB3, 0x00, 0x07};
  // The writer would write 2^37 entries: write 1 and let the parser run out.
  const std::vector<uint8_t> s = with_ndu(n);
  expect_fails_fast(s, {ErrorCode::kTruncated, ErrorCode::kLimitExceeded, ErrorCode::kInvalidBitstream},
                    "2^37 entry points");
}

TEST(Robustness, EntryPointOffsetsNearInt64Limits) {
  // Block-scanned tensors from the reference encoder (3 and 7 block rows of
  // B = 8) with entry point offsets whose running sum leaves the int64 range
  // upwards or downwards. Each Delta is within what ue(11) / ie(7) can carry.
  const int64_t big = int64_t{1} << 62;
  const int64_t low = INT64_MIN / 4 + 1;  // the most negative Delta the parser lets through
  struct Case {
    int64_t height;
    std::vector<int64_t> deltas;  // Delta[0] >= 0 (ue(11)), then any
  };
  const Case cases[] = {
      {20, {big, big}},                             // Delta[1] = Delta[0] + 0: the sum overflows
      {20, {INT64_MAX - 4096, INT64_MAX - 4096}},
      {20, {big, big / 2}},
      {20, {0, -1000}},                             // a row starting before the previous one
      {20, {0, 0}},
      {56, {0, low, low, low, low, low}},          // the sum goes below INT64_MIN
      {56, {big, big, big, big, big, big}},
  };
  std::mt19937_64 rng(5);
  for (const Case& c : cases) {
    ref::RefTensor t;
    t.height = c.height;
    t.width = 10;
    t.block = 8;
    t.dq = true;
    t.qp_bits = 8;
    t.qp_offset = -38;
    for (int64_t i = 0; i < t.height * t.width; ++i) t.k.push_back(static_cast<int64_t>(rng() % 7) - 3);
    ref::RefArithEncoder enc;
    std::vector<ref::RowStart> rows;
    ref::encode_tensor(enc, t, &rows);
    const std::vector<uint8_t> seg = enc.finish();
    const std::vector<ref::RefEntryPoint> eps = ref::entry_points(rows, seg);
    ASSERT_EQ(eps.size(), c.deltas.size());
    TestNdu n;
    n.names = {"w"};
    n.dq = 1;
    n.dims = {static_cast<uint64_t>(c.height), 10};
    n.scan_order = 1;
    n.payload = seg;
    for (size_t j = 0; j < eps.size(); ++j) n.eps.push_back({eps[j].value, eps[j].dq_state, c.deltas[j]});
    const std::vector<uint8_t> s = cat({str_unit(), mps_unit(), ndu_unit(n)});
    const std::vector<int64_t> want = t.reconstruction();
    for (int threads : {1, 2}) {
      DecodedModel m;
      DecodeOptions o;
      o.threads = threads;
      o.keep_levels = true;
      const Status st = decode(s.data(), s.size(), o, &m);
      // Wrong entry points do not stop a sequential decode (5.5): the levels
      // are right, with a warning; a parse error is also acceptable.
      if (st.ok()) {
        EXPECT_FALSE(m.warnings.empty());
        ASSERT_EQ(m.tensors.size(), 1u);
        EXPECT_EQ(std::vector<int64_t>(m.tensors[0].levels.begin(), m.tensors[0].levels.end()), want);
      } else {
        EXPECT_NE(st.code(), ErrorCode::kInternal) << st.describe();
        EXPECT_FALSE(st.message().empty());
      }
    }
  }
}

TEST(Robustness, DecompositionSizesNearInt64Limits) {
  // NNR_PT_BLOCK with NNR_CPT_DC and g_number_of_rows / decomposition_rank
  // close to 2^63 (ue(3) can carry up to 2^63 - 9), block scans of every size.
  for (int scan = 1; scan <= 4; ++scan) {
    const std::pair<uint64_t, uint64_t> gr[] = {{(uint64_t{1} << 63) - 9, 3},
                                                {(uint64_t{1} << 63) - 9, (uint64_t{1} << 63) - 9},
                                                {uint64_t{1} << 62, 3},
                                                {16, (uint64_t{1} << 63) - 9}};
    for (const auto& [g, r] : gr) {
      {
        TestNdu n;
        n.payload_type = 3;
        n.multiple = true;
        n.names = {"g", "h"};
        n.cpt = 1;
        n.decomposition_rank = r;
        n.g_number_of_rows = g;
        n.dims = {16, 6};
        n.scan_order = scan;
        n.payload = {0xD9, 0xB3, 0x00, 0x07};
        const std::string what = "scan " + std::to_string(scan) + " g " + std::to_string(g) + " r " + std::to_string(r);
        expect_fails_fast(with_ndu(n),
                          {ErrorCode::kTruncated, ErrorCode::kInvalidBitstream, ErrorCode::kLimitExceeded,
                           ErrorCode::kUnsupported},
                          what);
      }
    }
  }
}

TEST(Robustness, HugeUnitSizesAndCounts) {
  // nnr_unit_size 2^31 - 1 (long form) in a 6-byte unit.
  expect_fails_fast(cat({str_unit(), {0xFF, 0xFF, 0xFF, 0xFF, 0x06, 0x00}}), {ErrorCode::kTruncated}, "unit 2^31");
  // 32767 (short form).
  expect_fails_fast(cat({str_unit(), {0x7F, 0xFF, 0x06, 0x00}}), {ErrorCode::kTruncated}, "unit 2^15");
  // count_topology_elements_minus2 = 2^40 in a block unit.
  {
    TestBitWriter w;
    w.u(5, 3);
    w.u(1, 1);
    w.u(1, 0);
    w.u(1, 1);
    w.ue(7, uint64_t{1} << 40);
    w.align();
    w.st("a");
    expect_fails_fast(cat({str_unit(), mps_unit(), unit(5, w.data())}),
                      {ErrorCode::kTruncated, ErrorCode::kInvalidBitstream}, "2^40 topology elements");
  }
  // An aggregate unit claiming 65537 units with an entry point table.
  expect_fails_fast(cat({str_unit(), unit(6, bits("00000000 1 1111111111111111 0000000"))}),
                    {ErrorCode::kTruncated, ErrorCode::kInvalidBitstream}, "aggregate of 65537");
  // A performance map with 255 entries in a few bytes.
  expect_fails_fast(cat({str_unit(), unit(1, bits("1 0 1 0 0 001 0 0000000  010 0000000000000  11111111 10000000"))}),
                    {ErrorCode::kTruncated}, "pruning map of 255");
  // The largest qp: qp_density 7, QP 4095 plus a 13-bit offset; no crash.
  {
    TestNdu n;
    n.dims = {4};
    n.payload = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    // MPS with qp_density 7 and QP 4095.
    const std::vector<uint8_t> mps = unit(1, bits("1 0000 001 0 0000000  111 0111111111111  10000000"));
    const std::vector<uint8_t> s = cat({str_unit(), mps, ndu_unit(n)});
    DecodedModel m;
    const Status st = decode(s.data(), s.size(), DecodeOptions{}, &m);
    if (!st.ok()) {
      EXPECT_NE(st.code(), ErrorCode::kInternal) << st.describe();
    }
  }
}

TEST(Robustness, GarbageOfEveryLength) {
  std::mt19937 rng(7);
  for (int len = 0; len < 300; ++len) {
    for (int variant = 0; variant < 3; ++variant) {
      std::vector<uint8_t> g(static_cast<size_t>(len));
      for (auto& x : g) x = static_cast<uint8_t>(rng());
      // Variants: pure garbage; a valid start unit in front; start + MPS + an
      // NDU header byte so that the NDU parser sees the garbage.
      if (variant >= 1 && len > 4) std::copy(str_unit().begin(), str_unit().end(), g.begin());
      if (variant == 2 && len > 16) {
        std::copy(mps_unit().begin(), mps_unit().end(), g.begin() + 4);
        g[12] = static_cast<uint8_t>((len - 12) >> 8 & 0x7F);
        g[13] = static_cast<uint8_t>(len - 12);
        g[14] = 0x16;
      }
      (void)decode_checked(g.data(), g.size(), 1 + (len & 1), "garbage " + std::to_string(len));
    }
  }
}

TEST(Robustness, AnchorContainer) {
  Tensor t;
  t.name = "w";
  t.shape = {8, 8};
  for (int i = 0; i < 64; ++i) t.f32.push_back(static_cast<float>(i % 7) * 0.01f);
  EncodeResult r;
  ASSERT_TRUE(anchor_encode({t}, EncoderSettings{}, &r).ok());
  DecodedModel m;
  ASSERT_TRUE(anchor_decode(r.stream.data(), r.stream.size(), DecodeOptions{}, &m).ok());
  EXPECT_EQ(m.tensors[0].bytes(), r.reconstruction[0].bytes());
  for (size_t c = 0; c < r.stream.size(); ++c) {
    Status s = anchor_decode(r.stream.data(), c, DecodeOptions{}, &m);
    EXPECT_FALSE(s.ok()) << "cut at " << c;
  }
  for (size_t b = 0; b < r.stream.size() * 8; b += 3) {
    std::vector<uint8_t> v = r.stream;
    v[b / 8] ^= static_cast<uint8_t>(0x80 >> (b % 8));
    DecodeOptions opt;
    opt.max_output_bytes = 1 << 20;
    Status s = anchor_decode(v.data(), v.size(), opt, &m);
    if (!s.ok()) {
      EXPECT_FALSE(s.message().empty());
      EXPECT_NE(s.code(), ErrorCode::kInternal) << s.describe();
    }
  }
}

// The container of version 2 holds the values in chunks of 9,000,000 bytes
// compressed in parallel: the same bytes for any thread count, decoded alike
// at any count; a version-1 container (one bzip2 stream) still decodes.
TEST(Robustness, AnchorChunksAndVersions) {
  std::vector<Tensor> model(2);
  model[0].name = "big";
  model[0].shape = {2500, 1000};  // 10 MB of int32 values: two chunks
  for (int64_t i = 0; i < 2500000; ++i) model[0].f32.push_back(static_cast<float>((i * 7919) % 201 - 100) * 0.003f);
  model[1].name = "small";
  model[1].shape = {3};
  model[1].dtype = DType::kInt32;
  model[1].i32 = {1, -2, 3};
  EncodeResult one, three;
  EncodeOptions o3;
  o3.threads = 3;
  ASSERT_TRUE(anchor_encode(model, EncoderSettings{}, &one).ok());
  ASSERT_TRUE(anchor_encode(model, EncoderSettings{}, o3, &three).ok());
  EXPECT_TRUE(one.stream == three.stream);
  for (int threads : {1, 2}) {
    DecodeOptions opt;
    opt.threads = threads;
    DecodedModel m;
    ASSERT_TRUE(anchor_decode(one.stream.data(), one.stream.size(), opt, &m).ok());
    ASSERT_EQ(m.tensors.size(), 2u);
    EXPECT_EQ(m.tensors[0].bytes(), one.reconstruction[0].bytes());
    EXPECT_EQ(m.tensors[1].i32, model[1].i32);
  }
  // Swapping the two chunks' streams (and their sizes) is noticed: the
  // first now holds fewer values than a chunk.
  {
    const std::vector<uint8_t>& v = one.stream;
    const size_t table = 12 + 27 + 21 + 8;  // header, two directory entries, payload_size
    auto u64 = [&](size_t at) {
      uint64_t x = 0;
      for (int i = 0; i < 8; ++i) x |= uint64_t{v[at + i]} << (8 * i);
      return x;
    };
    ASSERT_EQ(u64(table) & 0xffffffffu, 9000000u);
    ASSERT_EQ(u64(table) >> 32, 2u);
    const size_t a = static_cast<size_t>(u64(table + 8)), b = static_cast<size_t>(u64(table + 16));
    const size_t streams = table + 24;
    ASSERT_EQ(streams + a + b, v.size());
    std::vector<uint8_t> w(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(table + 8));
    for (size_t z : {b, a})
      for (int i = 0; i < 8; ++i) w.push_back(static_cast<uint8_t>(z >> (8 * i)));
    w.insert(w.end(), v.begin() + static_cast<std::ptrdiff_t>(streams + a), v.end());
    w.insert(w.end(), v.begin() + static_cast<std::ptrdiff_t>(streams), v.begin() + static_cast<std::ptrdiff_t>(streams + a));
    DecodedModel m;
    const Status s = anchor_decode(w.data(), w.size(), DecodeOptions{}, &m);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidBitstream);
    EXPECT_EQ(s.byte_offset(), static_cast<int64_t>(streams)) << s.describe();
  }

  // Version 1: the same directory, then one stream of all values.
  std::vector<Tensor> small(1, model[1]);
  EncodeResult r;
  ASSERT_TRUE(anchor_encode(small, EncoderSettings{}, &r).ok());
  std::vector<uint8_t> v1 = r.stream;
  ASSERT_EQ(v1[4], 2);
  // Directory of "small": 4+1+1+2+4 header, 2+5 name, 1 dtype, 1 rank, 8 dim, 4 qp.
  const size_t payload_at = 12 + 7 + 1 + 1 + 8 + 4;
  const size_t stream_len = v1.size() - payload_at - 8 - 16;
  v1[4] = 1;
  std::vector<uint8_t> head(v1.begin(), v1.begin() + static_cast<std::ptrdiff_t>(payload_at));
  for (int i = 0; i < 8; ++i) head.push_back(static_cast<uint8_t>(stream_len >> (8 * i)));
  head.insert(head.end(), v1.end() - static_cast<std::ptrdiff_t>(stream_len), v1.end());
  DecodedModel m1;
  const Status s1 = anchor_decode(head.data(), head.size(), DecodeOptions{}, &m1);
  ASSERT_TRUE(s1.ok()) << s1.describe();
  EXPECT_EQ(m1.tensors[0].i32, model[1].i32);
}

// The watch sees tensor buffers too, which are mappings of their own in a
// release build: without that it could not fail for them.
TEST(Robustness, AllocationWatchSeesTensorBuffers) {
  AllocationWatch watch;
  ValueVector<float> v(size_t{3} << 20);  // 12 MiB
  v[0] = 1.0f;
  EXPECT_GE(watch.largest(), size_t{12} << 20);
}

// ---------------------------------------------------------------------------
// Readers bound what they allocate by the bytes they have, whatever a file
// declares.

void put_le(std::vector<uint8_t>& b, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// A zip archive of one stored entry whose local and central headers declare
// `declared` bytes while `data` follows.
std::vector<uint8_t> zip_declaring(const std::string& name, const std::vector<uint8_t>& data, uint32_t declared) {
  std::vector<uint8_t> z;
  put_le(z, 0x04034b50, 4);  // local file header
  put_le(z, 20, 2);
  put_le(z, 0, 2);
  put_le(z, 0, 2);  // stored
  put_le(z, 0, 4);
  put_le(z, 0, 4);  // crc
  put_le(z, declared, 4);
  put_le(z, declared, 4);
  put_le(z, name.size(), 2);
  put_le(z, 0, 2);
  z.insert(z.end(), name.begin(), name.end());
  z.insert(z.end(), data.begin(), data.end());
  const size_t cd = z.size();
  put_le(z, 0x02014b50, 4);  // central directory header
  put_le(z, 20, 2);
  put_le(z, 20, 2);
  put_le(z, 0, 2);
  put_le(z, 0, 2);
  put_le(z, 0, 4);
  put_le(z, 0, 4);
  put_le(z, declared, 4);
  put_le(z, declared, 4);
  put_le(z, name.size(), 2);
  put_le(z, 0, 2);
  put_le(z, 0, 2);
  put_le(z, 0, 2);
  put_le(z, 0, 2);
  put_le(z, 0, 4);
  put_le(z, 0, 4);  // local header at 0
  z.insert(z.end(), name.begin(), name.end());
  const size_t cd_size = z.size() - cd;
  put_le(z, 0x06054b50, 4);  // end of central directory
  put_le(z, 0, 2);
  put_le(z, 0, 2);
  put_le(z, 1, 2);
  put_le(z, 1, 2);
  put_le(z, cd_size, 4);
  put_le(z, cd, 4);
  put_le(z, 0, 2);
  return z;
}

TEST(Robustness, NpzEntryDeclaringMoreThanTheArchiveHolds) {
  const std::string path = ::testing::TempDir() + "/nnr_declares_3gb.npz";
  const std::vector<uint8_t> z = zip_declaring("w.npy", {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}, 3000000000u);
  ASSERT_LT(z.size(), 200u);
  ASSERT_TRUE(write_file_atomic(path, z.data(), z.size()).ok());
  LoadedModel m;
  Status st;
  size_t largest;
  {
    AllocationWatch watch;
    st = load_npz(path, &m);
    largest = watch.largest();
  }
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.code(), ErrorCode::kInternal) << st.describe();
  EXPECT_LT(largest, 16 * kMiB) << "allocated " << largest << " bytes for " << z.size() << " bytes of archive";
}

// Two lists appended into each other through the memo (found by
// fuzz_torch_pickle as a leak): the cycle is freed with the unpickler.
// Repeated, a leak shows as heap growth (and under LeakSanitizer at exit).
TEST(Robustness, PickleCyclesAreFreed) {
  std::vector<uint8_t> p = {0x80, 2, ']', 'q', 0, '('};  // list A (memo 0), MARK
  for (int i = 0; i < 2000; ++i) p.insert(p.end(), {'K', static_cast<uint8_t>(i)});  // BININT1
  p.insert(p.end(), {'e', ']', 'q', 1});   // APPENDS into A; list B (memo 1)
  p.insert(p.end(), {'a'});                // APPEND B into A (A stays on the stack)
  p.insert(p.end(), {'h', 1, 'h', 0, 'a'});  // APPEND A into B
  p.insert(p.end(), {'0', '.'});           // POP B, STOP: A
  std::vector<PickledTensor> out;
  const size_t before = mallinfo2().uordblks;
  for (int round = 0; round < 200; ++round) {
    const Status st = unpickle_state_dict(p.data(), p.size(), "cycle", &out);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.code(), ErrorCode::kInternal) << st.describe();
  }
  const size_t after = mallinfo2().uordblks;
  EXPECT_LT(after, before + 4 * kMiB) << "heap grew by " << (after - before) << " bytes over 200 cyclic pickles";
}

// Pickles a state dict never holds: tuples nested a million deep, and a
// chain of a million lists built through the memo (each appended into the
// one before after it was itself appended), which a depth count at each
// append does not see. Freeing either recursively overflows the stack.
TEST(Robustness, PickleNestingIsBoundedAndFreedWithoutRecursion) {
  const int n = 1000000;
  std::vector<uint8_t> nest = {0x80, 2, ')'};
  nest.insert(nest.end(), n, 0x85);  // TUPLE1
  nest.push_back('.');
  std::vector<PickledTensor> out;
  Status st = unpickle_state_dict(nest.data(), nest.size(), "nest", &out);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("nested deeper"), std::string::npos) << st.describe();

  std::vector<uint8_t> chain = {0x80, 2};
  for (int i = 0; i < n; ++i) {
    chain.push_back(']');  // EMPTY_LIST
    chain.push_back('r');  // LONG_BINPUT i
    put_le(chain, static_cast<uint64_t>(i), 4);
    chain.push_back('b');  // BUILD: pops it again
  }
  for (int i = 0; i + 1 < n; ++i) {
    chain.push_back('j');  // LONG_BINGET i
    put_le(chain, static_cast<uint64_t>(i), 4);
    chain.push_back('j');  // LONG_BINGET i + 1
    put_le(chain, static_cast<uint64_t>(i + 1), 4);
    chain.push_back('a');  // APPEND: list i+1 into list i
    chain.push_back('b');
  }
  chain.push_back('j');
  put_le(chain, 0, 4);
  chain.push_back('.');
  st = unpickle_state_dict(chain.data(), chain.size(), "chain", &out);
  EXPECT_FALSE(st.ok());  // not a dict; and the chain is freed without a crash
  EXPECT_NE(st.message().find("not a dict"), std::string::npos) << st.describe();
}

// An anchor container whose directory claims 2 GiB of values and whose
// bzip2 stream holds 12 bytes: refused with nothing large allocated.
TEST(Robustness, AnchorClaimingMoreThanItHolds) {
  Tensor t;
  t.name = "small";
  t.shape = {3};
  t.dtype = DType::kInt32;
  t.i32 = {1, -2, 3};
  EncodeResult r;
  ASSERT_TRUE(anchor_encode({t}, EncoderSettings{}, &r).ok());
  // As version 1: one stream, no chunk table; then the dimension 3 -> 2^29.
  std::vector<uint8_t> v = r.stream;
  const size_t payload_at = 12 + 7 + 1 + 1 + 8 + 4;
  const size_t stream_len = v.size() - payload_at - 8 - 16;
  std::vector<uint8_t> v1(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(payload_at));
  v1[4] = 1;
  put_le(v1, stream_len, 8);
  v1.insert(v1.end(), v.end() - static_cast<std::ptrdiff_t>(stream_len), v.end());
  const size_t dim_at = 12 + 7 + 1 + 1;
  v1[dim_at] = 0;
  v1[dim_at + 3] = 0x20;  // 2^29 values
  DecodedModel m;
  Status st;
  size_t largest;
  {
    AllocationWatch watch;
    st = anchor_decode(v1.data(), v1.size(), DecodeOptions{}, &m);
    largest = watch.largest();
  }
  EXPECT_EQ(st.code(), ErrorCode::kInvalidBitstream) << st.describe();
  EXPECT_LT(largest, 16 * kMiB) << "allocated " << largest << " bytes";
}

// st(v) strings are UTF-8: a tensor name that is not is refused where it
// stands, by the decoder and by parse_units; the encoder refuses to write one.
TEST(Robustness, NamesThatAreNotUtf8) {
  Tensor t;
  t.name = "w0";
  t.shape = {4};
  t.f32 = {0.1f, -0.2f, 0.3f, 0.0f};
  EncodeResult r;
  ASSERT_TRUE(encode({t}, EncoderSettings{}, &r).ok());
  std::vector<uint8_t> s = r.stream;
  const std::string key("w0\0", 3);
  const auto it = std::search(s.begin(), s.end(), key.begin(), key.end());
  ASSERT_NE(it, s.end());
  const size_t at = static_cast<size_t>(it - s.begin());
  s[at + 1] = 0xFF;
  DecodedModel m;
  Status st = decode(s.data(), s.size(), DecodeOptions{}, &m);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidBitstream) << st.describe();
  EXPECT_EQ(st.byte_offset(), static_cast<int64_t>(at + 1)) << st.describe();
  EXPECT_NE(st.message().find("not UTF-8"), std::string::npos) << st.describe();
  std::vector<NnrUnit> units;
  EXPECT_EQ(parse_units(s.data(), s.size(), &units).code(), ErrorCode::kInvalidBitstream);

  t.name = std::string("w\xC3", 2);  // a cut two-byte sequence
  EXPECT_EQ(encode({t}, EncoderSettings{}, &r).code(), ErrorCode::kInvalidData);
  EXPECT_EQ(anchor_encode({t}, EncoderSettings{}, &r).code(), ErrorCode::kInvalidData);
}

// NaN and the infinities are named as such (they were "levels do not fit
// int32"), and qp_per_tensor may not name a tensor the model lacks.
TEST(Robustness, NonFiniteInputAndUnknownTensorNames) {
  Tensor t;
  t.name = "w";
  t.shape = {3};
  for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    t.f32 = {0.5f, bad, 1.0f};
    EncodeResult r;
    Status st = encode({t}, EncoderSettings{}, &r);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidData);
    EXPECT_NE(st.message().find("element 1 is"), std::string::npos) << st.describe();
    EXPECT_EQ(anchor_encode({t}, EncoderSettings{}, &r).code(), ErrorCode::kInvalidData);
  }
  t.f32 = {0.5f, 0.25f, 1.0f};
  EncoderSettings s;
  s.qp_per_tensor["w.weight"] = -30;
  EncodeResult r;
  const Status st = encode({t}, s, &r);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'w.weight'"), std::string::npos) << st.describe();
}

}  // namespace
}  // namespace nnr
