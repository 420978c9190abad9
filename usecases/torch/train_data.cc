#include "torch/train_data.h"

#include <torch/nn/functional/padding.h>

#include "data/datasets.h"

namespace nnr::torchuc {

namespace {

// The two readers both splits share: spectrograms of a wav folder (dcase)
// and overlapping patches (stride half a patch) of images (uc12b).
Status load_spectrograms(const models::Arch& arch, const std::string& dir, int64_t limit, data::SampleSet* out) {
  data::LogMelOptions lm;
  lm.n_mels = models::arch_int(arch, "n_mels");
  lm.frames = models::arch_int(arch, "frames");
  return data::load_wav_folder(dir, lm, limit, out);
}

Status load_patches(const models::Arch& arch, const std::vector<std::string>& files, int64_t limit,
                    data::SampleSet* out) {
  const int64_t patch = models::arch_int(arch, "patch_size");
  return data::load_image_patches(files, patch, patch / 2, limit, out);
}

}  // namespace

Status load_train_data(const std::string& id, const models::Arch& arch, int64_t limit, data::SampleSet* out,
                       std::string* what) {
  if (id == "dcase") {
    std::string dir;
    Status s = data::spoken_digits("train", &dir);
    if (!s.ok()) return s;
    *what = "spoken digits (espeak-ng), train split: " + dir;
    return load_spectrograms(arch, dir, limit, out);
  }
  if (id == "uc12b") {
    std::vector<std::string> files;
    Status s = data::embedded_photos("train", &files);
    if (!s.ok()) return s;
    *what = "patches (stride " + std::to_string(models::arch_int(arch, "patch_size") / 2) + ") of " +
            std::to_string(files.size()) + " photographs from " + data::photos_dir();
    return load_patches(arch, files, limit, out);
  }
  *what = "Fashion-MNIST train (60000 images) from " + data::fashion_mnist_dir();
  return data::load_idx(data::fashion_mnist_dir(), "train", models::arch_int(arch, "input_size"), 3, limit, out);
}

Status load_train_folder(const std::string& id, const models::Arch& arch, const std::string& dir, int64_t limit,
                         data::SampleSet* out) {
  if (id == "dcase") return load_spectrograms(arch, dir, limit, out);
  if (id == "uc12b") {
    std::vector<std::string> files;
    Status s = data::list_images(dir, &files);
    return s.ok() ? load_patches(arch, files, limit, out) : s;
  }
  const int64_t size = models::arch_int(arch, "input_size");
  if (data::is_idx_folder(dir, "train")) return data::load_idx(dir, "train", size, 3, limit, out);
  return data::load_image_classes(dir, models::arch_int(arch, "resize"), size, limit, out);
}

void make_batch(const data::SampleSet& set, const int64_t* order, int64_t count, torch::Tensor* x,
                torch::Tensor* labels) {
  *x = torch::empty({count, set.channels, set.height, set.width});
  *labels = torch::empty({count}, torch::kLong);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t k = order[i];
    set.batch(k, 1, x->data_ptr<float>() + i * set.sample_size());
    labels->data_ptr<int64_t>()[i] = set.labels[static_cast<size_t>(k)];
  }
}

namespace {

// Each image moved by its own random offset in [-pad, pad]^2; borders are
// replicated, so the background stays background.
torch::Tensor random_translate(const torch::Tensor& x, int pad) {
  namespace F = torch::nn::functional;
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  const torch::Tensor padded = F::pad(x, F::PadFuncOptions({pad, pad, pad, pad}).mode(torch::kReplicate));
  const torch::Tensor off = torch::randint(0, 2 * pad + 1, {n, 2}, torch::kLong);
  const int64_t* o = off.data_ptr<int64_t>();
  torch::Tensor out = torch::empty_like(x);
  for (int64_t i = 0; i < n; ++i) out[i].copy_(padded[i].narrow(1, o[2 * i], h).narrow(2, o[2 * i + 1], w));
  return out;
}

}  // namespace

torch::Tensor augment(const std::string& id, torch::Tensor x, int crop_pad) {
  if (id == "dcase") {
    const int64_t shift = torch::randint(-10, 11, {1}).item<int64_t>();
    return torch::roll(x, {shift}, {3});
  }
  const int64_t n = x.size(0);
  const torch::Tensor flip = torch::rand({n}) < 0.5;
  x = torch::where(flip.view({n, 1, 1, 1}), x.flip({3}), x);
  if (crop_pad > 0) x = random_translate(x, crop_pad);
  return x;
}

}  // namespace nnr::torchuc
