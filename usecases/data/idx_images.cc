// IDX files (the MNIST / Fashion-MNIST format): big-endian header, then bytes.
#include <zlib.h>

#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "data/datasets.h"

namespace nnr::data {

const std::vector<std::string> kFashionMnistClasses = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                       "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
namespace {

namespace fs = std::filesystem;

// The file for `stem` in dir, gzip-compressed or not; empty when neither exists.
std::string find_idx(const std::string& dir, const std::string& stem) {
  for (const char* ext : {".gz", ""}) {
    const fs::path p = fs::path(dir) / (stem + ext);
    if (fs::is_regular_file(p)) return p.string();
  }
  return "";
}

// Reads a whole (possibly gzip-compressed) file; zlib reads raw files too.
Status read_maybe_gz(const std::string& path, std::vector<uint8_t>* out) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return Status(ErrorCode::kIo, kNoOffset, path + ": cannot open");
  out->clear();
  uint8_t buf[1 << 16];
  for (;;) {
    const int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      gzclose(f);
      return Status(ErrorCode::kIo, kNoOffset, path + ": read error (corrupt gzip?)");
    }
    if (n == 0) break;
    out->insert(out->end(), buf, buf + n);
  }
  gzclose(f);
  return Status();
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

}  // namespace

bool is_idx_folder(const std::string& dir, const std::string& split) {
  return !find_idx(dir, split + "-images-idx3-ubyte").empty() && !find_idx(dir, split + "-labels-idx1-ubyte").empty();
}

Status load_idx(const std::string& dir, const std::string& split, int64_t size, int64_t channels, int64_t limit,
                SampleSet* out) {
  const std::string img_path = find_idx(dir, split + "-images-idx3-ubyte");
  const std::string lab_path = find_idx(dir, split + "-labels-idx1-ubyte");
  if (img_path.empty() || lab_path.empty())
    return Status(ErrorCode::kIo, kNoOffset,
                  dir + ": no " + split + "-images-idx3-ubyte[.gz] / " + split +
                      "-labels-idx1-ubyte[.gz] (for the embedded default install dataset-fashion-mnist)");
  std::vector<uint8_t> img, lab;
  Status s = read_maybe_gz(img_path, &img);
  if (!s.ok()) return s;
  s = read_maybe_gz(lab_path, &lab);
  if (!s.ok()) return s;
  if (img.size() < 16 || be32(img.data()) != 0x803)
    return Status(ErrorCode::kInvalidArgument, 0, img_path + ": not an IDX image file (magic 0x803)");
  if (lab.size() < 8 || be32(lab.data()) != 0x801)
    return Status(ErrorCode::kInvalidArgument, 0, lab_path + ": not an IDX label file (magic 0x801)");
  const int64_t n = be32(img.data() + 4), rows = be32(img.data() + 8), cols = be32(img.data() + 12);
  if (rows <= 0 || cols <= 0 || rows > 4096 || cols > 4096 ||
      static_cast<int64_t>(img.size()) - 16 < n * rows * cols)
    return Status(ErrorCode::kTruncated, 16, img_path + ": " + std::to_string(n) + " images of " +
                                                 std::to_string(rows) + "x" + std::to_string(cols) +
                                                 " do not fit the file");
  if (be32(lab.data() + 4) != static_cast<uint32_t>(n) || static_cast<int64_t>(lab.size()) - 8 < n)
    return Status(ErrorCode::kInvalidArgument, 4, lab_path + ": label count differs from " + img_path);
  if (size <= 0 || channels <= 0)
    return Status(ErrorCode::kInvalidArgument, kNoOffset, "input size and channels must be positive");

  const int64_t count = limit > 0 ? std::min(limit, n) : n;
  *out = SampleSet();
  out->source = dir + " (" + split + ")";
  out->channels = channels;
  out->height = out->width = size;
  out->mean.assign(static_cast<size_t>(channels), 0.2860f);
  out->stddev.assign(static_cast<size_t>(channels), 0.3530f);
  out->classes = kFashionMnistClasses;
  out->u8.reserve(static_cast<size_t>(count * out->sample_size()));
  out->labels.reserve(static_cast<size_t>(count));
  std::vector<uint8_t> sample(static_cast<size_t>(out->sample_size()));
  const bool pad = rows == cols && size > rows && size - rows <= 8;
  for (int64_t i = 0; i < count; ++i) {
    cv::Mat src(static_cast<int>(rows), static_cast<int>(cols), CV_8UC1, img.data() + 16 + i * rows * cols);
    cv::Mat dst;
    if (size == rows && size == cols) {
      dst = src;
    } else if (pad) {
      const int before = static_cast<int>((size - rows) / 2), after = static_cast<int>(size - rows) - before;
      cv::copyMakeBorder(src, dst, before, after, before, after, cv::BORDER_CONSTANT, cv::Scalar(0));
    } else {
      cv::resize(src, dst, cv::Size(static_cast<int>(size), static_cast<int>(size)), 0, 0, cv::INTER_LINEAR);
    }
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t y = 0; y < size; ++y)
        std::copy(dst.ptr<uint8_t>(static_cast<int>(y)), dst.ptr<uint8_t>(static_cast<int>(y)) + size,
                  sample.begin() + (c * size + y) * size);
    const int64_t label = lab[static_cast<size_t>(8 + i)];
    out->push_u8(sample.data(), label);
  }
  return Status();
}

}  // namespace nnr::data
