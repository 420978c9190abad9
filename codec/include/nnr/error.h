// Errors of the NNR codec. Internally, parsers throw nnr::Error; the public
// API catches it at the boundary and returns an nnr::Status.
#ifndef NNR_ERROR_H
#define NNR_ERROR_H

#include <cstdint>
#include <stdexcept>
#include <string>

namespace nnr {

enum class ErrorCode {
  kOk = 0,
  kTruncated,        // the data ends before the syntax does
  kInvalidBitstream, // a value the syntax or semantics forbid
  kUnsupported,      // valid syntax this decoder does not implement
  kLimitExceeded,    // a resource limit (memory, dimensions) would be exceeded
  kInvalidArgument,  // a caller error
  kIo,               // a file could not be read or written
  kInternal,
  kInvalidData,      // an input file (a model, an array) does not follow its format
};

const char* error_code_name(ErrorCode code);

// Byte offset value meaning "no position in the input applies".
constexpr int64_t kNoOffset = -1;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, int64_t byte_offset, const std::string& message)
      : std::runtime_error(message), code_(code), byte_offset_(byte_offset) {}
  ErrorCode code() const { return code_; }
  int64_t byte_offset() const { return byte_offset_; }

 private:
  ErrorCode code_;
  int64_t byte_offset_;
};

// Result of an API call. Must be looked at: an ignored failure is a bug.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, int64_t byte_offset, std::string message)
      : code_(code), byte_offset_(byte_offset), message_(std::move(message)) {}
  static Status from(const Error& e) { return Status(e.code(), e.byte_offset(), e.what()); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  int64_t byte_offset() const { return byte_offset_; }
  const std::string& message() const { return message_; }
  // "FILE: byte OFFSET: message" (parts left out when they do not apply).
  std::string describe(const std::string& file = "") const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  int64_t byte_offset_ = kNoOffset;
  std::string message_;
};

}  // namespace nnr

#endif  // NNR_ERROR_H
