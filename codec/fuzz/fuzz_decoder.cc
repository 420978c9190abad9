// The whole decoder, with the output limited so the fuzzer's memory holds.
#include <cstddef>
#include <cstdint>

#include "nnr/anchor.h"
#include "nnr/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nnr::DecodeOptions opt;
  opt.threads = 1;
  opt.max_output_bytes = 64u << 20;
  nnr::DecodedModel m;
  if (nnr::is_anchor_stream(data, size)) {
    (void)nnr::anchor_decode(data, size, opt, &m);
  } else {
    (void)nnr::decode(data, size, opt, &m);
  }
  return 0;
}
