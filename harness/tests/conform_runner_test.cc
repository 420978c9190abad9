// The runner against misbehaving decoders: every failure kind is reported
// against the right vector with the right reason, the other vectors pass,
// and the runner itself finishes with the number of failures.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/subprocess.h"
#include "conformance/npy_strict.h"
#include "common/process.h"
#include "conformance/report.h"

namespace nnr {
namespace {

const std::string kSuite = NNR_SOURCE_DIR "/datasets/conformance";

// Three vectors of the project's suite; the second one is the target.
std::vector<std::string> three_vectors() {
  return {kSuite + "/enc_urq_mixed", kSuite + "/hls_payload_types", kSuite + "/val_shapes"};
}

SuiteRunSummary run_bad(const std::string& mode, double timeout = 20) {
  SuiteRunOptions o;
  o.suites = three_vectors();
  o.external = true;
  // In a sanitizer build the bad decoder is instrumented too: let its crash be
  // a crash, not a sanitizer report with an exit code.
  o.decoder.command = "ASAN_OPTIONS=handle_segv=0:handle_abort=0:abort_on_error=0 " + std::string(NNR_BAD_DECODER) +
                      " " + mode + " hls_payload_types {bitstream} {outdir}";
  o.decoder.timeout_seconds = timeout;
  return run_suites(o, nullptr);
}

void expect_only_target_fails(const SuiteRunSummary& s, const std::string& reason_part) {
  ASSERT_EQ(s.results.size(), 3u);
  EXPECT_EQ(s.failed, 1);
  EXPECT_TRUE(s.results[0].pass) << s.results[0].reason;
  EXPECT_FALSE(s.results[1].pass);
  EXPECT_EQ(s.results[1].name, "hls_payload_types");
  EXPECT_NE(s.results[1].reason.find(reason_part), std::string::npos) << s.results[1].reason;
  EXPECT_TRUE(s.results[2].pass) << s.results[2].reason;
}

TEST(ConformRunner, WellBehavedDecoderPasses) {
  const SuiteRunSummary s = run_bad("none");
  EXPECT_EQ(s.failed, 0);
  for (const VectorResult& r : s.results) EXPECT_TRUE(r.pass) << r.name << ": " << r.reason;
}

TEST(ConformRunner, CatchesOneFlippedBit) {
  // The last tensor of hls_payload_types is blk.weight; its last element is stored with the vector.
  // Named by its index, in the shape too, with both values as numbers and bits.
  expect_only_target_fails(run_bad("flip"), "tensor 'blk.weight': values differ (sha256 mismatch; first difference at "
                                            "element 11 [3, 2] of 12: got ");
}

TEST(ConformRunner, CatchesAMissingTensor) {
  expect_only_target_fails(run_bad("omit"), "missing tensor 'blk.weight' (not in index.json)");
  expect_only_target_fails(run_bad("omit_noindex"), "missing tensor 'blk.weight' (blk.weight.npy not written)");
}

TEST(ConformRunner, CatchesAChangedShape) {
  expect_only_target_fails(run_bad("reshape"), "tensor 'blk.weight': shape [1, 4, 3], expected [4, 3]");
}

TEST(ConformRunner, CatchesAWrongDtype) {
  expect_only_target_fails(run_bad("dtype"), "tensor 'blk.weight': dtype int32, expected float32");
}

TEST(ConformRunner, CatchesAnExtraTensorAndABrokenFile) {
  expect_only_target_fails(run_bad("extra"), "extra tensor 'not_in_the_stream'");
  expect_only_target_fails(run_bad("garbage"), "not an .npy file");
}

TEST(ConformRunner, CatchesACrash) {
  expect_only_target_fails(run_bad("crash"), "decoder crashed (killed by SIGSEGV)");
  expect_only_target_fails(run_bad("abort"), "decoder crashed (killed by SIGABRT)");
}

TEST(ConformRunner, CatchesANonZeroExit) {
  expect_only_target_fails(run_bad("exit3"), "decoder exited with status 3: bad decoder: giving up on purpose");
}

TEST(ConformRunner, CatchesAHangPastTheTimeout) {
  const auto t0 = std::chrono::steady_clock::now();
  expect_only_target_fails(run_bad("hang", 1.0), "timed out after 1 s");
  // A decoder that ignores SIGTERM is killed after the grace period.
  expect_only_target_fails(run_bad("hang_hard", 1.0), "timed out after 1 s");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(s, 30.0);
}

TEST(ConformRunner, ShellReportedSignalIsACrash) {
  // `kill -SEGV $$` kills the shell running the command itself.
  SuiteRunOptions o;
  o.suites = {three_vectors()[0]};
  o.external = true;
  o.decoder.command = "kill -SEGV $$";
  const SuiteRunSummary s = run_suites(o, nullptr);
  ASSERT_EQ(s.results.size(), 1u);
  EXPECT_NE(s.results[0].reason.find("killed by SIGSEGV"), std::string::npos) << s.results[0].reason;
}

// The command line: exit code = number of failed vectors, a JSON result with
// the verdict of each, and a clean exit of the runner itself.
TEST(ConformRunner, CommandLineExitCodeAndJson) {
  const std::string json = ::testing::TempDir() + "/conform_result.json";
  std::string cmd = std::string(NNR_CLI) + " conform";
  for (const std::string& v : three_vectors()) cmd += " " + v;
  cmd += " --timeout 2 --json " + json + " --decoder '" + NNR_BAD_DECODER +
         " crash hls_payload_types {bitstream} {outdir}' > /dev/null";
  const int st = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 1);
  std::ifstream f(json);
  const nlohmann::json j = nlohmann::json::parse(f);
  EXPECT_EQ(j["failed"], 1);
  EXPECT_EQ(j["passed"], 2);
  EXPECT_EQ(j["vectors"][1]["vector"], "hls_payload_types");
  EXPECT_EQ(j["vectors"][1]["verdict"], "fail");
  EXPECT_EQ(j["vectors"][0]["verdict"], "pass");

  // A suite folder without vectors is a failure, not a crash.
  const std::string empty = ::testing::TempDir() + "/no_vectors";
  std::filesystem::create_directories(empty);
  const int st2 = std::system((std::string(NNR_CLI) + " conform " + empty + " > /dev/null").c_str());
  ASSERT_TRUE(WIFEXITED(st2));
  EXPECT_EQ(WEXITSTATUS(st2), 1);
}

// The project's suite and the reference vectors pass with the project's
// decoder in process (1 and 2 threads, with and without entry points) and
// with `nnr decode` as an external command.
TEST(ConformRunner, AllSuitesPassInProcessAndAsACommand) {
  SuiteRunOptions o;
  o.suites = {kSuite};
  for (const char* s : {"/conformance/nncodec", "/conformance/nncodec-real"})
    if (std::filesystem::exists(std::string(NNR_SHARED_DIR) + s)) o.suites.push_back(std::string(NNR_SHARED_DIR) + s);
  const SuiteRunSummary in = run_suites(o, nullptr);
  EXPECT_GE(in.results.size(), 58u);
  EXPECT_EQ(in.failed, 0);
  for (const VectorResult& r : in.results) EXPECT_TRUE(r.pass) << r.name << ": " << r.reason;
  o.external = true;
  o.jobs = 2;
  o.decoder.command = std::string(NNR_CLI) + " decode {bitstream} -o {outdir} --threads 1";
  const SuiteRunSummary ex = run_suites(o, nullptr);
  EXPECT_EQ(ex.results.size(), in.results.size());
  EXPECT_EQ(ex.failed, 0);
  for (const VectorResult& r : ex.results) EXPECT_TRUE(r.pass) << r.name << ": " << r.reason;
}

TEST(Process, QuotingAndPlaceholders) {
  EXPECT_EQ(shell_quote("a b'c"), "'a b'\\''c'");
  EXPECT_EQ(expand_decoder_command("dec {bitstream} -o {outdir} {x}", {{"bitstream", "s p.nnc"}, {"outdir", "o"}}),
            "dec 's p.nnc' -o 'o' {x}");
  const ProcessResult r = run_shell_command("printf 'it is %s' \"$((6 * 7))\"; exit 4", 10);
  EXPECT_EQ(r.outcome, ProcessResult::Outcome::kExited);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.output_tail, "it is 42");
}

TEST(NpyStrict, RejectsWhatIsNotExactlyTheTensor) {
  // float32 [2]: 1.0, 2.0
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  h.resize(118, ' ');
  h += '\n';
  std::string file = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(h.size()) + '\0' + h;
  const std::string data("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);
  NpyArray a;
  std::string good = file + data;
  ASSERT_TRUE(parse_npy_strict(reinterpret_cast<const uint8_t*>(good.data()), good.size(), "x.npy", &a).ok());
  EXPECT_EQ(a.dtype, "float32");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2}));
  std::string shortf = file + data.substr(0, 7);
  const Status s = parse_npy_strict(reinterpret_cast<const uint8_t*>(shortf.data()), shortf.size(), "x.npy", &a);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.describe().find("x.npy"), std::string::npos);
  EXPECT_NE(s.describe().find("byte 129"), std::string::npos) << s.describe();
  std::string f8 = good;
  f8.replace(f8.find("<f4"), 3, "<f8");
  ASSERT_FALSE(parse_npy_strict(reinterpret_cast<const uint8_t*>(f8.data()), f8.size(), "x.npy", &a).ok());
}

}  // namespace
}  // namespace nnr
