#include "io/zip_archive.h"

#include <zip.h>

namespace nnr {

ZipArchive::~ZipArchive() {
  if (zip_) zip_discard(zip_);
}

Status ZipArchive::open(const std::string& path) {
  path_ = path;
  int err = 0;
  zip_ = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (!zip_) {
    zip_error_t e;
    zip_error_init_with_code(&e, err);
    Status s(ErrorCode::kIo, kNoOffset, path + ": not a readable zip archive (" + zip_error_strerror(&e) + ")");
    zip_error_fini(&e);
    return s;
  }
  const zip_int64_t n = zip_get_num_entries(zip_, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(zip_, static_cast<zip_uint64_t>(i), 0);
    names_.push_back(name ? name : "");
  }
  return Status();
}

Status ZipArchive::open_memory(const uint8_t* data, size_t size, const std::string& name) {
  path_ = name;
  zip_error_t e;
  zip_error_init(&e);
  zip_source_t* src = zip_source_buffer_create(data, size, 0, &e);
  if (src) zip_ = zip_open_from_source(src, ZIP_RDONLY, &e);
  if (!zip_) {
    if (src) zip_source_free(src);
    Status s(ErrorCode::kInvalidData, kNoOffset, name + ": not a readable zip archive (" + zip_error_strerror(&e) + ")");
    zip_error_fini(&e);
    return s;
  }
  zip_error_fini(&e);
  const zip_int64_t n = zip_get_num_entries(zip_, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* entry = zip_get_name(zip_, static_cast<zip_uint64_t>(i), 0);
    names_.push_back(entry ? entry : "");
  }
  return Status();
}

Status ZipArchive::read(const std::string& name, std::vector<uint8_t>* out, uint64_t max_bytes) const {
  const zip_int64_t idx = zip_name_locate(zip_, name.c_str(), 0);
  if (idx < 0) return Status(ErrorCode::kInvalidData, kNoOffset, path_ + ": no entry '" + name + "'");
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(zip_, static_cast<zip_uint64_t>(idx), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
    return Status(ErrorCode::kIo, kNoOffset, path_ + ": cannot stat entry '" + name + "'");
  if (st.size > max_bytes)
    return Status(ErrorCode::kLimitExceeded, kNoOffset,
                  path_ + ": entry '" + name + "' is " + std::to_string(st.size) + " bytes, too large");
  zip_file_t* f = zip_fopen_index(zip_, static_cast<zip_uint64_t>(idx), 0);
  if (!f) return Status(ErrorCode::kIo, kNoOffset, path_ + ": cannot open entry '" + name + "'");
  // The buffer grows with the data that actually arrives: the directory can
  // declare any size, whatever the archive holds.
  out->clear();
  zip_uint64_t got = 0;
  while (got < st.size) {
    if (out->size() == got) {
      const zip_uint64_t grow = got < (zip_uint64_t{1} << 20) ? (zip_uint64_t{1} << 20) : got;
      out->resize(static_cast<size_t>(got + (grow < st.size - got ? grow : st.size - got)));
    }
    const zip_int64_t r = zip_fread(f, out->data() + got, out->size() - got);
    if (r <= 0) break;
    got += static_cast<zip_uint64_t>(r);
  }
  out->resize(static_cast<size_t>(got));
  zip_fclose(f);
  if (got != st.size)
    return Status(ErrorCode::kIo, kNoOffset, path_ + ": entry '" + name + "' is truncated or corrupt");
  return Status();
}

}  // namespace nnr
