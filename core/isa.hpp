#pragma once
/// \file
/// Runtime choice of the SIMD instruction set. Kernels are compiled for SSE4.2, AVX2+FMA and
/// AVX-512 in one build; the best one the CPU has is used unless TAPEGRAD_ISA=sse4.2|avx2|avx512
/// (read once, at first use) or set_isa() asks for a lower one.
#include <vector>

namespace tg {

enum class Isa { sse42 = 0, avx2 = 1, avx512 = 2 };

/// The instruction set kernels run with now.
Isa active_isa();
/// "sse4.2", "avx2" or "avx512".
const char* isa_name(Isa isa);
/// The instruction sets this CPU can run, lowest first.
std::vector<Isa> available_isas();
/// Switches kernels to `isa`; throws std::invalid_argument if the CPU lacks it.
void set_isa(Isa isa);
/// Parses "sse4.2", "avx2" or "avx512"; throws std::invalid_argument otherwise.
Isa parse_isa(const char* name);

}  // namespace tg
