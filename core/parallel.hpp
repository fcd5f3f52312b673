#pragma once
/// \file
/// The one way tapegrad runs work on several threads: oneTBB's pool, bounded by set_num_threads()
/// or TAPEGRAD_NUM_THREADS. Work below the grain size runs on the calling thread, so a small tensor
/// never touches the scheduler.
#include <cstdint>
#include <type_traits>
#include <utility>

namespace tg {

/// Bounds the worker threads (tbb::global_control); n <= 0 restores the default (all cores).
void set_num_threads(int n);
/// The number of threads parallel work may use.
int num_threads();

namespace detail {
// A non-owning callable reference: cheaper than std::function, no allocation.
class RangeFn {
 public:
  template <class F>
  RangeFn(F& f) : obj_(&f), call_([](void* o, std::int64_t b, std::int64_t e) { (*static_cast<F*>(o))(b, e); }) {}
  void operator()(std::int64_t b, std::int64_t e) const { call_(obj_, b, e); }

 private:
  void* obj_;
  void (*call_)(void*, std::int64_t, std::int64_t);
};
void parallel_for_impl(std::int64_t begin, std::int64_t end, std::int64_t grain, RangeFn fn);
}  // namespace detail

/// Calls f(b, e) over disjoint subranges covering [begin, end), each between grain/2 and grain
/// long, on the TBB pool; serially when the range is at most one grain.
template <class F>
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain, F&& f) {
  if (end - begin <= grain || num_threads() == 1) {
    if (end > begin) f(begin, end);
    return;
  }
  std::remove_reference_t<F>& ref = f;
  detail::parallel_for_impl(begin, end, grain, detail::RangeFn(ref));
}

}  // namespace tg
