// The OpenMP wait policy chosen from how busy the machine is, and what a run
// records of it.
#include "common/omp_wait.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_run.h"

namespace nnr {
namespace {

TEST(OmpWait, SpinsOnlyOnAnIdleMachine) {
  EXPECT_TRUE(choose_omp_wait(0.0, 2).spin);
  EXPECT_TRUE(choose_omp_wait(0.49, 2).spin);
  EXPECT_FALSE(choose_omp_wait(0.5, 2).spin);
  EXPECT_FALSE(choose_omp_wait(2.1, 2).spin);
  // Larger machines tolerate more load: a quarter of their cores.
  EXPECT_TRUE(choose_omp_wait(3.9, 16).spin);
  EXPECT_FALSE(choose_omp_wait(4.0, 16).spin);
  EXPECT_FALSE(choose_omp_wait(0.5, 1).spin);
  const OmpWaitChoice c = choose_omp_wait(1.25, 2);
  EXPECT_NE(c.reason.find("1.25 of 2 cores busy"), std::string::npos) << c.reason;
}

TEST(OmpWait, ParsesCpuTimes) {
  CpuTimes t;
  ASSERT_TRUE(parse_cpu_times("cpu  100 5 50 1000 20 1 2 3 0 0", &t));
  EXPECT_EQ(t.total, 1181u);
  EXPECT_EQ(t.busy, 161u);  // everything but idle and iowait
  ASSERT_TRUE(parse_cpu_times("cpu 1 2 3 4", &t));
  EXPECT_EQ(t.total, 10u);
  EXPECT_EQ(t.busy, 6u);
  EXPECT_FALSE(parse_cpu_times("", &t));
  EXPECT_FALSE(parse_cpu_times("cpu0 1 2 3 4", &t));
  EXPECT_FALSE(parse_cpu_times("cpu 1 2", &t));
  EXPECT_FALSE(parse_cpu_times("intr 1 2 3 4", &t));
}

// A run records the policy it ran under; the user's setting wins over the
// load, and without one the command chooses for itself.
TEST(OmpWait, RunRecordsThePolicy) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("nnr_omp_wait_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream(dir / "run.json") << R"({"name": "omp", "usecases": [{"id": "generic", "model": ")"
                                    << NNR_SHARED_DIR << R"(/models/resnet56-cifar100/ResNet56_CIF100.pt"}],
      "codecs": [{"type": "original"}]})";
  }
  auto policy_of = [&](const std::string& env, const std::string& out) {
    const auto r = test::run_cli_env(env, "run " + (dir / "run.json").string() + " --output " + (dir / out).string());
    EXPECT_EQ(r.code, 0) << r.out;
    std::ifstream f(dir / out / "run.json");
    const nlohmann::json run = nlohmann::json::parse(f, nullptr, false);
    EXPECT_FALSE(run.is_discarded()) << out;
    return run.is_discarded() ? nlohmann::json() : run["machine"]["omp_wait"];
  };
  const nlohmann::json user = policy_of("OMP_WAIT_POLICY=ACTIVE", "user");
  EXPECT_EQ(user.value("policy", ""), "user");
  EXPECT_EQ(user.value("OMP_WAIT_POLICY", ""), "ACTIVE");
  const nlohmann::json own = policy_of("-u OMP_WAIT_POLICY -u GOMP_SPINCOUNT", "own");
  const std::string p = own.value("policy", "");
  EXPECT_TRUE(p == "spin" || p == "passive") << own.dump();
  if (p == "spin") EXPECT_EQ(own.value("GOMP_SPINCOUNT", ""), kOmpSpinCount);
  if (p == "passive") EXPECT_EQ(own.value("OMP_WAIT_POLICY", ""), "PASSIVE");
  EXPECT_NE(own.value("reason", "").find("cores busy"), std::string::npos) << own.dump();
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace nnr
