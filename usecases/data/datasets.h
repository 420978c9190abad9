// Data set readers for the use cases: each fills a SampleSet once; the use
// case then batches it for every working point. Torch-free.
#ifndef NNR_USECASES_DATA_DATASETS_H
#define NNR_USECASES_DATA_DATASETS_H

#include <string>
#include <vector>

#include "data/sample_set.h"
#include "nnr/error.h"

namespace nnr::data {

// --- where embedded material lives --------------------------------------------
// The project's datasets/ folder (trained models, caches): $NNR_DATASETS_DIR,
// else the source tree's datasets/ compiled in.
std::string datasets_dir();
// Generated data (spoken digits): $NNR_CACHE_DIR, else datasets_dir()/cache.
std::string cache_dir();
// Debian's dataset-fashion-mnist: $NNR_FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist.
std::string fashion_mnist_dir();
// Natural photographs from Debian's opencv-doc: $NNR_PHOTOS_DIR, else
// /usr/share/doc/opencv-doc/examples/data.
std::string photos_dir();

// --- classification images ---------------------------------------------------
// Whether `dir` holds an IDX (MNIST-format) pair for `split` ("train", "t10k").
bool is_idx_folder(const std::string& dir, const std::string& split);
// IDX images (gzip or raw) with their labels: the first `limit` (0: all),
// brought to size x size (zero-padded when 28 < size <= 36, else resized
// bilinearly), replicated to `channels`, normalised with Fashion-MNIST's
// mean/stddev.
Status load_idx(const std::string& dir, const std::string& split, int64_t size, int64_t channels,
                int64_t limit, SampleSet* out);
extern const std::vector<std::string> kFashionMnistClasses;

// An ImageNet-style validation folder with torchvision's evaluation
// preprocessing: shorter side resized to `resize`, centre crop `crop`, RGB,
// ImageNet mean/stddev. Layouts: one sub-folder per class (classes in sorted
// order, as torchvision's ImageFolder), or images in `dir` with a labels file
// (labels.txt / val.txt: "FILE LABEL" lines, LABEL an integer class index).
// Images are taken in sorted file order; `limit` keeps the first N.
Status load_image_classes(const std::string& dir, int64_t resize, int64_t crop, int64_t limit,
                          SampleSet* out);

// --- audio ---------------------------------------------------------------------
struct LogMelOptions {
  int64_t n_mels = 40;
  int64_t frames = 100;       // fixed length: shorter clips are padded, longer cut
  double window_s = 0.025;    // Hann window length; FFT size: next power of two
  double hop_s = 0.010;
  double fmin = 0.0, fmax = 8000.0;  // fmax is capped at the Nyquist frequency
};
// Log-mel spectrogram (n_mels x frames, row-major) of mono samples at `rate`,
// standardised to zero mean and unit variance over the whole clip.
std::vector<float> log_mel(const std::vector<float>& samples, double rate, const LogMelOptions& o);
// A folder of WAV (or any libsndfile format) files with labels.csv ("file,label"
// lines; a first line "file,label" is a header). Labels are class names; when
// every label is an integer the integer is the class index, else the sorted
// names give the indices. Features: log_mel of the mono mix-down.
Status load_wav_folder(const std::string& dir, const LogMelOptions& o, int64_t limit, SampleSet* out);
// The project's spoken-digit set (espeak-ng: several voices, speeds, pitches,
// added noise), synthesised deterministically into cache_dir() on first use.
// split: "train" or "test". Sets *dir to the folder (WAV files + labels.csv).
Status spoken_digits(const std::string& split, std::string* dir);

// --- images for the autoencoder ---------------------------------------------------
// Image files (png, jpg, jpeg, bmp, ppm, tif, tiff, webp) in `dir`, sorted.
Status list_images(const std::string& dir, std::vector<std::string>* files);
// The embedded photographs of `split` ("train" or "test"), as files.
Status embedded_photos(const std::string& split, std::vector<std::string>* files);
// Non-overlapping patch x patch RGB patches (values in [0, 1], no
// normalisation) on a grid with step `stride`, image by image, up to `limit`.
Status load_image_patches(const std::vector<std::string>& files, int64_t patch, int64_t stride,
                          int64_t limit, SampleSet* out);

}  // namespace nnr::data

#endif
