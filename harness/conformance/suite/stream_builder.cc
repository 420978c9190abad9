#include "conformance/suite/stream_builder.h"

#include <cstring>
#include <map>
#include <stdexcept>
#include <string>

#include "bitio/bit_writer.h"
#include "cabac/arith_encoder.h"
#include "cabac/enc_levels.h"
#include "cabac/init_set_choice.h"
#include "conformance/suite/spec_model.h"
#include "hls/enc_units.h"

namespace nnr::suite {

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::logic_error(what); }

void append(std::vector<uint8_t>& a, const std::vector<uint8_t>& b) { a.insert(a.end(), b.begin(), b.end()); }

// nnr_unit() (spec 2.1, 2.2) with the framing chosen by the vector.
std::vector<uint8_t> frame_unit(int type, const std::vector<uint8_t>& body, const Framing& f) {
  BitWriter hdr;
  hdr.u(6, static_cast<uint64_t>(type));
  hdr.u(1, static_cast<uint64_t>(f.independently_decodable_flag));
  hdr.u(1, f.partial_data_counter >= 0 ? 1 : 0);
  if (f.partial_data_counter >= 0) hdr.u(8, static_cast<uint64_t>(f.partial_data_counter));
  const std::vector<uint8_t> h = hdr.finish();
  const uint64_t t = h.size() + body.size();
  BitWriter out;
  if (!f.long_size && t + 2 <= 32767) {
    out.u(1, 0);
    out.u(15, t + 2);
  } else {
    out.u(1, 1);
    out.u(31, t + 4);
  }
  out.bytes(h.data(), h.size());
  out.bytes(body.data(), body.size());
  return out.finish();
}

// Performance maps (2.4.1) with fixed, recognisable contents; the loops run
// count - 1 times and the unification class loop is bounded by the bitmask.
void write_maps(BitWriter& bw, const PerfMaps& m, bool with_decomposition) {
  if (m.sparsification) {
    bw.u(8, 2);
    bw.flt(0.125f);
    bw.flt(0.75f);
    bw.flt(0.9375f);
    bw.u(8, 2);
    bw.ue(7, 3);
    bw.flt(0.5f);
    bw.flt(0.25f);
  }
  if (m.pruning) {
    bw.u(8, 3);
    for (float ratio : {0.25f, 0.5f}) {
      bw.flt(ratio);
      bw.flt(1.0f - ratio / 4);
      bw.u(8, 1);
      bw.ue(7, 1);
      bw.flt(0.875f);
    }
  }
  if (m.unification) {
    bw.u(8, 2);
    bw.ue(1, 3);
    bw.ue(7, 64);
    bw.ue(7, 300);
    bw.byte_alignment();
    bw.u(8, 2);
    bw.u(8, 4);
    bw.u(8, 3);
    bw.u(8, 2);
    bw.u(8, 2);
    bw.flt(0.0625f);
    bw.flt(0.96875f);
    bw.u(8, 2);
    bw.ue(7, 2);
    bw.flt(0.5f);
    bw.flt(0.75f);
  }
  if (with_decomposition && m.decomposition) {
    bw.u(8, 2);
    bw.flt(0.001f);
    bw.flt(0.9f);
    bw.flt(0.375f);
    bw.u(16, 2);
    bw.flt(0.8125f);
    bw.flt(0.6875f);
  }
}

std::vector<uint8_t> mps_body(const ModelParameterSet& m, const PerfMaps& maps) {
  BitWriter bw;
  bw.u(1, static_cast<uint64_t>(m.topology_carriage_flag));
  bw.u(1, maps.sparsification);
  bw.u(1, maps.pruning);
  bw.u(1, maps.unification);
  bw.u(1, maps.decomposition);
  bw.u(3, static_cast<uint64_t>(m.mps_quantization_method_flags));
  bw.u(1, static_cast<uint64_t>(m.mps_topology_indexed_reference_flag));
  bw.u(7, 0);
  if (m.mps_quantization_method_flags & 3) {
    bw.u(3, static_cast<uint64_t>(m.mps_qp_density));
    bw.i(13, m.mps_quantization_parameter);
  }
  write_maps(bw, maps, true);
  bw.byte_alignment();
  return bw.finish();
}

std::vector<uint8_t> lps_body(const LayerParameterSet& l, const PerfMaps& maps) {
  BitWriter bw;
  bw.u(1, static_cast<uint64_t>(l.lps_self_contained_flag));
  bw.u(7, 0);
  bw.u(1, 0);
  bw.u(1, maps.sparsification);
  bw.u(1, maps.pruning);
  bw.u(1, maps.unification);
  bw.u(3, static_cast<uint64_t>(l.lps_quantization_method_flags));
  bw.u(1, 0);
  if (l.lps_quantization_method_flags & 3) {
    bw.u(3, static_cast<uint64_t>(l.lps_qp_density));
    bw.i(13, l.lps_quantization_parameter);
  }
  write_maps(bw, maps, false);
  bw.byte_alignment();
  return bw.finish();
}

int list_position(const NduSpec& n, Role r) {
  const int dc = (n.cpt & NNR_CPT_DC) ? 1 : 0, ls = (n.cpt & NNR_CPT_LS) ? 1 : 0, bn = (n.cpt & NNR_CPT_BN) ? 1 : 0;
  switch (r) {
    case Role::kSingle:
    case Role::kWeight:
    case Role::kG: return 0;
    case Role::kH: return 1;
    case Role::kLs: return 1 + dc;
    case Role::kBnBeta: return 1 + dc + ls;
    case Role::kBnGamma: return 2 + dc + ls;
    case Role::kBnMean: return 3 + dc + ls;
    case Role::kBnVar: return 4 + dc + ls;
    case Role::kBias: return 1 + dc + ls + 4 * bn;
  }
  return 0;
}

bool arithmetic(const NduSpec& n) { return n.payload_type != NNR_PT_RAW_FLOAT; }
bool member_dq(const NduSpec& n) { return n.dq_flag && n.payload_type != NNR_PT_INT; }

const IntegerCodebook* member_codebook(const NduSpec& n, const MemberSpec& m) {
  if (!m.codebook) return nullptr;
  return m.codebook == 2 ? &n.codebook_h : &n.codebook;
}

int64_t numel(const std::vector<int64_t>& s) {
  int64_t x = 1;
  for (int64_t d : s) x *= d;
  return x;
}

// Number of entry points a header carries for a member (2.8.3).
int64_t header_entry_points(const NduSpec& n, const MemberSpec& m) {
  if (n.dims.size() < 2 || n.scan_order == 0) return 0;
  const int64_t b = int64_t{4} << n.scan_order;
  int64_t rows = 0;
  switch (m.role) {
    case Role::kSingle:
      rows = (n.cpt & NNR_CPT_DC) ? m.shape[0] : n.dims[0];
      break;
    case Role::kWeight: rows = n.dims[0]; break;
    case Role::kG: rows = n.g_number_of_rows; break;
    case Role::kH: rows = n.decomposition_rank; break;
    default: return 0;
  }
  const int64_t e = (rows + b - 1) / b - 1;
  return e < 0 ? 0 : e;
}

std::vector<uint8_t> ndu_body(const NduSpec& n, const StreamState& st) {
  NduHeader h;
  h.nnr_compressed_data_unit_payload_type = n.payload_type;
  h.nnr_multiple_topology_elements_present_flag = n.payload_type == NNR_PT_BLOCK ? 1 : 0;
  h.nnr_decompressed_data_format_present_flag = n.decompressed_data_format >= 0 ? 1 : 0;
  h.nnr_decompressed_data_format = n.decompressed_data_format < 0 ? 0 : n.decompressed_data_format;
  h.input_parameters_present_flag = 1;
  if (st.indexed) h.topology_elem_id_indices = n.indices;
  else h.topology_elem_ids = list_order_names(n);
  h.codebook_present_flag = n.codebook_present ? 1 : 0;
  h.codebook = n.codebook;
  h.codebook_h = n.codebook_h;
  h.dq_flag = n.dq_flag;
  h.tensor_dimensions_flag = 1;
  h.cabac_unary_length_flag = 1;
  h.compressed_parameter_types = n.cpt;
  h.decomposition_rank = n.decomposition_rank;
  h.g_number_of_rows = n.g_number_of_rows;
  h.tensor_dimensions = n.dims;
  h.cabac_unary_length_minus1 = n.cabac_unary_length_minus1;
  h.scan_order = n.scan_order;

  std::vector<uint8_t> payload;
  if (!arithmetic(n)) {
    for (float f : n.raw) {
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      for (int b = 0; b < 4; ++b) payload.push_back(static_cast<uint8_t>(bits >> (8 * b)));
    }
    return write_ndu_body(h, st.indexed, payload);
  }
  ArithEncoder enc;
  const int cul = n.cabac_unary_length_minus1 + 1;
  // Per member: the row starts of its block rows (empty when not block scanned)
  // and the number of entries the header needs.
  std::vector<std::pair<std::vector<RowStart>, int64_t>> rows;
  for (const MemberSpec& m : n.members) {
    if (static_cast<int64_t>(m.k.size()) != numel(m.shape)) fail("member '" + m.name + "': level count does not match its shape");
    if (n.payload_type != NNR_PT_INT) {
      const int bits = 6 + st.qp_density();
      if (m.qp_offset < -(1 << (bits - 1)) || m.qp_offset >= (1 << (bits - 1)))
        fail("member '" + m.name + "': qp offset outside its " + std::to_string(bits) + "-bit field");
      enc.encode_bypass_bins(static_cast<uint32_t>(m.qp_offset) & ((1u << bits) - 1), bits);
    }
    const bool dq = member_dq(n);
    const std::vector<int64_t> l64 = reconstruction_levels(m.k, m.shape, n.scan_order, dq);
    std::vector<int32_t> l(l64.size());
    for (size_t i = 0; i < l.size(); ++i) {
      if (l64[i] > INT32_MAX || l64[i] < INT32_MIN) fail("member '" + m.name + "': level outside int32");
      l[i] = static_cast<int32_t>(l64[i]);
    }
    TensorContexts ctx;
    ctx.init(cul, dq);
    const ScanGeometry geom = ScanGeometry::make(m.shape, n.scan_order);
    std::vector<int> sets(static_cast<size_t>(ctx.layout().count()), 0);
    if (m.init_sets == InitSets::kChosen) {
      sets = choose_init_sets(geom, l.data(), cul, dq);
    } else if (m.init_sets == InitSets::kCycle) {
      int next = 0;
      for (int i = 0; i < ctx.layout().count(); ++i)
        if (ctx.layout().signalled(i, dq)) sets[static_cast<size_t>(i)] = next++ % 9;
    }
    encode_init_sets(enc, ctx, sets);
    std::vector<RowStart> starts;
    encode_levels(enc, ctx, geom, l.data(), &starts);
    if (!geom.block) starts.clear();
    rows.emplace_back(std::move(starts), header_entry_points(n, m));
  }
  payload = enc.finish();
  auto bit = [&](uint64_t i) -> uint32_t {
    const size_t byte = static_cast<size_t>(i >> 3);
    return byte < payload.size() ? (payload[byte] >> (7 - (i & 7))) & 1u : 0u;
  };
  // Entry points by the closed form of spec 5.5.
  for (const auto& [starts, count] : rows) {
    if (starts.empty()) {
      // Degenerate 2-D view: the header still carries entries nobody uses (5.6).
      for (int64_t j = 0; j < count; ++j) h.entry_points.push_back(EntryPoint{});
      continue;
    }
    if (static_cast<int64_t>(starts.size()) - 1 != count) fail("entry point count does not match the block rows");
    for (size_t j = 1; j < starts.size(); ++j) {
      uint32_t w = 0;
      for (int b = 0; b < 9; ++b) w = (w << 1) | bit(starts[j].shift_count + static_cast<uint64_t>(b));
      EntryPoint ep;
      ep.ep_value = (w - starts[j].low_mod_512) & 511u;
      ep.ep_dq_state = starts[j].dq_state;
      ep.delta = static_cast<int64_t>(starts[j].shift_count - starts[j - 1].shift_count);
      h.entry_points.push_back(ep);
    }
  }
  return write_ndu_body(h, st.indexed, payload);
}

std::vector<uint8_t> build_unit(const UnitSpec& u, StreamState& st) {
  switch (u.type) {
    case NNR_STR:
      return frame_unit(u.type, write_str_body(u.general_profile_idc), u.framing);
    case NNR_MPS:
      st.apply(u);
      return frame_unit(u.type, mps_body(u.mps, u.maps), u.framing);
    case NNR_LPS:
      st.apply(u);
      return frame_unit(u.type, lps_body(u.lps, u.maps), u.framing);
    case NNR_TPL:
      return frame_unit(u.type, write_tpl_body(u.tpl), u.framing);
    case NNR_QNT:
      return frame_unit(u.type, write_qnt_body(u.qnt), u.framing);
    case NNR_NDU:
      return frame_unit(u.type, ndu_body(u.ndu, st), u.ndu.framing);
    case NNR_AGG: {
      std::vector<std::vector<uint8_t>> children;
      AggregateHeader a = u.agg;
      a.nnr_unit_types.clear();
      a.nnr_unit_entry_points.clear();
      int64_t offset = 0;
      for (const UnitSpec& c : u.children) {
        children.push_back(build_unit(c, st));
        a.nnr_unit_types.push_back(c.type);
        a.nnr_unit_entry_points.push_back(offset);
        offset += static_cast<int64_t>(children.back().size());
      }
      return frame_unit(u.type, write_agg_body(a, children), u.framing);
    }
    default:
      fail("unknown unit type " + std::to_string(u.type));
  }
}

// Expected output of one NDU (spec 3.5).
void ndu_output(const NduSpec& n, const StreamState& st, std::vector<Tensor>& out, std::vector<int>& part) {
  if (!arithmetic(n)) {
    Tensor t;
    t.name = n.members.empty() ? std::string() : n.members[0].name;
    t.shape = n.dims.empty() ? std::vector<int64_t>{1} : n.dims;
    t.f32.assign(n.raw.begin(), n.raw.end());
    out.push_back(std::move(t));
    part.push_back(n.framing.partial_data_counter);
    return;
  }
  const size_t first = out.size();
  std::vector<float> ls;
  int ls_member = -1, w_member = -1;
  for (size_t i = 0; i < n.members.size(); ++i) {
    const MemberSpec& m = n.members[i];
    const bool dq = member_dq(n);
    const std::vector<int64_t> l = reconstruction_levels(m.k, m.shape, n.scan_order, dq);
    Tensor t;
    t.name = m.name;
    t.shape = m.shape.empty() ? std::vector<int64_t>{1} : m.shape;
    if (n.payload_type == NNR_PT_INT) {
      t.dtype = DType::kInt32;
      for (int64_t v : l) t.i32.push_back(static_cast<int32_t>(v));
    } else {
      const int qp = st.quant_param() + m.qp_offset;
      const IntegerCodebook* cb = member_codebook(n, m);
      const std::vector<float> v = cb ? codebook_values(l, *cb, qp, st.qp_density()) : uniform_values(l, qp, st.qp_density());
      t.f32.assign(v.begin(), v.end());
    }
    if (m.role == Role::kLs) ls_member = static_cast<int>(i);
    if (m.role == Role::kWeight) w_member = static_cast<int>(i);
    out.push_back(std::move(t));
    part.push_back(n.framing.partial_data_counter);
  }
  const bool scale = n.payload_type == NNR_PT_BLOCK && (n.cpt & NNR_CPT_LS) && !(n.cpt & NNR_CPT_DC);
  if (scale && ls_member >= 0 && w_member >= 0) {
    apply_ls(out[first + static_cast<size_t>(w_member)].f32, out[first + static_cast<size_t>(ls_member)].f32);
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(first + static_cast<size_t>(ls_member)));
    part.erase(part.begin() + static_cast<std::ptrdiff_t>(first + static_cast<size_t>(ls_member)));
  }
}

void collect_output(const UnitSpec& u, StreamState& st, std::vector<Tensor>& out, std::vector<int>& part) {
  switch (u.type) {
    case NNR_MPS:
    case NNR_LPS:
      st.apply(u);
      break;
    case NNR_NDU:
      ndu_output(u.ndu, st, out, part);
      break;
    case NNR_AGG:
      for (const UnitSpec& c : u.children) collect_output(c, st, out, part);
      break;
    default:
      break;
  }
}

}  // namespace

void StreamState::apply(const UnitSpec& u) {
  if (u.type == NNR_MPS) {
    if (u.mps.mps_quantization_method_flags & 3) {
      mps_qp_density = u.mps.mps_qp_density;
      mps_quant_param = u.mps.mps_quantization_parameter;
    }
    indexed = u.mps.mps_topology_indexed_reference_flag;
  } else if (u.type == NNR_LPS) {
    lps_has_qp = (u.lps.lps_quantization_method_flags & 3) != 0;
    lps_qp_density = u.lps.lps_qp_density;
    lps_quant_param = u.lps.lps_quantization_parameter;
  }
}

std::vector<std::string> list_order_names(const NduSpec& n) {
  if (n.payload_type != NNR_PT_BLOCK) {
    if (n.members.empty()) fail("an NDU without a member");
    return {n.members[0].name};
  }
  std::vector<std::string> names(n.members.size());
  for (const MemberSpec& m : n.members) {
    const size_t p = static_cast<size_t>(list_position(n, m.role));
    if (p >= names.size() || !names[p].empty()) fail("block members do not match compressed_parameter_types");
    names[p] = m.name;
  }
  return names;
}

std::vector<uint8_t> build_stream(const std::vector<UnitSpec>& units) {
  StreamState st;
  std::vector<uint8_t> out;
  for (const UnitSpec& u : units) append(out, build_unit(u, st));
  return out;
}

std::vector<Tensor> expected_output(const std::vector<UnitSpec>& units) {
  StreamState st;
  std::vector<Tensor> out;
  std::vector<int> part;  // partial_data_counter per output tensor (-1: whole)
  for (const UnitSpec& u : units) collect_output(u, st, out, part);
  // Parts of one tensor, numbered 1, 2, ..., are joined along the first
  // dimension at the place of the first part.
  std::vector<Tensor> joined;
  std::map<std::string, size_t> at;
  for (size_t i = 0; i < out.size(); ++i) {
    if (part[i] <= 0) {
      joined.push_back(std::move(out[i]));
      continue;
    }
    auto it = at.find(out[i].name);
    if (it == at.end()) {
      at[out[i].name] = joined.size();
      joined.push_back(std::move(out[i]));
      continue;
    }
    Tensor& t = joined[it->second];
    t.shape[0] += out[i].shape[0];
    t.f32.insert(t.f32.end(), out[i].f32.begin(), out[i].f32.end());
    t.i32.insert(t.i32.end(), out[i].i32.begin(), out[i].i32.end());
  }
  return joined;
}

IntegerCodebook make_codebook(int64_t lo, int64_t hi, int64_t zero_value, int codebook_egk,
                              const std::vector<int64_t>& gaps) {
  if (lo > 0 || hi < 0) fail("a codebook range must include level 0");
  IntegerCodebook cb;
  const int64_t size = hi - lo + 1;
  cb.codebook_egk = codebook_egk;
  cb.codebook_size = size;
  cb.cb_zero_offset = -lo;
  cb.codebook_centre_offset = cb.cb_zero_offset - (size >> 1);
  std::vector<int64_t> left, right;
  for (int64_t j = 0; j < -lo; ++j) left.push_back(gaps[static_cast<size_t>(j) % gaps.size()]);
  for (int64_t j = 0; j < hi; ++j) right.push_back(gaps[static_cast<size_t>(j + 7) % gaps.size()]);
  cb.values = codebook_from_fields(zero_value, cb.cb_zero_offset, left, right);
  return cb;
}

}  // namespace nnr::suite
