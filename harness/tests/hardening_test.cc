// What a careless or hostile input does to the commands: outputs written as
// cp writes them, folders of old output, long and colliding names, numeric
// options, JSON keys given twice, corrupted names, cut streams, signals.
// Each case failed (or crashed, or lost data) before it was handled.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "common/file_names.h"
#include "common/tensor_output.h"
#include "conformance/output_folder.h"
#include "nnr/encoder.h"
#include "nnr/io.h"

namespace nnr {
namespace {

namespace fs = std::filesystem;

using Result = nnr::test::CliResult;
Result run(const std::string& args) { return nnr::test::run_cli(args); }

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

class Hardening : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("nnr_hardening_" + std::to_string(getpid()) + "_" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& f) const { return (dir_ / f).string(); }

  // A small model as .npz.
  std::string model(const std::vector<std::string>& names) {
    std::vector<Tensor> ts;
    for (size_t i = 0; i < names.size(); ++i) {
      Tensor t;
      t.name = names[i];
      t.shape = {4, 3};
      for (int k = 0; k < 12; ++k) t.f32.push_back(0.01f * static_cast<float>((k * 7 + static_cast<int>(i)) % 13) - 0.05f);
      ts.push_back(std::move(t));
    }
    const std::string p = path("model.npz");
    EXPECT_TRUE(write_npz(p, ts).ok());
    return p;
  }

  fs::path dir_;
};

// -o writes through a symbolic link (the link stays), into a FIFO (it stays
// a FIFO), leaves a file that happens to be called PATH.tmp alone, and
// refuses to replace its own input.
TEST_F(Hardening, OutputsAreWrittenAsCpWritesThem) {
  const std::string m = model({"w"});
  const std::string target = path("target.nnc"), link = path("link.nnc");
  std::ofstream(target) << "old";
  fs::create_symlink(target, link);
  Result r = run("encode " + m + " -o " + link + " -q");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_NE(read_all(target), "old");
  EXPECT_EQ(read_all(target).substr(0, 0), "");

  const std::string plain = path("plain.nnc");
  std::ofstream(plain + ".tmp") << "someone else's";
  r = run("encode " + m + " -o " + plain + " -q");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(read_all(plain + ".tmp"), "someone else's");
  EXPECT_EQ(read_all(plain), read_all(target));

  const std::string fifo = path("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = read_all(fifo); });
  r = run("encode " + m + " -o " + fifo + " -q");
  reader.join();
  EXPECT_EQ(r.code, 0) << r.out;
  struct stat st;
  ASSERT_EQ(lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(got, read_all(target));

  const std::string before = read_all(m);
  r = run("encode " + m + " -o " + m);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("is the input"), std::string::npos) << r.out;
  EXPECT_EQ(read_all(m), before);
}

// A folder with files of its own is not decoded into; an earlier output is
// replaced whole, so no tensor of it is left beside the new index.
TEST_F(Hardening, DecodeFolderHoldsOnlyThisOutput) {
  const std::string m2 = model({"a", "b"});
  ASSERT_EQ(run("encode " + m2 + " -o " + path("ab.nnc") + " -q").code, 0);
  const std::string m1 = model({"c"});
  ASSERT_EQ(run("encode " + m1 + " -o " + path("c.nnc") + " -q").code, 0);
  const std::string out = path("out");
  fs::create_directories(out);
  std::ofstream(out + "/notes.txt") << "mine";
  Result r = run("decode " + path("ab.nnc") + " -o " + out);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("notes.txt"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out + "/a.npy"));
  EXPECT_EQ(read_all(out + "/notes.txt"), "mine");
  fs::remove(out + "/notes.txt");
  ASSERT_EQ(run("decode " + path("ab.nnc") + " -o " + out + " -q").code, 0);
  ASSERT_EQ(run("decode " + path("c.nnc") + " -o " + out + " -q").code, 0);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(out)) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"c.npy", "index.json"}));
}

// Names past the file system's limit get a shortened name with a hash,
// colliding names a numbered one; a conformance check of a decoder that
// writes no index.json finds them by the same rule.
TEST_F(Hardening, LongAndCollidingNames) {
  const std::string longname(300, 'x');
  const std::vector<std::string> names = {"a/b", "a:b", longname, longname + "y"};
  const std::string m = model(names);
  ASSERT_EQ(run("encode " + m + " -o " + path("s.nnc") + " -q").code, 0);
  const std::string out = path("out");
  const Result r = run("decode " + path("s.nnc") + " -o " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  const std::vector<std::string> files = tensor_file_names(names);
  EXPECT_EQ(files[0], "a_b.npy");
  EXPECT_EQ(files[1], "a_b-1.npy");
  EXPECT_EQ(files[2].size(), 204u);
  EXPECT_NE(files[2], files[3]);
  std::ifstream ix(out + "/index.json");
  const nlohmann::json idx = nlohmann::json::parse(ix);
  ASSERT_EQ(idx.size(), 4u);
  ConformanceVector v;
  v.name = "names";
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(idx[i]["name"], names[i]);
    EXPECT_EQ(idx[i]["file"], files[i]);
    EXPECT_TRUE(fs::exists(out + "/" + files[i]));
    v.expected.push_back({names[i], "float32", {4, 3}, idx[i]["sha256"].get<std::string>(), ""});
  }
  fs::remove(out + "/index.json");
  const VectorResult c = compare_output_folder(v, out);
  EXPECT_TRUE(c.pass) << c.reason;
}

// Numeric options out of range or not finite are usage errors (exit 2)
// naming the option, and so is a key given twice in a settings file.
TEST_F(Hardening, NumbersAndDuplicateKeysAreRefused) {
  const std::string m = model({"w"});
  for (const std::string& args : std::vector<std::string>{
           "decode x.nnc -o y --threads -1", "encode " + m + " -o y.nnc --threads 300", "conform . --jobs 0",
        "conform . --timeout -1", "conform . --timeout 0", "conform . --timeout nan", "compare a b --time-ratio -1",
        "compare a b --time-ratio nan", "run c.json --jobs 0", "report r --tolerance top1=nan"}) {
    const Result r = run(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.out;
  }
  const std::string settings = path("settings.json");
  std::ofstream(settings) << "{\"qp\": -38, \"use_dq\": true, \"qp\": -20}";
  Result r = run("encode " + m + " -o " + path("s.nnc") + " --settings " + settings);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("/qp: key given twice"), std::string::npos) << r.out;
  // fuzz_json's first finding: a number past any double ended the process
  // with an exception the parser threw outside its parse errors.
  for (const char* text : {"{\"qp\": 504e1040592727}", "[1e99999]"}) {
    std::ofstream(settings) << text;
    r = run("encode " + m + " -o " + path("s.nnc") + " --settings " + settings);
    EXPECT_EQ(r.code, 2) << text << ": " << r.out;
    EXPECT_NE(r.out.find("number overflow"), std::string::npos) << r.out;
    const std::string cfg = path("run.json");
    std::ofstream(cfg) << text;
    r = run("run " + cfg);
    EXPECT_EQ(r.code, 2) << text << ": " << r.out;
  }
}

// Bit flips in the header bytes of a real stream (where the names are)
// end in success or a clear error, never in an internal error (exit 3).
TEST_F(Hardening, FlippedHeaderBitsNeverAnInternalError) {
  const std::string vec = NNR_SHARED_DIR "/conformance/nncodec/p21_block_bias/stream.nnc";
  if (!fs::exists(vec)) GTEST_SKIP() << "shared conformance material not found";
  std::vector<uint8_t> s;
  ASSERT_TRUE(read_file(vec, &s).ok());
  std::vector<NnrUnit> units;
  ASSERT_TRUE(parse_units(s.data(), s.size(), &units).ok());
  size_t headers = 0;
  for (const NnrUnit& u : units) headers = std::max<size_t>(headers, u.payload_offset);
  const std::string flipped = path("f.nnc");
  int checked = 0;
  for (size_t bit = 0; bit < 8 * std::min<size_t>(headers, 120); bit += 3) {
    std::vector<uint8_t> f = s;
    f[bit / 8] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
    ASSERT_TRUE(write_file_atomic(flipped, f.data(), f.size()).ok());
    fs::remove_all(path("o"));
    const Result r = run("decode " + flipped + " -o " + path("o") + " -q");
    EXPECT_TRUE(r.code == 0 || r.code == 1) << "bit " << bit << ": exit " << r.code << ": " << r.out;
    const Result i = run("inspect " + flipped + " --headers-only");
    EXPECT_TRUE(i.code == 0 || i.code == 1) << "bit " << bit << ": inspect exit " << i.code;
    ++checked;
  }
  EXPECT_GT(checked, 100);
  // And anywhere in a real trained model's stream.
  const std::string real = NNR_SHARED_DIR "/conformance/nncodec-real/r01_resnet56_dq_qp-38/stream.nnc";
  if (!fs::exists(real)) return;
  ASSERT_TRUE(read_file(real, &s).ok());
  std::mt19937_64 rng(60);
  for (int i = 0; i < 60; ++i) {
    std::vector<uint8_t> f = s;
    const size_t bit = rng() % (8 * f.size());
    f[bit / 8] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
    ASSERT_TRUE(write_file_atomic(flipped, f.data(), f.size()).ok());
    fs::remove_all(path("o"));
    const Result r = run("decode " + flipped + " -o " + path("o") + " -q");
    EXPECT_TRUE(r.code == 0 || r.code == 1) << "bit " << bit << ": exit " << r.code << ": " << r.out;
  }
}

// A stream cut after a whole unit decodes, and says its topology names
// tensors it no longer carries.
TEST_F(Hardening, StreamCutAtAUnitBoundaryWarns) {
  const std::string vec = NNR_SOURCE_DIR "/datasets/conformance/hls_tpl_reflist_indexed/stream.nnc";
  std::vector<uint8_t> s;
  ASSERT_TRUE(read_file(vec, &s).ok());
  std::vector<NnrUnit> units;
  ASSERT_TRUE(parse_units(s.data(), s.size(), &units).ok());
  ASSERT_GE(units.size(), 2u);
  const NnrUnit& last = units.back();
  ASSERT_EQ(last.nnr_unit_type, NNR_NDU);
  std::vector<uint8_t> cut(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(last.offset));
  ASSERT_TRUE(write_file_atomic(path("cut.nnc"), cut.data(), cut.size()).ok());
  const Result r = run("decode " + path("cut.nnc") + " -o " + path("o"));
  EXPECT_EQ(r.code, 0) << r.out;
  // The whole stream's topology names one tensor on purpose ("unused");
  // cut, it names three that are not there.
  EXPECT_NE(r.out.find("warning: the topology (NNR_TPL) names 3 tensor(s) that no NNR_NDU carries"),
            std::string::npos)
      << r.out;
  const Result whole = run("decode " + vec + " -o " + path("w"));
  EXPECT_NE(whole.out.find("names 1 tensor(s)"), std::string::npos) << whole.out;
}

// SIGTERM to `nnr conform` with an external decoder: the decoder's process
// group is ended, its output folder removed, the command exits 143.
TEST_F(Hardening, SignalsEndTheChildrenAndTheirFolders) {
  const std::string suite = NNR_SOURCE_DIR "/datasets/conformance";
  const std::string pidfile = path("pid"), work = path("work");
  fs::create_directories(work);
  const std::string decoder = "echo $$ > " + pidfile + "; sleep 60 & wait";
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(NNR_CLI, NNR_CLI, "conform", suite.c_str(), "--decoder", decoder.c_str(), "--work-dir", work.c_str(),
          "--timeout", "120", static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 200 && !(fs::exists(pidfile) && fs::file_size(pidfile) > 0); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(pidfile));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const pid_t child = static_cast<pid_t>(std::stol(read_all(pidfile)));
  ASSERT_EQ(kill(child, 0), 0) << "the decoder is running";
  kill(pid, SIGTERM);
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 200 && done == 0; ++i) {
    done = waitpid(pid, &status, WNOHANG);
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!done) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "nnr conform did not stop within 10 s";
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  EXPECT_NE(kill(child, 0), 0) << "the decoder's shell is still running";
  EXPECT_TRUE(fs::is_empty(work)) << "an output folder was left in " << work;
}

// conform's own set-up errors are the command's, not every vector's.
TEST_F(Hardening, ConformSetUpErrorsAreTheCommands) {
  const Result r = run("conform " NNR_SOURCE_DIR "/datasets/conformance --decoder 'true' --work-dir " +
                       path("missing"));
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--work-dir: no such folder"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
}

// `nnr inspect --levels` writes each coded tensor's integer levels as the
// reference decoder's entropy decoder gives them: every levels file of the
// shared edition-1 vectors (their manifests' coded_elements) is matched.
TEST_F(Hardening, InspectLevelsAreTheReferenceDecodersLevels) {
  size_t checked = 0;
  for (const char* suite : {"nncodec", "nncodec-real"}) {
    const fs::path root = fs::path(NNR_SHARED_DIR) / "conformance" / suite;
    if (!fs::exists(root)) continue;
    for (const auto& v : fs::directory_iterator(root)) {
      if (!fs::exists(v.path() / "levels")) continue;
      const std::string out = path("levels-" + v.path().filename().string());
      const Result r = run("inspect " + (v.path() / "stream.nnc").string() + " --levels " + out + " > /dev/null");
      ASSERT_EQ(r.code, 0) << v.path() << ": " << r.out;
      std::ifstream mf((v.path() / "manifest.json").string());
      const nlohmann::json m = nlohmann::json::parse(mf);
      std::ifstream ix(out + "/index.json");
      const nlohmann::json idx = nlohmann::json::parse(ix);
      std::map<std::string, std::string> file_of;
      for (const auto& e : idx) file_of[e["name"]] = e["file"];
      for (const auto& ce : m.value("coded_elements", nlohmann::json::array())) {
        if (!ce.contains("levels_file") || !ce["levels_file"].is_string()) continue;
        const std::string name = ce["name"];
        ASSERT_TRUE(file_of.count(name)) << v.path() << ": no levels of " << name;
        std::vector<uint8_t> npy, want;
        ASSERT_TRUE(read_file(out + "/" + file_of[name], &npy).ok());
        ASSERT_TRUE(read_file((v.path() / ce["levels_file"].get<std::string>()).string(), &want).ok());
        Tensor t;
        ASSERT_TRUE(parse_npy(npy.data(), npy.size(), &t).ok());
        EXPECT_TRUE(t.bytes() == want) << v.path() << ": levels of " << name;
        ++checked;
      }
    }
  }
  if (checked == 0) GTEST_SKIP() << "shared conformance material not found";
  EXPECT_GT(checked, 800u);
}

// `nnr decode --state-dict` writes what torch.load reads: the real
// ResNet-56 vector's tensors, names, order and bits (checked by our reader,
// and by Python's torch where Debian's python3-torch is installed).
TEST_F(Hardening, StateDictIsReadByTorchLoad) {
  const std::string vec = NNR_SHARED_DIR "/conformance/nncodec-real/r01_resnet56_dq_qp-38/stream.nnc";
  if (!fs::exists(vec)) GTEST_SKIP() << "shared conformance material not found";
  const std::string pt = path("r01.pt"), dir = path("r01");
  const Result r = run("decode " + vec + " -o " + dir + " --state-dict " + pt);
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream ix(dir + "/index.json");
  const nlohmann::json idx = nlohmann::json::parse(ix);
  LoadedModel m;
  ASSERT_TRUE(load_torch_state_dict(pt, &m).ok());
  ASSERT_EQ(m.tensors.size(), idx.size());
  for (size_t i = 0; i < idx.size(); ++i) {
    EXPECT_EQ(m.tensors[i].name, idx[i]["name"]);
    EXPECT_EQ(m.tensors[i].shape, idx[i]["shape"].get<std::vector<int64_t>>());
  }
  // Debian's python3 has python3-torch (scripts/setup.sh); another python3
  // may come first on PATH.
  const std::string py = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  if (system((py + " -c 'import torch' > /dev/null 2>&1").c_str()) != 0) {
    std::printf("python3 with torch not found: torch.load not tried\n");
    return;
  }
  const std::string script = path("check.py");
  std::ofstream(script) << "import sys, json, hashlib, torch\n"
                           "sd = torch.load(sys.argv[1])\n"
                           "idx = json.load(open(sys.argv[2]))\n"
                           "assert list(sd.keys()) == [e['name'] for e in idx], 'names or order'\n"
                           "for e in idx:\n"
                           "    t = sd[e['name']]\n"
                           "    assert str(t.dtype) == 'torch.' + e['dtype'], e['name']\n"
                           "    assert list(t.shape) == e['shape'], e['name']\n"
                           "    assert hashlib.sha256(t.numpy().tobytes()).hexdigest() == e['sha256'], e['name']\n"
                           "print('torch.load: %d tensors ok' % len(idx))\n";
  FILE* p = popen((py + " " + script + " " + pt + " " + dir + "/index.json 2>&1").c_str(), "r");
  std::string out;
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << out;
  EXPECT_NE(out.find("torch.load: 292 tensors ok"), std::string::npos) << out;
}

}  // namespace
}  // namespace nnr
