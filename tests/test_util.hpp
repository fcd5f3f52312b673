#pragma once
// Helpers shared by the test suites.
#include <boost/test/unit_test.hpp>
#include <sys/wait.h>

#include <array>
#include <cstdio>

#include <cmath>
#include <functional>
#include <string>

#include "core/elementwise.hpp"
#include "core/reduce.hpp"
#include "core/softmax.hpp"
#include "core/transform.hpp"
#include "tapegrad.hpp"

namespace tg::test {

/// The tapegrad CLI's exit status and its stdout and stderr together.
struct CliRun {
  int status;
  std::string out;
};

#ifdef TG_CLI
/// Runs `tapegrad ARGS` (the built CLI) through the shell.
inline CliRun run_cli(const std::string& args) {
  FILE* p = popen((std::string(TG_CLI) + " " + args + " 2>&1").c_str(), "r");
  BOOST_REQUIRE(p);
  std::string out;
  std::array<char, 4096> buf;
  while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}
#endif

// Runs body once per ISA this CPU has, restoring the ISA afterwards.
inline void for_each_isa(const std::function<void(Isa)>& body) {
  const Isa saved = active_isa();
  for (Isa isa : available_isas()) {
    set_isa(isa);
    BOOST_TEST_CONTEXT("isa " << isa_name(isa)) { body(isa); }
  }
  set_isa(saved);
}

inline Tensor random_tensor(const Shape& s, Generator& g, DType dt = DType::float32, double lo = -2, double hi = 2) {
  return Tensor::uniform(s, lo, hi, g, dt == DType::float64 ? DType::float64 : DType::float32).to(dt);
}

// True when a and b agree elementwise within atol + rtol*|b|, NaN matching NaN.
inline bool close(double a, double b, double rtol, double atol) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}

inline void check_close(const Tensor& got, const std::vector<double>& want, double rtol, double atol,
                        const std::string& what = "") {
  BOOST_TEST_CONTEXT(what) {
    BOOST_REQUIRE_EQUAL(got.numel(), static_cast<std::int64_t>(want.size()));
    const auto g = got.to_vector<double>();
    int bad = 0;
    for (std::size_t i = 0; i < want.size() && bad < 5; ++i)
      if (!close(g[i], want[i], rtol, atol)) {
        ++bad;
        BOOST_ERROR("element " << i << ": got " << g[i] << ", want " << want[i]);
      }
  }
}

// Expects `fn` to throw E whose message contains every one of `parts`.
template <class E = std::invalid_argument, class F>
void check_throws_with(F&& fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    BOOST_ERROR("no exception thrown");
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) BOOST_TEST(msg.find(p) != std::string::npos, "message '" << msg << "' lacks '" << p << "'");
  }
}

inline std::string scratch_dir() {
  const char* env = std::getenv("TAPEGRAD_TEST_TMP");
  return env ? env : "/tmp/tapegrad-test";
}

}  // namespace tg::test
