#pragma once
// Shared by the libFuzzer targets: a small memory limit (so a declared size the checks let
// through cannot exhaust the fuzzer's RSS budget), and the outcomes a reader may have. A target
// passes when every input ends in a model or in one of tapegrad's documented errors; anything
// else (a crash, a sanitizer report, another exception) is a finding.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "core/allocator.hpp"
#include "core/error.hpp"
#include "io/file_error.hpp"

namespace tg::fuzz {

inline void setup() {
  static const bool once = [] {
    alloc::set_memory_limit(std::size_t{256} << 20);
    return true;
  }();
  (void)once;
}

// Runs body; tapegrad's own errors are expected outcomes, any other exception is a finding.
template <class F>
void run(F&& body) {
  setup();
  try {
    body();
  } catch (const io::FileError&) {
  } catch (const ShapeError&) {
  } catch (const MemoryError&) {
  } catch (const std::invalid_argument&) {  // nn's config errors
  }
}

}  // namespace tg::fuzz
