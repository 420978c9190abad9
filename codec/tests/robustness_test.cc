// Malformed input never crashes, hangs or allocates from an absurd header:
// every reference stream is truncated at many offsets and has many single
// bits flipped; each decode must end in success or an error with a message.
// Run under ASan + UBSan by scripts/test.sh.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>

#include "nnr/anchor.h"
#include "nnr/decoder.h"
#include "nnr/encoder.h"
#include "nnr/io.h"

namespace nnr {
namespace {

namespace fs = std::filesystem;

#ifdef NNR_SANITIZE_BUILD
constexpr int kScale = 4;  // sanitizers are ~10x slower: fewer cases per stream
#else
constexpr int kScale = 1;
#endif

std::vector<std::string> streams() {
  std::vector<std::string> out;
  for (const char* suite : {"/conformance/nncodec", "/conformance/nncodec-real"}) {
    const fs::path dir = fs::path(NNR_SHARED_DIR) / (suite + 1);
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (fs::exists(e.path() / "stream.nnc")) out.push_back((e.path() / "stream.nnc").string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Decodes and checks the outcome is a clean success or a described error.
void decode_must_not_crash(const std::vector<uint8_t>& b, int threads, const std::string& what) {
  DecodeOptions opt;
  opt.threads = threads;
  opt.max_output_bytes = uint64_t{256} << 20;
  DecodedModel m;
  const Status s = decode(b.data(), b.size(), opt, &m);
  if (!s.ok()) {
    EXPECT_FALSE(s.message().empty()) << what;
    EXPECT_NE(s.code(), ErrorCode::kInternal) << what << ": " << s.describe();
    EXPECT_LE(s.byte_offset(), static_cast<int64_t>(b.size())) << what;
  }
}

TEST(Robustness, TruncatedStreams) {
  const std::vector<std::string> files = streams();
  if (files.empty()) GTEST_SKIP() << "shared conformance material not found at " NNR_SHARED_DIR;
  for (const std::string& f : files) {
    std::vector<uint8_t> bytes;
    ASSERT_TRUE(read_file(f, &bytes).ok());
    std::vector<NnrUnit> units;
    ASSERT_TRUE(parse_units(bytes.data(), bytes.size(), &units).ok());
    std::vector<size_t> cuts;
    // Around every unit boundary and inside the first units' headers ...
    const size_t unit_cuts = bytes.size() > 100000 ? 12 / kScale : units.size();
    for (size_t i = 0; i < units.size() && i < unit_cuts; ++i)
      for (int d = -3; d <= 3; ++d)
        cuts.push_back(static_cast<size_t>(std::max<int64_t>(0, int64_t(units[i].offset) + d)));
    // ... every offset of small streams, a spread over large ones.
    const size_t step = std::max<size_t>(1, bytes.size() * kScale / (bytes.size() > 100000 ? 60 : 300));
    for (size_t c = 0; c < bytes.size(); c += step) cuts.push_back(c);
    std::set<size_t> boundaries;
    for (const NnrUnit& u : units) boundaries.insert(u.offset);
    int n = 0;
    for (size_t c : cuts) {
      if (c >= bytes.size()) continue;
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(c));
      DecodedModel m;
      DecodeOptions opt;
      opt.threads = 1 + (n++ & 1);
      const Status s = decode(cut.data(), cut.size(), opt, &m);
      if (c > 0 && boundaries.count(c)) {
        // A cut between units leaves a shorter valid stream.
        EXPECT_TRUE(s.ok()) << f << " cut at unit boundary " << c << ": " << s.describe();
        continue;
      }
      EXPECT_FALSE(s.ok()) << f << " cut at " << c << " decoded";
      EXPECT_FALSE(s.message().empty());
      EXPECT_NE(s.code(), ErrorCode::kInternal) << s.describe();
    }
  }
}

TEST(Robustness, FlippedBits) {
  const std::vector<std::string> files = streams();
  if (files.empty()) GTEST_SKIP() << "shared conformance material not found at " NNR_SHARED_DIR;
  std::mt19937_64 rng(12345);
  for (const std::string& f : files) {
    std::vector<uint8_t> bytes;
    ASSERT_TRUE(read_file(f, &bytes).ok());
    const bool large = bytes.size() > 100000;
    const int flips = (large ? 12 : 300) / kScale;
    // Every bit of the first 64 bytes (unit headers), then random bits.
    std::vector<uint64_t> bits;
    for (uint64_t b = 0; b < std::min<uint64_t>(64, bytes.size()) * 8; b += large ? 31 : 1) bits.push_back(b);
    for (int i = 0; i < flips; ++i) bits.push_back(rng() % (bytes.size() * 8));
    int n = 0;
    for (uint64_t b : bits) {
      std::vector<uint8_t> v = bytes;
      v[b / 8] ^= static_cast<uint8_t>(0x80 >> (b % 8));
      decode_must_not_crash(v, 1 + (n++ & 1), f + " bit " + std::to_string(b));
    }
  }
}

TEST(Robustness, AbsurdHeaderValuesFailFast) {
  // One tensor of 2^40 elements claimed by a 30-byte unit.
  Tensor t;
  t.name = "w";
  t.shape = {4, 4};
  t.f32.assign(16, 0.5f);
  EncodeResult r;
  ASSERT_TRUE(encode({t}, EncoderSettings{}, &r).ok());
  std::vector<NnrUnit> units;
  ASSERT_TRUE(parse_units(r.stream.data(), r.stream.size(), &units).ok());
  // The output limit is checked before anything is allocated.
  DecodeOptions opt;
  opt.max_output_bytes = 32;
  DecodedModel m;
  Status s = decode(r.stream.data(), r.stream.size(), opt, &m);
  EXPECT_EQ(s.code(), ErrorCode::kLimitExceeded) << s.describe();

  // nnr_unit_size far beyond the data.
  std::vector<uint8_t> big = r.stream;
  const size_t ndu = units[3].offset;
  big[ndu] = 0xff;  // long form, huge size
  big[ndu + 1] = 0xff;
  s = decode(big.data(), big.size(), DecodeOptions{}, &m);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.byte_offset(), static_cast<int64_t>(ndu)) << s.describe();

  // Garbage of every length: never a crash.
  std::mt19937 rng(7);
  for (int len = 0; len < 200; ++len) {
    std::vector<uint8_t> g(static_cast<size_t>(len));
    for (auto& x : g) x = static_cast<uint8_t>(rng());
    if (len > 4) {  // a valid start unit in front, to get further in
      g[0] = 0x00;
      g[1] = 0x04;
      g[2] = 0x02;
      g[3] = 0x00;
    }
    decode_must_not_crash(g, 1, "garbage " + std::to_string(len));
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
    }
  }
}

}  // namespace
}  // namespace nnr
