// The spoken-digit set: "zero" .. "nine" said by espeak-ng with several voices,
// speeds and pitches, then given a random gain, onset delay and white noise.
// Every random draw comes from a counter-based generator keyed by the clip, so
// each split can be made on its own and is the same on every machine (up to
// espeak-ng's version; the cache folder name carries the recipe version).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "data/audio.h"
#include "data/datasets.h"

namespace nnr::data {
namespace {

namespace fs = std::filesystem;

const char* const kWords[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
const char* const kLanguages[] = {"en-gb", "en-us", "en-gb-scotland", "en-029", "en-gb-x-rp"};
const char* const kVariants[] = {"", "+f2", "+m3", "+f4"};
const int kSpeeds[] = {130, 165, 200};   // words per minute
const int kPitches[] = {35, 55, 75};     // espeak-ng's 0..99 scale
constexpr int kCombos = 5 * 4 * 3 * 3;
constexpr int kTestEvery = 5;            // combination c is in the test split when c % 5 == 2

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in [0, 1) from (clip, stream, draw).
double uniform(uint64_t clip, uint64_t draw) {
  return static_cast<double>(splitmix64(clip * 0x100000001ull + draw) >> 11) * 0x1.0p-53;
}

// posix_spawn, not fork: the process has other threads (the clips are made
// in parallel, the harness runs beside), and a forked child may not touch
// stdio locks they held.
Status run_espeak(const std::string& voice, int speed, int pitch, const std::string& word, const std::string& wav) {
  std::string args[] = {"espeak-ng", "-v", voice, "-s", std::to_string(speed), "-p", std::to_string(pitch),
                        "-w", wav, word};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t quiet;
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "espeak-ng", &quiet, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&quiet);
  if (rc == ENOENT)
    return Status(ErrorCode::kIo, kNoOffset, "espeak-ng not found: the spoken-digit set needs it (apt-get install espeak-ng)");
  if (rc != 0) return Status(ErrorCode::kIo, kNoOffset, "cannot start espeak-ng");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) == 127)
    return Status(ErrorCode::kIo, kNoOffset, "espeak-ng not found: the spoken-digit set needs it (apt-get install espeak-ng)");
  if (WEXITSTATUS(status) != 0)
    return Status(ErrorCode::kIo, kNoOffset, "espeak-ng failed for voice " + voice + ", word '" + word + "'");
  return Status();
}

// One clip: espeak-ng's word, then gain, delay and noise drawn for the clip.
Status make_clip(int combo, int digit, const fs::path& tmp, const fs::path& wav) {
  const int lang = combo / 36, variant = (combo / 9) % 4, speed = (combo / 3) % 3, pitch = combo % 3;
  const std::string voice = std::string(kLanguages[lang]) + kVariants[variant];
  Status s = run_espeak(voice, kSpeeds[speed], kPitches[pitch], kWords[digit], tmp.string());
  if (!s.ok()) return s;
  std::vector<float> clean;
  double rate = 0.0;
  s = read_audio_mono(tmp.string(), &clean, &rate);
  if (!s.ok()) return s;
  const uint64_t clip = static_cast<uint64_t>(combo * 10 + digit);
  const double gain = 0.5 + 0.5 * uniform(clip, 0);
  const size_t delay = static_cast<size_t>(uniform(clip, 1) * 0.15 * rate);
  const double snr_db = 10.0 + 20.0 * uniform(clip, 2);
  double energy = 0.0;
  for (float v : clean) energy += double(v) * v;
  const double rms = std::sqrt(energy / std::max<size_t>(1, clean.size())) * gain;
  const double noise_sd = rms / std::pow(10.0, snr_db / 20.0);
  std::vector<float> out(delay + clean.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const double v = i >= delay ? clean[i - delay] * gain : 0.0;
    // Box-Muller on two independent uniforms of this sample.
    const double u1 = std::max(uniform(clip, 16 + 2 * i), 1e-300), u2 = uniform(clip, 17 + 2 * i);
    const double n = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
    out[i] = static_cast<float>(std::clamp(v + noise_sd * n, -1.0, 1.0));
  }
  return write_wav16(wav.string(), out, static_cast<int>(rate));
}

std::string clip_name(int combo, int digit) {
  return "d" + std::to_string(digit) + "_c" + std::to_string(combo) + ".wav";
}

Status synthesise(const std::string& split, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status(ErrorCode::kIo, kNoOffset, dir.string() + ": " + ec.message());
  std::vector<std::pair<int, int>> clips;  // (combo, digit), in the labels' order
  for (int combo = 0; combo < kCombos; ++combo) {
    if ((combo % kTestEvery == 2) != (split == "test")) continue;
    for (int digit = 0; digit < 10; ++digit) clips.emplace_back(combo, digit);
  }
  // espeak-ng is single-threaded and most of the time: one worker per core,
  // each with its own scratch file. Every clip depends on its index alone,
  // so the set is the same whatever the number of workers.
  const unsigned workers = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  std::vector<Status> status(clips.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&](unsigned w) {
    const fs::path tmp = dir / ("espeak-" + std::to_string(w) + ".wav");
    for (size_t i = next++; i < clips.size() && !failed; i = next++) {
      status[i] = make_clip(clips[i].first, clips[i].second, tmp, dir / clip_name(clips[i].first, clips[i].second));
      if (!status[i].ok()) failed = true;
    }
    std::error_code ignored;
    fs::remove(tmp, ignored);
  };
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (std::thread& t : pool) t.join();
  for (const Status& s : status)
    if (!s.ok()) return s;
  std::ofstream csv(dir / "labels.csv");
  csv << "file,label\n";
  for (const auto& [combo, digit] : clips) csv << clip_name(combo, digit) << "," << digit << "\n";
  csv.close();
  if (!csv) return Status(ErrorCode::kIo, kNoOffset, (dir / "labels.csv").string() + ": cannot write");
  return Status();
}

}  // namespace

Status spoken_digits(const std::string& split, std::string* dir) {
  if (split != "train" && split != "test")
    return Status(ErrorCode::kInvalidArgument, kNoOffset, "unknown split '" + split + "'");
  const fs::path root = fs::path(cache_dir()) / "spoken-digits-v1";
  const fs::path final_dir = root / split;
  *dir = final_dir.string();
  if (fs::is_regular_file(final_dir / "labels.csv")) return Status();
  // Build in a private folder, then rename: concurrent users never see half a set.
  const fs::path work = root / (split + ".partial-" + std::to_string(getpid()));
  std::error_code ec;
  fs::remove_all(work, ec);
  Status s = synthesise(split, work);
  if (!s.ok()) {
    fs::remove_all(work, ec);
    return s;
  }
  fs::rename(work, final_dir, ec);
  if (ec) {  // another process finished first
    fs::remove_all(work, ec);
    if (!fs::is_regular_file(final_dir / "labels.csv"))
      return Status(ErrorCode::kIo, kNoOffset, final_dir.string() + ": cannot create the spoken-digit set");
  }
  return Status();
}

}  // namespace nnr::data
