// Tensor files: NumPy .npy (format 1.0) for float32 / int32 tensors.
#ifndef NNR_IO_H
#define NNR_IO_H

#include <string>
#include <vector>

#include "nnr/error.h"
#include "nnr/tensor.h"

namespace nnr {

// The bytes of an .npy file holding `t` (little-endian, C order), and the
// header alone (the values follow it).
std::vector<uint8_t> npy_bytes(const Tensor& t);
std::string npy_header(const Tensor& t);
// Writes `t` to `path` as .npy; atomically (a temporary file, then rename)
// unless `atomic` is false (one file of many whose completion something
// else marks).
Status write_npy(const std::string& path, const Tensor& t, bool atomic = true);
// Parses an .npy file held in memory (little-endian, C order). Integer types
// become int32 (if every value fits), float16/64 become float32 (float64
// rounded, noted in `notices`).
Status parse_npy(const uint8_t* data, size_t size, Tensor* out,
                 std::vector<std::string>* notices = nullptr);

// A model as named tensors in file order.
struct LoadedModel {
  std::vector<Tensor> tensors;
  bool pytorch = false;              // a PyTorch state dict (parameter-type rules of 3.2)
  std::vector<std::string> notices;  // conversions and skipped entries
};

// An .npz archive of named arrays (stored or deflated), in archive order.
Status load_npz(const std::string& path, LoadedModel* out);
// A PyTorch state dict written by torch.save (zip archive with data.pkl),
// read without libtorch. Keys containing ".num_batches_tracked" are skipped.
Status load_torch_state_dict(const std::string& path, LoadedModel* out);
// Either of the above (or a single .npy), by content.
Status load_model(const std::string& path, LoadedModel* out);
// The same for a file's bytes in memory; `name` is what errors call it.
Status load_model_memory(const uint8_t* data, size_t size, const std::string& name, LoadedModel* out);
// Writes tensors as a PyTorch state dict, as torch.save(state_dict) does:
// torch.load reads it (float32 and int32 tensors, names and shapes kept).
Status write_torch_state_dict(const std::string& path, const std::vector<Tensor>& tensors);
// Writes tensors as an .npz (stored) archive.
Status write_npz(const std::string& path, const std::vector<Tensor>& tensors);

// Reads a whole file. Errors name the file.
Status read_file(const std::string& path, std::vector<uint8_t>* out);
// Writes a whole file: a regular file (or a new one) atomically, by a
// temporary file beside it (a name of its own) renamed over it, which keeps
// the replaced file's permissions; through a symbolic link, and into a FIFO
// or a device, in place (as cp does).
Status write_file_atomic(const std::string& path, const uint8_t* data, size_t size);
// The same from several pieces, written in order without joining them.
struct ByteSpan {
  const uint8_t* data;
  size_t size;
};
Status write_file_atomic(const std::string& path, const ByteSpan* parts, size_t count);
// Writes a whole file in place (created or truncated).
Status write_file(const std::string& path, const ByteSpan* parts, size_t count);

}  // namespace nnr

#endif  // NNR_IO_H
