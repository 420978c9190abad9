// The encoding pipeline: parameter types and qp per tensor (spec 3.2, 9.2)
// -> quantisation (9.3-9.5) -> arithmetic payload with init sets and entry
// points (5.5, 7.3, 9.6) -> NNR units.
#include "nnr/encoder.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <new>
#include <optional>
#include <utility>
#include <string>

#include "cabac/arith_encoder.h"
#include "cabac/enc_levels.h"
#include "cabac/enc_levels_ed2.h"
#include "cabac/init_set_choice.h"
#include "common/thread_pool.h"
#include "enc/block_guess.h"
#include "enc/blocks.h"
#include "enc/input_checks.h"
#include "enc/opt_qp.h"
#include "hls/enc_units.h"
#include "quant/dq_trellis.h"
#include "quant/step_size.h"
#include "quant/urq.h"

namespace nnr {

namespace {

[[noreturn]] void invalid(const std::string& msg) {
  throw Error(ErrorCode::kInvalidArgument, kNoOffset, msg);
}

// The qp that keeps every level inside int32 (spec 9.5).
int overflow_qp(const float* w, size_t n, int qp_density) {
  double max_abs = 0;
  for (size_t i = 0; i < n; ++i) max_abs = std::fmax(max_abs, std::fabs(static_cast<double>(w[i])));
  const double min_step = max_abs / (2147483648.0 - 3.0);
  const int k = 1 << qp_density;
  const float base = static_cast<float>(std::floor(std::log2(min_step)) * k);
  const double new_qp =
      static_cast<double>(base) +
      (min_step * k / std::pow(2.0, static_cast<double>(base) / k) - static_cast<double>(k));
  return static_cast<int>(std::ceil(new_qp));
}

// What encoding one planned unit gives: its NNR units' bytes, the
// reconstruction of its tensors and its notices. Units are encoded
// independently (in parallel) and joined in plan order.
struct UnitOutput {
  std::vector<uint8_t> bytes;
  std::vector<Tensor> reconstruction;
  std::vector<std::string> messages;
};

class StreamEncoder {
 public:
  StreamEncoder(const EncoderSettings& s, const EncodeOptions& o, EncodeResult* out) : s_(s), o_(o), out_(out) {}

  void run(const std::vector<Tensor>& tensors) {
    validate_settings();
    if (s_.codebook_mode < 0 || s_.codebook_mode > 2) invalid("codebook_mode must be 0, 1 or 2");
    std::vector<uint8_t>& st = out_->stream;
    ed2_ = s_.general_profile_idc == 1;
    psig_ = ed2_ && (s_.compress_differences || s_.tca);
    for (size_t i = 0; i < tensors.size(); ++i) parameter_index_.emplace(tensors[i].name, static_cast<int64_t>(i));
    append(st, write_nnr_unit(NNR_STR, write_str_body(s_.general_profile_idc)));
    ModelParameterSet mps;
    mps.topology_carriage_flag = 1;
    mps.mps_quantization_method_flags = NNR_QSU;
    mps.has_qp = true;
    mps.mps_qp_density = s_.qp_density;
    mps.mps_quantization_parameter = 0;
    mps.mps_parent_signalling_enabled_flag = psig_ ? 1 : 0;
    append(st, write_nnr_unit(NNR_MPS, write_mps_body(mps, s_.performance_maps, s_.general_profile_idc)));
    Topology tpl;
    tpl.topology_storage_format = s_.model_kind == ModelKind::kPyTorch      ? NNR_TPL_PYT
                                  : s_.model_kind == ModelKind::kTensorFlow ? NNR_TPL_TEF
                                                                            : NNR_TPL_UNREC;
    append(st, write_nnr_unit(NNR_TPL, write_tpl_body(tpl)));
    check_inputs(tensors);
    const std::vector<PlannedUnit> plan = plan_units(tensors, s_);
    if (s_.opt_qp) choose_weight_qps(plan);
    std::vector<UnitOutput> units(plan.size());
    const int threads = std::min<int>(resolve_threads(o_.threads), static_cast<int>(plan.size()));
    if (threads <= 1) {
      for (size_t i = 0; i < plan.size(); ++i) encode_unit(plan[i], units[i]);
    } else {
      // Largest units first, so the tail of the run is short.
      std::vector<size_t> order(plan.size());
      std::vector<int64_t> size(plan.size(), 0);
      for (size_t i = 0; i < plan.size(); ++i) {
        order[i] = i;
        for (const PlannedTensor& m : plan[i].members) size[i] += m.tensor().numel();
      }
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return size[a] > size[b]; });
      ThreadPool pool(threads);
      pool.run(plan.size(), [&](size_t k) { encode_unit(plan[order[k]], units[order[k]]); }, /*leaf=*/false);
    }
    size_t total = st.size();
    for (const UnitOutput& u : units) total += u.bytes.size();
    st.reserve(total);
    for (UnitOutput& u : units) {
      append(st, u.bytes);
      std::vector<uint8_t>().swap(u.bytes);
      for (Tensor& t : u.reconstruction) out_->reconstruction.push_back(std::move(t));
      for (std::string& m : u.messages) out_->messages.push_back(std::move(m));
    }
  }

 private:
  void encode_unit(const PlannedUnit& u, UnitOutput& uo) const {
    const int scan = unit_scan_order(u);
    std::vector<CodedTensor> coded;
    for (const PlannedTensor& m : u.members) coded.push_back(quantize_tensor(m, scan, uo));
    // Members share a unit only if they share the coding tools (spec 3.3).
    bool separate = !u.block;
    for (const CodedTensor& c : coded) {
      const MemberRole r = c.src->role;
      separate |= c.is_int || c.raw || c.dq != coded.back().dq;
      separate |= c.codebook && r != MemberRole::kWeight && r != MemberRole::kG && r != MemberRole::kH;
      if (r == MemberRole::kG) separate |= c.codebook != coded.back().codebook;  // G, H: same method
    }
    if (separate) {
      for (CodedTensor& c : coded) {
        std::vector<CodedTensor> one;
        one.push_back(std::move(c));
        write_unit(one, false, u, uo);
      }
    } else {
      write_unit(coded, true, u, uo);
    }
  }

  struct CodedTensor {
    const PlannedTensor* src = nullptr;
    std::vector<int64_t> dims;
    ScanGeometry geom;
    bool is_int = false;
    int qp = 0;
    bool dq = false;
    std::vector<int32_t> levels;  // reconstruction levels, or codebook index - CbZeroOffset
    bool codebook = false;
    IntegerCodebook cb;
    bool raw = false;  // NNR_PT_RAW_FLOAT
    Tensor recon;
    std::optional<std::pair<int32_t, int32_t>> clip;  // int_quant_bw: the level range
  };

  static void append(std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
  }

  // What a model can hold that no level represents, and settings that name
  // tensors the model does not have.
  void check_inputs(const std::vector<Tensor>& tensors) const {
    check_finite(tensors);
    check_named_tensors(tensors, s_);
  }

  void validate_settings() const {
    if (s_.qp_density < 0 || s_.qp_density > 7) invalid("qp_density must be in 0..7");
    if (s_.scan_order < 0 || s_.scan_order > 4) invalid("scan_order must be in 0..4");
    if (s_.cabac_unary_length_minus1 < 0 || s_.cabac_unary_length_minus1 > 255)
      invalid("cabac_unary_length_minus1 must be in 0..255");
    if (s_.lambda_scale < 0 || !std::isfinite(s_.lambda_scale)) invalid("lambda_scale must be >= 0");
    if (s_.general_profile_idc != 0 && s_.general_profile_idc != 1)
      invalid("general_profile_idc must be 0 (edition 1) or 1 (edition 2)");
    if (s_.general_profile_idc == 0) {
      const char* ed2_only = s_.row_skipping ? "row_skipping"
                             : s_.tca ? "tca"
                             : s_.compress_differences ? "compress_differences"
                             : s_.hdsp ? "hdsp"
                             : s_.parent ? "a parent (an update sequence)"
                             : s_.device_id ? "device_id"
                             : s_.int_quant_bw ? "int_quant_bw" : nullptr;
      if (ed2_only) invalid(std::string(ed2_only) + " needs general_profile_idc 1 (edition 2)");
    }
    if (s_.device_id < 0) invalid("device_id must be >= 0");
  }

  // Edition 2: the decoder state's entry of a tensor (the parent), if any.
  const DecoderState::TensorState* parent_of(const std::string& name) const {
    if (!s_.parent) return nullptr;
    auto it = s_.parent->tensors.find(name);
    return it == s_.parent->tensors.end() ? nullptr : &it->second;
  }

  // opt_qp (spec 9.2): new qps for the weights, from their qps so far.
  void choose_weight_qps(const std::vector<PlannedUnit>& plan) {
    std::vector<OptQpWeight> weights;
    for (const PlannedUnit& u : plan)
      for (const PlannedTensor& m : u.members) {
        if (m.type != "weight" || m.role == MemberRole::kH) continue;
        OptQpWeight w;
        w.tensor = &m.tensor();
        if (m.role == MemberRole::kG) {
          w.h = &u.members.back().tensor();  // H follows G in coding order
          w.qp = qp_for(w.h->name, m.type);
        } else {
          w.qp = qp_for(m.tensor().name, m.type);
        }
        weights.push_back(w);
      }
    weight_qps_ = optimise_weight_qps(weights);
  }

  int qp_for(const std::string& name, const std::string& type) const {
    auto opt = weight_qps_.find(name);
    if (opt != weight_qps_.end()) return opt->second;
    auto it = s_.qp_per_tensor.find(name);
    if (it != s_.qp_per_tensor.end()) return it->second;
    if (type == "weight") return s_.qp;
    if (!s_.nonweight_qp || *s_.nonweight_qp == 0) return s_.qp - 2 * (1 << s_.qp_density);
    return *s_.nonweight_qp;
  }

  void check_qp_fits(const std::string& name, int qp) const {
    const int bits = 6 + s_.qp_density;
    const int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
    if (qp < lo || qp > hi)
      invalid("qp " + std::to_string(qp) + " of tensor '" + name + "' does not fit the " +
              std::to_string(bits) + "-bit qp offset (" + std::to_string(lo) + ".." +
              std::to_string(hi) + " at qp_density " + std::to_string(s_.qp_density) + ")");
  }

  // The scan order of a unit's block-scanned tensors: with DC both factors
  // must have a 2-D view (the header counts entry points for both, 5.6),
  // else the unit is coded row-major.
  int unit_scan_order(const PlannedUnit& u) const {
    if (!(u.cpt & NNR_CPT_DC)) return s_.scan_order;
    const int64_t g = u.g_number_of_rows, r = u.decomposition_rank;
    const int64_t c = u.members.back().tensor().shape.back();
    return g > 1 && r > 1 && c > 1 ? s_.scan_order : 0;
  }

  // Quantises one tensor (or takes its integers) and forms its reconstruction.
  CodedTensor quantize_tensor(const PlannedTensor& p, int scan_order, UnitOutput& uo) const {
    const Tensor& t = p.tensor();
    if (t.name.find('\0') != std::string::npos) invalid("tensor name contains NUL");
    CodedTensor c;
    c.src = &p;
    c.dims = t.shape.empty() ? std::vector<int64_t>{1} : t.shape;
    for (int64_t d : c.dims)
      if (d < 0) invalid("tensor '" + t.name + "' has a negative dimension");
    const size_t n = static_cast<size_t>(t.numel());
    if ((t.dtype == DType::kFloat32 ? t.f32.size() : t.i32.size()) != n)
      invalid("tensor '" + t.name + "': value count does not match its shape");
    c.geom = ScanGeometry::make(c.dims, scan_order);
    c.recon.name = t.name;
    c.recon.shape = c.dims;
    if (t.dtype == DType::kInt32) {
      c.is_int = true;
      c.levels.assign(t.i32.begin(), t.i32.end());
      c.recon.dtype = DType::kInt32;
      c.recon.i32 = t.i32;
      return c;
    }
    if (p.type == "raw") {
      c.raw = true;
      c.recon.dtype = DType::kFloat32;
      c.recon.f32 = t.f32;
      return c;
    }
    c.levels.resize(n);
    c.qp = qp_for(t.name, p.type);
    c.dq = s_.use_dq;
    if (s_.int_quant_bw > 0) int_aligned(t, p.type, &c);
    if (s_.codebook_mode > 0) {
      choose_codebook(t, &c, uo);
    } else {
      quantize_with_overflow_rule(t, c.dq, &c.qp, c.levels.data(), c.geom, uo, c.clip);
    }
    check_qp_fits(t.name, c.qp);
    c.recon.dtype = DType::kFloat32;
    c.recon.f32.resize(n);
    if (c.codebook) {
      const double delta = step_size_exact(c.qp, s_.qp_density);
      for (size_t i = 0; i < n; ++i)
        c.recon.f32[i] = static_cast<float>(static_cast<double>(c.cb.values[static_cast<size_t>(
                                                c.levels[i] + c.cb.cb_zero_offset)]) * delta);
    } else {
      const float step = step_size(c.qp, s_.qp_density);
      for (size_t i = 0; i < n; ++i) c.recon.f32[i] = static_cast<float>(c.levels[i]) * step;
    }
    return c;
  }

  // Integer-aligned quantisation (edition2.md 12.8, NNCodec 2.0's
  // int_quant_bw): the qp whose step maps the 99.95th percentile of |w| to
  // the largest level of `bw` bits, and the levels clipped to that range.
  // Not checked against the reference software (no vector uses it).
  void int_aligned(const Tensor& t, const std::string& type, CodedTensor* c) const {
    int* qp = &c->qp;
    const size_t n = t.f32.size();
    bool negative = false, nonzero = false;
    for (float v : t.f32) {
      negative |= v < 0;
      nonzero |= v != 0;
    }
    if (!nonzero || (n == 1 && std::nearbyint(t.f32[0]) == t.f32[0])) {  // zeros, or an integer scalar
      *qp = 0;
      return;
    }
    const int bw = s_.int_quant_bw > 7 || type == "weight" ? s_.int_quant_bw : 8;
    const double den = negative ? std::ldexp(1.0, bw - 1) - 1 : std::ldexp(1.0, bw) - 1;
    // numpy's default percentile: linear between the order statistics.
    std::vector<double> a(n);
    for (size_t i = 0; i < n; ++i) a[i] = std::fabs(static_cast<double>(t.f32[i]));
    std::sort(a.begin(), a.end());
    const double idx = 0.9995 * static_cast<double>(n - 1);
    const size_t lo = static_cast<size_t>(std::floor(idx)), hi = std::min(lo + 1, n - 1);
    double pct = a[lo] + (a[hi] - a[lo]) * (idx - static_cast<double>(lo));
    if (pct == 0) pct = a[n - 1];
    const double step = pct / (den > 0 ? den : 1.0);
    const int k = 1 << s_.qp_density;
    const double e = std::floor(std::log2(step));
    double q = e * k + (step * k / std::exp2(e) - k);
    const double lim = std::ldexp(1.0, 5 + s_.qp_density);
    q = std::min(std::max(q, -lim), lim - 1);
    *qp = static_cast<int>(std::nearbyint(q));  // half to even, as numpy rounds
    c->clip = negative ? std::pair<int32_t, int32_t>{static_cast<int32_t>(-std::ldexp(1.0, bw - 1)),
                                                   static_cast<int32_t>(std::ldexp(1.0, bw - 1) - 1)}
                     : std::pair<int32_t, int32_t>{0, static_cast<int32_t>(std::ldexp(1.0, bw) - 1)};
  }

  // Quantises at *qp; if a level would leave int32, raises qp (spec 9.5).
  void quantize_with_overflow_rule(const Tensor& t, bool dq, int* qp, int32_t* levels, const ScanGeometry& geom,
                                   UnitOutput& uo, const std::optional<std::pair<int32_t, int32_t>>& clip = {}) const {
    if (clip) {
      const bool ok = quantize(t.f32.data(), geom, *qp, dq, levels);
      if (!ok) invalid("tensor '" + t.name + "': levels do not fit int32 at the integer-aligned qp");
      for (size_t i = 0; i < t.f32.size(); ++i) levels[i] = std::min(std::max(levels[i], clip->first), clip->second);
      return;
    }
    if (quantize(t.f32.data(), geom, *qp, dq, levels)) return;
    const int raised = overflow_qp(t.f32.data(), t.f32.size(), s_.qp_density);
    uo.messages.push_back("INFO: QP for " + t.name + " has been clipped from " +
                             std::to_string(*qp) + " to " + std::to_string(raised) +
                             " to avoid int32_t overflow!");
    *qp = raised;
    if (!quantize(t.f32.data(), geom, *qp, dq, levels))
      invalid("tensor '" + t.name + "': levels do not fit int32 even at qp " + std::to_string(*qp));
  }

  // Bytes of a stand-alone arithmetic segment of `levels` (init sets and
  // levels, no qp offset), as the reference encoder measures candidates.
  size_t segment_bytes(const int32_t* levels, const ScanGeometry& geom, bool dq, bool param_opt) const {
    ArithEncoder enc;
    TensorContexts ctx;
    const int n = s_.cabac_unary_length_minus1 + 1;
    ctx.init(n, dq);
    const std::vector<int> sets = param_opt ? choose_init_sets(geom, levels, n, dq)
                                            : std::vector<int>(static_cast<size_t>(ctx.layout().count()), 0);
    encode_init_sets(enc, ctx, sets);
    encode_levels(enc, ctx, geom, levels, nullptr);
    return enc.finish().size();
  }

  // The same with the edition-2 coder as NNCodec 2.0 measures its codebook
  // candidates (edition2.md 12.5): one AbsGr flag fewer than the stream
  // codes, and the profile-0 syntax for the zero-offset search.
  size_t segment_bytes_ed2(const int32_t* levels, const ScanGeometry& geom, bool dq, bool param_opt,
                           bool edition2_syntax) const {
    ArithEncoder enc;
    Ed2EncodeInput e;
    e.geom = geom;
    e.cabac_unary_length = s_.cabac_unary_length_minus1;
    e.dq = dq;
    e.param_opt = param_opt;
    e.edition2_syntax = edition2_syntax;
    e.parent_node_id_present = psig_;
    std::vector<int32_t> decoded(static_cast<size_t>(geom.numel()));
    encode_tensor_ed2(enc, e, levels, decoded.data(), nullptr);
    return enc.finish().size();
  }
  size_t candidate_bytes(const int32_t* levels, const ScanGeometry& geom, bool dq, bool param_opt,
                         bool zero_offset_search) const {
    if (!ed2_) return segment_bytes(levels, geom, dq, param_opt);
    return segment_bytes_ed2(levels, geom, dq, param_opt, !zero_offset_search);
  }

  // Codebook quantisation (spec 9.7).
  void choose_codebook(const Tensor& t, CodedTensor* c, UnitOutput& uo) const {
    const size_t n = t.f32.size();
    const bool dq_requested = c->dq;
    int qp_c = c->qp - (dq_requested ? (1 << s_.qp_density) : 0);
    std::vector<int32_t> urq(n);
    quantize_with_overflow_rule(t, false, &qp_c, urq.data(), c->geom, uo, c->clip);
    // The codebook: the distinct levels, sorted; elements become indices.
    std::vector<int32_t> values(urq);
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    std::vector<int32_t> index(n);
    for (size_t i = 0; i < n; ++i)
      index[i] = static_cast<int32_t>(std::lower_bound(values.begin(), values.end(), urq[i]) - values.begin());
    // CbZeroOffset: the first offset giving the smallest row-major segment.
    const ScanGeometry row_major = ScanGeometry::make(c->dims, 0);
    std::vector<int32_t> shifted(n);
    size_t best_bytes = SIZE_MAX;
    int64_t offset = 0;
    for (size_t off = 0; off < values.size(); ++off) {
      for (size_t i = 0; i < n; ++i) shifted[i] = index[i] - static_cast<int32_t>(off);
      const size_t b = candidate_bytes(shifted.data(), row_major, false, true, true);
      if (b < best_bytes) {
        best_bytes = b;
        offset = static_cast<int64_t>(off);
      }
    }
    IntegerCodebook cb;
    cb.values.assign(values.begin(), values.end());
    cb.codebook_size = static_cast<int64_t>(values.size());
    cb.cb_zero_offset = offset;
    cb.codebook_centre_offset = offset - (cb.codebook_size >> 1);
    // codebook_egk: the first order giving the fewest bits.
    uint64_t best_bits = UINT64_MAX;
    for (int e = 0; e < 16; ++e) {
      cb.codebook_egk = e;
      BitWriter bw;
      write_integer_codebook(bw, cb);
      if (bw.bit_pos() < best_bits) {
        best_bits = bw.bit_pos();
        c->cb.codebook_egk = e;
      }
    }
    cb.codebook_egk = c->cb.codebook_egk;
    for (size_t i = 0; i < n; ++i) shifted[i] = index[i] - static_cast<int32_t>(offset);

    bool use_codebook = true;
    if (s_.codebook_mode == 2) {
      // Uniform alternative: DQ trellis at the requested qp, or URQ.
      int qp_u = c->qp;
      std::vector<int32_t> uniform(n);
      if (dq_requested) {
        quantize_with_overflow_rule(t, true, &qp_u, uniform.data(), c->geom, uo, c->clip);
      } else {
        qp_u = qp_c;
        uniform = urq;
      }
      const size_t bytes_uniform = candidate_bytes(uniform.data(), c->geom, dq_requested, s_.param_opt, false);
      // The reference adds the codebook's size in bits to payload bytes.
      const uint64_t bytes_cb = candidate_bytes(shifted.data(), c->geom, false, s_.param_opt, false) + best_bits;
      if (!(bytes_cb < bytes_uniform)) {
        use_codebook = false;
        c->qp = qp_u;
        c->levels = std::move(uniform);
      }
    }
    if (use_codebook) {
      c->codebook = true;
      c->cb = cb;
      c->dq = false;
      c->qp = qp_c;
      c->levels = std::move(shifted);
    }
  }

  // Writes one NDU holding the coded tensors (coding order): NNR_PT_BLOCK
  // when `block`, else a single NNR_PT_FLOAT / NNR_PT_INT tensor.
  // `u` gives cpt and, with NNR_CPT_DC, the decomposition fields.
  void write_unit(std::vector<CodedTensor>& coded, bool block, const PlannedUnit& u, UnitOutput& uo) const {
    CodedTensor& main = coded.back();  // the weight (or H) of a block, or the only tensor
    // A member of a decomposed weight's block coded in a unit of its own
    // carries the block's cpt without DC, which would make it G or H (2.8.3).
    const bool factor = main.src->role == MemberRole::kG || main.src->role == MemberRole::kH;
    const int cpt = !block && !factor ? u.cpt & ~NNR_CPT_DC : u.cpt;
    const bool dc = cpt & NNR_CPT_DC;

    NduHeader h;
    h.input_parameters_present_flag = 1;
    h.tensor_dimensions_flag = 1;
    h.cabac_unary_length_flag = 1;
    h.compressed_parameter_types = cpt;
    h.cabac_unary_length_minus1 = s_.cabac_unary_length_minus1;
    h.tensor_dimensions = dc ? u.weight_dims : main.dims;
    if (dc) {
      h.decomposition_rank = u.decomposition_rank;
      h.g_number_of_rows = u.g_number_of_rows;
    }
    // A degenerate 2-D view is coded row-major; say so in the header (5.6).
    h.scan_order = main.geom.block ? s_.scan_order : 0;
    if (block) {
      h.nnr_compressed_data_unit_payload_type = NNR_PT_BLOCK;
      h.nnr_multiple_topology_elements_present_flag = 1;
      // Name list order: W (or G, H), LS, BN beta, gamma, mean, var, BI (spec 3.3).
      for (MemberRole r : {MemberRole::kWeight, MemberRole::kG, MemberRole::kH, MemberRole::kLs,
                           MemberRole::kBnBeta, MemberRole::kBnGamma, MemberRole::kBnMean, MemberRole::kBnVar,
                           MemberRole::kBias})
        for (const CodedTensor& c : coded)
          if (c.src->role == r) h.topology_elem_ids.push_back(c.src->tensor().name);
      h.dq_flag = main.dq ? 1 : 0;
      if (main.codebook) {
        h.codebook_present_flag = 1;
        if (dc) {  // main codebook for G, the second for H
          h.codebook = coded[coded.size() - 2].cb;
          h.codebook_h = main.cb;
        } else {
          h.codebook = main.cb;
        }
      }
    } else {
      h.nnr_compressed_data_unit_payload_type =
          main.raw ? NNR_PT_RAW_FLOAT : main.is_int ? NNR_PT_INT : NNR_PT_FLOAT;
      h.topology_elem_ids = {main.src->tensor().name};
      h.dq_flag = main.dq ? 1 : 0;
      if (main.codebook) {
        h.codebook_present_flag = 1;
        h.codebook = main.cb;
      }
    }

    if (ed2_) {
      // The unit's node in the parameter update tree (edition2.md 2.4).
      const std::string& key = h.topology_elem_ids.at(0);
      h.general_profile_idc = 1;
      h.node_id_present_flag = 1;
      h.device_id = s_.device_id;
      auto pi = parameter_index_.find(key);
      h.parameter_id = pi != parameter_index_.end() ? pi->second : 0;
      const DecoderState::TensorState* parent = parent_of(key);
      h.put_node_depth = !s_.parent ? 0 : parent ? parent->put_node_depth + 1 : 1;
      if (psig_) {
        h.parent_node_id_present_flag = 1;
        h.temporal_context_modeling_flag = s_.tca && parent && !parent->levels.empty();
      }
      // An update whose levels are all zero is not sent: the decoder keeps
      // the tensor's state.
      bool any = false;
      for (const CodedTensor& c : coded)
        for (size_t i = 0; i < c.levels.size() && !any; ++i) any = c.levels[i] != 0;
      if (psig_ && !any && !main.raw) {
        uo.messages.push_back("INFO: the update of '" + key + "' is all zero; no NDU written");
        return;
      }
    }
    if (main.raw) {
      // Raw binary32 values, little-endian, right after the header (spec 1.5).
      h.scan_order = 0;
      std::vector<uint8_t> payload(main.recon.f32.size() * 4);
      for (size_t i = 0; i < main.recon.f32.size(); ++i) {
        uint32_t bits;
        std::memcpy(&bits, &main.recon.f32[i], 4);
        for (int b = 0; b < 4; ++b) payload[4 * i + b] = static_cast<uint8_t>(bits >> (8 * b));
      }
      append(uo.bytes, write_nnr_unit(NNR_NDU, write_ndu_body(h, 0, payload, psig_)));
      if (o_.keep_reconstruction) uo.reconstruction.push_back(std::move(main.recon));
      return;
    }
    if (ed2_) {
      write_unit_ed2(coded, h, main, uo);
      return;
    }
    ArithEncoder enc;
    std::vector<std::vector<RowStart>> rows_by_member;  // block-scanned members (W, or G and H)
    for (CodedTensor& c : coded) {
      if (!c.is_int) {
        const int bits = 6 + s_.qp_density;
        enc.encode_bypass_bins(static_cast<uint32_t>(c.qp) & ((1u << bits) - 1), bits);
      }
      TensorContexts ctx;
      ctx.init(s_.cabac_unary_length_minus1 + 1, c.dq);
      const std::vector<int> sets =
          s_.param_opt ? choose_init_sets(c.geom, c.levels.data(), s_.cabac_unary_length_minus1 + 1, c.dq)
                       : std::vector<int>(static_cast<size_t>(ctx.layout().count()), 0);
      encode_init_sets(enc, ctx, sets);
      std::vector<RowStart> member_rows;
      try {
        encode_levels(enc, ctx, c.geom, c.levels.data(), &member_rows);
      } catch (const Error& e) {
        invalid("tensor '" + c.src->tensor().name + "': " + e.what());
      }
      const MemberRole r = c.src->role;
      if (&c == &main || r == MemberRole::kG) rows_by_member.push_back(std::move(member_rows));
    }
    const std::vector<uint8_t> payload = enc.finish();
    if (h.tensor_dimensions.size() > 1 && h.scan_order > 0)
      for (const std::vector<RowStart>& rows : rows_by_member)
        for (const EntryPoint& ep : entry_points(rows, payload)) h.entry_points.push_back(ep);
    append(uo.bytes, write_nnr_unit(NNR_NDU, write_ndu_body(h, 0, payload)));

    // What a decoder outputs: coding order, W x LS with LS dropped (spec 3.5).
    if (!o_.keep_reconstruction) return;
    const CodedTensor* ls = nullptr;
    for (const CodedTensor& c : coded)
      if (block && c.src->role == MemberRole::kLs) ls = &c;
    for (CodedTensor& c : coded) {
      if (&c == ls) continue;
      if (ls && &c == &main) {
        const size_t rows_n = static_cast<size_t>(c.dims[0]);
        const size_t row = rows_n ? c.recon.f32.size() / rows_n : 0;
        for (size_t r = 0; r < rows_n; ++r)
          for (size_t i = 0; i < row; ++i) c.recon.f32[r * row + i] = c.recon.f32[r * row + i] * ls->recon.f32[r];
      }
      uo.reconstruction.push_back(std::move(c.recon));
    }
  }

  // Edition 2: the payload of a unit (edition2.md 12.2), coded twice when
  // HDSP can be used (12.7), and what the decoder rebuilds from it.
  void write_unit_ed2(std::vector<CodedTensor>& coded, NduHeader& h, CodedTensor& main, UnitOutput& uo) const {
    const int n = s_.cabac_unary_length_minus1 + 1;
    bool all_history = s_.hdsp && psig_;
    for (const CodedTensor& c : coded) {
      const DecoderState::TensorState* p = parent_of(c.src->tensor().name);
      all_history &= p && p->hdsp_history.size() == c.levels.size();
    }
    struct Coded {
      std::vector<uint8_t> payload;
      std::vector<std::vector<RowStart>> rows;
      std::vector<std::vector<int32_t>> decoded;
    };
    auto code = [&](int hist) {
      Coded out;
      ArithEncoder enc;
      for (CodedTensor& c : coded) {
        if (!c.is_int) {
          const int bits = 6 + s_.qp_density;
          enc.encode_bypass_bins(static_cast<uint32_t>(c.qp) & ((1u << bits) - 1), bits);
        }
        const DecoderState::TensorState* p = parent_of(c.src->tensor().name);
        Ed2EncodeInput e;
        e.geom = c.geom;
        e.cabac_unary_length = n;
        e.dq = c.dq;
        e.param_opt = s_.param_opt;
        e.parent_node_id_present = h.parent_node_id_present_flag != 0;
        e.hist_dep_sig_prob_enabled_flag = hist;
        e.row_skipping = s_.row_skipping;
        if (c.codebook) {
          e.codebook_size = c.cb.codebook_size;
          e.codebook_zero_offset = c.cb.cb_zero_offset;
        }
        if (h.temporal_context_modeling_flag) {
          if (!p || p->levels.size() != c.levels.size())
            invalid("tensor '" + c.src->tensor().name + "': its parent in the update sequence has another size");
          e.tca_base = p->levels.data();
        }
        if (hist && p) e.hdsp_history = p->hdsp_history.data();
        std::vector<RowStart> rows;
        std::vector<int32_t>& dec = out.decoded.emplace_back(c.levels.size());
        try {
          encode_tensor_ed2(enc, e, c.levels.data(), dec.data(), &rows);
        } catch (const Error& err) {
          invalid("tensor '" + c.src->tensor().name + "': " + err.what());
        }
        const MemberRole r = c.src->role;
        if (&c == &main || r == MemberRole::kG) out.rows.push_back(std::move(rows));
      }
      out.payload = enc.finish();
      return out;
    };
    Coded best = code(0);
    if (all_history) {
      Coded with = code(1);
      if (with.payload.size() < best.payload.size()) best = std::move(with);
    }
    if (h.tensor_dimensions.size() > 1 && h.scan_order > 0)
      for (const std::vector<RowStart>& rows : best.rows)
        for (const EntryPoint& ep : entry_points(rows, best.payload)) h.entry_points.push_back(ep);
    append(uo.bytes, write_nnr_unit(NNR_NDU, write_ndu_body(h, 0, best.payload, psig_)));
    if (!o_.keep_reconstruction) return;
    // What the reference decoder outputs: each tensor from the levels as
    // coded (row skipping can move a DQ level), local scaling as decoded.
    for (size_t i = 0; i < coded.size(); ++i) {
      CodedTensor& c = coded[i];
      const std::vector<int32_t>& l = best.decoded[i];
      if (c.is_int) {
        c.recon.i32.assign(l.begin(), l.end());
      } else if (c.codebook) {
        const double delta = step_size_exact(c.qp, s_.qp_density);
        for (size_t k = 0; k < l.size(); ++k)
          c.recon.f32[k] = static_cast<float>(
              static_cast<double>(c.cb.values[static_cast<size_t>(l[k] + c.cb.cb_zero_offset)]) * delta);
      } else {
        const float step = step_size(c.qp, s_.qp_density);
        for (size_t k = 0; k < l.size(); ++k) c.recon.f32[k] = static_cast<float>(l[k]) * step;
      }
      uo.reconstruction.push_back(std::move(c.recon));
    }
  }

  bool quantize(const float* w, const ScanGeometry& geom, int qp, bool dq, int32_t* levels) const {
    if (dq)
      return quantize_dq_trellis(w, geom, qp, s_.qp_density, s_.lambda_scale,
                                 s_.cabac_unary_length_minus1, levels);
    if (s_.lambda_scale > 0)
      return quantize_rdoq(w, geom, qp, s_.qp_density, s_.lambda_scale,
                           s_.cabac_unary_length_minus1, levels);
    return quantize_urq(w, static_cast<size_t>(geom.numel()), qp, s_.qp_density, levels);
  }

  // Entry points from the encoder state at each block row start (spec 5.5,
  // closed form): ep_value = (payload bits S..S+8 - low mod 512) mod 512.
  static std::vector<EntryPoint> entry_points(const std::vector<RowStart>& rows,
                                              const std::vector<uint8_t>& payload) {
    std::vector<EntryPoint> eps;
    auto bit = [&](uint64_t i) -> uint32_t {
      const size_t byte = static_cast<size_t>(i >> 3);
      return byte < payload.size() ? (payload[byte] >> (7 - (i & 7))) & 1u : 0u;
    };
    for (size_t j = 1; j < rows.size(); ++j) {
      uint32_t w = 0;
      for (int b = 0; b < 9; ++b) w = (w << 1) | bit(rows[j].shift_count + static_cast<uint64_t>(b));
      EntryPoint ep;
      ep.ep_value = (w - rows[j].low_mod_512) & 511u;
      ep.ep_dq_state = rows[j].dq_state;
      ep.delta = static_cast<int64_t>(rows[j].shift_count - rows[j - 1].shift_count);
      eps.push_back(ep);
    }
    return eps;
  }

  const EncoderSettings& s_;
  const EncodeOptions& o_;
  EncodeResult* out_;
  std::map<std::string, int> weight_qps_;  // from opt_qp
  bool ed2_ = false;  // general_profile_idc 1
  bool psig_ = false;  // mps_parent_signalling_enabled_flag
  std::map<std::string, int64_t> parameter_index_;  // parameter_id: position in the input
};

}  // namespace

Status encode(const std::vector<Tensor>& tensors, const EncoderSettings& settings, EncodeResult* out) {
  return encode(tensors, settings, EncodeOptions{}, out);
}

Status encode(const std::vector<Tensor>& tensors, const EncoderSettings& settings, const EncodeOptions& options,
              EncodeResult* out) {
  if (!out) return Status(ErrorCode::kInvalidArgument, kNoOffset, "null argument");
  *out = EncodeResult{};
  try {
    // Batch-norm folding of a PyTorch model without block information: the
    // blocks are derived from the names, as the reference encoder does; if
    // that fails, it encodes without folding (and says so).
    EncoderSettings s = settings;
    if (s.bnf && !s.has_blocks && s.model_kind == ModelKind::kPyTorch) {
      std::string why;
      if (!guess_blocks(tensors, &s, &why)) {
        s.bnf = false;
        out->messages.push_back("INFO: no block information could be derived from the tensor names (" + why +
                                "); batch-norm folding is off");
      }
    }
    StreamEncoder(s, options, out).run(tensors);
    return Status();
  } catch (const Error& e) {
    return Status::from(e);
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kLimitExceeded, kNoOffset, "out of memory");
  } catch (const std::exception& e) {
    return Status(ErrorCode::kInternal, kNoOffset, e.what());
  }
}

double quantizer_step_size(int qp, int qp_density) { return step_size_exact(qp, qp_density); }

}  // namespace nnr
