#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "common/interrupt.h"
#include "conformance/report.h"
#include "conformance/suite/generate.h"

namespace nnr::cli {

namespace {

Runner add_generate(CLI::App& app) {
  struct Opts {
    std::string out = "datasets/conformance";
    std::vector<std::string> only;
    bool check = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("OUT", o->out, "the suite folder to write (default datasets/conformance)");
  app.add_option("--only", o->only, "generate only these vectors");
  app.add_flag("--check", o->check,
               "generate into a temporary folder and compare byte for byte with OUT; exit 1 on any difference");
  return [o]() {
    GenerateOptions g;
    g.out_dir = o->out;
    g.only = o->only;
    std::string report;
    const Status s = o->check ? check_suite(g, &report) : generate_suite(g, &report);
    std::fputs(report.c_str(), stdout);
    if (!s.ok()) return report_error(o->out, s);
    return 0;
  };
}

}  // namespace

Runner add_conform(CLI::App& app) {
  struct Opts {
    std::vector<std::string> suites;
    std::string decoder;
    int threads = 2;
    int jobs = 1;
    double timeout = 60;
    std::string json;
    std::string work_dir;
    bool keep = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("SUITE", o->suites, "vector folders or folders of vectors");
  app.add_option("--decoder", o->decoder,
                 "decoder under test as a command template, e.g. 'mydec {bitstream} {outdir}'; it writes "
                 "one .npy per tensor into {outdir} ({threads} is also replaced)");
  app.add_option("--threads", o->threads,
                 "in process: the decoder is checked at 1 and N threads (default 2); external: value of {threads}")
      ->check(threads_check());
  app.add_option("--jobs", o->jobs, "vectors checked at once (default 1)")->check(count_check(256));
  app.add_option("--timeout", o->timeout, "seconds an external decoder may take per vector (default 60)")
      ->check(finite_check(0, 86400, "seconds above 0, at most 86400"));
  app.add_option("--json", o->json, "write the result as JSON to this file");
  app.add_option("--work-dir", o->work_dir, "where external decoders' output folders are made (default $TMPDIR)");
  app.add_flag("--keep-output", o->keep, "keep the output folders of failed vectors");
  CLI::App* gen = app.add_subcommand("generate", "Rebuild the project's conformance suite deterministically");
  Runner run_generate = add_generate(*gen);
  return [o, gen, run_generate]() {
    if (gen->parsed()) return run_generate();
    if (o->suites.empty()) {
      std::fprintf(stderr, "nnr: conform: give at least one SUITE folder\n");
      return 2;
    }
    // What is wrong with the command, before any decoder is blamed for it.
    for (const std::string& suite : o->suites)
      if (!std::filesystem::is_directory(suite))
        return report_error(suite, Status(ErrorCode::kInvalidArgument, kNoOffset, "no such suite folder"));
    if (!o->decoder.empty() && !o->work_dir.empty()) {
      std::error_code ec;
      if (!std::filesystem::is_directory(o->work_dir, ec))
        return report_error(o->work_dir, Status(ErrorCode::kInvalidArgument, kNoOffset, "--work-dir: no such folder"));
      const std::string probe = o->work_dir + "/.nnr-conform-probe-" + std::to_string(getpid());
      if (!std::filesystem::create_directory(probe, ec))
        return report_error(o->work_dir, Status(ErrorCode::kIo, kNoOffset, "--work-dir: cannot create folders here"));
      std::filesystem::remove(probe, ec);
    }
    install_interrupt_handlers();
    SuiteRunOptions opt;
    opt.suites = o->suites;
    opt.external = !o->decoder.empty();
    opt.decoder.command = o->decoder;
    opt.decoder.timeout_seconds = o->timeout;
    opt.decoder.threads = o->threads;
    opt.decoder.work_dir = o->work_dir;
    opt.decoder.keep_output = o->keep;
    opt.threads = o->threads;
    opt.jobs = o->jobs;
    const SuiteRunSummary sum = run_suites(opt, stdout);
    if (!o->json.empty()) {
      const Status s = write_result_json(o->json, opt, sum);
      if (!s.ok()) return report_error(o->json, s);
    }
    if (sum.interrupted) {
      std::fprintf(stderr, "nnr: conform: interrupted (%s)\n", sum.interrupted == SIGINT ? "SIGINT" : "SIGTERM");
      return 128 + sum.interrupted;
    }
    return sum.failed ? 1 : 0;
  };
}

}  // namespace nnr::cli
