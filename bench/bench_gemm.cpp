// tapegrad's GEMM against OpenBLAS cblas_sgemm, side by side in one process, float32.
//
// For each MLP layer shape (M, K, N) -- input [M, K], weights [K, N], output [M, N] -- the three
// products a Dense layer runs, each named by the (m, k, n) of its own product op(A)[m,k] x op(B)[k,n]:
//   fwd  Y  = X · W        A·B    (m, k, n) = (M, K, N)
//   dW   dW = X^T · dY     A^T·B  (m, k, n) = (K, M, N)   (the batch M is the inner dimension)
//   dX   dX = dY · W^T     A·B^T  (m, k, n) = (M, N, K)
// plus 512^3 and 1024^3 (A·B), on each requested thread count. The two libraries' samples are
// interleaved round-robin (a sample is a 300 us idle gap, ~200 us of untimed calls, then a timed
// batch of calls lasting ~500 us); the table gives medians, GFLOP/s and the ratio
// tapegrad / OpenBLAS, plus the spread (interquartile range / median) of each.
//
// Environment. OpenBLAS reads it once, when loaded, so the program re-executes itself
// (/proc/self/exe) with two changes: OPENBLAS_CORETYPE is removed (a value such as Haswell keeps
// OpenBLAS off its AVX-512 kernels), and OPENBLAS_THREAD_TIMEOUT=18 is set unless given. Idle
// OpenBLAS workers otherwise spin (sched_yield) for 2^28 TSC cycles (0.13 s at this VM's 2.1 GHz TSC) after each call; on
// 2 cores that spinning thread holds the core tapegrad's TBB worker needs in the next sample, and
// 2-thread tapegrad ran at 1-thread speed in some samples (50-90% spread), while OpenBLAS's own
// numbers were the same with 18 or 28. 2^18 cycles (0.12 ms) still keeps OpenBLAS's threads
// spinning between the back-to-back calls of its own batch; they sleep in the gap. The gap is
// short on purpose: after ~1 ms idle this VM's second vCPU took milliseconds to run a woken
// thread again, and both libraries lost their second thread.
//
// Usage: bench_gemm [--threads 1,2] [--reps N] [--shapes mlp|square|all] [--seconds S] [--only TEXT]
//                   [--gap-us US]
#include <cblas.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/elementwise.hpp"
#include "core/gemm.hpp"
#include "core/isa.hpp"
#include "core/parallel.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

// OpenBLAS reads its environment once, at load time, so fixing it means running again.
void reexec_with_fair_openblas_env(char** argv) {
  const bool coretype = std::getenv("OPENBLAS_CORETYPE") != nullptr;
  const bool timeout = std::getenv("OPENBLAS_THREAD_TIMEOUT") != nullptr;
  if (!coretype && timeout) return;
  std::vector<char*> env;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "OPENBLAS_CORETYPE=", 18) != 0) env.push_back(*e);
  static char timeout_var[] = "OPENBLAS_THREAD_TIMEOUT=18";
  if (!timeout) env.push_back(timeout_var);
  env.push_back(nullptr);
  execve("/proc/self/exe", argv, env.data());
  std::perror("bench_gemm: execve(/proc/self/exe) failed; running with the environment as it is");
}

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string line;
  std::getline(f, line);
  return line;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

struct Options {
  std::vector<int> threads{1, 2};
  int reps = 0;  // samples per library per case; 0: as many as fit in `seconds`
  double seconds = 0.3;
  std::string shapes = "all";
  std::string only;  // run only cases whose "layer mode" contains this
  int gap_us = 300;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--threads" && v) {
      o.threads.clear();
      std::string s = v;
      for (std::size_t p = 0; p <= s.size();) {
        const std::size_t q = std::min(s.find(',', p), s.size());
        o.threads.push_back(std::atoi(s.substr(p, q - p).c_str()));
        p = q + 1;
      }
      ++i;
    } else if (a == "--reps" && v) {
      o.reps = std::atoi(v);
      ++i;
    } else if (a == "--seconds" && v) {
      o.seconds = std::atof(v);
      ++i;
    } else if (a == "--gap-us" && v) {
      o.gap_us = std::atoi(v);
      ++i;
    } else if (a == "--only" && v) {
      o.only = v;
      ++i;
    } else if (a == "--shapes" && v) {
      o.shapes = v;
      ++i;
    } else {
      std::fprintf(stderr, "usage: %s [--threads 1,2] [--reps N] [--seconds S] [--shapes mlp|square|all] [--only TEXT] [--gap-us US]\n", argv[0]);
      std::exit(2);
    }
  }
  return o;
}

struct Case {
  std::string layer;  // "(M,K,N)" of the MLP layer, or the square
  std::string mode;   // fwd / dW / dX / A·B
  bool ta, tb;
  std::int64_t m, k, n;  // the product's own sizes
};

std::vector<Case> make_cases(const std::string& which) {
  std::vector<Case> cs;
  if (which == "mlp" || which == "all") {
    const std::int64_t layers[][3] = {{32, 784, 128}, {128, 784, 128}, {128, 128, 10}, {1024, 784, 128}};
    for (const auto& l : layers) {
      const std::int64_t M = l[0], K = l[1], N = l[2];
      const std::string name = "(" + std::to_string(M) + "," + std::to_string(K) + "," + std::to_string(N) + ")";
      cs.push_back({name, "fwd A*B", false, false, M, K, N});
      cs.push_back({name, "dW A^T*B", true, false, K, M, N});
      cs.push_back({name, "dX A*B^T", false, true, M, N, K});
    }
  }
  if (which == "square" || which == "all") {
    for (std::int64_t s : {512, 1024}) cs.push_back({std::to_string(s) + "^3", "A*B", false, false, s, s, s});
  }
  return cs;
}

// 64-byte aligned, as tapegrad's tensors are (core/allocator.hpp): a malloc'd std::vector is only
// 16-byte aligned, and where it lands changed which vector loads split cache lines from run to run.
template <class T>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U>&) {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64}));
  }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t{64}); }
  bool operator==(const AlignedAllocator&) const { return true; }
};
using Matrix = std::vector<float, AlignedAllocator<float>>;

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

struct Result {
  double tg_gflops, blas_gflops, tg_spread, blas_spread;
  int samples, batch;
  double max_rel_diff;
};

Result run_case(const Case& c, const Options& o) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1, 1);
  const std::int64_t a_rows = c.ta ? c.k : c.m, a_cols = c.ta ? c.m : c.k;
  const std::int64_t b_rows = c.tb ? c.n : c.k, b_cols = c.tb ? c.k : c.n;
  Matrix A(static_cast<std::size_t>(a_rows * a_cols)), B(static_cast<std::size_t>(b_rows * b_cols));
  for (float& x : A) x = u(rng);
  for (float& x : B) x = u(rng);
  Matrix C_tg(static_cast<std::size_t>(c.m * c.n)), C_blas(C_tg.size());

  auto tg_call = [&] {
    tg::core::gemm<float>(c.ta, c.tb, c.m, c.n, c.k, A.data(), a_cols, B.data(), b_cols, C_tg.data(), c.n);
  };
  auto blas_call = [&] {
    cblas_sgemm(CblasRowMajor, c.ta ? CblasTrans : CblasNoTrans, c.tb ? CblasTrans : CblasNoTrans,
                static_cast<int>(c.m), static_cast<int>(c.n), static_cast<int>(c.k), 1.0f, A.data(),
                static_cast<int>(a_cols), B.data(), static_cast<int>(b_cols), 0.0f, C_blas.data(), static_cast<int>(c.n));
  };
  // Each sample starts after an idle gap, in which the other library's pool threads stop spinning
  // and sleep, then runs untimed calls for ~warm_s to wake this library's threads (an idle vCPU
  // takes tens of microseconds to wake): the timed calls run hot, with the second core free for
  // whichever library is being timed, as in a training loop that uses one of them.
  auto time_batch = [&o](auto& f, int batch, int warm) {
    std::this_thread::sleep_for(std::chrono::microseconds(o.gap_us));
    for (int i = 0; i < warm; ++i) f();
    const auto t0 = Clock::now();
    for (int i = 0; i < batch; ++i) f();
    return std::chrono::duration<double>(Clock::now() - t0).count() / batch;
  };

  // Warm up both (pool threads, packing buffers, caches) and estimate one call.
  for (int i = 0; i < 3; ++i) {
    tg_call();
    blas_call();
  }
  const double est = std::min(time_batch(tg_call, 5, 1), time_batch(blas_call, 5, 1));
  const int batch = static_cast<int>(std::clamp(500e-6 / est, 1.0, 20000.0));
  const int warm = static_cast<int>(std::clamp(200e-6 / est, 1.0, 20000.0));
  int samples = o.reps;
  if (samples <= 0)
    samples = static_cast<int>(
        std::clamp(o.seconds / 2 / ((batch + warm) * est + 1e-6 * o.gap_us), 21.0, 2001.0));

  std::vector<double> t_tg, t_blas;
  t_tg.reserve(static_cast<std::size_t>(samples));
  t_blas.reserve(static_cast<std::size_t>(samples));
  for (int s = 0; s < samples; ++s) {
    // Alternate which library goes first so neither always follows the other.
    if (s % 2 == 0) {
      t_tg.push_back(time_batch(tg_call, batch, warm));
      t_blas.push_back(time_batch(blas_call, batch, warm));
    } else {
      t_blas.push_back(time_batch(blas_call, batch, warm));
      t_tg.push_back(time_batch(tg_call, batch, warm));
    }
  }

  double max_rel = 0, scale = 0;
  for (float x : C_blas) scale = std::max(scale, static_cast<double>(std::fabs(x)));
  for (std::size_t i = 0; i < C_tg.size(); ++i)
    max_rel = std::max(max_rel, std::fabs(static_cast<double>(C_tg[i]) - C_blas[i]) / (scale + 1e-30));

  const double flops = 2.0 * static_cast<double>(c.m) * static_cast<double>(c.n) * static_cast<double>(c.k);
  const double tg_med = quantile(t_tg, 0.5), blas_med = quantile(t_blas, 0.5);
  // Spread as the interquartile range relative to the median.
  const double tg_spread = (quantile(t_tg, 0.75) - quantile(t_tg, 0.25)) / tg_med;
  const double blas_spread = (quantile(t_blas, 0.75) - quantile(t_blas, 0.25)) / blas_med;
  return {flops / tg_med * 1e-9, flops / blas_med * 1e-9, tg_spread, blas_spread, samples, batch, max_rel};
}

double add_one_element_ns() {
  const tg::Tensor a = tg::Tensor::full({1}, 1.5);
  const tg::Tensor b = tg::Tensor::full({1}, 2.5);
  std::vector<double> t;
  float sink = 0;
  for (int s = 0; s < 201; ++s) {
    const auto t0 = Clock::now();
    for (int i = 0; i < 1000; ++i) sink += tg::core::add(a, b).data<float>()[0];
    t.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / 1000);
  }
  if (sink != 4.0f * 201 * 1000) std::printf("(tg::add gave a wrong value)\n");
  return quantile(t, 0.5);
}

}  // namespace

int main(int argc, char** argv) {
  reexec_with_fair_openblas_env(argv);
  const Options o = parse(argc, argv);

  std::printf("CPU: %s\n", cpu_model().c_str());
  std::printf("load average at start: %s\n", load_average().c_str());
  std::printf("tapegrad ISA: %s\n", tg::isa_name(tg::active_isa()));
  std::printf("OpenBLAS: core %s; config %s\n", openblas_get_corename(), openblas_get_config());
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "OPENBLAS_", 9) == 0) std::printf("env: %s\n", *e);
  std::printf("1-element tg::add (float32 [1] + [1], new tensor): %.0f ns median\n", add_one_element_ns());
  std::printf("\nfwd: Y[M,N] = X[M,K]*W[K,N]; dW: dW[K,N] = X^T*dY; dX: dX[M,K] = dY[M,N]*W^T.\n");
  std::printf("m,k,n are the product's own sizes (op(A) is m x k); GFLOP/s = 2mnk / median time.\n");
  std::printf("spread = interquartile range / median of the per-sample times.\n\n");
  std::printf("%-16s %-9s %5s %5s %5s %3s %9s %9s %6s %7s %7s %6s\n", "layer (M,K,N)", "mode", "m", "k", "n", "thr",
              "tg GF/s", "BLAS GF/s", "tg/BL", "tg sprd", "BL sprd", "reps");
  for (int th : o.threads) {
    tg::set_num_threads(th);
    openblas_set_num_threads(th);
    for (const Case& c : make_cases(o.shapes)) {
      if (!o.only.empty() && (c.layer + " " + c.mode).find(o.only) == std::string::npos) continue;
      const Result r = run_case(c, o);
      std::printf("%-16s %-9s %5lld %5lld %5lld %3d %9.1f %9.1f %6.2f %6.1f%% %6.1f%% %6d%s\n", c.layer.c_str(),
                  c.mode.c_str(), static_cast<long long>(c.m), static_cast<long long>(c.k),
                  static_cast<long long>(c.n), th, r.tg_gflops, r.blas_gflops, r.tg_gflops / r.blas_gflops,
                  100 * r.tg_spread, 100 * r.blas_spread, r.samples * r.batch,
                  r.max_rel_diff > 1e-4 ? "  RESULTS DIFFER" : "");
      std::fflush(stdout);
    }
  }
  std::printf("load average at end: %s\n", load_average().c_str());
  return 0;
}
