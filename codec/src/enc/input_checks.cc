#include "enc/input_checks.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>

#include "bitio/utf8.h"

namespace nnr {

void check_finite(const std::vector<Tensor>& tensors) {
  for (const Tensor& t : tensors) {
    if (t.dtype != DType::kFloat32) continue;
    const float* v = t.f32.data();
    const size_t n = t.f32.size();
    // NaN and the infinities have every exponent bit set: one integer pass
    // that vectorises, then a look for the element where it is.
    uint32_t bad = 0;
    for (size_t i = 0; i < n; ++i) {
      uint32_t bits;
      std::memcpy(&bits, v + i, 4);
      bad |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
    }
    if (!bad) continue;
    for (size_t i = 0; i < n; ++i)
      if (!std::isfinite(v[i]))
        throw Error(ErrorCode::kInvalidData, kNoOffset,
                    "tensor '" + t.name + "': element " + std::to_string(i) + " is " +
                        (std::isnan(v[i]) ? "NaN" : v[i] > 0 ? "+infinity" : "-infinity") +
                        ", which no quantisation level represents");
  }
}

void check_named_tensors(const std::vector<Tensor>& tensors, const EncoderSettings& s) {
  std::set<std::string> names;
  for (const Tensor& t : tensors) {
    // Names are st(v) strings: UTF-8 without NUL (spec 1.5).
    const auto* b = reinterpret_cast<const uint8_t*>(t.name.data());
    const size_t bad = utf8_invalid_at(b, t.name.size());
    if (bad != t.name.size() || t.name.find('\0') != std::string::npos)
      throw Error(ErrorCode::kInvalidData, kNoOffset,
                  "tensor name '" + t.name.substr(0, bad) + "...' is not UTF-8 without NUL (byte " +
                      std::to_string(bad) + "), as NNR names are");
    names.insert(t.name);
  }
  for (const auto& [name, qp] : s.qp_per_tensor)
    if (!names.count(name))
      throw Error(ErrorCode::kInvalidArgument, kNoOffset,
                  "qp_per_tensor names '" + name + "', which is not a tensor of the model");
}

}  // namespace nnr
