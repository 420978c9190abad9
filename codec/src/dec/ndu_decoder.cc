#include "dec/ndu_decoder.h"

#include <cstring>
#include <string>

#include "cabac/arith_decoder.h"
#include "cabac/contexts.h"
#include "cabac/dec_levels.h"
#include "cabac/dec_levels_ed2.h"
#include "dec/ndu_members.h"
#include "dec/output_buffer.h"
#include "dec/reconstruct.h"
#include "common/thread_pool.h"

namespace nnr {

namespace {

// Upper bound on the elements a valid arithmetic segment of `bytes` bytes can
// carry: every element costs at least one regular bin, and a regular bin
// consumes at least log2(510/508) bits of the segment.
uint64_t max_elements_for_segment(uint64_t bytes) { return 1412 * bytes + 1; }

struct SegmentView {
  const uint8_t* data;
  size_t size;
  uint64_t offset;  // absolute byte offset of data[0]
};

// a + b, clamped to the int64 range (entry point offsets come from the
// bitstream and may be absurd; a clamped position never matches a real one).
int64_t saturating_add(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
  return a + b;
}

// Absolute shift count at the start of each block row from the entry points:
// rows[0] = p0, rows[j] = p0 + Delta[0] + ... + Delta[j-1].
std::vector<int64_t> row_positions(uint64_t p0, const EntryPoint* eps, size_t count) {
  std::vector<int64_t> p(count + 1);
  p[0] = static_cast<int64_t>(p0);
  for (size_t j = 0; j < count; ++j) p[j + 1] = saturating_add(p[j], eps[j].delta);
  return p;
}

class NduPayloadDecoder {
 public:
  NduPayloadDecoder(const NduDecodeInput& in, const DecodeOptions& options, ThreadPool* pool,
                    NduDecodeOutput* out)
      : in_(in), unit_(*in.unit), h_(unit_.ndu), options_(options), pool_(pool), out_(out) {}

  void run() {
    members_ = plan_ndu_members(unit_, in_.names);
    seg_ = SegmentView{in_.data + unit_.payload_offset, static_cast<size_t>(unit_.payload_size),
                       unit_.payload_offset};
    const int pt = h_.nnr_compressed_data_unit_payload_type;
    uint64_t total = 0;
    for (const MemberPlan& m : members_) total += checked_numel(m.shape, unit_.offset);
    if (pt == NNR_PT_RAW_FLOAT) {
      decode_raw_float(total);
      return;
    }
    if (total > max_elements_for_segment(seg_.size)) {
      fail_at(unit_.offset, ErrorCode::kInvalidBitstream,
              "tensor dimensions need " + std::to_string(total) +
                  " elements, more than an arithmetic segment of " + std::to_string(seg_.size) +
                  " bytes can hold");
    }
    if (pt == NNR_PT_INT && h_.dq_flag)
      fail_at(unit_.offset, ErrorCode::kUnsupported, "NNR_PT_INT with dq_flag 1 is not supported");
    if (pt != NNR_PT_INT && !in_.has_qp)
      fail_at(unit_.offset, ErrorCode::kInvalidBitstream,
              "a quantised NDU needs qp_density, but no NNR_MPS / NNR_LPS carries it");
    if (seg_.size < 2)
      fail_at(unit_.payload_offset, ErrorCode::kTruncated, "arithmetic segment shorter than 2 bytes");

    dec_.init(seg_.data, seg_.size);
    for (const MemberPlan& m : members_) decode_member(m);
    const uint64_t p_end = dec_.shift_count();
    if (!dec_.decode_terminate())
      fail_at(seg_offset(), ErrorCode::kInvalidBitstream, "terminating bin not received");
    if (dec_.overread())
      fail_at(seg_.offset + seg_.size, ErrorCode::kTruncated,
              "arithmetic segment ends before its last bin");
    if (dec_.bytes_consumed() != seg_.size)
      fail_at(seg_offset(), ErrorCode::kInvalidBitstream,
              "arithmetic segment has " + std::to_string(seg_.size - dec_.bytes_consumed()) +
                  " bytes after its terminating bin");
    check_stop_pattern(p_end);
    // Edition 2's reference decoder outputs the local scaling as decoded.
    if (options_.apply_local_scaling && h_.general_profile_idc != 1) apply_ls();
  }

 private:
  [[noreturn]] void fail_at(uint64_t offset, ErrorCode code, const std::string& msg) const {
    throw Error(code, static_cast<int64_t>(offset), msg);
  }
  uint64_t seg_offset() const {
    const size_t c = dec_.bytes_consumed();
    return seg_.offset + (c < seg_.size ? c : seg_.size);
  }

  void warn(const std::string& msg) { out_->warnings.push_back(msg); }

  // Spec 3.5: in an NNR_PT_BLOCK unit with NNR_CPT_LS, output W x LS and drop LS.
  void apply_ls() {
    const int cpt = h_.compressed_parameter_types;
    if (h_.nnr_compressed_data_unit_payload_type != NNR_PT_BLOCK || !(cpt & NNR_CPT_LS)) return;
    if (cpt & NNR_CPT_DC) {
      warn("NDU at byte " + std::to_string(unit_.offset) +
           ": local scaling with a decomposed weight is not defined; LS output as decoded");
      return;
    }
    auto& ts = out_->tensors;
    size_t ls = ts.size(), w = ts.size();
    for (size_t i = 0; i < ts.size(); ++i) {
      if (ts[i].is_local_scaling) ls = i;
      if (ts[i].info.member == 0) w = i;
    }
    if (ls == ts.size() || w == ts.size()) return;
    const size_t rows = static_cast<size_t>(ts[w].shape[0]);
    if (rows == 0) return;
    apply_local_scaling(ts[w].f32.data(), rows, ts[w].f32.size() / rows, ts[ls].f32.data());
    ts.erase(ts.begin() + static_cast<std::ptrdiff_t>(ls));
  }

  void check_stop_pattern(uint64_t p) {
    const uint64_t bit = p + 8;
    const size_t byte = static_cast<size_t>(bit >> 3);
    if (byte >= seg_.size) return;
    const uint8_t tail = static_cast<uint8_t>(seg_.data[byte] << (bit & 7));
    if (tail != 0x80)
      warn("NDU at byte " + std::to_string(unit_.offset) +
           ": arithmetic segment does not end with a stop bit followed by zeros");
  }

  DecodedTensor& new_tensor(const MemberPlan& m) {
    DecodedTensor& t = out_->tensors.emplace_back();
    t.name = m.name;
    t.shape = m.shape;
    t.info.unit_index = in_.unit_index;
    t.info.payload_type = h_.nnr_compressed_data_unit_payload_type;
    t.info.member = m.list_position;
    t.info.scan_order = h_.scan_order;
    t.info.partial_data_counter = unit_.partial_data_counter;
    t.is_local_scaling = m.role == MemberRole::kLs;
    return t;
  }

  void decode_raw_float(uint64_t total) {
    if (total * 4 != seg_.size)
      fail_at(unit_.payload_offset, ErrorCode::kInvalidBitstream,
              "NNR_PT_RAW_FLOAT payload has " + std::to_string(seg_.size) + " bytes, the tensor needs " +
                  std::to_string(total * 4));
    check_output_limit(total);
    const MemberPlan& m = members_.at(0);
    DecodedTensor& t = new_tensor(m);
    t.dtype = DType::kFloat32;
    resize_output(t.f32, static_cast<size_t>(total));
    for (size_t i = 0; i < t.f32.size(); ++i) {
      const uint8_t* b = seg_.data + 4 * i;
      const uint32_t bits = uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 |
                            uint32_t(b[3]) << 24;
      std::memcpy(&t.f32[i], &bits, 4);
    }
  }

  void check_output_limit(uint64_t elements) {
    if (elements * 4 > options_.max_output_bytes)
      fail_at(unit_.offset, ErrorCode::kLimitExceeded,
              "decoded output would exceed the limit of " + std::to_string(options_.max_output_bytes) +
                  " bytes");
  }

  void decode_member(const MemberPlan& m) {
    const int pt = h_.nnr_compressed_data_unit_payload_type;
    DecodedTensor& t = new_tensor(m);
    const int64_t numel = checked_numel(m.shape, unit_.offset);

    int qp = 0;
    if (pt != NNR_PT_INT) {
      const int bits = 6 + in_.qp_density;
      int64_t off = dec_.decode_bypass_bins(bits);
      if (off >> (bits - 1)) off -= int64_t{1} << bits;  // sign-extend
      qp = in_.quant_param + static_cast<int>(off);
    }
    if (h_.general_profile_idc == 1) {
      decode_member_ed2(m, t, qp, numel);
      return;
    }
    const bool dq = h_.dq_flag && pt != NNR_PT_INT;
    TensorContexts ctx;
    ctx.init(h_.cabac_unary_length_minus1 + 1, dq);
    ctx.decode_init_sets(dec_);
    const ScanGeometry geom = ScanGeometry::make(m.shape, h_.scan_order);
    const double step = pt == NNR_PT_INT ? 1.0 : step_size_exact(qp, in_.qp_density);

    // Uniform tensors go straight to float unless the levels are wanted too.
    const bool direct = pt != NNR_PT_INT && !m.codebook && !options_.keep_levels;
    ValueVector<int32_t> levels;
    LevelSink sink;
    if (direct) {
      resize_output(t.f32, static_cast<size_t>(numel));
      sink.values = t.f32.data();
      sink.step = static_cast<float>(step);
    } else {
      resize_output(levels, static_cast<size_t>(numel));
      sink.levels = levels.data();
    }
    try {
      decode_member_levels(m, geom, ctx, sink);
    } catch (const Error& e) {
      if (e.byte_offset() != kNoOffset) throw;
      fail_at(seg_offset(), e.code(), "tensor '" + m.name + "': " + e.what());
    }

    t.info.qp = qp;
    t.info.dq_flag = dq ? 1 : 0;
    t.info.cabac_unary_length_minus1 = h_.cabac_unary_length_minus1;
    t.info.init_sets = ctx.init_sets();
    if (direct) {
      t.info.step_size = static_cast<double>(static_cast<float>(step));
      t.dtype = DType::kFloat32;
    } else {
      finish_levels(m, t, qp, std::move(levels));
    }
  }

  // The parent levels of a tensor coded with temporal context adaptation:
  // the decoder state's levels of the same tensor name, checked as the
  // reference decoder checks them (device, parameter id, depth).
  const int32_t* tca_parent(const MemberPlan& m, int64_t numel) const {
    const std::string where = "tensor '" + m.name + "': temporal_context_modeling_flag 1";
    if (!in_.state)
      fail_at(unit_.offset, ErrorCode::kInvalidArgument,
              where + " needs the decoder state of the stream's parent (decode the update sequence from its first "
                      "stream)");
    auto it = in_.state->tensors.find(m.name);
    if (it == in_.state->tensors.end() || it->second.levels.empty())
      fail_at(unit_.offset, ErrorCode::kInvalidBitstream,
              where + ", but the decoder state holds no levels of that tensor (a stream of the sequence is missing)");
    const DecoderState::TensorState& ts = it->second;
    if (int64_t(ts.levels.size()) != numel)
      fail_at(unit_.offset, ErrorCode::kInvalidBitstream,
              where + ": the parent has " + std::to_string(ts.levels.size()) + " elements, the tensor " +
                  std::to_string(numel));
    if (h_.node_id_present_flag && ts.put_node_depth != h_.put_node_depth - 1)
      fail_at(unit_.offset, ErrorCode::kInvalidBitstream,
              where + ": put_node_depth " + std::to_string(h_.put_node_depth) + " does not follow the parent's " +
                  std::to_string(ts.put_node_depth) + " (a stream of the sequence is missing or repeated)");
    if (h_.node_id_present_flag && ts.parameter_id >= 0 && ts.parameter_id != h_.parameter_id)
      fail_at(unit_.offset, ErrorCode::kInvalidBitstream,
              where + ": parameter_id " + std::to_string(h_.parameter_id) + " differs from the parent's " +
                  std::to_string(ts.parameter_id));
    if (h_.node_id_present_flag && in_.state->device_id != 0 && in_.state->device_id != h_.device_id)
      fail_at(unit_.offset, ErrorCode::kInvalidBitstream,
              where + ": device_id " + std::to_string(h_.device_id) + " differs from the state's " +
                  std::to_string(in_.state->device_id));
    return ts.levels.data();
  }

  const uint8_t* hdsp_history(const MemberPlan& m, int64_t numel) const {
    if (!in_.state) return nullptr;
    auto it = in_.state->tensors.find(m.name);
    if (it == in_.state->tensors.end() || int64_t(it->second.hdsp_history.size()) != numel) return nullptr;
    return it->second.hdsp_history.data();
  }

  // An edition-2 tensor after its qp offset (codec/docs/edition2.md 3).
  void decode_member_ed2(const MemberPlan& m, DecodedTensor& t, int qp, int64_t numel) {
    const int pt = h_.nnr_compressed_data_unit_payload_type;
    Ed2TensorInput e;
    e.geom = ScanGeometry::make(m.shape, h_.scan_order);
    e.cabac_unary_length = h_.cabac_unary_length_minus1 + 1;
    e.dq = h_.dq_flag && pt != NNR_PT_INT;
    e.parent_node_id_present = h_.parent_node_id_present_flag != 0;
    if (m.codebook) {
      e.codebook_size = m.codebook->codebook_size;
      e.codebook_zero_offset = m.codebook->cb_zero_offset;
    }
    if (h_.temporal_context_modeling_flag) e.tca_base = tca_parent(m, numel);
    e.hdsp_history = hdsp_history(m, numel);
    ValueVector<int32_t> levels;
    resize_output(levels, static_cast<size_t>(numel));
    const int64_t rows = e.geom.num_rows();
    const bool check_eps = e.geom.block && m.ep_count > 0 && int64_t(m.ep_count) == rows - 1;
    std::vector<RowMark> marks(check_eps ? static_cast<size_t>(rows) : 0);
    Ed2TensorSyntax syn;
    try {
      decode_tensor_ed2(dec_, e, levels.data(), &syn, check_eps ? marks.data() : nullptr);
    } catch (const Error& err) {
      if (err.byte_offset() != kNoOffset) throw;
      fail_at(seg_offset(), err.code(), "tensor '" + m.name + "': " + err.what());
    }
    if (syn.hist_dep_sig_prob_enabled_flag && !e.hdsp_history)
      warn("tensor '" + m.name +
           "': hist_dep_sig_prob_enabled_flag 1 but the decoder state has no HDSP history for it; decoded "
           "without (the output is wrong unless the encoder had none either)");
    if (e.geom.block && m.ep_count != 0 && !check_eps)
      warn("tensor '" + m.name + "': entry point count does not match its block rows; ignored");
    if (check_eps) check_entry_points(m, marks, rows);
    t.info.qp = qp;
    t.info.dq_flag = e.dq ? 1 : 0;
    t.info.cabac_unary_length_minus1 = h_.cabac_unary_length_minus1;
    t.info.init_sets = std::move(syn.init_sets);
    t.info.general_profile_idc = 1;
    t.info.temporal_context_modeling_flag = e.tca_base ? 1 : 0;
    t.info.hist_dep_sig_prob_enabled_flag = syn.hist_dep_sig_prob_enabled_flag;
    t.info.row_skip_enabled_flag = syn.row_skip_enabled_flag;
    t.info.skipped_rows = syn.skipped_rows;
    t.info.put_node_depth = h_.put_node_depth;
    if (in_.keep_state_levels) out_->state_levels.emplace_back(m.name, std::vector<int32_t>(levels.begin(), levels.end()));
    finish_levels(m, t, qp, std::move(levels));
  }

  // The tensor from its int32 levels: integers as they are, or the codebook's
  // or the uniform reconstruction; the levels kept where asked.
  void finish_levels(const MemberPlan& m, DecodedTensor& t, int qp, ValueVector<int32_t>&& levels) {
    const int pt = h_.nnr_compressed_data_unit_payload_type;
    if (pt == NNR_PT_INT) {
      t.dtype = DType::kInt32;
      if (options_.keep_levels) t.levels = levels;
      t.i32 = std::move(levels);
      return;
    }
    const double step = step_size_exact(qp, in_.qp_density);
    t.info.step_size = static_cast<double>(static_cast<float>(step));
    t.dtype = DType::kFloat32;
    resize_output(t.f32, levels.size());
    if (m.codebook) {
      t.info.codebook = true;
      t.info.cb_zero_offset = m.codebook->cb_zero_offset;
      t.info.codebook_values = m.codebook->values;
      try {
        reconstruct_codebook(levels.data(), levels.size(), m.codebook->values, m.codebook->cb_zero_offset, step,
                             t.f32.data());
      } catch (const Error& e) {
        fail_at(unit_.payload_offset, e.code(), "tensor '" + m.name + "': " + e.what());
      }
    } else {
      reconstruct_uniform(levels.data(), levels.size(), static_cast<float>(step), t.f32.data());
    }
    if (options_.keep_levels) t.levels = std::move(levels);
  }

  void check_entry_points(const MemberPlan& m, const std::vector<RowMark>& marks, int64_t rows) {
    const EntryPoint* eps = &h_.entry_points[m.ep_begin];
    const std::vector<int64_t> p = row_positions(marks[0].p, eps, m.ep_count);
    for (int64_t j = 1; j < rows; ++j) {
      const EntryPoint& ep = eps[j - 1];
      if (int64_t(marks[j].p) != p[j] || marks[j].d != ep.ep_value || marks[j].dq_state != ep.ep_dq_state) {
        warn("tensor '" + m.name + "': entry point " + std::to_string(j - 1) +
             " does not match the decoded stream (decoder at P=" + std::to_string(marks[j].p) +
             " D=" + std::to_string(marks[j].d) + " state=" + std::to_string(marks[j].dq_state) +
             ", entry point says P=" + std::to_string(p[j]) + " D=" + std::to_string(ep.ep_value) +
             " state=" + std::to_string(ep.ep_dq_state) + ")");
        return;
      }
    }
  }

  void decode_member_levels(const MemberPlan& m, const ScanGeometry& geom, TensorContexts& ctx,
                            const LevelSink& levels) {
    const int64_t rows = geom.num_rows();
    const bool have_eps = geom.block && m.ep_count > 0;
    if (geom.block && m.ep_count != 0 && int64_t(m.ep_count) != rows - 1) {
      warn("tensor '" + m.name + "': entry point count does not match its block rows; ignored");
    }
    const bool usable = have_eps && int64_t(m.ep_count) == rows - 1;
    const EntryPoint* eps = usable ? &h_.entry_points[m.ep_begin] : nullptr;
    const int threads = pool_ ? pool_->threads() : 1;
    if (usable && options_.use_entry_points && threads > 1 && rows >= 2) {
      if (decode_rows_parallel(geom, ctx, levels, eps, rows, threads)) return;
      warn("tensor '" + m.name +
           "': entry points disagree with the sequential decode; decoded sequentially");
    }
    // Sequential decode; where there are entry points, check them.
    std::vector<RowMark> marks(usable ? static_cast<size_t>(rows) : 0);
    uint32_t state = 0;
    decode_levels(dec_, ctx, geom, 0, rows, state, levels, usable ? marks.data() : nullptr);
    if (usable) check_entry_points(m, marks, rows);
  }

  // Decodes the block rows in chunks started from the entry points. Each
  // chunk's end state is checked against the next chunk's entry point, so a
  // successful parallel decode is identical to the sequential one. Returns
  // false (leaving dec_ untouched) when the entry points do not hold.
  bool decode_rows_parallel(const ScanGeometry& geom, const TensorContexts& ctx,
                            const LevelSink& levels,
                            const EntryPoint* eps, int64_t rows, int threads) {
    const std::vector<int64_t> p = row_positions(dec_.shift_count(), eps, size_t(rows - 1));
    const int64_t max_p = static_cast<int64_t>(seg_.size) * 8;
    for (int64_t j = 1; j < rows; ++j) {
      if (p[j] < p[j - 1] || p[j] > max_p || eps[j - 1].ep_value >= 256) return false;
    }
    const int64_t chunks = rows < 2 * threads ? rows : 2 * threads;
    struct Chunk {
      int64_t begin = 0, end = 0;
      ArithDecoder dec;
      uint32_t state = 0;
      bool ok = false;
    };
    std::vector<Chunk> c(static_cast<size_t>(chunks));
    for (int64_t i = 0; i < chunks; ++i) {
      c[i].begin = rows * i / chunks;
      c[i].end = rows * (i + 1) / chunks;
    }
    pool_->run(
        static_cast<size_t>(chunks),
        [&](size_t i) {
          Chunk& ch = c[i];
          TensorContexts local = ctx;
          if (i == 0) {
            ch.dec = dec_;
            ch.state = 0;
          } else {
            const EntryPoint& ep = eps[ch.begin - 1];
            ch.dec.init_at(seg_.data, seg_.size, static_cast<uint64_t>(p[ch.begin]), ep.ep_value);
            ch.state = h_.dq_flag ? ep.ep_dq_state : 0;
          }
          try {
            decode_levels(ch.dec, local, geom, ch.begin, ch.end, ch.state, levels, nullptr);
            ch.ok = true;
          } catch (const Error&) {
            ch.ok = false;  // the sequential fallback reports it
          }
        },
        /*leaf=*/true);
    for (int64_t i = 0; i < chunks; ++i) {
      if (!c[i].ok) return false;
      if (i + 1 < chunks) {
        const int64_t r = c[i + 1].begin;
        const EntryPoint& ep = eps[r - 1];
        if (int64_t(c[i].dec.shift_count()) != p[r] || c[i].dec.window() != ep.ep_value ||
            c[i].state != (h_.dq_flag ? ep.ep_dq_state : 0u))
          return false;
      }
    }
    dec_ = c[chunks - 1].dec;
    return true;
  }

  const NduDecodeInput& in_;
  const NnrUnit& unit_;
  const NduHeader& h_;
  const DecodeOptions& options_;
  ThreadPool* pool_;
  NduDecodeOutput* out_;
  std::vector<MemberPlan> members_;
  SegmentView seg_{};
  ArithDecoder dec_;
};

}  // namespace

void decode_ndu(const NduDecodeInput& in, const DecodeOptions& options, ThreadPool* pool,
                NduDecodeOutput* out) {
  NduPayloadDecoder(in, options, pool, out).run();
}

}  // namespace nnr
