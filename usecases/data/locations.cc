// Where embedded material is found; each place can be moved by an environment
// variable so that installed binaries and CI runs find it.
#include <cstdlib>

#include "data/datasets.h"

#ifndef NNR_DATASETS_DIR
#define NNR_DATASETS_DIR "datasets"
#endif

namespace nnr::data {
namespace {
std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}
}  // namespace

std::string datasets_dir() { return env_or("NNR_DATASETS_DIR", NNR_DATASETS_DIR); }
std::string cache_dir() { return env_or("NNR_CACHE_DIR", datasets_dir() + "/cache"); }
std::string fashion_mnist_dir() {
  return env_or("NNR_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist");
}
std::string photos_dir() { return env_or("NNR_PHOTOS_DIR", "/usr/share/doc/opencv-doc/examples/data"); }

}  // namespace nnr::data
