// A folder of labelled audio files (libsndfile) turned into log-mel features.
#include <sndfile.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "data/audio.h"
#include "data/datasets.h"

namespace nnr::data {

namespace fs = std::filesystem;

Status read_audio_mono(const std::string& path, std::vector<float>* samples, double* rate) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) return Status(ErrorCode::kIo, kNoOffset, path + ": " + sf_strerror(nullptr));
  if (info.channels <= 0 || info.frames < 0 || info.frames > (int64_t(1) << 31)) {
    sf_close(f);
    return Status(ErrorCode::kInvalidArgument, kNoOffset, path + ": unsupported audio layout");
  }
  std::vector<float> inter(static_cast<size_t>(info.frames * info.channels));
  const sf_count_t got = sf_readf_float(f, inter.data(), info.frames);
  sf_close(f);
  samples->assign(static_cast<size_t>(got), 0.0f);
  for (sf_count_t i = 0; i < got; ++i) {
    float s = 0.0f;
    for (int c = 0; c < info.channels; ++c) s += inter[static_cast<size_t>(i * info.channels + c)];
    (*samples)[static_cast<size_t>(i)] = s / static_cast<float>(info.channels);
  }
  *rate = info.samplerate;
  return Status();
}

Status write_wav16(const std::string& path, const std::vector<float>& samples, int rate) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) return Status(ErrorCode::kIo, kNoOffset, path + ": cannot write: " + sf_strerror(nullptr));
  const sf_count_t n = sf_writef_float(f, samples.data(), static_cast<sf_count_t>(samples.size()));
  sf_close(f);
  if (n != static_cast<sf_count_t>(samples.size())) return Status(ErrorCode::kIo, kNoOffset, path + ": short write");
  return Status();
}

Status load_wav_folder(const std::string& dir, const LogMelOptions& o, int64_t limit, SampleSet* out) {
  const fs::path csv = fs::path(dir) / "labels.csv";
  std::ifstream in(csv);
  if (!in) return Status(ErrorCode::kIo, kNoOffset, csv.string() + ": cannot read (expected \"file,label\" lines)");
  std::vector<std::pair<std::string, std::string>> rows;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) continue;
    const size_t comma = line.rfind(',');
    if (comma == std::string::npos || comma == 0 || comma + 1 == line.size())
      return Status(ErrorCode::kInvalidArgument, kNoOffset,
                    csv.string() + ": line " + std::to_string(line_no) + ": expected \"file,label\"");
    std::string file = line.substr(0, comma), label = line.substr(comma + 1);
    if (line_no == 1 && file == "file" && label == "label") continue;
    rows.emplace_back(std::move(file), std::move(label));
  }
  if (rows.empty()) return Status(ErrorCode::kIo, kNoOffset, csv.string() + ": no labelled files");

  // Integer labels are class indices; otherwise sorted names define them.
  const bool numeric = std::all_of(rows.begin(), rows.end(), [](const auto& r) {
    return !r.second.empty() && r.second.size() < 9 &&
           std::all_of(r.second.begin(), r.second.end(), [](unsigned char c) { return std::isdigit(c); });
  });
  std::map<std::string, int64_t> index;
  std::vector<std::string> classes;
  if (numeric) {
    int64_t max_label = 0;
    for (const auto& r : rows) max_label = std::max<int64_t>(max_label, std::stoll(r.second));
    for (int64_t c = 0; c <= max_label; ++c) {
      classes.push_back(std::to_string(c));
      index[std::to_string(c)] = c;
    }
    for (auto& r : rows) r.second = std::to_string(std::stoll(r.second));
  } else {
    std::set<std::string> names;
    for (const auto& r : rows) names.insert(r.second);
    classes.assign(names.begin(), names.end());
    for (size_t c = 0; c < classes.size(); ++c) index[classes[c]] = static_cast<int64_t>(c);
  }
  if (limit > 0 && static_cast<int64_t>(rows.size()) > limit) rows.resize(static_cast<size_t>(limit));

  *out = SampleSet();
  out->source = dir;
  out->channels = 1;
  out->height = o.n_mels;
  out->width = o.frames;
  out->classes = classes;
  out->f32.reserve(rows.size() * static_cast<size_t>(out->sample_size()));
  for (const auto& [file, label] : rows) {
    std::vector<float> samples;
    double rate = 0.0;
    Status s = read_audio_mono((fs::path(dir) / file).string(), &samples, &rate);
    if (!s.ok()) return s;
    out->push_f32(log_mel(samples, rate, o).data(), index[label]);
  }
  return Status();
}

}  // namespace nnr::data
