// A small work-sharing pool for the decoder and the encoder: a group of n
// independent tasks runs on the workers and the calling thread. Groups may nest one level: a
// task of an outer group may run a *leaf* group (tasks that never wait), and
// while it waits it only helps leaf groups, so waiting can never deadlock.
#ifndef NNR_COMMON_THREAD_POOL_H
#define NNR_COMMON_THREAD_POOL_H

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace nnr {

// A requested thread count: 0 means one per core; at most 256.
int resolve_threads(int requested);

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads - 1 workers; the caller is the last one
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn(0) .. fn(n-1) and returns when all have finished. The first
  // exception thrown by a task is rethrown here, after every task ended.
  void run(size_t n, const std::function<void(size_t)>& fn, bool leaf);

 private:
  struct Group {
    const std::function<void(size_t)>* fn = nullptr;
    size_t n = 0;
    size_t next = 0;  // guarded by mu_
    size_t done = 0;  // guarded by mu_
    bool leaf = false;
    std::exception_ptr error;
  };

  bool run_one(std::unique_lock<std::mutex>& lock, Group* only, bool leaf_only);
  void worker();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Group*> groups_;  // groups with unclaimed tasks; leaf groups first
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace nnr

#endif  // NNR_COMMON_THREAD_POOL_H
