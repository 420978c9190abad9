#include "hls/hls.h"

namespace nnr {

// NNR_QNT header and payload (spec 2.7). The quantization data is carried
// as given; it does not change how tensors are reconstructed here.
void parse_qnt(BitReader& br, NnrUnit& unit) {
  QuantizationData& q = unit.qnt;
  q.quantization_storage_format = static_cast<int>(br.u(8, "quantization_storage_format"));
  q.quantization_compression_format = static_cast<int>(br.u(8, "quantization_compression_format"));
  q.quantization_data = br.st("quantization_data");
}

}  // namespace nnr
