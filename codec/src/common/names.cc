// Names of enumerations, errors and the library version.
#include <string>

#include "nnr/decoder.h"
#include "nnr/error.h"
#include "nnr/syntax.h"
#include "nnr/tensor.h"

namespace nnr {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kTruncated: return "truncated";
    case ErrorCode::kInvalidBitstream: return "invalid bitstream";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kLimitExceeded: return "limit exceeded";
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kInternal: return "internal error";
    case ErrorCode::kInvalidData: return "invalid data";
  }
  return "?";
}

std::string Status::describe(const std::string& file) const {
  std::string s;
  if (!file.empty()) s += file + ": ";
  if (byte_offset_ != kNoOffset) s += "byte " + std::to_string(byte_offset_) + ": ";
  s += std::string(error_code_name(code_)) + ": " + message_;
  return s;
}

const char* dtype_name(DType t) { return t == DType::kInt32 ? "int32" : "float32"; }

const char* nnr_unit_type_name(int t) {
  static const char* const names[] = {"NNR_STR", "NNR_MPS", "NNR_LPS", "NNR_TPL",
                                      "NNR_QNT", "NNR_NDU", "NNR_AGG"};
  return t >= 0 && t < 7 ? names[t] : "reserved";
}

const char* payload_type_name(int t) {
  static const char* const names[] = {"NNR_PT_INT", "NNR_PT_FLOAT", "NNR_PT_RAW_FLOAT",
                                      "NNR_PT_BLOCK"};
  return t >= 0 && t < 4 ? names[t] : "reserved";
}

const char* topology_storage_format_name(int f) {
  static const char* const names[] = {"NNR_TPL_UNREC", "NNR_TPL_NNEF", "NNR_TPL_ONNX",
                                      "NNR_TPL_PYT",   "NNR_TPL_TEF",  "NNR_TPL_PRUN",
                                      "NNR_TPL_REFLIST"};
  return f >= 0 && f < 7 ? names[f] : "reserved";
}

const char* version_string() { return NNR_VERSION_STRING; }

}  // namespace nnr
