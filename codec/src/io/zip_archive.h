// Read access to zip archives (libzip): entry names in archive order and
// whole entries, with sizes checked before allocation.
#ifndef NNR_IO_ZIP_ARCHIVE_H
#define NNR_IO_ZIP_ARCHIVE_H

#include <cstdint>
#include <string>
#include <vector>

#include "nnr/error.h"

struct zip;

namespace nnr {

class ZipArchive {
 public:
  ZipArchive() = default;
  ~ZipArchive();
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  Status open(const std::string& path);
  // The same for an archive in memory (which must outlive the object);
  // `name` is what errors call it.
  Status open_memory(const uint8_t* data, size_t size, const std::string& name);
  const std::vector<std::string>& names() const { return names_; }
  // Reads entry `name` (at most max_bytes). Errors name the archive and entry.
  Status read(const std::string& name, std::vector<uint8_t>* out,
              uint64_t max_bytes = uint64_t{1} << 36) const;

 private:
  std::string path_;
  struct zip* zip_ = nullptr;
  std::vector<std::string> names_;
};

}  // namespace nnr

#endif  // NNR_IO_ZIP_ARCHIVE_H
