#include "core/isa.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <xsimd/xsimd.hpp>

#include "core/error.hpp"

namespace tg {
namespace {

bool cpu_has(Isa isa) {
  const auto a = xsimd::available_architectures();
  switch (isa) {
    case Isa::sse42: return a.sse4_2;
    case Isa::avx2: return a.fma3_avx2;
    case Isa::avx512: return a.avx512bw && a.avx512dq && a.avx512cd && a.avx512f;
  }
  return false;
}

Isa best_isa() {
  if (cpu_has(Isa::avx512)) return Isa::avx512;
  if (cpu_has(Isa::avx2)) return Isa::avx2;
  return Isa::sse42;
}

Isa initial_isa() {
  const Isa best = best_isa();
  const char* env = std::getenv("TAPEGRAD_ISA");
  if (!env || !*env) return best;
  const Isa want = parse_isa(env);
  if (!cpu_has(want)) fail("TAPEGRAD_ISA=", env, ": this CPU does not support it");
  return want;
}

std::atomic<int>& current() {
  static std::atomic<int> isa{static_cast<int>(initial_isa())};
  return isa;
}

}  // namespace

Isa active_isa() { return static_cast<Isa>(current().load(std::memory_order_relaxed)); }

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::sse42: return "sse4.2";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
  }
  return "?";
}

std::vector<Isa> available_isas() {
  std::vector<Isa> out;
  for (Isa i : {Isa::sse42, Isa::avx2, Isa::avx512})
    if (cpu_has(i)) out.push_back(i);
  return out;
}

void set_isa(Isa isa) {
  if (!cpu_has(isa)) fail("set_isa: this CPU does not support ", isa_name(isa));
  current().store(static_cast<int>(isa), std::memory_order_relaxed);
}

Isa parse_isa(const char* name) {
  if (!std::strcmp(name, "sse4.2") || !std::strcmp(name, "sse42")) return Isa::sse42;
  if (!std::strcmp(name, "avx2")) return Isa::avx2;
  if (!std::strcmp(name, "avx512")) return Isa::avx512;
  fail("ISA '", name, "' is unknown; expected sse4.2, avx2 or avx512");
}

}  // namespace tg
