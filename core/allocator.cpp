#include "core/allocator.hpp"

#include <array>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include <unistd.h>

namespace tg::alloc {
namespace {

// Size classes: 64 B, then four classes per power of two (at most 25% slack).
constexpr int num_classes = 4 * 40;

int size_class(std::size_t bytes) {
  if (bytes <= 64) return 0;
  const int log2 = 63 - __builtin_clzll(static_cast<unsigned long long>(bytes - 1));  // bytes-1 < 2^(log2+1)
  const std::size_t base = std::size_t{1} << log2;
  const int quarter = static_cast<int>((bytes - 1 - base) / (base / 4));  // 0..3
  return (log2 - 5) * 4 + quarter;
}

std::size_t class_bytes(int cls) {
  if (cls == 0) return 64;
  const int log2 = cls / 4 + 5, quarter = cls % 4;
  const std::size_t base = std::size_t{1} << log2;
  return base + (base / 4) * static_cast<std::size_t>(quarter + 1);
}

struct Cache {
  std::mutex mu;
  std::array<std::vector<void*>, num_classes> free;
  std::size_t cached = 0;
  std::atomic<std::uint64_t> system{0}, hits{0};
  ~Cache() {
    for (auto& list : free)
      for (void* p : list) std::free(p);
  }
};

Cache& cache() {
  static Cache* c = new Cache;  // leaked on purpose: tensors may outlive static destruction
  return *c;
}

}  // namespace

namespace {
std::size_t physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return std::size_t{1} << 40;
  return static_cast<std::size_t>(pages) * static_cast<std::size_t>(page);
}
std::atomic<std::size_t> limit_bytes{0};
}  // namespace

std::size_t memory_limit() {
  const std::size_t l = limit_bytes.load(std::memory_order_relaxed);
  if (l != 0) return l;
  static const std::size_t physical = physical_memory();
  return physical;
}

std::size_t set_memory_limit(std::size_t bytes) {
  const std::size_t old = memory_limit();
  limit_bytes.store(bytes, std::memory_order_relaxed);
  return old;
}

void* allocate(std::size_t bytes) {
  const int cls = size_class(bytes == 0 ? 1 : bytes);
  if (cls >= num_classes) throw std::bad_alloc();
  Cache& c = cache();
  const std::size_t size = class_bytes(cls);
  {
    std::lock_guard lock(c.mu);
    auto& list = c.free[static_cast<std::size_t>(cls)];
    if (!list.empty()) {
      void* p = list.back();
      list.pop_back();
      c.cached -= size;
      c.hits.fetch_add(1, std::memory_order_relaxed);
      return p;
    }
  }
  // aligned_alloc requires a size that is a multiple of the alignment (C11; ASan enforces it).
  void* p = std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
  if (!p) throw std::bad_alloc();
  c.system.fetch_add(1, std::memory_order_relaxed);
  return p;
}

void deallocate(void* p, std::size_t bytes) noexcept {
  if (!p) return;
  const int cls = size_class(bytes == 0 ? 1 : bytes);
  Cache& c = cache();
  std::lock_guard lock(c.mu);
  try {
    c.free[static_cast<std::size_t>(cls)].push_back(p);
    c.cached += class_bytes(cls);
  } catch (...) {
    std::free(p);
  }
}

Stats stats() {
  Cache& c = cache();
  std::lock_guard lock(c.mu);
  return {c.system.load(), c.hits.load(), c.cached};
}

void release_cached() {
  Cache& c = cache();
  std::lock_guard lock(c.mu);
  for (auto& list : c.free) {
    for (void* p : list) std::free(p);
    list.clear();
  }
  c.cached = 0;
}

}  // namespace tg::alloc
