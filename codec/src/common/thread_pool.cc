#include "common/thread_pool.h"

#include <algorithm>

namespace nnr {

int resolve_threads(int requested) {
  if (requested > 0) return std::min(requested, 256);
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(std::min(hw, 256u)) : 1;
}

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

// Claims and runs one task (of `only`, or of any group / any leaf group).
// Called and returns with the lock held.
bool ThreadPool::run_one(std::unique_lock<std::mutex>& lock, Group* only, bool leaf_only) {
  Group* g = nullptr;
  if (only) {
    if (only->next < only->n) g = only;
  } else {
    for (Group* c : groups_) {
      if (leaf_only && !c->leaf) continue;
      g = c;
      break;
    }
  }
  if (!g) return false;
  const size_t i = g->next++;
  if (g->next == g->n) groups_.erase(std::find(groups_.begin(), groups_.end(), g));
  lock.unlock();
  std::exception_ptr err;
  try {
    (*g->fn)(i);
  } catch (...) {
    err = std::current_exception();
  }
  lock.lock();
  if (err && !g->error) g->error = err;
  if (++g->done == g->n) cv_.notify_all();
  return true;
}

void ThreadPool::run(size_t n, const std::function<void(size_t)>& fn, bool leaf) {
  if (n == 0) return;
  Group g;
  g.fn = &fn;
  g.n = n;
  g.leaf = leaf;
  std::unique_lock<std::mutex> lock(mu_);
  if (leaf) {
    groups_.push_front(&g);
  } else {
    groups_.push_back(&g);
  }
  cv_.notify_all();
  while (run_one(lock, &g, false)) {
  }
  while (g.done < g.n) {
    if (!run_one(lock, nullptr, true)) cv_.wait(lock);
  }
  lock.unlock();
  if (g.error) std::rethrow_exception(g.error);
}

void ThreadPool::worker() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stop_) return;
    if (!run_one(lock, nullptr, false)) cv_.wait(lock);
  }
}

}  // namespace nnr
