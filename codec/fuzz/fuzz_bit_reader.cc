// Reads a sequence of descriptors chosen by the input itself.
#include <cstddef>
#include <cstdint>

#include "bitio/bit_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t split = data[0] % size;
  nnr::BitReader ops(data + 1, split);
  nnr::BitReader br(data + 1 + split, size - 1 - split, 17);
  try {
    for (int i = 0; i < 10000; ++i) {
      switch (ops.u(3)) {
        case 0: br.u(static_cast<int>(ops.u(6))); break;
        case 1: br.i(static_cast<int>(1 + ops.u(5))); break;
        case 2: br.ue(static_cast<int>(ops.u(4))); break;
        case 3: br.ie(static_cast<int>(ops.u(4))); break;
        case 4: br.flt(); break;
        case 5: if (br.byte_aligned()) br.st(); break;
        case 6: br.byte_alignment(); break;
        default: br.u1(); break;
      }
    }
  } catch (const nnr::Error&) {
  }
  return 0;
}
