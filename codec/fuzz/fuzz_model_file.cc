// Model files as `nnr encode` reads them: a zip archive (.npz, or a PyTorch
// state dict: zip + pickle + storages) or a single .npy. Whatever the
// directory or the pickle declares, memory stays bounded (libFuzzer's
// -malloc_limit_mb reports a larger single allocation).
#include <cstddef>
#include <cstdint>

#include "nnr/io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nnr::LoadedModel m;
  const nnr::Status s = nnr::load_model_memory(data, size, "fuzz", &m);
  if (!s.ok() && (s.message().empty() || s.code() == nnr::ErrorCode::kInternal)) __builtin_trap();
  if (s.ok())
    for (const nnr::Tensor& t : m.tensors)
      if (static_cast<size_t>(t.numel()) != (t.dtype == nnr::DType::kInt32 ? t.i32.size() : t.f32.size()))
        __builtin_trap();
  return 0;
}
