// The vectors of the project's conformance suite: what each one is meant to
// exercise and how it is made, from the high-level encoder (inputs and
// settings) or from the stream builder (units and coded values).
#ifndef NNR_HARNESS_CONFORMANCE_SUITE_VECTOR_DEFS_H
#define NNR_HARNESS_CONFORMANCE_SUITE_VECTOR_DEFS_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "conformance/suite/rng.h"
#include "conformance/suite/stream_builder.h"
#include "nnr/encoder.h"

namespace nnr::suite {

struct VectorDef {
  std::string name;
  std::string description;
  std::vector<std::string> exercises;
  uint64_t seed = 0;
  bool use_encoder = false;
  // use_encoder: nnr::encode(inputs, settings); its reconstruction is the expected output.
  std::vector<Tensor> inputs;
  EncoderSettings settings;
  // otherwise: the stream builder's units; the spec model gives the expected output.
  std::vector<UnitSpec> units;
  // Warnings the decoder gives on purpose (substrings), e.g. a topology
  // element no NDU carries.
  std::vector<std::string> expected_warnings;
};

using VectorMaker = std::function<VectorDef()>;

// Every vector, in suite order (names are unique).
std::vector<std::pair<std::string, VectorMaker>> all_vector_makers();

// Groups, one file each.
void add_encoder_vectors(std::vector<std::pair<std::string, VectorMaker>>& v);
void add_syntax_vectors(std::vector<std::pair<std::string, VectorMaker>>& v);
void add_block_vectors(std::vector<std::pair<std::string, VectorMaker>>& v);
void add_value_vectors(std::vector<std::pair<std::string, VectorMaker>>& v);

// ---- helpers shared by the groups ----
// A vector's identity; its content is filled in by the maker.
VectorDef new_vector(const std::string& name, const std::string& description, std::vector<std::string> exercises,
                     uint64_t seed, bool use_encoder = false);
UnitSpec str_unit();
UnitSpec mps_unit(int qp_density, int quant_param = 0, int method_flags = NNR_QSU);
UnitSpec tpl_unit(int storage_format = NNR_TPL_UNREC, const std::string& data = "");
UnitSpec lps_unit(int qp_density, int quant_param, int method_flags = NNR_QSU);
UnitSpec ndu_unit(NduSpec n);
// STR, MPS (qp_density d), TPL.
std::vector<UnitSpec> start_units(int qp_density);

// Random coded levels for a member: |k| < 2^max_bits; with DQ the levels are
// kept so that every reconstruction level fits int32.
std::vector<int64_t> random_levels(Rng& rng, const std::vector<int64_t>& shape, int scan_order, bool dq,
                                   int max_bits);
MemberSpec member(Rng& rng, Role role, const std::string& name, const std::vector<int64_t>& shape,
                  int scan_order, bool dq, int max_bits, int qp_offset);

// One-tensor NDUs.
NduSpec float_ndu(Rng& rng, const std::string& name, const std::vector<int64_t>& shape, bool dq, int scan_order,
                  int qp_offset, int max_bits = 8);
NduSpec int_ndu(Rng& rng, const std::string& name, const std::vector<int64_t>& shape, int max_bits = 16);
NduSpec raw_ndu(Rng& rng, const std::string& name, const std::vector<int64_t>& shape);

// Random float32 tensor (values exact multiples of 2^-12).
Tensor random_tensor(Rng& rng, const std::string& name, const std::vector<int64_t>& shape);
Tensor random_int_tensor(Rng& rng, const std::string& name, const std::vector<int64_t>& shape, int max_bits);

}  // namespace nnr::suite

#endif
