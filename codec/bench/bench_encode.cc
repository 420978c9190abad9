// Encoder throughput in parameters per second: URQ, RDOQ and the DQ trellis,
// on the ResNet-56 state dict (../shared) and on a synthetic 25.6 M-parameter
// model with ResNet-50 shapes.
//   build/bin/nnr_bench_encode [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "nnr/encoder.h"
#include "nnr/io.h"
#include "synthetic_models.h"

namespace {

std::string shared_dir() {
  const char* env = std::getenv("NNR_SHARED_DIR");
  return env ? env : NNR_SHARED_DIR;
}

const std::vector<nnr::Tensor>& resnet56() {
  static std::vector<nnr::Tensor> t = [] {
    nnr::LoadedModel m;
    (void)nnr::load_model(shared_dir() + "/models/resnet56-cifar100/ResNet56_CIF100.pt", &m);
    return m.tensors;
  }();
  return t;
}

const std::vector<nnr::Tensor>& resnet50() {
  static std::vector<nnr::Tensor> t = nnr::synthetic_resnet50(4001);
  return t;
}

enum Mode { kUrq, kRdoq, kDq };

void BM_Encode(benchmark::State& state, const std::vector<nnr::Tensor>* (*model)(), Mode mode) {
  const std::vector<nnr::Tensor>& tensors = *model();
  if (tensors.empty()) {
    state.SkipWithError("model not found");
    return;
  }
  nnr::EncoderSettings s;
  s.model_kind = nnr::ModelKind::kPyTorch;
  s.use_dq = mode == kDq;
  s.lambda_scale = mode == kRdoq ? 1.0 : 0.0;
  int64_t params = 0;
  for (const auto& t : tensors) params += t.numel();
  size_t bytes = 0;
  for (auto _ : state) {
    nnr::EncodeResult r;
    const nnr::Status st = nnr::encode(tensors, s, &r);
    if (!st.ok()) {
      state.SkipWithError(st.describe().c_str());
      return;
    }
    bytes = r.stream.size();
  }
  state.SetItemsProcessed(state.iterations() * params);
  state.counters["params"] = static_cast<double>(params);
  state.counters["bytes"] = static_cast<double>(bytes);
}

const std::vector<nnr::Tensor>* r56() { return &resnet56(); }
const std::vector<nnr::Tensor>* r50() { return &resnet50(); }

BENCHMARK_CAPTURE(BM_Encode, resnet56_urq, r56, kUrq)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Encode, resnet56_rdoq, r56, kRdoq)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Encode, resnet56_dq, r56, kDq)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Encode, synth_resnet50_urq, r50, kUrq)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK_CAPTURE(BM_Encode, synth_resnet50_dq, r50, kDq)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
