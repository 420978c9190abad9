#include "models/arch.h"

#include <cmath>

namespace nnr::models {

namespace {

// Full-size defaults: torchvision's ImageNet models; for the task models, the
// same sizes as embedded (they are small by nature).
Arch defaults(const std::string& id, bool full) {
  if (id == "vgg16")
    return full ? Arch{{"width_mult", 1}, {"num_classes", 1000}, {"input_size", 224}, {"resize", 256},
                       {"classifier_width", 4096}, {"pool_size", 7}}
                : Arch{{"width_mult", 0.125}, {"num_classes", 10}, {"input_size", 32}, {"resize", 32},
                       {"classifier_width", 256}, {"pool_size", 1}};
  if (id == "resnet50")
    return full ? Arch{{"width_mult", 1}, {"num_classes", 1000}, {"input_size", 224}, {"resize", 256}}
                // 64x64: the ImageNet stem (stride 2, max pool) leaves 16x16 for
                // the first block; from 32x32 it leaves 8x8 and tops out near 87 %.
                : Arch{{"width_mult", 0.125}, {"num_classes", 10}, {"input_size", 64}, {"resize", 64}};
  if (id == "mobilenetv2")
    return full ? Arch{{"width_mult", 1}, {"num_classes", 1000}, {"input_size", 224}, {"resize", 256}}
                : Arch{{"width_mult", 0.5}, {"num_classes", 10}, {"input_size", 32}, {"resize", 32}};
  if (id == "dcase")
    return Arch{{"num_classes", 10}, {"n_mels", 40}, {"frames", 100}, {"channels", 32}, {"hidden", 100}};
  if (id == "uc12b")
    return Arch{{"channels", 32}, {"latent_channels", 8}, {"patch_size", 48}};
  return {};
}

}  // namespace

Status resolve_arch(const std::string& id, const std::string& variant, const Arch& overrides, Arch* out) {
  if (variant != "embedded" && variant != "full")
    return Status(ErrorCode::kInvalidArgument, kNoOffset,
                  "unknown variant '" + variant + "' (expected \"embedded\" or \"full\")");
  Arch a = defaults(id, variant == "full");
  if (a.empty()) return Status(ErrorCode::kInvalidArgument, kNoOffset, "unknown use case '" + id + "'");
  for (const auto& [key, value] : overrides) {
    auto it = a.find(key);
    if (it == a.end()) {
      std::string known;
      for (const auto& kv : a) known += (known.empty() ? "" : ", ") + kv.first;
      return Status(ErrorCode::kInvalidArgument, kNoOffset,
                    "use case '" + id + "' has no architecture option '" + key + "' (options: " + known + ")");
    }
    if (!std::isfinite(value) || value <= 0 || (key != "width_mult" && value != std::floor(value)) ||
        value > 1e6)
      return Status(ErrorCode::kInvalidArgument, kNoOffset,
                    "architecture option '" + key + "' must be a positive " +
                        (key == "width_mult" ? "number" : "integer"));
    it->second = value;
  }
  if ((id == "vgg16" || id == "resnet50" || id == "mobilenetv2") && a["resize"] < a["input_size"])
    a["resize"] = a["input_size"];
  if (id == "dcase" && (a["n_mels"] < 20 || a["frames"] < 20))
    return Status(ErrorCode::kInvalidArgument, kNoOffset, "dcase needs n_mels >= 20 and frames >= 20");
  if (id == "uc12b" && static_cast<int64_t>(a["patch_size"]) % 4 != 0)
    return Status(ErrorCode::kInvalidArgument, kNoOffset, "uc12b needs a patch_size divisible by 4");
  *out = a;
  return Status();
}

}  // namespace nnr::models
