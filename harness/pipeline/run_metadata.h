// What a result file records about the run itself: tool version, git
// revision, config hash, machine, times.
#ifndef NNR_HARNESS_RUN_METADATA_H
#define NNR_HARNESS_RUN_METADATA_H

#include <string>

#include <nlohmann/json.hpp>

namespace nnr {

// {"hostname", "cpu", "cores", "memory_bytes", "os", "omp_wait"}
nlohmann::json machine_description();
// The git revision the tool was built from ("unknown" outside a checkout).
std::string tool_git_revision();
// Now, as ISO 8601 UTC ("2026-11-29T07:12:00Z").
std::string utc_timestamp();
// Peak resident memory of this process since the last reset, in bytes.
uint64_t peak_rss_bytes();
// Resets the peak (Linux: /proc/self/clear_refs); false if unsupported.
bool reset_peak_rss();
// Available memory (MemAvailable), in bytes; 0 if unknown.
uint64_t available_memory_bytes();

}  // namespace nnr

#endif  // NNR_HARNESS_RUN_METADATA_H
