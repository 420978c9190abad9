// An unpickler for the opcodes a PyTorch state dict uses (protocols 2-5):
// it rebuilds the ordered dict of tensor descriptions (storage key, element
// type, offset, shape, strides) without running any Python.
#ifndef NNR_IO_TORCH_PICKLE_H
#define NNR_IO_TORCH_PICKLE_H

#include <cstdint>
#include <string>
#include <vector>

#include "io/array_convert.h"
#include "nnr/error.h"

namespace nnr {

struct PickledTensor {
  std::string key;          // state-dict key
  std::string storage_key;  // file data/<storage_key> in the archive
  StoredType type = StoredType::kF32;
  bool type_known = true;
  std::string type_name;    // e.g. "FloatStorage"
  int64_t storage_numel = 0;
  int64_t offset = 0;
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;
};

// Parses data.pkl. Errors name `what` and the byte offset in the pickle.
Status unpickle_state_dict(const uint8_t* data, size_t size, const std::string& what,
                           std::vector<PickledTensor>* out);

}  // namespace nnr

#endif  // NNR_IO_TORCH_PICKLE_H
