// Writing decoded tensors as a folder of .npy files plus index.json.
#ifndef NNR_HARNESS_TENSOR_OUTPUT_H
#define NNR_HARNESS_TENSOR_OUTPUT_H

#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "nnr/decoder.h"

namespace nnr {

// sha256 over the little-endian row-major bytes of the tensor.
std::string tensor_sha256(const Tensor& t);

// The folder DIR: DIR/<sanitized name>.npy per tensor and DIR/index.json (a
// list of {name, file, dtype, shape, sha256} in output order). Two tensors
// whose sanitized names collide get a numeric suffix, "-1", "-2", ..., in
// output order. As a decoder's sink it hashes and writes each group of
// tensors as soon as it is decoded, on the decoder's thread, and frees it;
// index.json is written by finish(), last, so a folder without it is not a
// complete output. An existing DIR must be empty or hold an earlier output
// (index.json and its files), which is replaced.
class TensorFolderWriter : public TensorSink {
 public:
  explicit TensorFolderWriter(std::string dir) : dir_(std::move(dir)) {}
  Status begin(size_t groups) override;
  Status consume(size_t group, std::vector<DecodedTensor>&& tensors) override;
  // Writes one tensor as tensor `pos` of `group`, keeping it.
  Status write(size_t group, size_t pos, const DecodedTensor& t);
  // Gives colliding names their suffixes in output order and writes index.json.
  Status finish();

  uint64_t parameters() const { return parameters_; }
  size_t tensors() const { return entries_.size(); }

 private:
  struct Entry {
    size_t group, pos;
    std::string name, file, dtype, sha256;
    std::vector<int64_t> shape;
  };
  std::string claim_file(const std::string& name);

  std::string dir_;
  std::mutex mu_;
  std::mutex create_mu_;
  std::set<std::string> claimed_;
  std::vector<Entry> entries_;
  uint64_t parameters_ = 0;
};

// A folder of each tensor's integer levels (DecodedTensor::levels, decoded
// with keep_levels) as int32 .npy files with index.json, for finding where a
// decoder under test goes wrong; tensors without levels (raw floats) are left
// out.
Status write_levels_folder(const std::string& dir, const std::vector<DecodedTensor>& tensors);

// The same folder for tensors already in memory, hashed and written by
// `threads` threads (0: one per core); the output is the same for any count.
Status write_tensor_folder(const std::string& dir, const std::vector<DecodedTensor>& tensors, int threads = 1);

}  // namespace nnr

#endif
