// Writing NNR units (spec 2): the unit size and header, and the header and
// payload of each unit type. The mirror of the parsers in hls.h.
#ifndef NNR_HLS_ENC_UNITS_H
#define NNR_HLS_ENC_UNITS_H

#include <cstdint>
#include <vector>

#include "bitio/bit_writer.h"
#include "nnr/encoder.h"
#include "nnr/syntax.h"

namespace nnr {

// nnr_unit(): size field (short form when it fits), unit header, then the
// bytes of the type-specific header and payload.
std::vector<uint8_t> write_nnr_unit(int nnr_unit_type, const std::vector<uint8_t>& body,
                                    int partial_data_counter = -1);

std::vector<uint8_t> write_str_body(int general_profile_idc);
// The MPS with its performance maps (the flags follow the maps; mps.maps,
// the parsed form, must be empty).
// general_profile_idc 1 writes the edition-2 fields (only the parent
// signalling flag set).
std::vector<uint8_t> write_mps_body(const ModelParameterSet& mps, const PerformanceMaps& maps = {},
                                   int general_profile_idc = 0);
std::vector<uint8_t> write_lps_body(const LayerParameterSet& lps);
std::vector<uint8_t> write_tpl_body(const Topology& tpl);
std::vector<uint8_t> write_qnt_body(const QuantizationData& qnt);
// The NDU header (ending with byte_alignment) followed by `payload`. With
// h.general_profile_idc 1 the edition-2 fields are written (the parent's
// only when the MPS enables parent signalling).
std::vector<uint8_t> write_ndu_body(const NduHeader& h, int mps_topology_indexed_reference_flag,
                                    const std::vector<uint8_t>& payload,
                                    int mps_parent_signalling_enabled_flag = 0);
std::vector<uint8_t> write_agg_body(const AggregateHeader& agg,
                                    const std::vector<std::vector<uint8_t>>& units);

void write_integer_codebook(BitWriter& bw, const IntegerCodebook& cb);

}  // namespace nnr

#endif  // NNR_HLS_ENC_UNITS_H
