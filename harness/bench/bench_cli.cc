// What a user waits for: the `nnr` command as a whole process (start-up,
// reading the input, coding, writing the output), timed by Google Benchmark
// with the child's peak RSS as a counter. Inputs: the 25.6 M-parameter
// stream of ../shared/bench (DQ, 16x16 blocks with entry points), and a
// 25.6 M-parameter synthetic ResNet-50 (nnr_synthetic_model) with its DQ and
// URQ streams (qp -38, row-major scan) made once by `nnr encode` into
// $NNR_BENCH_DIR (default build/bench-inputs). Decoded output goes to
// $NNR_BENCH_OUT (default a folder in /dev/shm where there is one): on ext4
// without a journal, creating files soon after deleting many (as a loop of
// decodes does) scans the recently deleted inodes, and the benchmark would
// time the file system's allocator more than the command.
//
//   build/bin/nnr_bench_cli [--benchmark_filter=...] [--benchmark_out=FILE]
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

const std::string kNnr = env_or("NNR_CLI", NNR_CLI);
const std::string kInputs = env_or("NNR_BENCH_DIR", NNR_BENCH_DIR);
const std::string kShared = env_or("NNR_SHARED_DIR", NNR_SHARED_DIR);

struct Child {
  int status = -1;
  double max_rss_mb = 0;
};

// Runs argv with stdout to /dev/null; waits and takes its rusage.
Child run(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Child c;
  const pid_t pid = fork();
  if (pid == 0) {
    if (std::freopen("/dev/null", "w", stdout) == nullptr) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (pid < 0) return c;
  struct rusage ru;
  if (wait4(pid, &c.status, 0, &ru) == pid) c.max_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
  return c;
}

bool ok(const Child& c) { return WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0; }

// The synthetic model and our encoder's streams of it, made on first use.
std::string model_file() { return kInputs + "/synth_resnet50.npz"; }
bool make_inputs() {
  static const bool made = [] {
    std::error_code ec;
    fs::create_directories(kInputs, ec);
    const std::string tool = fs::path(kNnr).parent_path() / "nnr_synthetic_model";
    if (!fs::exists(model_file()) && !ok(run({tool, model_file() + ".tmp", "4001"}))) return false;
    if (fs::exists(model_file() + ".tmp")) fs::rename(model_file() + ".tmp", model_file(), ec);
    for (const char* dq : {"true", "false"}) {
      const std::string out = kInputs + (dq[0] == 't' ? "/synth_dq.nnc" : "/synth_urq.nnc");
      if (!fs::exists(out) &&
          !ok(run({kNnr, "encode", model_file(), "-o", out, "--qp", "-38", "--use-dq", dq, "-q"})))
        return false;
    }
    return true;
  }();
  return made;
}

// The largest peak RSS of the iterations' processes.
void report(benchmark::State& state, double rss_max) { state.counters["peak_rss_mb"] = benchmark::Counter(rss_max); }

// A command that does next to nothing: what every command costs to start.
void BM_Startup(benchmark::State& state, std::vector<std::string> args) {
  double rss = 0;
  for (auto _ : state) {
    const Child c = run(args);
    if (!ok(c)) {
      state.SkipWithError((args[1] + " failed").c_str());
      return;
    }
    rss = std::max(rss, c.max_rss_mb);
  }
  report(state, rss);
}

void BM_Decode(benchmark::State& state, std::string stream, int threads) {
  if (stream.empty() || !fs::exists(stream)) {
    state.SkipWithError(("no stream " + stream).c_str());
    return;
  }
  const std::string out = env_or("NNR_BENCH_OUT", fs::is_directory("/dev/shm") ? "/dev/shm/nnr-bench-decoded"
                                                                              : kInputs + "/decoded");
  double rss = 0;
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(out);
    state.ResumeTiming();
    const Child c = run({kNnr, "decode", stream, "-o", out, "--threads", std::to_string(threads), "-q"});
    if (!ok(c)) {
      state.SkipWithError("nnr decode failed");
      return;
    }
    rss = std::max(rss, c.max_rss_mb);
  }
  fs::remove_all(out);
  state.counters["output_mb"] = 25610152 * 4 / 1048576.0;
  report(state, rss);
}

void BM_Encode(benchmark::State& state, bool dq, int threads) {
  if (!make_inputs()) {
    state.SkipWithError("could not make the synthetic model");
    return;
  }
  const std::string out = kInputs + "/encoded.nnc";
  double rss = 0;
  for (auto _ : state) {
    const Child c = run({kNnr, "encode", model_file(), "-o", out, "--qp", "-38", "--use-dq", dq ? "true" : "false",
                         "--threads", std::to_string(threads), "-q"});
    if (!ok(c)) {
      state.SkipWithError("nnr encode failed");
      return;
    }
    rss = std::max(rss, c.max_rss_mb);
  }
  state.counters["input_mb"] = 25610152 * 4 / 1048576.0;
  report(state, rss);
}

int register_all() {
  benchmark::RegisterBenchmark("cli/startup/version", BM_Startup, std::vector<std::string>{kNnr, "--version"})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark(
      "cli/startup/inspect_small", BM_Startup,
      std::vector<std::string>{kNnr, "inspect", kShared + "/conformance/nncodec/p01_urq_qp-38/stream.nnc", "--headers-only"})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  const std::string streams[][2] = {{"dq_entry_points", kShared + "/bench/synth25m_s4001_dq_scan2.nnc"},
                                    {"dq", kInputs + "/synth_dq.nnc"},
                                    {"urq", kInputs + "/synth_urq.nnc"}};
  for (const auto& [label, path] : streams) {
    for (int threads : {1, 2}) {
      benchmark::RegisterBenchmark(("cli/decode/" + label + "/threads:" + std::to_string(threads)).c_str(),
                                   [path = path, threads](benchmark::State& st) {
                                     if (path.find(kInputs) == 0 && !make_inputs()) {
                                       st.SkipWithError("could not make the inputs");
                                       return;
                                     }
                                     BM_Decode(st, path, threads);
                                   })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->Iterations(3);
    }
  }
  for (bool dq : {true, false})
    for (int threads : {1, 2})
      benchmark::RegisterBenchmark(
          (std::string("cli/encode/") + (dq ? "dq" : "urq") + "/threads:" + std::to_string(threads)).c_str(), BM_Encode,
          dq, threads)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->Iterations(1);
  return 0;
}
const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
