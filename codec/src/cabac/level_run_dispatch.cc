#include "cabac/level_run_dispatch.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace nnr {

namespace {

const LevelRunFns* best() {
#if NNR_HAVE_X86_64_ASM
  return &kLevelRunX86_64;
#else
  return &kLevelRunC;
#endif
}

const LevelRunFns* by_name(const std::string& name) {
  if (name.empty()) return best();
  for (const LevelRunFns* f : level_run_available())
    if (name == f->name) return f;
  return nullptr;
}

std::atomic<const LevelRunFns*>& current() {
  static std::atomic<const LevelRunFns*> fns{[] {
    const char* env = std::getenv("NNR_CABAC");
    const LevelRunFns* f = env ? by_name(env) : nullptr;
    return f ? f : best();
  }()};
  return fns;
}

}  // namespace

const LevelRunFns& level_run_fns() { return *current().load(std::memory_order_relaxed); }

std::vector<const LevelRunFns*> level_run_available() {
#if NNR_HAVE_X86_64_ASM
  return {&kLevelRunC, &kLevelRunX86_64};
#else
  return {&kLevelRunC};
#endif
}

bool select_level_run(const std::string& name) {
  const LevelRunFns* f = by_name(name);
  if (!f) return false;
  current().store(f, std::memory_order_relaxed);
  return true;
}

}  // namespace nnr
