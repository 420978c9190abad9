#include "pipeline/results_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "nnr/io.h"

namespace nnr {
namespace fs = std::filesystem;
using json = nlohmann::json;

Status ResultsLog::load(std::vector<json>* records, size_t* dropped) {
  std::lock_guard<std::mutex> lock(mutex_);
  records->clear();
  if (dropped) *dropped = 0;
  if (!fs::exists(path_)) return Status();
  std::vector<uint8_t> data;
  Status st = read_file(path_, &data);
  if (!st.ok()) return st;
  size_t pos = 0, good_end = 0;
  while (pos < data.size()) {
    size_t nl = pos;
    while (nl < data.size() && data[nl] != '\n') ++nl;
    const std::string line(reinterpret_cast<const char*>(data.data()) + pos, nl - pos);
    if (nl == data.size()) break;  // no newline: the write was cut short
    if (!line.empty()) {
      json r = json::parse(line, nullptr, false);
      if (r.is_discarded() || !r.is_object())
        return Status(ErrorCode::kInvalidArgument, static_cast<int64_t>(pos),
                      "not a result record (a corrupted results.jsonl)");
      records->push_back(std::move(r));
    }
    pos = nl + 1;
    good_end = pos;
  }
  if (good_end < data.size()) {
    if (dropped) *dropped = data.size() - good_end;
    if (truncate(path_.c_str(), static_cast<off_t>(good_end)) != 0)
      return Status(ErrorCode::kIo, static_cast<int64_t>(good_end), std::strerror(errno));
  }
  return Status();
}

Status ResultsLog::append(const json& record) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string line = record.dump() + "\n";
  const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status(ErrorCode::kIo, kNoOffset, path_ + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = write(fd, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string err = std::strerror(errno);
      close(fd);
      return Status(ErrorCode::kIo, kNoOffset, path_ + ": " + err);
    }
    done += static_cast<size_t>(n);
  }
  fsync(fd);
  close(fd);
  return Status();
}

Status ResultsLog::rewrite(const std::vector<json>& records) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string all;
  for (const auto& r : records) all += r.dump() + "\n";
  return write_file_atomic(path_, reinterpret_cast<const uint8_t*>(all.data()), all.size());
}

Status write_json_atomic(const std::string& path, const json& doc) {
  const std::string s = doc.dump(2) + "\n";
  return write_file_atomic(path, reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

Status read_results(const std::string& path, json* doc) {
  std::string file = path;
  if (fs::is_directory(path)) {
    file = path + "/results.json";
    if (!fs::exists(file) && fs::exists(path + "/results.jsonl")) file = path + "/results.jsonl";
  }
  if (file.size() >= 6 && file.compare(file.size() - 6, 6, ".jsonl") == 0) {
    ResultsLog log(file);
    std::vector<json> records;
    Status st = log.load(&records);
    if (!st.ok()) return Status(st.code(), st.byte_offset(), st.describe(file));
    *doc = json{{"run", json::object()}, {"records", records}};
    return Status();
  }
  std::vector<uint8_t> data;
  Status st = read_file(file, &data);
  if (!st.ok()) return Status(st.code(), st.byte_offset(), st.describe(file));
  try {
    *doc = json::parse(data.begin(), data.end());
  } catch (const json::parse_error& e) {
    return Status(ErrorCode::kInvalidArgument, static_cast<int64_t>(e.byte) - 1,
                  file + ": not valid JSON: " + e.what());
  } catch (const json::exception& e) {
    return Status(ErrorCode::kInvalidArgument, kNoOffset, file + ": not valid JSON: " + e.what());
  }
  if (!doc->is_object() || !doc->contains("records") || !(*doc)["records"].is_array())
    return Status(ErrorCode::kInvalidArgument, kNoOffset, file + ": /records: expected an array of result records");
  return Status();
}

}  // namespace nnr
