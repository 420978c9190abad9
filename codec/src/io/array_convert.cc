#include "io/array_convert.h"

#include <cmath>
#include <cstring>

namespace nnr {

const char* stored_type_name(StoredType t) {
  switch (t) {
    case StoredType::kF16: return "float16";
    case StoredType::kBF16: return "bfloat16";
    case StoredType::kF32: return "float32";
    case StoredType::kF64: return "float64";
    case StoredType::kI8: return "int8";
    case StoredType::kU8: return "uint8";
    case StoredType::kI16: return "int16";
    case StoredType::kU16: return "uint16";
    case StoredType::kI32: return "int32";
    case StoredType::kU32: return "uint32";
    case StoredType::kI64: return "int64";
    case StoredType::kBool: return "bool";
  }
  return "?";
}

size_t stored_type_size(StoredType t) {
  switch (t) {
    case StoredType::kI8: case StoredType::kU8: case StoredType::kBool: return 1;
    case StoredType::kF16: case StoredType::kBF16: case StoredType::kI16: case StoredType::kU16: return 2;
    case StoredType::kF32: case StoredType::kI32: case StoredType::kU32: return 4;
    case StoredType::kF64: case StoredType::kI64: return 8;
  }
  return 0;
}

namespace {

uint64_t load_le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h >> 15) << 31;
  const int exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  float f;
  if (exp == 0) {
    f = std::ldexp(static_cast<float>(mant), -24);  // zero or subnormal, exact
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    bits |= sign;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  uint32_t bits;
  if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | (static_cast<uint32_t>(exp - 15 + 127) << 23) | (mant << 13);
  }
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

Status convert_array(StoredType type, const uint8_t* data, size_t count, const std::string& what,
                     Tensor* out, std::vector<std::string>* notices) {
  const size_t es = stored_type_size(type);
  switch (type) {
    case StoredType::kF32:
    case StoredType::kF16:
    case StoredType::kBF16:
    case StoredType::kF64: {
      out->dtype = DType::kFloat32;
      out->f32.resize(count);
      bool rounded = false;
      for (size_t i = 0; i < count; ++i) {
        const uint64_t raw = load_le(data + i * es, es);
        float f;
        if (type == StoredType::kF32) {
          const uint32_t b = static_cast<uint32_t>(raw);
          std::memcpy(&f, &b, 4);
        } else if (type == StoredType::kF16) {
          f = half_to_float(static_cast<uint16_t>(raw));
        } else if (type == StoredType::kBF16) {
          const uint32_t b = static_cast<uint32_t>(raw) << 16;
          std::memcpy(&f, &b, 4);
        } else {
          double d;
          std::memcpy(&d, &raw, 8);
          f = static_cast<float>(d);
          rounded |= static_cast<double>(f) != d && !std::isnan(d);
        }
        out->f32[i] = f;
      }
      if (rounded && notices) notices->push_back(what + ": float64 values rounded to float32");
      return Status();
    }
    default: {
      out->dtype = DType::kInt32;
      out->i32.resize(count);
      for (size_t i = 0; i < count; ++i) {
        const uint64_t raw = load_le(data + i * es, es);
        int64_t v;
        switch (type) {
          case StoredType::kI8: v = static_cast<int8_t>(raw); break;
          case StoredType::kI16: v = static_cast<int16_t>(raw); break;
          case StoredType::kI32: v = static_cast<int32_t>(raw); break;
          case StoredType::kI64: v = static_cast<int64_t>(raw); break;
          case StoredType::kBool: v = raw != 0; break;
          default: v = static_cast<int64_t>(raw); break;  // unsigned
        }
        if (v < INT32_MIN || v > INT32_MAX)
          return Status(ErrorCode::kInvalidData, kNoOffset,
                        what + ": " + stored_type_name(type) + " value " + std::to_string(v) +
                            " at element " + std::to_string(i) + " does not fit int32");
        out->i32[i] = static_cast<int32_t>(v);
      }
      return Status();
    }
  }
}

}  // namespace nnr
