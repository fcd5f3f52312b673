#include "core/parallel.hpp"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>

namespace tg {
namespace {

struct ThreadState {
  std::mutex mu;
  std::unique_ptr<tbb::global_control> control;
  std::atomic<int> threads{0};
  ThreadState() {
    int n = 0;
    if (const char* env = std::getenv("TAPEGRAD_NUM_THREADS")) n = std::atoi(env);
    apply(n);
  }
  void apply(int n) {
    const int hw = tbb::info::default_concurrency();
    if (n <= 0 || n > hw) n = hw;
    control = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                    static_cast<std::size_t>(n));
    threads.store(n, std::memory_order_relaxed);
  }
};

ThreadState& state() {
  static ThreadState s;
  return s;
}

}  // namespace

void set_num_threads(int n) {
  ThreadState& s = state();
  std::lock_guard lock(s.mu);
  s.control.reset();  // the old limit must go before the new one takes effect
  s.apply(n);
}

int num_threads() { return state().threads.load(std::memory_order_relaxed); }

namespace detail {
void parallel_for_impl(std::int64_t begin, std::int64_t end, std::int64_t grain, RangeFn fn) {
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(begin, end, static_cast<std::size_t>(grain)),
                    [&](const tbb::blocked_range<std::int64_t>& r) { fn(r.begin(), r.end()); },
                    tbb::simple_partitioner());
}
}  // namespace detail

}  // namespace tg
