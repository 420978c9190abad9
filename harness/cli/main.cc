// nnr: the NNR codec, conformance and benchmarking tool.
#include <unistd.h>

#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>

#include "cli/commands.h"
#include "common/omp_wait.h"
#include "nnr/decoder.h"

namespace nnr::cli {

int report_error(const std::string& file, const Status& s) {
  std::fprintf(stderr, "nnr: %s\n", s.describe(file).c_str());
  return s.code() == ErrorCode::kInvalidArgument ? 2 : 1;
}

CLI::Validator threads_check() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        char* end = nullptr;
        const long n = std::strtol(v.c_str(), &end, 10);
        return end != v.c_str() && !*end && n >= 0 && n <= 256 ? "" : "expected 0 (one per core) .. 256, not " + v;
      },
      "0..256");
}

CLI::Validator count_check(int max) {
  return CLI::Validator(
      [max](std::string& v) -> std::string {
        char* end = nullptr;
        const long n = std::strtol(v.c_str(), &end, 10);
        return end != v.c_str() && !*end && n >= 1 && n <= max
                   ? ""
                   : "expected an integer 1.." + std::to_string(max) + ", not " + v;
      },
      "1.." + std::to_string(max));
}

CLI::Validator finite_check(double lo, double hi, const std::string& what) {
  return CLI::Validator(
      [lo, hi, what](std::string& v) -> std::string {
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        return end != v.c_str() && !*end && std::isfinite(x) && x > lo && x <= hi ? "" : "expected " + what + ", not " + v;
      },
      what);
}

Status parse_tolerances(const std::vector<std::string>& options, std::map<std::string, double>* out) {
  for (const auto& t : options) {
    const size_t eq = t.find('=');
    char* end = nullptr;
    const double v = eq == std::string::npos ? 0 : std::strtod(t.c_str() + eq + 1, &end);
    if (eq == std::string::npos || !end || *end || !std::isfinite(v) || v < 0)
      return Status(ErrorCode::kInvalidArgument, kNoOffset,
                    "--tolerance '" + t + "': expected METRIC=VALUE with VALUE >= 0, e.g. top1=0.5");
    (*out)[t.substr(0, eq)] = v;
  }
  return Status();
}

}  // namespace nnr::cli

int main(int argc, char** argv) {
  CLI::App app{"nnr - MPEG NNR (ISO/IEC 15938-17) codec, conformance and benchmarking"};
  app.set_version_flag("--version", std::string("nnr ") + nnr::version_string());
  app.require_subcommand(1);
  std::map<CLI::App*, nnr::cli::Runner> runners;
  auto add = [&](const char* name, const char* help, nnr::cli::Runner (*fn)(CLI::App&)) {
    CLI::App* sub = app.add_subcommand(name, help);
    runners[sub] = fn(*sub);
  };
  add("encode", "Encode a model (.npz or PyTorch state dict) to an NNR bitstream", nnr::cli::add_encode);
  add("decode", "Decode an NNR bitstream to .npy files", nnr::cli::add_decode);
  add("inspect", "Describe every unit and syntax element of a bitstream as JSON", nnr::cli::add_inspect);
  add("conform", "Check decoders against conformance vectors", nnr::cli::add_conform);
  add("run", "Run an experiment from a JSON config (use cases x codecs x working points)", nnr::cli::add_run);
  add("report", "Write report.md, report.csv and rate-metric curves of a run", nnr::cli::add_report);
  add("compare", "Compare a run against a baseline (nightly regression check)", nnr::cli::add_compare);
  add("merge", "Join the results of several shards of a run", nnr::cli::add_merge);
  add("evaluate", "Evaluate a use case's model on its task, as a JSON line", nnr::cli::add_evaluate);
  add("train", "Train an embedded use-case model and write it with a manifest", nnr::cli::add_train);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are successes; every other mistake on the
    // command line is a usage error (exit 2), whatever CLI11's own code.
    return app.exit(e) == 0 ? 0 : 2;
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) {
      // The OpenMP runtime reads its wait policy when the use-case plugin
      // loads it; the commands that load it choose now, while the process has
      // one thread.
      const std::string name = sub->get_name();
      if (name == "run" || name == "evaluate" || name == "train") nnr::apply_omp_wait_policy();
      try {
        return run();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "nnr: internal error: %s\n", e.what());
        return 3;
      }
    }
  }
  return 2;
}
