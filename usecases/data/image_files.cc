// Image files on disk: listing, decoding (OpenCV) and torchvision's
// evaluation preprocessing for ImageNet-style folders.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "data/datasets.h"

namespace nnr::data {
namespace {

namespace fs = std::filesystem;

bool is_image(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* e : {".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff", ".webp", ".jpe"})
    if (ext == e) return true;
  return false;
}

// Decodes as 8-bit RGB.
Status read_rgb(const std::string& path, cv::Mat* rgb) {
  cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (bgr.empty()) return Status(ErrorCode::kIo, kNoOffset, path + ": cannot decode image");
  cv::cvtColor(bgr, *rgb, cv::COLOR_BGR2RGB);
  return Status();
}

// HWC RGB -> CHW bytes appended to out.
void to_planar(const cv::Mat& rgb, std::vector<uint8_t>* out) {
  const int h = rgb.rows, w = rgb.cols;
  const size_t base = out->size();
  out->resize(base + static_cast<size_t>(3 * h * w));
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = rgb.ptr<uint8_t>(y);
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) (*out)[base + static_cast<size_t>((c * h + y) * w + x)] = row[3 * x + c];
  }
}

// torchvision: Resize(resize) on the shorter side, then CenterCrop(crop).
// Downscaling uses pixel-area averaging (OpenCV's stand-in for the
// antialiased bilinear filter of PIL); upscaling is bilinear.
cv::Mat resize_centre_crop(const cv::Mat& rgb, int64_t resize, int64_t crop) {
  const int h = rgb.rows, w = rgb.cols;
  int nh, nw;
  if (h <= w) {
    nh = static_cast<int>(resize);
    nw = static_cast<int>(static_cast<int64_t>(resize) * w / h);
  } else {
    nw = static_cast<int>(resize);
    nh = static_cast<int>(static_cast<int64_t>(resize) * h / w);
  }
  cv::Mat scaled;
  const bool down = nh < h;
  cv::resize(rgb, scaled, cv::Size(nw, nh), 0, 0, down ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::Mat padded = scaled;
  if (scaled.rows < crop || scaled.cols < crop) {  // torchvision pads with zeros
    const int py = std::max<int>(0, static_cast<int>(crop) - scaled.rows), px = std::max<int>(0, static_cast<int>(crop) - scaled.cols);
    cv::copyMakeBorder(scaled, padded, py / 2, py - py / 2, px / 2, px - px / 2, cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
  }
  const int top = static_cast<int>(std::lround((padded.rows - crop) / 2.0));
  const int left = static_cast<int>(std::lround((padded.cols - crop) / 2.0));
  return padded(cv::Rect(left, top, static_cast<int>(crop), static_cast<int>(crop))).clone();
}

}  // namespace

Status list_images(const std::string& dir, std::vector<std::string>* files) {
  files->clear();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status(ErrorCode::kIo, kNoOffset, dir + ": not a folder");
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && is_image(e.path())) files->push_back(e.path().string());
  if (ec) return Status(ErrorCode::kIo, kNoOffset, dir + ": " + ec.message());
  std::sort(files->begin(), files->end());
  if (files->empty()) return Status(ErrorCode::kIo, kNoOffset, dir + ": no image files");
  return Status();
}

Status load_image_classes(const std::string& dir, int64_t resize, int64_t crop, int64_t limit, SampleSet* out) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status(ErrorCode::kIo, kNoOffset, dir + ": not a folder");
  if (crop <= 0 || resize < crop)
    return Status(ErrorCode::kInvalidArgument, kNoOffset, "need 0 < crop <= resize");
  std::vector<std::pair<std::string, int64_t>> items;  // file, label
  std::vector<std::string> classes;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory()) classes.push_back(e.path().filename().string());
  std::sort(classes.begin(), classes.end());
  if (!classes.empty()) {
    for (size_t c = 0; c < classes.size(); ++c) {
      std::vector<std::string> files;
      if (list_images((fs::path(dir) / classes[c]).string(), &files).ok())
        for (auto& f : files) items.emplace_back(std::move(f), static_cast<int64_t>(c));
    }
  } else {
    std::string labels_file;
    for (const char* name : {"labels.txt", "val.txt"})
      if (fs::is_regular_file(fs::path(dir) / name)) labels_file = (fs::path(dir) / name).string();
    if (labels_file.empty())
      return Status(ErrorCode::kIo, kNoOffset,
                    dir + ": neither class sub-folders nor a labels.txt / val.txt (\"FILE LABEL\" lines)");
    std::ifstream in(labels_file);
    std::string line;
    int64_t line_no = 0, max_label = -1;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::istringstream ls(line);
      std::string file;
      int64_t label = -1;
      if (!(ls >> file >> label) || label < 0)
        return Status(ErrorCode::kInvalidArgument, kNoOffset,
                      labels_file + ": line " + std::to_string(line_no) + ": expected \"FILE LABEL\" (label >= 0)");
      items.emplace_back((fs::path(dir) / file).string(), label);
      max_label = std::max(max_label, label);
    }
    std::sort(items.begin(), items.end());
    for (int64_t c = 0; c <= max_label; ++c) classes.push_back(std::to_string(c));
  }
  if (items.empty()) return Status(ErrorCode::kIo, kNoOffset, dir + ": no labelled images");
  if (limit > 0 && static_cast<int64_t>(items.size()) > limit) items.resize(static_cast<size_t>(limit));

  *out = SampleSet();
  out->source = dir;
  out->channels = 3;
  out->height = out->width = crop;
  out->mean = kImageNetMean;
  out->stddev = kImageNetStd;
  out->classes = classes;
  out->u8.reserve(items.size() * static_cast<size_t>(out->sample_size()));
  for (const auto& [file, label] : items) {
    cv::Mat rgb;
    Status s = read_rgb(file, &rgb);
    if (!s.ok()) return s;
    to_planar(resize_centre_crop(rgb, resize, crop), &out->u8);
    out->labels.push_back(label);
  }
  return Status();
}

Status embedded_photos(const std::string& split, std::vector<std::string>* files) {
  // Photographs from opencv-doc's sample data, split by image so that test
  // patches come from pictures the autoencoder never saw.
  static const char* const kTrain[] = {"aero1.jpg", "aero3.jpg", "aloeL.jpg", "apple.jpg", "board.jpg",
                                       "building.jpg", "graf1.png", "leuvenA.jpg", "leuvenB.jpg", "messi5.jpg",
                                       "orange.jpg", "rubberwhale1.png", "chicky_512.png"};
  static const char* const kTest[] = {"baboon.jpg", "fruits.jpg", "butterfly.jpg", "home.jpg",
                                      "squirrel_cls.jpg", "basketball1.png"};
  files->clear();
  const std::string dir = photos_dir();
  auto add = [&](const char* const* names, size_t n) -> Status {
    for (size_t i = 0; i < n; ++i) {
      const fs::path p = fs::path(dir) / names[i];
      if (!fs::is_regular_file(p))
        return Status(ErrorCode::kIo, kNoOffset,
                      p.string() + ": missing (the embedded autoencoder photographs come from Debian's "
                                   "opencv-doc; install it or set NNR_PHOTOS_DIR)");
      files->push_back(p.string());
    }
    return Status();
  };
  if (split == "train") return add(kTrain, std::size(kTrain));
  if (split == "test") return add(kTest, std::size(kTest));
  return Status(ErrorCode::kInvalidArgument, kNoOffset, "unknown split '" + split + "'");
}

Status load_image_patches(const std::vector<std::string>& files, int64_t patch, int64_t stride, int64_t limit,
                          SampleSet* out) {
  if (patch <= 0 || stride <= 0) return Status(ErrorCode::kInvalidArgument, kNoOffset, "patch and stride must be positive");
  *out = SampleSet();
  out->source = files.size() == 1 ? files[0] : std::to_string(files.size()) + " images";
  out->channels = 3;
  out->height = out->width = patch;
  std::vector<uint8_t> planar;
  for (const auto& file : files) {
    cv::Mat rgb;
    Status s = read_rgb(file, &rgb);
    if (!s.ok()) return s;
    for (int64_t y = 0; y + patch <= rgb.rows; y += stride)
      for (int64_t x = 0; x + patch <= rgb.cols; x += stride) {
        if (limit > 0 && out->size() >= limit) return Status();
        planar.clear();
        to_planar(rgb(cv::Rect(static_cast<int>(x), static_cast<int>(y), static_cast<int>(patch), static_cast<int>(patch))), &planar);
        out->push_u8(planar.data(), -1);
      }
  }
  if (out->size() == 0)
    return Status(ErrorCode::kInvalidArgument, kNoOffset,
                  "no image is at least " + std::to_string(patch) + "x" + std::to_string(patch) + " pixels");
  return Status();
}

}  // namespace nnr::data
