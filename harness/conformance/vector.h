// A conformance vector: a folder with a bitstream and manifest.json naming
// every expected output tensor (name, dtype, shape, sha256).
#ifndef NNR_HARNESS_CONFORMANCE_VECTOR_H
#define NNR_HARNESS_CONFORMANCE_VECTOR_H

#include <string>
#include <vector>

#include "nnr/error.h"

namespace nnr {

struct ExpectedTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::string sha256;
  std::string file;  // the full expected tensor (.npy or raw .bin) where stored; may be empty
};

struct ConformanceVector {
  std::string dir;
  std::string name;
  std::string description;
  std::string stream_path;
  std::string stream_sha256;  // may be empty
  // What the vector exercises, for the report: the manifest's "exercises",
  // or a summary of its "encoder_settings".
  std::vector<std::string> tools;
  std::vector<ExpectedTensor> expected;
  // A sequence vector (edition 2): its streams in decoding order, each an
  // update of the model decoded so far, with that step's expected output
  // (`stream_path` and `expected` above are empty then).
  struct Step {
    std::string name;  // the step's folder, e.g. "step-01"
    std::string stream_path;
    std::string stream_sha256;
    std::vector<ExpectedTensor> expected;
  };
  std::vector<Step> steps;
  bool is_sequence() const { return !steps.empty(); }
};

// Loads DIR/manifest.json. Errors name the file and the JSON path.
Status load_vector(const std::string& dir, ConformanceVector* out);

// The vector folders under `path`: `path` itself if it holds a manifest.json,
// else its immediate subfolders that do (sorted by name).
std::vector<std::string> find_vector_dirs(const std::string& path);

}  // namespace nnr

#endif
