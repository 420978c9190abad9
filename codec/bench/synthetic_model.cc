// Writes a synthetic model of codec/bench/synthetic_models.h as an .npz, so
// that other encoders (the reference software) can be timed on the same input.
//   nnr_synthetic_model OUT.npz [SEED]
#include <cstdio>
#include <cstdlib>

#include "nnr/io.h"
#include "synthetic_models.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s OUT.npz [SEED]   (ResNet-50 shapes, 25,610,152 values)\n", argv[0]);
    return 2;
  }
  const uint64_t seed = argc == 3 ? std::strtoull(argv[2], nullptr, 10) : 1;
  const nnr::Status s = nnr::write_npz(argv[1], nnr::synthetic_resnet50(seed));
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.describe(argv[1]).c_str());
    return 1;
  }
  return 0;
}
