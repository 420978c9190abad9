#include <stdexcept>

#include "conformance/suite/spec_model.h"
#include "conformance/suite/vector_defs.h"

namespace nnr::suite {

namespace {

int64_t numel(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

constexpr int kNext[8][2] = {{0, 2}, {7, 5}, {1, 3}, {6, 4}, {2, 0}, {5, 7}, {3, 1}, {4, 6}};

}  // namespace

VectorDef new_vector(const std::string& name, const std::string& description, std::vector<std::string> exercises,
                     uint64_t seed, bool use_encoder) {
  VectorDef d;
  d.name = name;
  d.description = description;
  d.exercises = std::move(exercises);
  d.seed = seed;
  d.use_encoder = use_encoder;
  return d;
}

std::vector<std::pair<std::string, VectorMaker>> all_vector_makers() {
  std::vector<std::pair<std::string, VectorMaker>> v;
  add_encoder_vectors(v);
  add_syntax_vectors(v);
  add_block_vectors(v);
  add_value_vectors(v);
  return v;
}

UnitSpec str_unit() {
  UnitSpec u;
  u.type = NNR_STR;
  return u;
}

UnitSpec mps_unit(int qp_density, int quant_param, int method_flags) {
  UnitSpec u;
  u.type = NNR_MPS;
  u.mps.topology_carriage_flag = 1;
  u.mps.mps_quantization_method_flags = method_flags;
  u.mps.mps_qp_density = qp_density;
  u.mps.mps_quantization_parameter = quant_param;
  return u;
}

UnitSpec tpl_unit(int storage_format, const std::string& data) {
  UnitSpec u;
  u.type = NNR_TPL;
  u.tpl.topology_storage_format = storage_format;
  u.tpl.topology_data = data;
  return u;
}

UnitSpec lps_unit(int qp_density, int quant_param, int method_flags) {
  UnitSpec u;
  u.type = NNR_LPS;
  u.lps.lps_self_contained_flag = 1;
  u.lps.lps_quantization_method_flags = method_flags;
  u.lps.lps_qp_density = qp_density;
  u.lps.lps_quantization_parameter = quant_param;
  return u;
}

UnitSpec ndu_unit(NduSpec n) {
  UnitSpec u;
  u.type = NNR_NDU;
  u.ndu = std::move(n);
  return u;
}

std::vector<UnitSpec> start_units(int qp_density) { return {str_unit(), mps_unit(qp_density), tpl_unit()}; }

std::vector<int64_t> random_levels(Rng& rng, const std::vector<int64_t>& shape, int scan_order, bool dq,
                                   int max_bits) {
  (void)scan_order;
  const int64_t n = numel(shape);
  std::vector<int64_t> k(static_cast<size_t>(n));
  int state = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t v = rng.level(max_bits);
    if (dq) {
      // Keep L = 2k or 2k - sgn(k) inside int32.
      for (;;) {
        const int64_t sg = v > 0 ? 1 : (v < 0 ? -1 : 0);
        const int64_t l = v == 0 ? 0 : (state % 2 == 0 ? 2 * v : 2 * v - sg);
        if (l <= INT32_MAX && l >= INT32_MIN + 1) break;
        v /= 2;
      }
      state = kNext[state][v & 1];
    }
    k[static_cast<size_t>(i)] = v;
  }
  return k;
}

MemberSpec member(Rng& rng, Role role, const std::string& name, const std::vector<int64_t>& shape, int scan_order,
                  bool dq, int max_bits, int qp_offset) {
  MemberSpec m;
  m.role = role;
  m.name = name;
  m.shape = shape;
  m.k = random_levels(rng, shape, scan_order, dq, max_bits);
  m.qp_offset = qp_offset;
  return m;
}

NduSpec float_ndu(Rng& rng, const std::string& name, const std::vector<int64_t>& shape, bool dq, int scan_order,
                  int qp_offset, int max_bits) {
  NduSpec n;
  n.payload_type = NNR_PT_FLOAT;
  n.dims = shape;
  n.dq_flag = dq;
  n.scan_order = shape.size() > 1 ? scan_order : 0;
  n.members.push_back(member(rng, Role::kSingle, name, shape, n.scan_order, dq, max_bits, qp_offset));
  return n;
}

NduSpec int_ndu(Rng& rng, const std::string& name, const std::vector<int64_t>& shape, int max_bits) {
  NduSpec n;
  n.payload_type = NNR_PT_INT;
  n.dims = shape;
  n.members.push_back(member(rng, Role::kSingle, name, shape, 0, false, max_bits, 0));
  return n;
}

NduSpec raw_ndu(Rng& rng, const std::string& name, const std::vector<int64_t>& shape) {
  NduSpec n;
  n.payload_type = NNR_PT_RAW_FLOAT;
  n.dims = shape;
  MemberSpec m;
  m.name = name;
  m.shape = shape;
  n.members.push_back(m);
  for (int64_t i = 0; i < numel(shape); ++i) n.raw.push_back(rng.weight() * 3.0f);
  return n;
}

Tensor random_tensor(Rng& rng, const std::string& name, const std::vector<int64_t>& shape) {
  Tensor t;
  t.name = name;
  t.shape = shape;
  for (int64_t i = 0; i < numel(shape); ++i) t.f32.push_back(rng.weight());
  return t;
}

Tensor random_int_tensor(Rng& rng, const std::string& name, const std::vector<int64_t>& shape, int max_bits) {
  Tensor t;
  t.name = name;
  t.shape = shape;
  t.dtype = DType::kInt32;
  for (int64_t i = 0; i < numel(shape); ++i) t.i32.push_back(static_cast<int32_t>(rng.level(max_bits)));
  return t;
}

}  // namespace nnr::suite
