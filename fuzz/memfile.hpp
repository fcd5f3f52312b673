#pragma once
// The IDX and tensor-file readers take a path: the input goes into an in-memory file (memfd)
// reached through /proc/self/fd, so a fuzzing run touches no disk.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace tg::fuzz {

inline std::string memfile(const std::uint8_t* data, std::size_t size) {
  static const int fd = memfd_create("tapegrad-fuzz", 0);
  if (fd < 0 || ftruncate(fd, 0) != 0) __builtin_trap();
  for (std::size_t done = 0; done < size;) {
    const ssize_t w = pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (w <= 0) __builtin_trap();
    done += static_cast<std::size_t>(w);
  }
  return "/proc/self/fd/" + std::to_string(fd);
}

}  // namespace tg::fuzz
