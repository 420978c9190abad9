// decode() with a TensorSink: the groups, put in group order, are exactly
// decode()'s tensors, at 1 and 2 threads, with and without entry points; a
// sink's error stops decoding and is what decode() returns.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>

#include "nnr/decoder.h"
#include "nnr/encoder.h"

namespace nnr {
namespace {

class CollectingSink : public TensorSink {
 public:
  Status begin(size_t groups) override {
    groups_ = groups;
    ++begins_;
    return Status();
  }
  Status consume(size_t group, std::vector<DecodedTensor>&& tensors) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (group >= groups_ || got_.count(group)) return Status(ErrorCode::kInternal, kNoOffset, "bad group");
    got_[group] = std::move(tensors);
    if (fail_after_ && got_.size() >= fail_after_) return Status(ErrorCode::kIo, kNoOffset, "disk full");
    return Status();
  }
  std::vector<DecodedTensor> in_order() {
    std::vector<DecodedTensor> all;
    for (auto& [g, ts] : got_)
      for (DecodedTensor& t : ts) all.push_back(std::move(t));
    return all;
  }
  size_t groups_ = 0, fail_after_ = 0;
  int begins_ = 0;
  std::mutex mu_;
  std::map<size_t, std::vector<DecodedTensor>> got_;
};

std::vector<Tensor> model(uint64_t seed, int count) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.0f, 0.05f);
  std::vector<Tensor> ts;
  for (int i = 0; i < count; ++i) {
    Tensor t;
    t.name = "layer" + std::to_string(i) + ".weight";
    t.shape = {static_cast<int64_t>(16 + rng() % 100), static_cast<int64_t>(8 + rng() % 60)};
    for (int64_t k = 0; k < t.numel(); ++k) t.f32.push_back(g(rng));
    ts.push_back(std::move(t));
  }
  return ts;
}

TEST(DecoderSink, GroupsInOrderAreTheModel) {
  for (int scan : {0, 2}) {
    EncoderSettings s;
    s.scan_order = scan;
    EncodeResult r;
    ASSERT_TRUE(encode(model(7 + scan, 9), s, &r).ok());
    for (int threads : {1, 2}) {
      for (bool eps : {true, false}) {
        DecodeOptions opt;
        opt.threads = threads;
        opt.use_entry_points = eps;
        DecodedModel whole, streamed;
        ASSERT_TRUE(decode(r.stream.data(), r.stream.size(), opt, &whole).ok());
        CollectingSink sink;
        ASSERT_TRUE(decode(r.stream.data(), r.stream.size(), opt, &streamed, &sink).ok());
        EXPECT_EQ(sink.begins_, 1);
        EXPECT_EQ(sink.groups_, 9u);  // one NDU per tensor
        EXPECT_EQ(sink.got_.size(), 9u);
        EXPECT_TRUE(streamed.tensors.empty());
        EXPECT_EQ(streamed.units.size(), whole.units.size());
        const std::vector<DecodedTensor> got = sink.in_order();
        ASSERT_EQ(got.size(), whole.tensors.size());
        for (size_t i = 0; i < got.size(); ++i) {
          EXPECT_EQ(got[i].name, whole.tensors[i].name);
          EXPECT_EQ(got[i].shape, whole.tensors[i].shape);
          EXPECT_TRUE(got[i].bytes() == whole.tensors[i].bytes()) << got[i].name << " threads " << threads;
        }
      }
    }
  }
}

TEST(DecoderSink, ErrorStopsDecoding) {
  EncodeResult r;
  ASSERT_TRUE(encode(model(3, 6), EncoderSettings{}, &r).ok());
  for (int threads : {1, 2}) {
    DecodeOptions opt;
    opt.threads = threads;
    CollectingSink sink;
    sink.fail_after_ = 2;
    DecodedModel m;
    const Status s = decode(r.stream.data(), r.stream.size(), opt, &m, &sink);
    EXPECT_EQ(s.code(), ErrorCode::kIo);
    EXPECT_EQ(s.message(), "disk full");
    EXPECT_TRUE(m.tensors.empty());
  }
}

}  // namespace
}  // namespace nnr
