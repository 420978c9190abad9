#include "common/tensor_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <numeric>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/file_names.h"
#include "common/sha256.h"
#include "config/json_text.h"
#include "nnr/io.h"

namespace nnr {

std::string tensor_sha256(const Tensor& t) { return sha256_hex(t.data_bytes(), t.byte_size()); }

Status TensorFolderWriter::begin(size_t) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir_, ec) && !fs::is_directory(dir_, ec))
    return Status(ErrorCode::kIo, kNoOffset, dir_ + ": exists and is not a folder");
  if (fs::is_directory(dir_, ec)) {
    // An earlier output (index.json and the files it lists) is replaced, so
    // that no old tensor is left beside the new index; anything else in the
    // folder is not ours to delete.
    std::set<std::string> listed;
    nlohmann::json old;
    if (fs::exists(dir_ + "/index.json", ec) && read_json_text(dir_ + "/index.json", &old).ok() && old.is_array())
      for (const auto& e : old)
        if (e.is_object() && e.contains("file") && e["file"].is_string()) listed.insert(e["file"].get<std::string>());
    std::vector<std::string> other;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      const std::string f = entry.path().filename().string();
      if (f != "index.json" && !listed.count(f)) other.push_back(f);
    }
    if (ec) return Status(ErrorCode::kIo, kNoOffset, dir_ + ": " + ec.message());
    if (!other.empty())
      return Status(ErrorCode::kInvalidArgument, kNoOffset,
                    dir_ + ": not empty and not an earlier output of nnr decode (it holds '" + other[0] + "'" +
                        (other.size() > 1 ? " and " + std::to_string(other.size() - 1) + " more" : std::string()) +
                        "); choose a new or an empty folder");
    fs::remove(dir_ + "/index.json", ec);  // first: a folder without it is incomplete
    for (const std::string& f : listed) fs::remove(dir_ + "/" + f, ec);
  }
  fs::create_directories(dir_, ec);
  if (ec) return Status(ErrorCode::kIo, kNoOffset, dir_ + ": " + ec.message());
  return Status();
}

// The first free name in arrival order; finish() puts collisions into
// output order.
std::string TensorFolderWriter::claim_file(const std::string& name) {
  const std::string base = tensor_file_base(name);
  std::lock_guard<std::mutex> lock(mu_);
  std::string file;
  for (int k = 0;; ++k)
    if (claimed_.insert(file = numbered_tensor_file(base, k)).second) return file;
}

Status TensorFolderWriter::write(size_t group, size_t pos, const DecodedTensor& t) {
  Entry e{group, pos, t.name, claim_file(t.name), dtype_name(t.dtype), tensor_sha256(t), t.shape};
  // In place: index.json, written last, marks the folder complete. The file
  // is created under a lock of ours: creating files in one directory from
  // two threads at once makes the kernel spin on the directory's lock (on
  // ext4 about a tenth of a two-thread decode of a 25.6 M-parameter model);
  // writing into an existing file does not take it.
  const std::string path = dir_ + "/" + e.file;
  {
    std::lock_guard<std::mutex> lock(create_mu_);
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return Status(ErrorCode::kIo, kNoOffset, path + ": " + std::strerror(errno));
    close(fd);
  }
  Status s = write_npy(path, t, /*atomic=*/false);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  parameters_ += static_cast<uint64_t>(t.numel());
  entries_.push_back(std::move(e));
  return Status();
}

Status TensorFolderWriter::consume(size_t group, std::vector<DecodedTensor>&& tensors) {
  for (size_t i = 0; i < tensors.size(); ++i) {
    Status s = write(group, i, tensors[i]);
    if (!s.ok()) return s;
    // Done with it: its memory goes to the next tensor.
    ValueVector<float>().swap(tensors[i].f32);
    ValueVector<int32_t>().swap(tensors[i].i32);
  }
  return Status();
}

Status TensorFolderWriter::finish() {
  std::sort(entries_.begin(), entries_.end(),
            [](const Entry& a, const Entry& b) { return a.group != b.group ? a.group < b.group : a.pos < b.pos; });
  // Names in output order; files written under another name (only where
  // names collide and tensors arrived out of order) move there through
  // temporary names, as two of them may swap.
  std::vector<std::string> names;
  for (const Entry& e : entries_) names.push_back(e.name);
  std::vector<std::string> files = tensor_file_names(names);
  std::vector<std::pair<size_t, std::string>> moves;
  for (size_t i = 0; i < entries_.size(); ++i)
    if (files[i] != entries_[i].file) moves.emplace_back(i, std::move(files[i]));
  for (auto& [i, file] : moves) {
    const std::string from = dir_ + "/" + entries_[i].file, tmp = dir_ + "/" + file + ".move";
    if (std::rename(from.c_str(), tmp.c_str()) != 0) return Status(ErrorCode::kIo, kNoOffset, from + ": cannot rename");
  }
  for (auto& [i, file] : moves) {
    const std::string tmp = dir_ + "/" + file + ".move", to = dir_ + "/" + file;
    if (std::rename(tmp.c_str(), to.c_str()) != 0) return Status(ErrorCode::kIo, kNoOffset, tmp + ": cannot rename");
    entries_[i].file = file;
  }

  nlohmann::ordered_json index = nlohmann::ordered_json::array();
  for (const Entry& t : entries_) {
    nlohmann::ordered_json e;
    e["name"] = t.name;
    e["file"] = t.file;
    e["dtype"] = t.dtype;
    e["shape"] = t.shape;
    e["sha256"] = t.sha256;
    index.push_back(std::move(e));
  }
  const std::string text = index.dump(1) + "\n";
  return write_file_atomic(dir_ + "/index.json", reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

Status write_levels_folder(const std::string& dir, const std::vector<DecodedTensor>& tensors) {
  TensorFolderWriter w(dir);
  Status s = w.begin(1);
  size_t pos = 0;
  for (const DecodedTensor& t : tensors) {
    if (!s.ok()) break;
    if (t.levels.empty() && t.numel() > 0) continue;
    DecodedTensor l;
    l.name = t.name;
    l.shape = t.shape;
    l.dtype = DType::kInt32;
    l.i32 = t.levels;
    s = w.write(0, pos++, l);
  }
  return s.ok() ? w.finish() : s;
}

Status write_tensor_folder(const std::string& dir, const std::vector<DecodedTensor>& tensors, int threads) {
  TensorFolderWriter w(dir);
  Status s = w.begin(tensors.size());
  if (!s.ok()) return s;
  const size_t n = tensors.size();
  // Largest first, so that the last tensor to finish is a small one; each
  // tensor is a group of its own.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return tensors[a].byte_size() > tensors[b].byte_size(); });
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<Status> status(n);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k; (k = next.fetch_add(1)) < n;) {
      status[order[k]] = w.write(order[k], 0, tensors[order[k]]);
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads && static_cast<size_t>(i) < n; ++i) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (const Status& st : status)
    if (!st.ok()) return st;
  return w.finish();
}

}  // namespace nnr
