// Checking a decoder's output against a conformance vector, bit for bit: the
// project's decoder in process, or any decoder run as a command.
#ifndef NNR_HARNESS_CONFORMANCE_RUNNER_H
#define NNR_HARNESS_CONFORMANCE_RUNNER_H

#include <string>
#include <vector>

#include "conformance/vector.h"
#include "nnr/decoder.h"

namespace nnr {

struct VectorResult {
  std::string name;
  std::string dir;
  std::vector<std::string> tools;
  bool pass = false;
  std::string reason;  // empty when passed
  double seconds = 0;
  size_t tensors = 0;
  bool interrupted = false;  // not finished: we were asked to stop (neither pass nor fail)
};

// Compares decoded tensors with the expected list: same names, dtypes, shapes
// and sha256, nothing missing, nothing extra.
VectorResult compare_outputs(const ConformanceVector& v, const std::vector<DecodedTensor>& got);

// Decodes the vector's stream with the project's decoder and compares.
VectorResult run_vector_in_process(const ConformanceVector& v, const DecodeOptions& options);

// The project's decoder at 1 and `threads` threads, each with and without
// entry points: every run must give the expected output.
VectorResult run_vector_in_process_all_modes(const ConformanceVector& v, int threads);

// A decoder under test given as a command template: {bitstream} and {outdir}
// (and {threads}) are replaced by shell-quoted values.
struct ExternalDecoder {
  std::string command;
  double timeout_seconds = 60;
  int threads = 1;
  std::string work_dir;   // where output folders are made (default: $TMPDIR or /tmp)
  bool keep_output = false;
};

// Runs the command for the vector into a fresh folder and judges the files.
// A non-zero exit, a signal, a timeout or any mismatch fails the vector.
VectorResult run_vector_external(const ConformanceVector& v, const ExternalDecoder& d);

}  // namespace nnr

#endif
