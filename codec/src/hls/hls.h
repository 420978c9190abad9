// Parsing of NNR units (spec 2): the unit size and header, and one parser per
// unit type. Every parser reads through a BitReader limited to the unit, so a
// value can never make it read outside the unit.
#ifndef NNR_HLS_HLS_H
#define NNR_HLS_HLS_H

#include <cstddef>
#include <cstdint>

#include "bitio/bit_reader.h"
#include "nnr/syntax.h"

namespace nnr {

// What earlier units tell the parser of later ones.
struct HlsState {
  int general_profile_idc = 0;  // from NNR_STR; 1 selects the edition-2 syntax
  bool have_mps = false;
  ModelParameterSet mps;
  bool lps_active = false;
  LayerParameterSet lps;
  bool have_reflist = false;
  std::vector<std::string> reflist;  // NNR_TPL_REFLIST element ids, for indexed references
  int ndu_count = 0;
  int agg_depth = 0;
};

// Parses the unit starting at data[offset]. `data`/`size` is the whole input.
// Throws nnr::Error naming the byte offset.
void parse_nnr_unit(const uint8_t* data, size_t size, uint64_t offset, HlsState& state,
                    NnrUnit* unit, bool trace);

// Unit payloads (the reader is positioned after the common unit header).
void parse_str(BitReader& br, NnrUnit& unit);
void parse_mps(BitReader& br, const HlsState& state, NnrUnit& unit);
void parse_lps(BitReader& br, NnrUnit& unit);
void parse_tpl(BitReader& br, NnrUnit& unit);
void parse_qnt(BitReader& br, NnrUnit& unit);
void parse_ndu_header(BitReader& br, const HlsState& state, NnrUnit& unit);
void parse_agg_header(BitReader& br, NnrUnit& unit);

// Helpers shared by the parsers.
// True for the edition-2 syntax (general_profile_idc 1), false for edition 1;
// fails for any other profile.
bool edition2_syntax(const BitReader& br, const HlsState& state);
void parse_performance_map(BitReader& br, const char* kind, PerformanceMap& map);
void parse_topology_elements_ids_list(BitReader& br, int indexed, std::vector<std::string>& names,
                                      std::vector<int64_t>& indices);
void parse_integer_codebook(BitReader& br, IntegerCodebook& cb);

}  // namespace nnr

#endif  // NNR_HLS_HLS_H
