// The unpickler of PyTorch state dicts (data.pkl): any bytes end in a list
// of tensors or an error with a message, in bounded time and memory, and
// whatever it built is freed without recursion.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "io/torch_pickle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<nnr::PickledTensor> out;
  const nnr::Status s = nnr::unpickle_state_dict(data, size, "fuzz", &out);
  if (!s.ok() && (s.message().empty() || s.code() == nnr::ErrorCode::kInternal)) __builtin_trap();
  return 0;
}
