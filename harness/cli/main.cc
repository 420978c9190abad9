// nnr: the NNR codec, conformance and benchmarking tool.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>

#include "cli/commands.h"
#include "nnr/decoder.h"

namespace nnr::cli {

int report_error(const std::string& file, const Status& s) {
  std::fprintf(stderr, "nnr: %s\n", s.describe(file).c_str());
  return s.code() == ErrorCode::kInvalidArgument ? 2 : 1;
}

Status parse_tolerances(const std::vector<std::string>& options, std::map<std::string, double>* out) {
  for (const auto& t : options) {
    const size_t eq = t.find('=');
    char* end = nullptr;
    const double v = eq == std::string::npos ? 0 : std::strtod(t.c_str() + eq + 1, &end);
    if (eq == std::string::npos || !end || *end || v < 0)
      return Status(ErrorCode::kInvalidArgument, kNoOffset,
                    "--tolerance '" + t + "': expected METRIC=VALUE with VALUE >= 0, e.g. top1=0.5");
    (*out)[t.substr(0, eq)] = v;
  }
  return Status();
}

}  // namespace nnr::cli

int main(int argc, char** argv) {
  // Idle OpenMP threads of libtorch spin by default; on a shared machine (CI,
  // parallel jobs, a run beside a build) that makes evaluation many times
  // slower. The OpenMP runtime reads the policy when the use-case plugin
  // loads it, so set it now, while the process has one thread.
  setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
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
    return app.exit(e);
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) {
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
