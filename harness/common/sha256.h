// SHA-256 (OpenSSL) as lowercase hex.
#ifndef NNR_HARNESS_SHA256_H
#define NNR_HARNESS_SHA256_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace nnr {

std::string sha256_hex(const uint8_t* data, size_t size);

}  // namespace nnr

#endif
