// Decoder throughput in parameters per second, per payload kind, on the
// reference software's streams (../shared): single-threaded and with block
// rows / units decoded on several threads.
//
//   build/bin/nnr_bench_decode [--benchmark_filter=...]
// NNR_SHARED_DIR overrides the location of the shared material.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "nnr/decoder.h"
#include "nnr/io.h"

namespace {

std::string shared_dir() {
  const char* env = std::getenv("NNR_SHARED_DIR");
  return env ? env : NNR_SHARED_DIR;
}

struct Stream {
  const char* label;
  const char* path;  // relative to the shared folder
};

// One stream per payload kind, the ResNet-56 vectors, and the 25.6 M-parameter stream.
const Stream kStreams[] = {
    {"urq_rowscan", "conformance/nncodec/p01_urq_qp-38/stream.nnc"},
    {"dq_rowscan", "conformance/nncodec/p02_dq_qp-38/stream.nnc"},
    {"codebook", "conformance/nncodec/p15_codebook1/stream.nnc"},
    {"dq_blockscan_64", "conformance/nncodec/p11_dq_scan4_64x64/stream.nnc"},
    {"block_unit_bnf", "conformance/nncodec/p23_block_bnf/stream.nnc"},
    {"resnet56_dq", "conformance/nncodec-real/r01_resnet56_dq_qp-38/stream.nnc"},
    {"resnet56_urq_scan2", "conformance/nncodec-real/r02_resnet56_urq_qp-32_scan2/stream.nnc"},
    {"resnet56_bnf_dq", "conformance/nncodec-real/r03_resnet56_bnf_dq_qp-40/stream.nnc"},
    {"synth25m_dq_scan2", "bench/synth25m_s4001_dq_scan2.nnc"},
};

void BM_Decode(benchmark::State& state, std::string path, int threads) {
  std::vector<uint8_t> bytes;
  nnr::Status s = nnr::read_file(path, &bytes);
  if (!s.ok()) {
    state.SkipWithError(s.describe().c_str());
    return;
  }
  nnr::DecodeOptions opt;
  opt.threads = threads;
  int64_t params = 0;
  for (auto _ : state) {
    nnr::DecodedModel model;
    s = nnr::decode(bytes.data(), bytes.size(), opt, &model);
    if (!s.ok()) {
      state.SkipWithError(s.describe(path).c_str());
      return;
    }
    params = 0;
    for (const auto& t : model.tensors) params += t.numel();
    benchmark::DoNotOptimize(model.tensors.data());
  }
  state.SetItemsProcessed(state.iterations() * params);
  state.counters["params"] = static_cast<double>(params);
  state.counters["bytes"] = static_cast<double>(bytes.size());
}

int register_all() {
  for (const Stream& st : kStreams) {
    const std::string path = shared_dir() + "/" + st.path;
    for (int threads : {1, 2}) {
      benchmark::RegisterBenchmark(
          (std::string("decode/") + st.label + "/threads:" + std::to_string(threads)).c_str(),
          BM_Decode, path, threads)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  return 0;
}
const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
