// `nnr run` end to end on a task-free model: a killed run resumes without
// recomputing or losing a point; shards merge to the full run; jobs do not
// change streams; a failing codec is recorded against its point.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "common/subprocess.h"
#include "nnr/io.h"
#include "pipeline/qp_search.h"
#include "pipeline/results_log.h"
#include "pipeline/run_experiment.h"
#include "config/run_config.h"

namespace nnr {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nnr_pipeline_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::mt19937 rng(7);
    std::normal_distribution<float> g(0.0f, 0.05f);
    std::vector<Tensor> ts;
    for (auto [name, shape] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
             {"conv.weight", {16, 8, 3, 3}}, {"conv.bias", {16}}, {"fc.weight", {10, 64}}}) {
      Tensor t;
      t.name = name;
      t.shape = shape;
      t.f32.resize(static_cast<size_t>(t.numel()));
      for (float& v : t.f32) v = g(rng);
      ts.push_back(std::move(t));
    }
    ASSERT_TRUE(write_npz((dir_ / "model.npz").string(), ts).ok());
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::string cli() const { return NNR_CLI; }

  // A run file with the original, our codec, the anchor and (optionally) an
  // external codec that logs each encode call and takes `delay` seconds.
  std::string write_config(const std::string& name, double delay, const std::string& decode = "") {
    const std::string log = (dir_ / "calls.log").string();
    json ext = {{"type", "external"},
                {"label", "ext"},
                {"encode", "echo {qp} >> " + shell_quote(log) + "; sleep " + std::to_string(delay) + "; " +
                               shell_quote(cli()) + " encode {input} -o {bitstream} --qp {qp}"},
                {"decode", decode.empty() ? shell_quote(cli()) + " decode {bitstream} -o {outdir}" : decode},
                {"sweep", {{"qp", {-40, -38, -36, -34}}}}};
    json cfg = {{"name", name},
                {"usecases", {{{"id", "generic"}, {"model", "model.npz"}}}},
                {"codecs",
                 {{{"type", "original"}},
                  {{"type", "nnr"}, {"label", "dq"}, {"sweep", {{"qp", {-40, -36}}}}},
                  {{"type", "anchor"}, {"sweep", {{"qp", {-40, -36}}}}},
                  ext}}};
    const std::string path = (dir_ / (name + ".json")).string();
    std::ofstream(path) << cfg.dump(2);
    return path;
  }

  CommandResult nnr(const std::string& args) { return run_command(shell_quote(cli()) + " " + args, 300); }

  static std::map<std::string, json> records_by_key(const std::string& results) {
    json doc;
    EXPECT_TRUE(read_results(results, &doc).ok()) << results;
    std::map<std::string, json> m;
    for (const auto& r : doc["records"]) {
      EXPECT_FALSE(m.count(r["key"].get<std::string>())) << "duplicate " << r["key"];
      m[r["key"].get<std::string>()] = r;
    }
    return m;
  }

  fs::path dir_;
};

TEST_F(PipelineTest, RunVerifiesEveryPointAndRefusesToOverwrite) {
  const std::string cfg = write_config("plain", 0);
  const std::string out = (dir_ / "run").string();
  CommandResult r = nnr("run " + shell_quote(cfg) + " --output " + shell_quote(out));
  ASSERT_TRUE(r.ok()) << r.output_tail;
  const auto recs = records_by_key(out);
  ASSERT_EQ(recs.size(), 9u);  // original + 2 + 2 + 4
  for (const auto& [key, rec] : recs) {
    EXPECT_EQ(rec["status"], "ok") << key;
    if (rec["codec_type"] == "nnr" || rec["codec_type"] == "anchor") {
      EXPECT_EQ(rec["verified"], true) << key;
    }
    if (rec["codec_type"] == "external") {
      EXPECT_TRUE(rec["verified"].is_null()) << key;
    }
    if (rec["codec_type"] != "original") {
      EXPECT_GT(rec["weight_mse"].get<double>(), 0.0);
      EXPECT_EQ(rec["stream_sha256"].get<std::string>().size(), 64u);
    }
  }
  // Our encoder at qp -40 is smaller than the anchor at the same step size.
  EXPECT_LT(recs.at("generic/dq/qp=-40")["stream_bytes"].get<int>(),
            recs.at("generic/anchor/qp=-40")["stream_bytes"].get<int>());
  r = nnr("run " + shell_quote(cfg) + " --output " + shell_quote(out));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output_tail.find("--resume"), std::string::npos) << r.output_tail;
}

TEST_F(PipelineTest, KilledRunResumesWithoutRecomputingOrLosingPoints) {
  const std::string cfg = write_config("killed", 0.4);
  const std::string out = (dir_ / "run").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setpgid(0, 0);
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execl(NNR_CLI, "nnr", "run", cfg.c_str(), "--output", out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);
  // Kill it (and the codec commands it started) once two external points are recorded.
  const std::string jsonl = out + "/results.jsonl";
  auto external_done = [&]() {
    std::ifstream f(jsonl);
    std::string line;
    int n = 0;
    while (std::getline(f, line)) n += line.find("\"codec\":\"ext\"") != std::string::npos;
    return n;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (external_done() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(-pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";

  std::vector<json> before;
  ResultsLog log(jsonl);
  ASSERT_TRUE(log.load(&before).ok());
  ASSERT_GE(before.size(), 2u);
  ASSERT_LT(before.size(), 9u);
  std::set<std::string> finished;
  for (const auto& r : before) finished.insert(r["key"].get<std::string>());

  const CommandResult r = nnr("run " + shell_quote(cfg) + " --resume --output " + shell_quote(out));
  ASSERT_TRUE(r.ok()) << r.output_tail;
  EXPECT_NE(r.output_tail.find("already recorded"), std::string::npos) << r.output_tail;

  // Every point exactly once, in the final file and in the log.
  const auto recs = records_by_key(out);
  EXPECT_EQ(recs.size(), 9u);
  std::vector<json> after;
  ASSERT_TRUE(log.load(&after).ok());
  EXPECT_EQ(after.size(), 9u);
  // Points recorded before the kill were not encoded again.
  std::map<std::string, int> calls;
  std::ifstream f(dir_ / "calls.log");
  std::string qp;
  while (f >> qp) ++calls["generic/ext/qp=" + qp];
  for (const auto& key : finished)
    if (key.find("/ext/") != std::string::npos) {
      EXPECT_EQ(calls[key], 1) << key;
    }
  for (const auto& [key, rec] : recs) {
    EXPECT_EQ(rec["status"], "ok") << key;
    if (finished.count(key)) {
      // The record from before the kill is the one kept.
      for (const auto& b : before)
        if (b["key"] == key) {
          EXPECT_EQ(b["finished_at"], rec["finished_at"]) << key;
        }
    }
  }
}

TEST_F(PipelineTest, ResumeRefusesAnotherConfig) {
  const std::string cfg = write_config("a", 0);
  const std::string out = (dir_ / "run").string();
  ASSERT_TRUE(nnr("run " + shell_quote(cfg) + " --output " + shell_quote(out)).ok());
  json doc = json::parse(std::ifstream(cfg));
  doc["codecs"][1]["sweep"]["qp"] = {-40, -30};
  std::ofstream(cfg) << doc.dump();
  const CommandResult r = nnr("run " + shell_quote(cfg) + " --resume --output " + shell_quote(out));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output_tail.find("config differs"), std::string::npos) << r.output_tail;
}

TEST_F(PipelineTest, ShardsMergeToTheFullRunAndJobsKeepStreams) {
  const std::string cfg = write_config("sharded", 0);
  const std::string full = (dir_ / "full").string(), s0 = (dir_ / "s0").string(), s1 = (dir_ / "s1").string(),
                    merged = (dir_ / "merged").string(), par = (dir_ / "par").string();
  ASSERT_TRUE(nnr("run " + shell_quote(cfg) + " --output " + shell_quote(full)).ok());
  ASSERT_TRUE(nnr("run " + shell_quote(cfg) + " --shard 0/2 --output " + shell_quote(s0)).ok());
  ASSERT_TRUE(nnr("run " + shell_quote(cfg) + " --shard 1/2 --output " + shell_quote(s1)).ok());
  EXPECT_EQ(records_by_key(s0).size() + records_by_key(s1).size(), 9u);
  const CommandResult m = nnr("merge " + shell_quote(merged) + " " + shell_quote(s0) + " " + shell_quote(s1));
  ASSERT_TRUE(m.ok()) << m.output_tail;
  ASSERT_TRUE(nnr("run " + shell_quote(cfg) + " --jobs 2 --output " + shell_quote(par)).ok());
  const auto a = records_by_key(full), b = records_by_key(merged), c = records_by_key(par);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), c.size());
  for (const auto& [key, rec] : a) {
    ASSERT_TRUE(b.count(key) && c.count(key)) << key;
    EXPECT_EQ(rec["stream_sha256"], b.at(key)["stream_sha256"]) << key;
    EXPECT_EQ(rec["stream_sha256"], c.at(key)["stream_sha256"]) << key;
    EXPECT_EQ(rec["index"], b.at(key)["index"]) << key;
  }
  EXPECT_EQ(nnr("run " + shell_quote(cfg) + " --shard 2/2").exit_code, 2);
}

TEST_F(PipelineTest, FailingCodecIsRecordedAgainstItsPoint) {
  const std::string cfg = write_config("failing", 0, "echo broken {bitstream} {outdir} >&2; exit 3");
  const std::string out = (dir_ / "run").string();
  const CommandResult r = nnr("run " + shell_quote(cfg) + " --output " + shell_quote(out));
  EXPECT_EQ(r.exit_code, 1);
  const auto recs = records_by_key(out);
  ASSERT_EQ(recs.size(), 9u);
  for (const auto& [key, rec] : recs) {
    if (key.find("/ext/") != std::string::npos) {
      EXPECT_EQ(rec["status"], "error") << key;
      EXPECT_NE(rec["error"].get<std::string>().find("exit code 3"), std::string::npos) << rec["error"];
      EXPECT_NE(rec["error"].get<std::string>().find("broken"), std::string::npos) << rec["error"];
    } else {
      EXPECT_EQ(rec["status"], "ok") << key;
    }
  }
  // The report still comes out, with the failures in it.
  const CommandResult rep = nnr("report " + shell_quote(out));
  ASSERT_TRUE(rep.ok()) << rep.output_tail;
  std::ifstream md(out + "/report.md");
  const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("failed: external decoder: exit code 3"), std::string::npos);
}

// Merging what is not a whole run is refused; --allow-incomplete merges it
// and marks the run incomplete.
TEST_F(PipelineTest, MergeOfSomeShardsIsRefused) {
  const std::string cfg = write_config("partial", 0);
  const std::string s0 = (dir_ / "s0").string(), merged = (dir_ / "merged").string();
  ASSERT_TRUE(nnr("run " + shell_quote(cfg) + " --shard 0/2 --output " + shell_quote(s0)).ok());
  CommandResult m = nnr("merge " + shell_quote(merged) + " " + shell_quote(s0));
  EXPECT_EQ(m.exit_code, 2) << m.output_tail;
  EXPECT_NE(m.output_tail.find("missing shard 1/2"), std::string::npos) << m.output_tail;
  EXPECT_FALSE(fs::exists(merged + "/results.json"));
  m = nnr("merge " + shell_quote(merged) + " " + shell_quote(s0) + " --allow-incomplete");
  EXPECT_EQ(m.exit_code, 0) << m.output_tail;
  std::ifstream f(merged + "/run.json");
  const json run = json::parse(f);
  ASSERT_TRUE(run.contains("incomplete")) << run.dump();
}

// --update still fails the command when the run regressed.
TEST_F(PipelineTest, CompareUpdateStillFailsOnARegression) {
  const std::string cfg = write_config("upd", 0);
  const std::string out = (dir_ / "run").string(), base = (dir_ / "base.json").string();
  ASSERT_TRUE(nnr("run " + shell_quote(cfg) + " --output " + shell_quote(out)).ok());
  ASSERT_EQ(nnr("compare " + shell_quote(base) + " " + shell_quote(out) + " --update").exit_code, 0);
  json doc = json::parse(std::ifstream(base));
  for (json& r : doc["records"])
    if (r.value("codec_type", "") == "nnr") r["stream_bytes"] = 1;  // the run "grew"
  std::ofstream(base) << doc.dump();
  const std::string junit = (dir_ / "compare.xml").string(), cjson = (dir_ / "compare.json").string();
  const CommandResult c = nnr("compare " + shell_quote(base) + " " + shell_quote(out) + " --update --junit " +
                              shell_quote(junit) + " --json " + shell_quote(cjson));
  EXPECT_EQ(c.exit_code, 1) << c.output_tail;
  EXPECT_NE(c.output_tail.find("FAIL"), std::string::npos);
  EXPECT_NE(c.output_tail.find("baseline updated"), std::string::npos);
  // The JSON and the JUnit XML say the same: one failure per regression.
  const json cj = json::parse(std::ifstream(cjson));
  const size_t regressions = cj["regressions"].size();
  EXPECT_GT(regressions, 0u);
  EXPECT_EQ(cj["passed"], false);
  // A JUnit parser (Python's, as CI servers' plugins are strict XML readers).
  if (run_command("command -v python3", 10).ok()) {
    const CommandResult p = run_command(
        "python3 -c \"import sys, xml.etree.ElementTree as E; s = E.parse(sys.argv[1]).getroot().find('testsuite'); "
        "print(len(s.findall('testcase')), len(s.findall('testcase/failure')), s.get('tests'), s.get('failures'))\" " +
            shell_quote(junit),
        60);
    ASSERT_TRUE(p.ok()) << p.output_tail;
    std::istringstream in(p.output_tail);
    size_t cases = 0, failures = 0, tests = 0, fails = 0;
    in >> cases >> failures >> tests >> fails;
    EXPECT_EQ(failures, regressions);
    EXPECT_EQ(fails, regressions);
    EXPECT_EQ(tests, cases);
    EXPECT_GT(cases, regressions);
  }
}

// A decode that is not the encoder's reconstruction is a failed point.
TEST(PointRecord, UnverifiedDecodeIsAnError) {
  json r = {{"status", "ok"}, {"verified", false}, {"verify_detail", "tensor 'w': element 3 differs"}, {"metrics", {{"top1", 90.0}}}};
  apply_verification(r);
  EXPECT_EQ(r["status"], "error");
  EXPECT_NE(r["error"].get<std::string>().find("element 3 differs"), std::string::npos);
  EXPECT_EQ(r["metrics"]["top1"], 90.0);
  for (json ok : {json{{"status", "ok"}, {"verified", true}}, json{{"status", "ok"}, {"verified", nullptr}}}) {
    apply_verification(ok);
    EXPECT_EQ(ok["status"], "ok");
  }
}

// Without gnuplot the report says what to install, not "exit code 127".
TEST_F(PipelineTest, ReportWithoutGnuplotSaysSo) {
  const std::string cfg = write_config("nognuplot", 0);
  const std::string out = (dir_ / "run").string();
  ASSERT_TRUE(nnr("run " + shell_quote(cfg) + " --output " + shell_quote(out)).ok());
  const CommandResult r = run_command("PATH=/nonexistent " + shell_quote(cli()) + " report " + shell_quote(out), 120);
  EXPECT_TRUE(r.ok()) << r.output_tail;
  EXPECT_NE(r.output_tail.find("gnuplot is not installed"), std::string::npos) << r.output_tail;
  EXPECT_EQ(r.output_tail.find("127"), std::string::npos) << r.output_tail;
}

// SIGTERM to `nnr run` while an external codec runs: the codec's process
// group is ended, its work folder removed, the finished points kept (and the
// interrupted one not recorded as a failure), and the run exits 143.
TEST_F(PipelineTest, TerminatedRunEndsItsCodecAndKeepsItsPoints) {
  const std::string pidlog = (dir_ / "codec.pids").string();
  const std::string cfg = write_config("terminated", 3);
  // The external codec's encode also records its shell's pid.
  json doc = json::parse(std::ifstream(cfg));
  for (json& c : doc["codecs"])
    if (c.value("type", "") == "external") c["encode"] = "echo $$ >> " + shell_quote(pidlog) + "; " + c["encode"].get<std::string>();
  std::ofstream(cfg) << doc.dump();
  const std::string out = (dir_ / "run").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execl(NNR_CLI, "nnr", "run", cfg.c_str(), "--output", out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!(fs::exists(pidlog) && fs::file_size(pidlog) > 0) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::ifstream pf(pidlog);
  pid_t codec = 0;
  pf >> codec;
  ASSERT_GT(codec, 0);
  ASSERT_EQ(kill(codec, 0), 0) << "the codec is running";
  kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  EXPECT_NE(kill(codec, 0), 0) << "the codec's shell is still running";
  std::vector<json> recs;
  ASSERT_TRUE(ResultsLog(out + "/results.jsonl").load(&recs).ok());
  for (const json& r : recs) EXPECT_EQ(r.value("status", ""), "ok") << r.dump();
  bool work_left = false;
  if (fs::exists(out + "/work"))
    for (const auto& e : fs::directory_iterator(out + "/work")) work_left = work_left || fs::exists(e.path());
  EXPECT_FALSE(work_left) << "a work folder was left";
  const CommandResult r = nnr("run " + shell_quote(cfg) + " --resume --output " + shell_quote(out));
  EXPECT_TRUE(r.ok()) << r.output_tail;
  EXPECT_EQ(records_by_key(out).size(), 9u);
}

// "keep_models": each point's reconstructed model, in the input's form (an
// .npz here), equal to the decoder's output the record describes.
TEST_F(PipelineTest, KeepModelsWritesEachPointsModel) {
  const std::string cfg = write_config("keep", 0);
  json doc = json::parse(std::ifstream(cfg));
  doc["keep_models"] = true;
  std::ofstream(cfg) << doc.dump();
  const std::string out = (dir_ / "run").string();
  ASSERT_TRUE(nnr("run " + shell_quote(cfg) + " --output " + shell_quote(out)).ok());
  size_t kept = 0;
  for (const auto& [key, rec] : records_by_key(out)) {
    if (rec["codec_type"] == "original" || rec["codec_type"] == "external") continue;
    ASSERT_TRUE(rec.contains("model_file")) << key;
    LoadedModel m;
    ASSERT_TRUE(load_model(out + "/" + rec["model_file"].get<std::string>(), &m).ok()) << key;
    ASSERT_EQ(m.tensors.size(), 3u);
    EXPECT_EQ(m.tensors[0].name, "conv.weight");
    ++kept;
  }
  EXPECT_EQ(kept, 4u);  // two qp for our codec, two for the anchor
}

// "timing_min_seconds": a short encoding or decoding runs again until its
// runs add up to it (the small model here decodes in far less than the
// default 0.2 s); 0 runs each once.
TEST_F(PipelineTest, TimingRepeatsShortSteps) {
  const std::string cfg = write_config("timing", 0);
  int repeated = 0;
  for (const double min_seconds : {0.2, 0.0}) {
    json doc = json::parse(std::ifstream(cfg));
    if (min_seconds == 0.0) doc["timing_min_seconds"] = 0;
    std::ofstream(cfg) << doc.dump();
    const std::string out = (dir_ / ("run" + std::to_string(min_seconds))).string();
    ASSERT_TRUE(nnr("run " + shell_quote(cfg) + " --output " + shell_quote(out)).ok());
    for (const auto& [key, rec] : records_by_key(out)) {
      if (rec["codec_type"] != "nnr") continue;
      const json& t = rec["times"];
      if (min_seconds == 0.0) {
        EXPECT_FALSE(t.contains("encode_runs")) << key;
        EXPECT_FALSE(t.contains("decode_runs")) << key;
      } else {
        repeated += t.value("decode_runs", 1) > 1;
      }
    }
  }
  EXPECT_GT(repeated, 0);
}

// The bisection finds the largest qp whose metric reaches the target, for
// any monotone metric, in about log2 of the range probes, without probing
// what is known.
TEST(QpSearch, FindsTheLastTransparentQp) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 300; ++trial) {
    const int qp_min = -60 + static_cast<int>(rng() % 10), qp_max = -20 + static_cast<int>(rng() % 15);
    const int edge = qp_min - 2 + static_cast<int>(rng() % static_cast<unsigned>(qp_max - qp_min + 5));
    auto metric = [&](int qp) { return 100.0 - (qp > edge ? 5.0 + (qp - edge) : 0.01 * (qp - qp_min)); };
    std::map<int, QpProbe> known;
    if (rng() & 1) known[qp_min + 3] = QpProbe{true, metric(qp_min + 3)};
    const QpSearch s = bisect_qp(qp_min, qp_max, 99.0, known, [&](int qp) {
      EXPECT_FALSE(known.count(qp)) << "probed a known point";
      return QpProbe{true, metric(qp)};
    });
    if (edge < qp_min) {
      EXPECT_FALSE(s.chosen) << trial;
    } else {
      ASSERT_TRUE(s.chosen) << trial;
      EXPECT_EQ(*s.chosen, std::min(edge, qp_max)) << trial;
    }
    EXPECT_LE(s.probed.size(), 8u) << trial;
  }
}

// A metric that is not monotone at the edge (fails at one qp, passes at the
// next): with patience the answer is the last transparent qp before
// `patience` failures in a row, wherever the bisection lands; without, it
// may stop below the dip.
TEST(QpSearch, PatienceLooksPastADip) {
  for (int qp_min : {-50, -45, -40, -37}) {
    for (int edge : {-30, -27, -24}) {
      // Transparent up to edge, not at edge + 1, again at edge + 2, then not.
      auto pass = [&](int qp) { return qp <= edge || qp == edge + 2; };
      auto metric = [&](int qp) { return pass(qp) ? 99.5 : 98.0; };
      std::map<int, QpProbe> known;
      auto probe = [&](int qp) {
        EXPECT_FALSE(known.count(qp)) << "probed a known point";
        return QpProbe{true, metric(qp)};
      };
      const QpSearch two = bisect_qp(qp_min, -14, 99.0, known, probe, 2);
      ASSERT_TRUE(two.chosen);
      EXPECT_EQ(*two.chosen, edge + 2) << qp_min << " " << edge;
      // Both points above the answer were run and fail.
      EXPECT_NE(std::find(two.probed.begin(), two.probed.end(), edge + 3), two.probed.end());
      EXPECT_LE(two.probed.size(), 11u);
      const QpSearch one = bisect_qp(qp_min, -14, 99.0, known, probe, 1);
      ASSERT_TRUE(one.chosen);
      EXPECT_TRUE(*one.chosen == edge || *one.chosen == edge + 2) << *one.chosen;
      if (*one.chosen == edge) {
        EXPECT_EQ(std::count(one.probed.begin(), one.probed.end(), edge + 2), 0);
      }
    }
  }
  // Patience counts failures in a row: an island after two failures is
  // found with patience 3, not 2.
  auto metric = [](int qp) { return qp <= -30 || qp == -27 ? 99.5 : 98.0; };
  auto probe = [&](int qp) { return QpProbe{true, metric(qp)}; };
  EXPECT_EQ(*bisect_qp(-50, -14, 99.0, {}, probe, 2).chosen, -30);
  EXPECT_EQ(*bisect_qp(-50, -14, 99.0, {}, probe, 3).chosen, -27);
  // Known points count as tried.
  std::map<int, QpProbe> known = {{-29, {true, 98.0}}, {-28, {true, 98.0}}};
  const QpSearch k = bisect_qp(-50, -14, 99.0, known, probe, 2);
  EXPECT_EQ(*k.chosen, -30);
  EXPECT_EQ(std::count(k.probed.begin(), k.probed.end(), -29) + std::count(k.probed.begin(), k.probed.end(), -28), 0);
}

// A run with a search: the chosen point is the last transparent qp (the
// next one up was run and is not), it is marked, and a resumed run runs
// nothing again.
TEST_F(PipelineTest, SearchMarksTheTransparentPoint) {
  const std::string cfg = (dir_ / "search.json").string();
  json doc = {{"name", "search"},
              {"usecases", {{{"id", "generic"}, {"model", (dir_ / "model.npz").string()}}}},
              {"codecs", {{{"type", "nnr"}, {"label", "dq"}, {"sweep", {{"qp", {-40, -28}}}},
                           {"search", {{"metric", "parameter_snr_db"}, {"min", 30.0}, {"qp_min", -60}, {"qp_max", -6}}}}}}};
  std::ofstream(cfg) << doc.dump();
  const std::string out = (dir_ / "run").string();
  const CommandResult r = nnr("run " + shell_quote(cfg) + " --output " + shell_quote(out));
  ASSERT_TRUE(r.ok()) << r.output_tail;
  const auto recs = records_by_key(out);
  const json* chosen = nullptr;
  for (const auto& [key, rec] : recs)
    if (rec.value("transparent", false)) chosen = &rec;
  ASSERT_NE(chosen, nullptr) << r.output_tail;
  const int qp = (*chosen)["point"]["qp"].get<int>();
  EXPECT_GE((*chosen)["parameter_snr_db"].get<double>(), 30.0);
  if (qp < -6) {
    const std::string next = "generic/dq/qp=" + std::to_string(qp + 1);
    ASSERT_TRUE(recs.count(next)) << next;
    EXPECT_LT(recs.at(next)["parameter_snr_db"].get<double>(), 30.0);
  }
  EXPECT_EQ((*chosen)["search"]["metric"], "parameter_snr_db");
  const CommandResult again = nnr("run " + shell_quote(cfg) + " --resume --output " + shell_quote(out));
  ASSERT_TRUE(again.ok()) << again.output_tail;
  EXPECT_NE(again.output_tail.find("0 run now"), std::string::npos) << again.output_tail;
  EXPECT_EQ(again.output_tail.find("search generic/dq: qp"), std::string::npos) << again.output_tail;
}

// Stages before coding: the sparsified and the decomposed model are coded,
// decoded bit for bit, multiplied back where decomposed, and their records
// say what was done; a use case's stage options change its stages only.
TEST_F(PipelineTest, StagesReduceTheModelBeforeCoding) {
  const std::string cfg = (dir_ / "stages.json").string();
  json doc = {{"name", "stages"},
              {"usecases", {{{"id", "generic"}, {"model", (dir_ / "model.npz").string()}},
                            {{"id", "generic"}, {"label", "strong"}, {"model", (dir_ / "model.npz").string()},
                             {"stage_options", {{"sparsify", {{"ratio", 0.8}, {"scope", "global"}}}}}}}},
              {"codecs", {{{"type", "nnr"}, {"label", "sparse"}, {"stages", {{{"type", "sparsify"}, {"ratio", 0.5}}}},
                           {"sweep", {{"qp", {-40}}}}},
                          {{"type", "nnr"}, {"label", "lowrank"}, {"stages", {{{"type", "low_rank"}, {"rank_ratio", 0.25}}}},
                           {"sweep", {{"qp", {-40}}}}}}}};
  std::ofstream(cfg) << doc.dump();
  const std::string out = (dir_ / "run").string();
  const CommandResult r = nnr("run " + shell_quote(cfg) + " --output " + shell_quote(out));
  ASSERT_TRUE(r.ok()) << r.output_tail;
  const auto recs = records_by_key(out);
  const json& sparse = recs.at("generic/sparse/qp=-40");
  EXPECT_EQ(sparse["status"], "ok");
  EXPECT_EQ(sparse["verified"], true);
  EXPECT_GT(sparse["zero_fraction"].get<double>(), 0.45);
  EXPECT_EQ(sparse["stages"][0]["type"], "sparsify");
  const json& lr = recs.at("generic/lowrank/qp=-40");
  EXPECT_EQ(lr["status"], "ok");
  EXPECT_EQ(lr["verified"], true);
  EXPECT_LT(lr["parameters"].get<int64_t>(), sparse["parameters"].get<int64_t>());
  EXPECT_GT(lr["stages"][0]["effect"]["weights_decomposed"].get<int>(), 0);
  EXPECT_LT(lr["compression_ratio"].get<double>(), sparse["compression_ratio"].get<double>() * 2);
  const json& strong = recs.at("strong/sparse/qp=-40");
  EXPECT_EQ(strong["verified"], true);
  EXPECT_EQ(strong["stages"][0]["ratio"], 0.8);
  EXPECT_EQ(strong["stages"][0]["scope"], "global");
  EXPECT_LT(sparse["zero_fraction"].get<double>(), 0.6);
  EXPECT_GT(strong["zero_fraction"].get<double>(), 0.75);
  EXPECT_LT(strong["stream_bytes"].get<int64_t>(), sparse["stream_bytes"].get<int64_t>());
  EXPECT_EQ(recs.at("strong/lowrank/qp=-40")["stream_sha256"], lr["stream_sha256"]);
}

// Every stage on the embedded VGG16, trained on a few batches: each point
// is coded, decoded bit for bit and evaluated; the records say what each
// stage did; the stream's model parameter set carries the performance maps
// of the tools used; a second run gives the same streams.
TEST_F(PipelineTest, TrainingStagesOnAnEmbeddedModel) {
  if (!NNR_TEST_HAVE_TORCH) GTEST_SKIP() << "built without the libtorch use cases";
  const json ft = {{"samples", 64}, {"batch_size", 32}, {"lr", 1e-3}};
  json codecs = json::array();
  auto entry = [&](const std::string& label, json stages) {
    codecs.push_back({{"type", "nnr"}, {"label", label}, {"stages", stages}, {"sweep", {{"qp", {-30}}}}});
  };
  entry("sparse", {{{"type", "sparsify"}, {"ratio", 0.5}, {"sparsity_loss", {{"m", 1.0}, {"samples", 64}, {"batch_size", 32}}}, {"fine_tune", ft}}});
  entry("pruned", {{{"type", "prune"}, {"ratio", 0.3}, {"block", {2, 2, 1}}, {"fine_tune", ft}}});
  entry("unified", {{{"type", "unify"}, {"ratio", 0.3}, {"block", {2, 2, 1}}, {"fine_tune", ft}}});
  entry("filters", {{{"type", "prune"}, {"method", "filters"}, {"ratio", 0.25}, {"fine_tune", ft}}});
  entry("lowrank", {{{"type", "low_rank"}, {"energy", 0.8}, {"fine_tune", ft}}});
  entry("tuned", {{{"type", "fine_tune"}, {"samples", 64}, {"batch_size", 32}},
                  {{"type", "bn_adapt"}, {"samples", 64}},
                  {{"type", "lsa"}, {"samples", 64}}});
  const json alloc = {{"type", "qp_allocation"}, {"samples", 64}};
  entry("sparse-alloc", {{{"type", "sparsify"}, {"ratio", 0.5}, {"sparsity_loss", {{"m", 1.0}, {"samples", 64}, {"batch_size", 32}}}, {"fine_tune", ft}},
                         alloc});
  entry("alloc-lsa", {alloc, {{"type", "lsa"}, {"samples", 64}, {"nonweights", true}}});
  entry("alloc-lsa-weights",
        {alloc, {{"type", "lsa"}, {"samples", 64}, {"nonweights", true}, {"weights", true}, {"weights_lr", 1e-3}}});
  codecs.push_back({{"type", "anchor"}, {"label", "alloc-anchor"}, {"stages", {alloc}}, {"sweep", {{"qp", {-30}}}}});
  const std::string cfg = (dir_ / "train.json").string();
  std::ofstream(cfg) << json{{"name", "train"}, {"threads", 1},
                             {"usecases", {{{"id", "vgg16"}, {"limit", 100}}}}, {"codecs", codecs}}
                            .dump();
  std::map<std::string, json> first;
  for (int round = 0; round < 2; ++round) {
    const std::string out = (dir_ / ("run" + std::to_string(round))).string();
    const CommandResult r = nnr("run " + shell_quote(cfg) + " --output " + shell_quote(out));
    ASSERT_TRUE(r.ok()) << r.output_tail;
    const auto recs = records_by_key(out);
    ASSERT_EQ(recs.size(), 10u);
    for (const auto& [key, rec] : recs) {
      EXPECT_EQ(rec["status"], "ok") << key << ": " << rec.dump();
      EXPECT_EQ(rec["verified"], true) << key;
      EXPECT_EQ(rec["samples"], 100) << key;
      if (round == 1) {
        EXPECT_EQ(rec["stream_sha256"], first.at(key)["stream_sha256"]) << key << " differs between runs";
      }
    }
    if (round == 0) first = recs;
  }
  const json& sparse = first.at("vgg16/sparse/qp=-30");
  EXPECT_GE(sparse["zero_fraction"].get<double>(), 0.45);
  EXPECT_EQ(sparse["stages"][0]["sparsity_training"]["steps"], 2);
  EXPECT_EQ(sparse["stages"][0]["training"]["steps"], 2);
  EXPECT_TRUE(sparse["reduced_metrics"].contains("top1"));
  const json& lowrank = first.at("vgg16/lowrank/qp=-30");
  EXPECT_LT(lowrank["parameters"].get<int64_t>(), first.at("vgg16/pruned/qp=-30")["parameters"].get<int64_t>());
  // Filter pruning rebuilt the network smaller: a quarter of the channels
  // of every layer but the last, so fewer coded parameters, and the smaller
  // network decoded and evaluated.
  const json& filters = first.at("vgg16/filters/qp=-30");
  const json& fx = filters["stages"][0]["effect"];
  EXPECT_GT(fx["channels_pruned"].get<int64_t>(), fx["channels"].get<int64_t>() / 5);
  EXPECT_EQ(filters["parameters"], fx["parameters_after"]);
  EXPECT_LT(fx["parameters_after"].get<int64_t>(), fx["parameters_before"].get<int64_t>() * 3 / 4);
  EXPECT_EQ(filters["parameters"].get<int64_t>() < first.at("vgg16/pruned/qp=-30")["parameters"].get<int64_t>(), true);
  EXPECT_TRUE(filters["metrics"].contains("top1"));
  EXPECT_EQ(filters["performance_maps"], json::array({"pruning"}));
  const json& tuned = first.at("vgg16/tuned/qp=-30");
  ASSERT_EQ(tuned["stages"].size(), 3u);
  EXPECT_EQ(tuned["stages"][1]["training"]["samples"], 64);
  EXPECT_EQ(tuned["stages"][2]["type"], "lsa");
  EXPECT_GT(tuned["stages"][2]["effect"]["weights_scaled"].get<int>(), 10);
  EXPECT_GT(tuned["stream_bytes"].get<int64_t>(), tuned["stages"][2]["stream_bytes_before"].get<int64_t>());

  // qp_allocation: on the sparse model as the plain sparse entry made it
  // (the same training, not run again), one qp per weight from its step.
  const json& sa = first.at("vgg16/sparse-alloc/qp=-30");
  ASSERT_EQ(sa["stages"].size(), 2u);
  EXPECT_EQ(sa["stages"][0], sparse["stages"][0]);
  EXPECT_EQ(sa["zero_fraction"], sparse["zero_fraction"]);
  EXPECT_NE(sa["stream_sha256"], sparse["stream_sha256"]);
  const json& steps = sa["stages"][1]["effect"]["step_log2"];
  ASSERT_EQ(steps.size(), 16u);  // the weights of VGG16's 13 convolutions and 3 linear layers
  ASSERT_EQ(sa["qp_per_tensor"].size(), 16u);
  std::set<int> qps;
  LoadedModel vgg;
  ASSERT_TRUE(load_npz(std::string(NNR_SOURCE_DIR) + "/datasets/models/vgg16/model.npz", &vgg).ok());
  std::map<std::string, int64_t> elements_of;
  for (const Tensor& t : vgg.tensors) elements_of[t.name] = t.numel();
  double weighted = 0, elements = 0;
  bool clipped = false;
  for (auto it = steps.begin(); it != steps.end(); ++it) {
    const double x = it.value().get<double>();
    const int qp = sa["qp_per_tensor"].at(it.key()).get<int>();
    EXPECT_LE(std::abs(qp - (-30 + 4 * x)), 0.5 + 0.004) << it.key();  // qp_density 2; steps rounded to 1e-3
    qps.insert(qp);
    EXPECT_LE(std::abs(x), 4.0) << it.key();  // max_scale 16
    clipped |= std::abs(x) > 3.999;
    weighted += x * static_cast<double>(elements_of.at(it.key()));
    elements += static_cast<double>(elements_of.at(it.key()));
  }
  EXPECT_GE(qps.size(), 3u);
  // Unclipped, the steps centre on the global one (over all weight elements).
  if (!clipped) {
    EXPECT_NEAR(weighted / elements, 0.0, 0.01);
  }
  // The anchor takes the same per-tensor steps; lsa tunes the biases too.
  const json& aa = first.at("vgg16/alloc-anchor/qp=-30");
  const json& al = first.at("vgg16/alloc-lsa/qp=-30");
  EXPECT_EQ(aa["qp_per_tensor"], al["qp_per_tensor"]);
  EXPECT_EQ(al["stages"][1]["effect"]["nonweights_tuned"], 16);
  EXPECT_EQ(al["stages"][1]["effect"]["weights_scaled"], 16);
  EXPECT_FALSE(al["stages"][1]["effect"].contains("weights_tuned"));
  // With "weights", the weights train through the encoder's quantizer too:
  // other levels, decoded bit for bit as the encoder reconstructed them.
  const json& aw = first.at("vgg16/alloc-lsa-weights/qp=-30");
  EXPECT_EQ(aw["stages"][1]["effect"]["weights_tuned"], 16);
  EXPECT_EQ(aw["stages"][1]["effect"]["weights_scaled"], 16);
  EXPECT_EQ(aw["qp_per_tensor"], al["qp_per_tensor"]);
  EXPECT_NE(aw["stream_sha256"], al["stream_sha256"]);

  // The stream's model parameter set says which tools were used, as the decoder read it.
  EXPECT_EQ(sparse["performance_maps"], json::array({"sparsification"}));
  EXPECT_EQ(first.at("vgg16/pruned/qp=-30")["performance_maps"], json::array({"pruning"}));
  EXPECT_EQ(first.at("vgg16/unified/qp=-30")["performance_maps"], json::array({"unification"}));
  EXPECT_EQ(lowrank["performance_maps"], json::array({"decomposition"}));
  EXPECT_FALSE(tuned.contains("performance_maps"));
}

// Model updates: the embedded model fine-tuned one step, the two models coded
// as a sequence in every mode. The streams decode to the encoder's
// reconstruction, the sums are the streams', TCA and differences make the
// update smaller than coding the snapshot again, and the report has them.
TEST_F(PipelineTest, UpdateSequencesOnAnEmbeddedModel) {
  if (!NNR_TEST_HAVE_TORCH) GTEST_SKIP() << "built without the libtorch use cases";
  const json updates = {{"steps", 1}, {"fine_tune", {{"samples", 64}, {"batch_size", 32}, {"lr", 1e-3}}}};
  json codecs = json::array();
  auto entry = [&](const std::string& label, const std::string& type, const std::string& mode, json settings) {
    json u = updates;
    u["mode"] = mode;
    codecs.push_back({{"type", type}, {"label", label}, {"settings", settings}, {"updates", u}, {"sweep", {{"qp", {-30}}}}});
  };
  const json ed2 = {{"general_profile_idc", 1}};
  entry("scratch", "nnr", "scratch", json::object());
  entry("full", "nnr", "full", ed2);
  entry("full-tca", "nnr", "full", {{"general_profile_idc", 1}, {"tca", true}});
  entry("diff", "nnr", "diff", {{"general_profile_idc", 1}, {"row_skipping", true}});
  entry("anchor-diff", "anchor", "diff", json::object());
  const std::string cfg = (dir_ / "updates.json").string();
  std::ofstream(cfg) << json{{"name", "updates"}, {"threads", 1},
                             {"usecases", {{{"id", "vgg16"}, {"limit", 100}}}}, {"codecs", codecs}}
                            .dump();
  const std::string out = (dir_ / "updates-run").string();
  const CommandResult r = nnr("run " + shell_quote(cfg) + " --output " + shell_quote(out));
  ASSERT_TRUE(r.ok()) << r.output_tail;
  const auto recs = records_by_key(out);
  ASSERT_EQ(recs.size(), 5u);
  std::map<std::string, std::vector<int64_t>> bytes;
  for (const auto& [key, rec] : recs) {
    ASSERT_EQ(rec["status"], "ok") << key << ": " << rec.dump();
    EXPECT_EQ(rec["verified"], true) << key;
    const json& seq = rec["updates"]["stream_sequence"];
    ASSERT_EQ(seq.size(), 2u) << key;
    int64_t sum = 0;
    for (const json& s : seq) {
      sum += s["stream_bytes"].get<int64_t>();
      bytes[rec["codec"]].push_back(s["stream_bytes"].get<int64_t>());
    }
    EXPECT_EQ(rec["stream_bytes"].get<int64_t>(), sum) << key;
    EXPECT_TRUE(rec["metrics"].contains("top1")) << key;
    EXPECT_TRUE(rec["updates"]["last_snapshot_metrics"].contains("top1")) << key;
  }
  // The snapshot changed, so coding it again costs about as much as the first model ...
  EXPECT_GT(bytes["scratch"][1], bytes["scratch"][0] * 9 / 10);
  // ... and less with the first model's levels as contexts, and much less as a difference.
  EXPECT_LT(bytes["full-tca"][1], bytes["full"][1]);
  EXPECT_LT(bytes["diff"][1], bytes["full"][1] / 2);
  EXPECT_LT(bytes["anchor-diff"][1], bytes["anchor-diff"][0] / 2);
  const CommandResult rep = nnr("report " + shell_quote(out));
  ASSERT_TRUE(rep.ok()) << rep.output_tail;
  std::ifstream md(out + "/report.md");
  const std::string report((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_NE(report.find("## Model updates"), std::string::npos);
  EXPECT_NE(report.find("| full-tca | nnr | full | qp=-30 |"), std::string::npos) << report;
}

TEST(RunConfigUpdates, ErrorsNameThePath) {
  auto err = [](const json& codec) {
    RunConfig c;
    const Status s = parse_run_config({{"name", "x"}, {"usecases", {{{"id", "vgg16"}}}}, {"codecs", {codec}}}, ".", &c);
    return s.ok() ? std::string() : s.message();
  };
  EXPECT_NE(err({{"type", "nnr"}, {"updates", {{"steps", 2}, {"mode", "full"}}}}).find("general_profile_idc"),
            std::string::npos);
  EXPECT_NE(err({{"type", "anchor"}, {"updates", {{"steps", 2}, {"mode", "full"}}}}).find("/codecs/0/updates/mode"),
            std::string::npos);
  EXPECT_NE(err({{"type", "nnr"}, {"updates", {{"steps", 0}}}}).find("/codecs/0/updates/steps"), std::string::npos);
  EXPECT_NE(err({{"type", "nnr"}, {"updates", {{"steps", 1}, {"mode", "scratch"}, {"fine_tune", {{"lr", -1}}}}}}).find("/updates/fine_tune/lr"),
            std::string::npos);
  EXPECT_EQ(err({{"type", "nnr"}, {"settings", {{"general_profile_idc", 1}}}, {"updates", {{"steps", 1}, {"mode", "diff"}}}}),
            "");
}

}  // namespace
}  // namespace nnr
