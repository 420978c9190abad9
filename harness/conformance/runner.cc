#include "conformance/runner.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <map>

#include "common/tensor_output.h"
#include "conformance/output_folder.h"
#include "common/process.h"
#include "nnr/io.h"

namespace nnr {

namespace fs = std::filesystem;

VectorResult compare_outputs(const ConformanceVector& v, const std::vector<DecodedTensor>& got) {
  VectorResult r;
  r.name = v.name;
  r.dir = v.dir;
  r.tools = v.tools;
  r.tensors = v.expected.size();
  std::map<std::string, const DecodedTensor*> by_name;
  for (const DecodedTensor& t : got) {
    if (!by_name.emplace(t.name, &t).second) {
      r.reason = "tensor '" + t.name + "' output twice";
      return r;
    }
  }
  for (const ExpectedTensor& e : v.expected) {
    auto it = by_name.find(e.name);
    if (it == by_name.end()) {
      r.reason = "missing tensor '" + e.name + "'";
      return r;
    }
    const DecodedTensor& t = *it->second;
    if (e.dtype != dtype_name(t.dtype)) {
      r.reason = "tensor '" + e.name + "': dtype " + dtype_name(t.dtype) + ", expected " + e.dtype;
      return r;
    }
    if (e.shape != t.shape) {
      r.reason = "tensor '" + e.name + "': shape differs";
      return r;
    }
    if (tensor_sha256(t) != e.sha256) {
      const std::string where = first_difference(e, t.bytes());
      r.reason = "tensor '" + e.name + "': values differ (sha256 mismatch" + (where.empty() ? "" : "; " + where) + ")";
      return r;
    }
    by_name.erase(it);
  }
  if (!by_name.empty()) {
    r.reason = "extra tensor '" + by_name.begin()->first + "'";
    return r;
  }
  r.pass = true;
  return r;
}

namespace {

// One stream (of a single vector, or a step of a sequence with `state`).
VectorResult run_stream(const ConformanceVector& v, const std::string& stream,
                        const std::vector<ExpectedTensor>& expected, const DecodeOptions& options,
                        DecoderState* state) {
  VectorResult r;
  std::vector<uint8_t> bytes;
  Status s = read_file(stream, &bytes);
  if (s.ok()) {
    DecodedModel model;
    s = decode(bytes.data(), bytes.size(), options, state, &model, nullptr);
    if (s.ok()) {
      ConformanceVector step = v;
      step.expected = expected;
      r = compare_outputs(step, model.tensors);
    }
  }
  if (!s.ok()) {
    r.pass = false;
    r.reason = "decoder error: " + s.describe(stream);
  }
  return r;
}

}  // namespace

VectorResult run_vector_in_process(const ConformanceVector& v, const DecodeOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  VectorResult r;
  if (v.is_sequence()) {
    // Each step decoded with the state the steps before it left.
    DecoderState state;
    for (const ConformanceVector::Step& st : v.steps) {
      r = run_stream(v, st.stream_path, st.expected, options, &state);
      if (!r.pass) {
        r.reason = st.name + ": " + r.reason;
        break;
      }
    }
  } else {
    r = run_stream(v, v.stream_path, v.expected, options, nullptr);
  }
  r.name = v.name;
  r.dir = v.dir;
  r.tools = v.tools;
  r.tensors = v.expected.size();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

VectorResult run_vector_in_process_all_modes(const ConformanceVector& v, int threads) {
  if (threads < 2) threads = 2;
  VectorResult first;
  double total = 0;
  bool have_first = false;
  for (int t : {1, threads}) {
    for (bool eps : {true, false}) {
      DecodeOptions o;
      o.threads = t;
      o.use_entry_points = eps;
      VectorResult r = run_vector_in_process(v, o);
      total += r.seconds;
      if (!r.pass) {
        r.reason = "(" + std::to_string(t) + (t == 1 ? " thread" : " threads") +
                   (eps ? ", entry points" : ", no entry points") + ") " + r.reason;
        r.seconds = total;
        return r;
      }
      if (!have_first) {
        first = r;
        have_first = true;
      }
    }
  }
  first.seconds = total;
  return first;
}

namespace {

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  const size_t nl = t.find_last_of('\n');
  std::string line = nl == std::string::npos ? t : t.substr(nl + 1);
  if (line.size() > 300) line = "..." + line.substr(line.size() - 300);
  return line;
}

std::string make_output_dir(const ExternalDecoder& d, std::string* error) {
  std::string base = d.work_dir;
  if (base.empty()) {
    const char* tmp = getenv("TMPDIR");
    base = tmp && *tmp ? tmp : "/tmp";
  }
  std::string tmpl = base + "/nnr-conform-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) {
    *error = "cannot create an output folder under " + base;
    return "";
  }
  return std::string(buf.data());
}

}  // namespace

VectorResult run_vector_external(const ConformanceVector& v, const ExternalDecoder& d) {
  VectorResult r;
  r.name = v.name;
  r.dir = v.dir;
  r.tools = v.tools;
  r.tensors = v.expected.size();
  std::string error;
  const std::string out = make_output_dir(d, &error);
  if (out.empty()) {
    r.reason = error;
    return r;
  }
  std::error_code ec;
  // A sequence: every stream in order, and one output folder per step.
  std::vector<std::string> streams;
  if (v.is_sequence()) {
    for (const auto& st : v.steps) streams.push_back(fs::absolute(st.stream_path, ec).string());
  } else {
    streams.push_back(fs::absolute(v.stream_path, ec).string());
  }
  const std::string cmd = expand_decoder_command(
      d.command, {{"bitstream", streams}, {"outdir", {out}}, {"threads", {std::to_string(d.threads)}}});
  const ProcessResult p = run_shell_command(cmd, d.timeout_seconds);
  r.seconds = p.seconds;
  const std::string tail = last_line(p.output_tail);
  const std::string said = tail.empty() ? "" : ": " + tail;
  switch (p.outcome) {
    case ProcessResult::Outcome::kSpawnFailed:
      r.reason = "could not run the decoder: " + p.error;
      break;
    case ProcessResult::Outcome::kTimedOut: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "timed out after %g s", d.timeout_seconds);
      r.reason = buf + said;
      break;
    }
    case ProcessResult::Outcome::kSignaled:
      r.reason = "decoder crashed (killed by " + signal_name(p.term_signal) + ")" + said;
      break;
    case ProcessResult::Outcome::kInterrupted:
      r.interrupted = true;
      r.reason = "not finished: interrupted";
      break;
    case ProcessResult::Outcome::kExited:
      if (p.exit_code != 0) {
        r.reason = "decoder exited with status " + std::to_string(p.exit_code) + said;
      } else {
        if (v.is_sequence()) {
          r.pass = true;
          for (size_t i = 0; i < v.steps.size() && r.pass; ++i) {
            ConformanceVector step = v;
            step.expected = v.steps[i].expected;
            char sub[32];
            std::snprintf(sub, sizeof sub, "step-%02zu", i);
            if (!fs::is_directory(out + "/" + sub, ec)) {
              r.pass = false;
              r.reason = std::string(sub) +
                         ": no output folder (a sequence's decoder gets every stream in order and writes "
                         "{outdir}/step-00, step-01, ..., as nnr decode --every-step does)";
              break;
            }
            const VectorResult c = compare_output_folder(step, out + "/" + sub);
            r.pass = c.pass;
            if (!c.pass) r.reason = std::string(sub) + ": " + c.reason;
          }
        } else {
          // A decoder that writes one folder per step (nnr decode
          // --every-step) treats a single stream as a sequence of one.
          const bool as_step = fs::is_directory(out + "/step-00", ec) && !fs::exists(out + "/index.json", ec);
          const VectorResult c = compare_output_folder(v, as_step ? out + "/step-00" : out);
          r.pass = c.pass;
          r.reason = c.reason;
        }
      }
      break;
  }
  if (!d.keep_output || r.interrupted) fs::remove_all(out, ec);
  else if (!r.pass) r.reason += " (output kept in " + out + ")";
  return r;
}

}  // namespace nnr
