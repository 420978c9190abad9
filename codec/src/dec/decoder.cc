// The decoding pipeline: NNR units -> unit headers -> per-NDU arithmetic
// decoding (in parallel) -> reconstruction -> output in NDU order.
#include "nnr/decoder.h"

#include <algorithm>
#include <memory>
#include <new>
#include <numeric>
#include <set>
#include <thread>

#include "dec/ndu_decoder.h"
#include "dec/ndu_members.h"
#include "dec/partial_data.h"
#include "common/thread_pool.h"
#include "hls/hls.h"

namespace nnr {

namespace {

void parse_all(const uint8_t* data, size_t size, std::vector<NnrUnit>* units, bool trace) {
  if (size == 0) throw Error(ErrorCode::kTruncated, 0, "empty bitstream");
  HlsState state;
  for (uint64_t offset = 0; offset < size;) {
    NnrUnit& u = units->emplace_back();
    parse_nnr_unit(data, size, offset, state, &u, trace);
    if (offset == 0 && u.nnr_unit_type != NNR_STR)
      throw Error(ErrorCode::kInvalidBitstream, 0,
                  std::string("the first unit is ") + nnr_unit_type_name(u.nnr_unit_type) +
                      ", not NNR_STR");
    offset += u.nnr_unit_size;
  }
}

// Walks the units in order (AGG children in place) with the parameter sets in
// force at each NDU, and makes one decoding job per NDU.
struct JobBuilder {
  const uint8_t* data;
  HlsState state;
  std::vector<NduDecodeInput> jobs;

  void visit(const NnrUnit& u, size_t index) {
    switch (u.nnr_unit_type) {
      case NNR_MPS:
        state.have_mps = true;
        state.mps = u.mps;
        break;
      case NNR_LPS:
        state.lps_active = true;
        state.lps = u.lps;
        break;
      case NNR_TPL:
        if (u.tpl.topology_storage_format == NNR_TPL_REFLIST) {
          state.have_reflist = true;
          state.reflist = u.tpl.topology_elem_ids;
        }
        break;
      case NNR_AGG:
        for (const NnrUnit& c : u.children) visit(c, index);
        break;
      case NNR_NDU:
        add_job(u, index);
        break;
      default:
        break;
    }
  }

  void add_job(const NnrUnit& u, size_t index) {
    NduDecodeInput in;
    in.data = data;
    in.unit = &u;
    in.unit_index = index;
    if (state.lps_active && state.lps.has_qp) {
      in.has_qp = true;
      in.qp_density = state.lps.lps_qp_density;
      in.quant_param = state.lps.lps_quantization_parameter;
    } else if (state.have_mps && state.mps.has_qp) {
      in.has_qp = true;
      in.qp_density = state.mps.mps_qp_density;
      in.quant_param = state.mps.mps_quantization_parameter;
    }
    const NduHeader& h = u.ndu;
    in.names = h.topology_elem_ids;
    for (int64_t idx : h.topology_elem_id_indices) {
      if (state.have_reflist && idx >= 0 && uint64_t(idx) < state.reflist.size()) {
        in.names.push_back(state.reflist[static_cast<size_t>(idx)]);
      } else if (!state.have_reflist) {
        in.names.push_back("topology_element_" + std::to_string(idx));
      } else {
        throw Error(ErrorCode::kInvalidBitstream, static_cast<int64_t>(u.offset),
                    "topology_elem_id_index " + std::to_string(idx) +
                        " outside the NNR_TPL_REFLIST of " + std::to_string(state.reflist.size()) +
                        " elements");
      }
    }
    jobs.push_back(std::move(in));
  }
};

// A sink's error, carried through the decoder's threads as an exception.
struct SinkError {
  Status status;
};

void deliver(TensorSink* sink, size_t group, std::vector<DecodedTensor>&& tensors) {
  Status s = sink->consume(group, std::move(tensors));
  if (!s.ok()) throw SinkError{std::move(s)};
}

// 1 where a decoded value is non-zero: what the HDSP history takes in.
std::vector<uint8_t> nonzero_mask(const DecodedTensor& t) {
  std::vector<uint8_t> m;
  if (t.dtype == DType::kInt32) {
    m.resize(t.i32.size());
    for (size_t i = 0; i < m.size(); ++i) m[i] = t.i32[i] != 0;
  } else {
    m.resize(t.f32.size());
    for (size_t i = 0; i < m.size(); ++i) m[i] = t.f32[i] != 0.0f;
  }
  return m;
}

// After a stream decoded: each coded tensor's levels become the parent of
// its next NDU; depth, ids and HDSP history follow (codec/docs/edition2.md 10).
void update_state(DecoderState& state, const std::vector<NduDecodeInput>& jobs,
                  std::vector<NduDecodeOutput>& results,
                  std::vector<std::vector<std::pair<std::string, std::vector<uint8_t>>>>& nonzero) {
  std::set<std::string> seen;
  for (size_t i = 0; i < jobs.size(); ++i)
    for (const auto& [name, levels] : results[i].state_levels)
      if (!seen.insert(name).second)
        throw Error(ErrorCode::kUnsupported, static_cast<int64_t>(jobs[i].unit->offset),
                    "tensor '" + name + "' is coded in more than one NDU of a stream decoded as an update");
  for (size_t i = 0; i < jobs.size(); ++i) {
    const NduHeader& h = jobs[i].unit->ndu;
    for (auto& [name, levels] : results[i].state_levels) {
      DecoderState::TensorState& ts = state.tensors[name];
      ts.put_node_depth += 1;
      if (h.node_id_present_flag && ts.parameter_id < 0) ts.parameter_id = h.parameter_id;
      ts.levels = std::move(levels);
    }
    if (h.node_id_present_flag && state.device_id == 0) state.device_id = h.device_id;
    if (!state.keep_hdsp_history) continue;
    for (auto& [name, mask] : nonzero[i]) {
      DecoderState::TensorState& ts = state.tensors[name];
      if (ts.hdsp_history.size() != mask.size()) ts.hdsp_history.assign(mask.size(), 0);
      for (size_t k = 0; k < mask.size(); ++k) ts.hdsp_history[k] |= mask[k];
    }
  }
  ++state.streams;
}

void decode_impl(const uint8_t* data, size_t size, const DecodeOptions& options, DecoderState* state,
                 DecodedModel* out, TensorSink* sink) {
  parse_all(data, size, &out->units, false);
  JobBuilder jb{data, {}, {}};
  for (size_t i = 0; i < out->units.size(); ++i) jb.visit(out->units[i], i);
  for (NduDecodeInput& in : jb.jobs) {
    in.state = state;
    in.keep_state_levels = state != nullptr;
  }
  if (jb.state.have_mps) out->qp_density = jb.state.mps.mps_qp_density;

  // Refuse an absurd output size before allocating anything.
  uint64_t total = 0;
  for (const NduDecodeInput& in : jb.jobs) {
    for (const MemberPlan& m : plan_ndu_members(*in.unit, in.names)) {
      total += static_cast<uint64_t>(checked_numel(m.shape, in.unit->offset));
      if (total > options.max_output_bytes / 4)
        throw Error(ErrorCode::kLimitExceeded, static_cast<int64_t>(in.unit->offset),
                    "decoded output would exceed the limit of " +
                        std::to_string(options.max_output_bytes) + " bytes");
    }
  }

  // A stream cut at a unit boundary parses; its topology still names the
  // tensors it no longer carries.
  if (jb.state.have_reflist) {
    std::set<std::string> carried;
    for (const NduDecodeInput& in : jb.jobs) carried.insert(in.names.begin(), in.names.end());
    size_t missing = 0;
    std::string first;
    for (const std::string& name : jb.state.reflist)
      if (!carried.count(name) && missing++ == 0) first = name;
    if (missing)
      out->warnings.push_back("the topology (NNR_TPL) names " + std::to_string(missing) +
                              " tensor(s) that no NNR_NDU carries, e.g. '" + first +
                              "': the stream may be cut short or be a partial update");
  }
  const size_t n = jb.jobs.size();
  // Parts of a tensor are joined after every unit is decoded; a stream with
  // parts reaches a sink in one group.
  bool stream = sink != nullptr;
  for (const NduDecodeInput& in : jb.jobs)
    if (in.unit->partial_data_counter > 0) stream = false;
  if (sink) {
    Status s = sink->begin(stream ? n : 1);
    if (!s.ok()) throw SinkError{std::move(s)};
  }
  std::vector<NduDecodeOutput> results(n);
  std::vector<std::vector<std::pair<std::string, std::vector<uint8_t>>>> nonzero(n);
  auto decode_one = [&](size_t i, ThreadPool* pool) {
    decode_ndu(jb.jobs[i], options, pool, &results[i]);
    if (state && state->keep_hdsp_history)
      for (const DecodedTensor& t : results[i].tensors) nonzero[i].emplace_back(t.name, nonzero_mask(t));
    if (stream) deliver(sink, i, std::move(results[i].tensors));
  };
  const int threads = resolve_threads(options.threads);
  if (threads <= 1 || n == 0) {
    for (size_t i = 0; i < n; ++i) decode_one(i, nullptr);
  } else {
    ThreadPool pool(threads);
    // Largest units first, so the tail of the run is short.
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return jb.jobs[a].unit->payload_size > jb.jobs[b].unit->payload_size;
    });
    pool.run(n, [&](size_t k) { decode_one(order[k], &pool); }, /*leaf=*/false);
  }
  for (NduDecodeOutput& r : results) {
    for (DecodedTensor& t : r.tensors) out->tensors.push_back(std::move(t));
    for (std::string& w : r.warnings) out->warnings.push_back(std::move(w));
  }
  join_partial_tensors(out->tensors);
  if (sink && !stream) deliver(sink, 0, std::move(out->tensors));
  if (sink) out->tensors.clear();
  if (state) update_state(*state, jb.jobs, results, nonzero);  // checks before it changes anything
}

}  // namespace

Status decode(const uint8_t* data, size_t size, const DecodeOptions& options, DecodedModel* out,
              TensorSink* sink) {
  return decode(data, size, options, nullptr, out, sink);
}

Status decode(const uint8_t* data, size_t size, const DecodeOptions& options, DecoderState* state,
              DecodedModel* out, TensorSink* sink) {
  if (!out || (!data && size)) return Status(ErrorCode::kInvalidArgument, kNoOffset, "null argument");
  *out = DecodedModel{};
  try {
    decode_impl(data, size, options, state, out, sink);
    return Status();
  } catch (const SinkError& e) {
    return e.status;
  } catch (const Error& e) {
    return Status::from(e);
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kLimitExceeded, kNoOffset, "out of memory");
  } catch (const std::exception& e) {
    return Status(ErrorCode::kInternal, kNoOffset, e.what());
  }
}

Status decode(const uint8_t* data, size_t size, const DecodeOptions& options, DecodedModel* out) {
  return decode(data, size, options, out, nullptr);
}

Status parse_units(const uint8_t* data, size_t size, std::vector<NnrUnit>* units) {
  if (!units || (!data && size)) return Status(ErrorCode::kInvalidArgument, kNoOffset, "null argument");
  units->clear();
  try {
    parse_all(data, size, units, true);
    return Status();
  } catch (const Error& e) {
    return Status::from(e);
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kLimitExceeded, kNoOffset, "out of memory");
  }
}

}  // namespace nnr
