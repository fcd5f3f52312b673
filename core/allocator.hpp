#pragma once
// Caching allocator for tensor storage. Blocks are 64-byte aligned and rounded up to a size class;
// a freed block goes back to its class's free list instead of the system, so a training step in
// steady state allocates nothing from the OS and takes no page faults (glibc would hand large
// buffers back with munmap and fault them in again on the next step).
#include <cstddef>
#include <cstdint>

namespace tg::alloc {

inline constexpr std::size_t alignment = 64;

// Returns a block of at least `bytes` bytes (never null; throws std::bad_alloc).
void* allocate(std::size_t bytes);
// Returns a block obtained from allocate(bytes) with the same `bytes`.
void deallocate(void* p, std::size_t bytes) noexcept;

// The largest single tensor tapegrad will allocate, in bytes. Shapes come from files: a model
// file declaring a (3e8, 784) kernel must fail with a message naming it, not drive the machine
// into swap or the OOM killer. Default: the machine's physical memory.
std::size_t memory_limit();
// Sets the limit (0 restores the default); returns the previous value.
std::size_t set_memory_limit(std::size_t bytes);

struct Stats {
  std::uint64_t system_allocations;  // blocks taken from the system since start
  std::uint64_t cache_hits;          // allocations served from a free list
  std::size_t cached_bytes;          // bytes held in free lists now
};
Stats stats();
// Returns every cached block to the system.
void release_cached();

}  // namespace tg::alloc
