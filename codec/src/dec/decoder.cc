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

void decode_impl(const uint8_t* data, size_t size, const DecodeOptions& options, DecodedModel* out,
                 TensorSink* sink) {
  parse_all(data, size, &out->units, false);
  JobBuilder jb{data, {}, {}};
  for (size_t i = 0; i < out->units.size(); ++i) jb.visit(out->units[i], i);
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
  auto decode_one = [&](size_t i, ThreadPool* pool) {
    decode_ndu(jb.jobs[i], options, pool, &results[i]);
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
}

}  // namespace

Status decode(const uint8_t* data, size_t size, const DecodeOptions& options, DecodedModel* out,
              TensorSink* sink) {
  if (!out || (!data && size)) return Status(ErrorCode::kInvalidArgument, kNoOffset, "null argument");
  *out = DecodedModel{};
  try {
    decode_impl(data, size, options, out, sink);
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
