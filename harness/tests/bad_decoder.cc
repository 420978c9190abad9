// A decoder that misbehaves on purpose, for the runner's tests:
//   nnr_test_bad_decoder MODE VECTOR BITSTREAM OUTDIR
// decodes BITSTREAM correctly unless its path contains VECTOR, in which case
// MODE says what goes wrong: flip (one bit of one tensor), omit (a tensor),
// reshape, dtype, extra (a tensor too many), garbage (an .npy that is not
// one), crash (SIGSEGV), abort, hang, hang_hard (ignores SIGTERM), exit3.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "common/file_names.h"
#include "common/tensor_output.h"
#include "nnr/decoder.h"
#include "nnr/io.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: nnr_test_bad_decoder MODE VECTOR BITSTREAM OUTDIR\n");
    return 2;
  }
  const std::string mode = argv[1], vector = argv[2], stream = argv[3], out = argv[4];
  const bool target = stream.find(vector) != std::string::npos;
  if (target) {
    if (mode == "crash") raise(SIGSEGV);
    if (mode == "abort") abort();
    if (mode == "exit3") {
      std::fprintf(stderr, "bad decoder: giving up on purpose\n");
      return 3;
    }
    if (mode == "hang_hard") signal(SIGTERM, SIG_IGN);
    if (mode == "hang" || mode == "hang_hard") {
      for (;;) sleep(100);
    }
  }
  std::vector<uint8_t> bytes;
  nnr::DecodedModel m;
  nnr::Status s = nnr::read_file(stream, &bytes);
  if (s.ok()) s = nnr::decode(bytes.data(), bytes.size(), nnr::DecodeOptions{}, &m);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.describe(stream).c_str());
    return 1;
  }
  auto& t = m.tensors;
  if (target && !t.empty()) {
    nnr::DecodedTensor& last = t.back();
    if (mode == "flip") {
      if (last.dtype == nnr::DType::kFloat32) {
        uint32_t b;
        std::memcpy(&b, &last.f32.back(), 4);
        b ^= 1u;
        std::memcpy(&last.f32.back(), &b, 4);
      } else {
        last.i32.back() ^= 1;
      }
    } else if (mode == "omit" || mode == "omit_noindex") {
      t.pop_back();
    } else if (mode == "reshape") {
      last.shape.insert(last.shape.begin(), 1);
    } else if (mode == "dtype") {
      if (last.dtype == nnr::DType::kFloat32) {
        last.dtype = nnr::DType::kInt32;
        for (float f : last.f32) last.i32.push_back(static_cast<int32_t>(f));
        last.f32.clear();
      } else {
        last.dtype = nnr::DType::kFloat32;
        for (int32_t i : last.i32) last.f32.push_back(static_cast<float>(i));
        last.i32.clear();
      }
    } else if (mode == "extra") {
      nnr::DecodedTensor e = last;
      e.name = "not_in_the_stream";
      t.push_back(e);
    }
  }
  s = nnr::write_tensor_folder(out, t);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.describe().c_str());
    return 1;
  }
  if (target && mode == "omit_noindex") std::remove((out + "/index.json").c_str());
  if (target && mode == "garbage" && !t.empty()) {
    const std::string junk = "this is not an npy file";
    const std::string path = out + "/" + nnr::sanitize_tensor_name(t.back().name) + ".npy";
    if (!nnr::write_file_atomic(path, reinterpret_cast<const uint8_t*>(junk.data()), junk.size()).ok()) return 1;
  }
  return 0;
}
