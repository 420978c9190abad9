// Model files: .npz archives and PyTorch state dicts (torch.save zip).
#include <unistd.h>
#include <zip.h>

#include <atomic>

#include <cstring>
#include <string>

#include "io/array_convert.h"
#include "io/torch_pickle.h"
#include "io/zip_archive.h"
#include "nnr/io.h"

namespace nnr {

namespace {

bool ends_with(const std::string& s, const std::string& x) {
  return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

// Gathers a (possibly strided) tensor view out of its storage bytes.
Status gather(const PickledTensor& p, const std::vector<uint8_t>& storage, const std::string& what,
              std::vector<uint8_t>* out) {
  const size_t es = stored_type_size(p.type);
  if (p.shape.size() != p.stride.size())
    return Status(ErrorCode::kInvalidData, kNoOffset, what + ": size and stride differ in rank");
  int64_t numel = 1, max_index = p.offset;
  for (size_t d = 0; d < p.shape.size(); ++d) {
    if (p.shape[d] < 0 || p.stride[d] < 0)
      return Status(ErrorCode::kInvalidData, kNoOffset, what + ": negative size or stride");
    if (p.shape[d] == 0) numel = 0;
    else if (numel > (int64_t{1} << 40) / p.shape[d])
      return Status(ErrorCode::kLimitExceeded, kNoOffset, what + ": tensor too large");
    else numel *= p.shape[d];
    if (p.shape[d] > 0) max_index += (p.shape[d] - 1) * p.stride[d];
  }
  if (numel > 0 && (p.offset < 0 || uint64_t(max_index + 1) * es > storage.size()))
    return Status(ErrorCode::kInvalidData, kNoOffset,
                  what + ": the tensor reaches past the end of its storage");
  out->resize(static_cast<size_t>(numel) * es);
  std::vector<int64_t> idx(p.shape.size(), 0);
  for (int64_t n = 0; n < numel; ++n) {
    int64_t src = p.offset;
    for (size_t d = 0; d < idx.size(); ++d) src += idx[d] * p.stride[d];
    std::memcpy(out->data() + n * es, storage.data() + src * es, es);
    for (size_t d = idx.size(); d-- > 0;) {
      if (++idx[d] < p.shape[d]) break;
      idx[d] = 0;
    }
  }
  return Status();
}


// The arrays of an open .npz archive.
Status npz_from_zip(const ZipArchive& zip, const std::string& path, LoadedModel* out) {
  Status s;
  *out = LoadedModel{};
  for (const std::string& name : zip.names()) {
    if (!ends_with(name, ".npy")) continue;
    std::vector<uint8_t> bytes;
    s = zip.read(name, &bytes);
    if (!s.ok()) return s;
    Tensor t;
    std::vector<std::string> notes;
    s = parse_npy(bytes.data(), bytes.size(), &t, &notes);
    const std::string key = name.substr(0, name.size() - 4);
    if (!s.ok()) return Status(s.code(), kNoOffset, path + ": array '" + key + "': " + s.message());
    for (const std::string& n : notes) out->notices.push_back(path + ": array '" + key + "': " + n);
    t.name = key;
    if (t.shape.empty()) t.shape = {1};  // 0-D arrays are coded as shape [1]
    out->tensors.push_back(std::move(t));
  }
  if (out->tensors.empty()) return Status(ErrorCode::kInvalidData, kNoOffset, path + ": no arrays in the archive");
  return Status();
}

// The tensors of an open PyTorch zip file.
Status torch_from_zip(const ZipArchive& zip, const std::string& path, LoadedModel* out) {
  Status s;
  std::string prefix;
  bool found = false;
  for (const std::string& n : zip.names()) {
    if (ends_with(n, "data.pkl")) {
      prefix = n.substr(0, n.size() - 8);
      found = true;
      break;
    }
  }
  if (!found)
    return Status(ErrorCode::kInvalidData, kNoOffset,
                  path + ": not a PyTorch zip file (no data.pkl); legacy torch.save files are not supported");
  std::vector<uint8_t> pkl;
  s = zip.read(prefix + "data.pkl", &pkl, uint64_t{1} << 30);
  if (!s.ok()) return s;
  std::vector<PickledTensor> entries;
  s = unpickle_state_dict(pkl.data(), pkl.size(), path + ": data.pkl", &entries);
  if (!s.ok()) return s;
  *out = LoadedModel{};
  out->pytorch = true;
  std::vector<uint8_t> storage, gathered;
  std::string loaded_key;
  int skipped = 0;
  for (const PickledTensor& p : entries) {
    const std::string what = path + ": '" + p.key + "'";
    if (p.key.find(".num_batches_tracked") != std::string::npos) {
      ++skipped;
      continue;
    }
    if (!p.type_known)
      return Status(ErrorCode::kInvalidData, kNoOffset, what + ": unsupported storage type " + p.type_name);
    if (p.type == StoredType::kI64)
      return Status(ErrorCode::kInvalidData, kNoOffset,
                    what + ": int64 tensors cannot be coded (NNR codes float32 and int32 tensors)");
    if (loaded_key != p.storage_key) {
      s = zip.read(prefix + "data/" + p.storage_key, &storage);
      if (!s.ok()) return Status(s.code(), kNoOffset, what + ": " + s.message());
      loaded_key = p.storage_key;
    }
    s = gather(p, storage, what, &gathered);
    if (!s.ok()) return s;
    Tensor t;
    std::vector<std::string> notes;
    s = convert_array(p.type, gathered.data(), gathered.size() / stored_type_size(p.type), what, &t, &notes);
    if (!s.ok()) return s;
    out->notices.insert(out->notices.end(), notes.begin(), notes.end());
    t.name = p.key;
    t.shape = p.shape;
    if (t.shape.empty()) t.shape = {1};  // 0-D tensors are coded as shape [1]
    out->tensors.push_back(std::move(t));
  }
  if (skipped)
    out->notices.push_back(path + ": skipped " + std::to_string(skipped) +
                           " batch-norm counters (.num_batches_tracked, int64)");
  return Status();
}

}  // namespace

Status load_npz(const std::string& path, LoadedModel* out) {
  ZipArchive zip;
  const Status s = zip.open(path);
  return s.ok() ? npz_from_zip(zip, path, out) : s;
}

Status load_torch_state_dict(const std::string& path, LoadedModel* out) {
  ZipArchive zip;
  const Status s = zip.open(path);
  return s.ok() ? torch_from_zip(zip, path, out) : s;
}

namespace {

// A zip archive (npz or PyTorch) by its entries, else a single .npy.
Status model_from(ZipArchive& zip, const Status& opened, const uint8_t* npy, size_t npy_size, const std::string& name,
                  LoadedModel* out) {
  if (!opened.ok()) {
    if (!npy) return opened;
    Tensor t;
    std::vector<std::string> notes;
    const Status n = parse_npy(npy, npy_size, &t, &notes);
    if (!n.ok())
      return Status(ErrorCode::kInvalidData, kNoOffset, name + ": neither a zip archive (.npz, PyTorch) nor an .npy file");
    *out = LoadedModel{};
    t.name = "tensor";
    if (t.shape.empty()) t.shape = {1};
    out->tensors.push_back(std::move(t));
    out->notices = notes;
    return Status();
  }
  for (const std::string& n : zip.names())
    if (ends_with(n, "data.pkl")) return torch_from_zip(zip, name, out);
  return npz_from_zip(zip, name, out);
}

}  // namespace

Status load_model(const std::string& path, LoadedModel* out) {
  ZipArchive zip;
  const Status s = zip.open(path);
  std::vector<uint8_t> bytes;
  if (!s.ok() && !read_file(path, &bytes).ok()) return s;
  return model_from(zip, s, bytes.data(), bytes.size(), path, out);
}

Status load_model_memory(const uint8_t* data, size_t size, const std::string& name, LoadedModel* out) {
  ZipArchive zip;
  const Status s = zip.open_memory(data, size, name);
  return model_from(zip, s, data, size, name, out);
}

Status write_npz(const std::string& path, const std::vector<Tensor>& tensors) {
  // A temporary archive of our own beside the file (not someone's PATH.tmp).
  static std::atomic<uint64_t> serial{0};
  const std::string tmp = path + "." + std::to_string(getpid()) + "." + std::to_string(serial.fetch_add(1)) + ".tmp";
  int err = 0;
  zip_t* z = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_EXCL, &err);
  if (!z) return Status(ErrorCode::kIo, kNoOffset, path + ": cannot create archive");
  std::vector<std::vector<uint8_t>> keep;  // libzip reads the buffers at close
  keep.reserve(tensors.size());
  for (const Tensor& t : tensors) {
    keep.push_back(npy_bytes(t));
    zip_source_t* src = zip_source_buffer(z, keep.back().data(), keep.back().size(), 0);
    const zip_int64_t idx = src ? zip_file_add(z, (t.name + ".npy").c_str(), src, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
      if (src) zip_source_free(src);
      zip_discard(z);
      return Status(ErrorCode::kIo, kNoOffset, path + ": cannot add '" + t.name + "'");
    }
    zip_set_file_compression(z, static_cast<zip_uint64_t>(idx), ZIP_CM_STORE, 0);
  }
  if (zip_close(z) != 0) {
    zip_discard(z);
    return Status(ErrorCode::kIo, kNoOffset, path + ": cannot write archive");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status(ErrorCode::kIo, kNoOffset, path + ": cannot rename");
  }
  return Status();
}

}  // namespace nnr
