// Data readers on small files made here: IDX images, ImageNet-style folders
// with torchvision's preprocessing, labelled WAV folders, log-mel features,
// image patches; and their errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "data/audio.h"
#include "data/datasets.h"

namespace nnr {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("nnr_data_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

void put_be32(std::ofstream& f, uint32_t v) {
  const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  f.write(b, 4);
}

TEST(Idx, PadsTo32AndNormalises) {
  const fs::path dir = temp_dir("idx");
  {
    std::ofstream img(dir / "t10k-images-idx3-ubyte", std::ios::binary), lab(dir / "t10k-labels-idx1-ubyte", std::ios::binary);
    put_be32(img, 0x803);
    put_be32(img, 2);
    put_be32(img, 28);
    put_be32(img, 28);
    for (int i = 0; i < 2 * 28 * 28; ++i) img.put(char(i % 251));
    put_be32(lab, 0x801);
    put_be32(lab, 2);
    lab.put(char(3));
    lab.put(char(9));
  }
  data::SampleSet s;
  ASSERT_TRUE(data::load_idx(dir.string(), "t10k", 32, 3, 0, &s).ok());
  ASSERT_EQ(s.size(), 2);
  EXPECT_EQ(s.labels[0], 3);
  EXPECT_EQ(s.labels[1], 9);
  EXPECT_EQ(s.sample_size(), 3 * 32 * 32);
  std::vector<float> b(static_cast<size_t>(2 * s.sample_size()));
  s.batch(0, 2, b.data());
  // Padding of 2 pixels: (2, 2) holds the original (0, 0) of image 1, whose
  // value is 784 % 251 = 31; the border is 0 before normalisation.
  const float pix = b[static_cast<size_t>(s.sample_size() + 2 * 32 + 2)];
  EXPECT_NEAR(pix, (31 / 255.0f - 0.2860f) / 0.3530f, 1e-5);
  EXPECT_NEAR(b[0], (0.0f - 0.2860f) / 0.3530f, 1e-5);
  // Channels are copies.
  EXPECT_EQ(b[static_cast<size_t>(2 * 32 + 2)], b[static_cast<size_t>(32 * 32 + 2 * 32 + 2)]);

  ASSERT_TRUE(data::load_idx(dir.string(), "t10k", 32, 3, 1, &s).ok());
  EXPECT_EQ(s.size(), 1);
  const Status missing = data::load_idx(dir.string(), "train", 32, 3, 0, &s);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("train-images-idx3-ubyte"), std::string::npos) << missing.message();
  fs::remove_all(dir);
}

TEST(ImageClasses, FolderPerClassWithResizeAndCentreCrop) {
  const fs::path dir = temp_dir("imagenet");
  fs::create_directories(dir / "n01" );
  fs::create_directories(dir / "n00");
  // 300 x 400 (h x w), left half red, right half blue (BGR in OpenCV).
  cv::Mat img(300, 400, CV_8UC3, cv::Scalar(0, 0, 255));
  img(cv::Rect(200, 0, 200, 300)).setTo(cv::Scalar(255, 0, 0));
  ASSERT_TRUE(cv::imwrite((dir / "n01" / "a.png").string(), img));
  ASSERT_TRUE(cv::imwrite((dir / "n00" / "b.png").string(), img));
  data::SampleSet s;
  const Status st = data::load_image_classes(dir.string(), 256, 224, 0, &s);
  ASSERT_TRUE(st.ok()) << st.describe();
  ASSERT_EQ(s.size(), 2);
  EXPECT_EQ(s.classes, (std::vector<std::string>{"n00", "n01"}));
  EXPECT_EQ(s.labels[0], 0);  // n00/b.png first
  EXPECT_EQ(s.labels[1], 1);
  EXPECT_EQ(s.height, 224);
  // After resize to 256 x 341 and the crop, column 0 is red and the last column blue.
  EXPECT_EQ(s.u8[0], 255);                         // R at (0, 0)
  EXPECT_EQ(s.u8[2 * 224 * 224], 0);                // B at (0, 0)
  EXPECT_EQ(s.u8[2 * 224 * 224 + 223], 255);        // B at (0, 223)
  std::vector<float> b(static_cast<size_t>(s.sample_size()));
  s.batch(0, 1, b.data());
  EXPECT_NEAR(b[0], (1.0f - 0.485f) / 0.229f, 1e-5);
  fs::remove_all(dir);
}

TEST(ImageClasses, FlatFolderWithLabelsFileAndErrors) {
  const fs::path dir = temp_dir("flat");
  cv::Mat img(64, 64, CV_8UC3, cv::Scalar(10, 20, 30));
  ASSERT_TRUE(cv::imwrite((dir / "x1.jpg").string(), img));
  ASSERT_TRUE(cv::imwrite((dir / "x2.jpg").string(), img));
  data::SampleSet s;
  Status st = data::load_image_classes(dir.string(), 32, 32, 0, &s);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("labels.txt"), std::string::npos);
  std::ofstream(dir / "labels.txt") << "x2.jpg 7\nx1.jpg 4\n";
  st = data::load_image_classes(dir.string(), 32, 32, 0, &s);
  ASSERT_TRUE(st.ok()) << st.describe();
  EXPECT_EQ(s.labels, (std::vector<int64_t>{4, 7}));
  EXPECT_EQ(s.classes.size(), 8u);
  std::ofstream(dir / "labels.txt") << "x3.jpg 1\n";
  st = data::load_image_classes(dir.string(), 32, 32, 0, &s);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("x3.jpg"), std::string::npos) << st.message();
  fs::remove_all(dir);
}

TEST(LogMel, SineLandsInItsBand) {
  const double rate = 16000, f = 1000;
  std::vector<float> x(16000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.5f * static_cast<float>(std::sin(2 * M_PI * f * i / rate));
  data::LogMelOptions o;
  const std::vector<float> m = data::log_mel(x, rate, o);
  ASSERT_EQ(m.size(), static_cast<size_t>(o.n_mels * o.frames));
  // The band whose centre (HTK mel, 0..8000 Hz in 41 steps) is nearest 1 kHz.
  auto mel = [](double hz) { return 2595 * std::log10(1 + hz / 700); };
  int64_t expected = 0;
  double best = 1e9;
  for (int64_t b = 0; b < o.n_mels; ++b) {
    const double centre_mel = mel(8000) * static_cast<double>(b + 1) / static_cast<double>(o.n_mels + 1);
    if (std::abs(centre_mel - mel(f)) < best) best = std::abs(centre_mel - mel(f)), expected = b;
  }
  const int64_t t = 50;
  int64_t arg = 0;
  for (int64_t b = 1; b < o.n_mels; ++b)
    if (m[static_cast<size_t>(b * o.frames + t)] > m[static_cast<size_t>(arg * o.frames + t)]) arg = b;
  EXPECT_EQ(arg, expected);
  double mean = 0;
  for (float v : m) mean += v;
  EXPECT_NEAR(mean / static_cast<double>(m.size()), 0.0, 1e-4);  // standardised
}

TEST(WavFolder, NamedLabelsAndErrors) {
  const fs::path dir = temp_dir("wav");
  std::vector<float> tone(8000);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = 0.3f * static_cast<float>(std::sin(0.1 * static_cast<double>(i)));
  ASSERT_TRUE(data::write_wav16((dir / "a.wav").string(), tone, 8000).ok());
  ASSERT_TRUE(data::write_wav16((dir / "b.wav").string(), tone, 8000).ok());
  data::SampleSet s;
  data::LogMelOptions o;
  Status st = data::load_wav_folder(dir.string(), o, 0, &s);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("labels.csv"), std::string::npos);
  std::ofstream(dir / "labels.csv") << "file,label\na.wav,dog\nb.wav,cat\n";
  st = data::load_wav_folder(dir.string(), o, 0, &s);
  ASSERT_TRUE(st.ok()) << st.describe();
  EXPECT_EQ(s.classes, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(s.labels, (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(s.height, o.n_mels);
  EXPECT_EQ(s.width, o.frames);
  std::ofstream(dir / "labels.csv") << "a.wav,1\nmissing.wav,0\n";
  st = data::load_wav_folder(dir.string(), o, 0, &s);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("missing.wav"), std::string::npos) << st.message();
  std::ofstream(dir / "labels.csv") << "a.wav\n";
  st = data::load_wav_folder(dir.string(), o, 0, &s);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("line 1"), std::string::npos) << st.message();
  fs::remove_all(dir);
}

TEST(ImagePatches, GridAndLimit) {
  const fs::path dir = temp_dir("patches");
  cv::Mat img(40, 70, CV_8UC3, cv::Scalar(0, 128, 255));
  ASSERT_TRUE(cv::imwrite((dir / "p.png").string(), img));
  std::vector<std::string> files;
  ASSERT_TRUE(data::list_images(dir.string(), &files).ok());
  ASSERT_EQ(files.size(), 1u);
  data::SampleSet s;
  ASSERT_TRUE(data::load_image_patches(files, 16, 16, 0, &s).ok());
  EXPECT_EQ(s.size(), 2 * 4);  // 40/16 = 2 rows, 70/16 = 4 columns
  std::vector<float> b(static_cast<size_t>(s.sample_size()));
  s.batch(0, 1, b.data());
  EXPECT_FLOAT_EQ(b[0], 1.0f);                  // R = 255, no normalisation
  EXPECT_FLOAT_EQ(b[16 * 16], 128 / 255.0f);    // G
  ASSERT_TRUE(data::load_image_patches(files, 16, 16, 3, &s).ok());
  EXPECT_EQ(s.size(), 3);
  EXPECT_FALSE(data::load_image_patches(files, 64, 64, 0, &s).ok());
  EXPECT_FALSE(data::list_images((dir / "nope").string(), &files).ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace nnr
