#pragma once
// Element types. float32 is the default for computation; int32/int64 hold labels and indices.
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>

namespace tg {

enum class DType : std::uint8_t { float32, float64, int32, int64 };

inline constexpr std::size_t dtype_size(DType t) {
  return (t == DType::float32 || t == DType::int32) ? 4 : 8;
}
inline constexpr bool is_floating(DType t) { return t == DType::float32 || t == DType::float64; }
inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::float32: return "float32";
    case DType::float64: return "float64";
    case DType::int32: return "int32";
    case DType::int64: return "int64";
  }
  return "?";
}

inline std::ostream& operator<<(std::ostream& os, DType t) { return os << dtype_name(t); }

template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::float64; };
template <> struct dtype_of<std::int32_t> { static constexpr DType value = DType::int32; };
template <> struct dtype_of<std::int64_t> { static constexpr DType value = DType::int64; };

// Calls f(T{}) with T the C++ type of dt.
template <class F>
decltype(auto) visit_dtype(DType dt, F&& f) {
  switch (dt) {
    case DType::float32: return f(float{});
    case DType::float64: return f(double{});
    case DType::int32: return f(std::int32_t{});
    case DType::int64: break;
  }
  return f(std::int64_t{});
}

}  // namespace tg
