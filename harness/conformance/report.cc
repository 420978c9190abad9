#include "conformance/report.h"

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/interrupt.h"
#include "nnr/io.h"

namespace nnr {

namespace {

struct Job {
  std::string dir;    // vector folder ("" for a suite without vectors)
  std::string suite;
};

VectorResult run_job(const Job& j, const SuiteRunOptions& o) {
  if (j.dir.empty()) {
    VectorResult r;
    r.name = j.suite;
    r.dir = j.suite;
    r.reason = "no conformance vectors (no manifest.json)";
    return r;
  }
  ConformanceVector v;
  const Status s = load_vector(j.dir, &v);
  if (!s.ok()) {
    VectorResult r;
    r.name = j.dir;
    r.dir = j.dir;
    r.reason = "manifest: " + s.describe();
    return r;
  }
  return o.external ? run_vector_external(v, o.decoder) : run_vector_in_process_all_modes(v, o.threads);
}

void print_row(FILE* f, const VectorResult& r) {
  if (!f) return;
  std::fprintf(f, "%-40s %-28s %-4s %8.3f  %s\n", r.name.c_str(), tools_column(r.tools, 28).c_str(),
               r.pass ? "pass" : r.interrupted ? "----" : "FAIL", r.seconds, r.reason.c_str());
  std::fflush(f);
}

}  // namespace

std::string tools_column(const std::vector<std::string>& tools, size_t width) {
  std::string s;
  for (const std::string& t : tools) s += (s.empty() ? "" : ",") + t;
  if (s.size() > width) s = s.substr(0, width - 3) + "...";
  return s;
}

SuiteRunSummary run_suites(const SuiteRunOptions& o, FILE* table) {
  std::vector<Job> jobs;
  for (const std::string& suite : o.suites) {
    const std::vector<std::string> dirs = find_vector_dirs(suite);
    if (dirs.empty()) jobs.push_back({"", suite});
    for (const std::string& d : dirs) jobs.push_back({d, suite});
  }
  SuiteRunSummary sum;
  sum.results.resize(jobs.size());
  if (table) {
    std::fprintf(table, "%-40s %-28s %-4s %8s  %s\n", "vector", "tools", "verdict", "seconds", "reason");
    std::fflush(table);
  }
  std::vector<bool> done(jobs.size(), false);
  std::mutex mu;
  size_t printed = 0;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (;;) {
      const size_t i = next++;
      if (i >= jobs.size()) return;
      VectorResult r;
      if (interrupt_signal()) {
        r.name = jobs[i].dir.empty() ? jobs[i].suite : std::filesystem::path(jobs[i].dir).filename().string();
        r.interrupted = true;
        r.reason = "not run: interrupted";
      } else {
        r = run_job(jobs[i], o);
      }
      std::lock_guard<std::mutex> lock(mu);
      sum.results[i] = std::move(r);
      done[i] = true;
      while (printed < jobs.size() && done[printed]) print_row(table, sum.results[printed++]);
    }
  };
  const int n = o.jobs < 1 ? 1 : (o.jobs > 64 ? 64 : o.jobs);
  if (n == 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (int i = 0; i < n; ++i) pool.emplace_back(worker);
    for (std::thread& t : pool) t.join();
  }
  size_t passed = 0, stopped = 0;
  for (const VectorResult& r : sum.results) {
    passed += r.pass;
    stopped += r.interrupted;
    sum.failed += !r.pass && !r.interrupted;
  }
  sum.interrupted = interrupt_signal();
  if (table) {
    std::fprintf(table, "%zu passed, %d failed", passed, sum.failed);
    if (stopped) std::fprintf(table, ", %zu not finished (interrupted)", stopped);
    std::fprintf(table, "\n");
    std::fflush(table);
  }
  return sum;
}

Status write_result_json(const std::string& path, const SuiteRunOptions& o, const SuiteRunSummary& s) {
  nlohmann::ordered_json j;
  j["format"] = "nnr-conformance-result/1";
  j["decoder"] = o.external ? o.decoder.command : std::string("nnr (in process)");
  if (o.external) j["timeout_seconds"] = o.decoder.timeout_seconds;
  else j["thread_counts_checked"] = {1, o.threads < 2 ? 2 : o.threads};
  j["suites"] = o.suites;
  size_t passed = 0;
  for (const VectorResult& r : s.results) passed += r.pass;
  j["passed"] = passed;
  j["failed"] = s.failed;
  if (s.interrupted) j["interrupted_by_signal"] = s.interrupted;
  nlohmann::ordered_json vs = nlohmann::ordered_json::array();
  for (const VectorResult& r : s.results) {
    nlohmann::ordered_json v;
    v["vector"] = r.name;
    v["dir"] = r.dir;
    v["tools"] = r.tools;
    v["verdict"] = r.pass ? "pass" : r.interrupted ? "not finished" : "fail";
    v["reason"] = r.reason;
    v["seconds"] = r.seconds;
    v["tensors"] = r.tensors;
    vs.push_back(std::move(v));
  }
  j["vectors"] = std::move(vs);
  // A decoder may print anything; invalid UTF-8 in a reason must not stop the report.
  const std::string text = j.dump(1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  return write_file_atomic(path, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

}  // namespace nnr
