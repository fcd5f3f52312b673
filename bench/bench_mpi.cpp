// Data-parallel benchmarks (issue 12), run under mpirun by bench/run.sh mpi:
//   bench_mpi throughput [--batches 32,128,1024] [--samples 16384] [--epochs 4]
//       the seed model (Flatten, Dense(128, relu), Dense(10, softmax), Adam) on synthetic 28x28
//       inputs through fit; samples per second of the steady epochs (the first is warm-up), per
//       per-rank batch. Run once with -np 1 and once with -np 2 (one thread per rank) and compare.
//   bench_mpi allreduce [--min 4] [--max 67108864] [--seconds 0.2]
//       median time of an in-place float32 MPI_Allreduce (tg::distributed::allreduce's path) for
//       messages of 4 B to 64 MiB, and alpha, beta of the least-squares fit t = a + b * bytes,
//       which for a ring on p ranks is t = 2(p-1) alpha + 2(p-1)/p * bytes * beta
//       (bench/README.md, bench/allreduce_model.py).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace {

using namespace tg;
namespace dist = tg::distributed;
using Clock = std::chrono::steady_clock;

std::vector<long long> list_arg(int argc, char** argv, const std::string& name, std::vector<long long> fallback) {
  for (int i = 2; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) {
      fallback.clear();
      std::stringstream ss(argv[i + 1]);
      for (std::string item; std::getline(ss, item, ',');) fallback.push_back(std::stoll(item));
    }
  return fallback;
}
double num_arg(int argc, char** argv, const std::string& name, double fallback) {
  for (int i = 2; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) return std::stod(argv[i + 1]);
  return fallback;
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Each epoch timed by a callback; the first is warm-up.
struct EpochTimer : nn::Callback {
  std::vector<double> seconds;
  Clock::time_point start;
  void on_epoch_begin(int, const nn::Logs&) override { dist::barrier(), start = Clock::now(); }
  void on_epoch_end(int, const nn::Logs&) override {
    dist::barrier();
    seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
};

int throughput(dist::Environment& env, int argc, char** argv) {
  const auto batches = list_arg(argc, argv, "batches", {32, 128, 1024});
  const auto samples = static_cast<std::int64_t>(num_arg(argc, argv, "samples", 16384));
  const int epochs = static_cast<int>(num_arg(argc, argv, "epochs", 4));
  Generator g(1);
  const Tensor x = Tensor::uniform(Shape{samples, 28, 28}, 0, 1, g);
  Tensor y(Shape{samples});
  for (std::int64_t i = 0; i < samples; ++i) y.data<float>()[i] = static_cast<float>(g.next_below(10));
  if (env.rank() == 0)
    std::printf("# throughput: seed model, %d rank(s), %d thread(s) per rank, isa %s, %lld samples, %d epochs (first is warm-up)\n",
                env.size(), num_threads(), isa_name(active_isa()), static_cast<long long>(samples), epochs);
  for (long long b : batches) {
    nn::set_random_seed(1);
    nn::Sequential model({nn::Flatten(), nn::Dense(128, "relu"), nn::Dense(10, "softmax")});
    model.build(Shape{28, 28});
    model.compile(std::make_shared<nn::Adam>(), std::make_shared<nn::SparseCategoricalCrossentropy>());
    auto timer = std::make_shared<EpochTimer>();
    nn::FitOptions fo;
    fo.epochs = epochs, fo.batch_size = b, fo.verbose = 0, fo.callbacks = {timer};
    model.fit(x, y, fo);
    std::vector<double> steady(timer->seconds.begin() + std::min<std::size_t>(1, timer->seconds.size()), timer->seconds.end());
    const double med = median(steady), lo = *std::min_element(steady.begin(), steady.end()),
                 hi = *std::max_element(steady.begin(), steady.end());
    if (env.rank() == 0)
      std::printf("ranks %d  per-rank batch %5lld  global batch %5lld  %9.0f samples/s (median epoch %.3f s, range %.3f-%.3f s)\n",
                  env.size(), b, b * env.size(), static_cast<double>(samples) / med, med, lo, hi);
  }
  return 0;
}

int allreduce_latency(dist::Environment& env, int argc, char** argv) {
  const auto lo = static_cast<std::int64_t>(num_arg(argc, argv, "min", 4)), hi = static_cast<std::int64_t>(num_arg(argc, argv, "max", 64 << 20));
  const double budget = num_arg(argc, argv, "seconds", 0.2);
  if (env.rank() == 0) std::printf("# allreduce: float32 sum in place, %d ranks, fusion buffer %lld B\n", env.size(),
                                   static_cast<long long>(env.fusion_bytes()));
  std::vector<double> xs, ts;
  for (std::int64_t bytes = lo; bytes <= hi; bytes *= 2) {
    const Tensor t = Tensor::ones(Shape{std::max<std::int64_t>(1, bytes / 4)});
    dist::allreduce({t}, false);  // warm-up
    std::vector<double> samples;
    const auto until = Clock::now() + std::chrono::duration<double>(budget);
    for (int go = 1; go;) {
      env.barrier();
      const auto s = Clock::now();
      dist::allreduce({t}, false);
      samples.push_back(std::chrono::duration<double>(Clock::now() - s).count());
      std::vector<double> more{Clock::now() < until && samples.size() < 10000 ? 1.0 : 0.0};
      env.sum(more);  // every rank stops at the same sample
      go = more[0] == env.size() || samples.size() < 5;
    }
    const double med = median(samples);
    xs.push_back(static_cast<double>(bytes)), ts.push_back(med);
    if (env.rank() == 0)
      std::printf("%10lld B  median %10.2f us  %8.3f GB/s algorithmic  (%zu samples)\n", static_cast<long long>(bytes), med * 1e6,
                  static_cast<double>(bytes) / med / 1e9, samples.size());
  }
  // Least squares t = a + b * bytes on relative errors (weights 1/t^2): sizes span 7 decades, and
  // plain least squares would let the 64 MiB point alone decide the latency.
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double w = 1 / (ts[i] * ts[i]);
    sw += w, sx += w * xs[i], sy += w * ts[i], sxx += w * xs[i] * xs[i], sxy += w * xs[i] * ts[i];
  }
  const double b = (sw * sxy - sx * sy) / (sw * sxx - sx * sx), a = (sy - b * sx) / sw;
  const int p = env.size();
  if (env.rank() == 0 && p > 1)
    std::printf("fit: t = %.3g s + %.3g s/B * bytes; ring model on p = %d: alpha = %.3g s, beta = %.3g s/B (%.2f GB/s)\n", a, b, p,
                a / (2.0 * (p - 1)), b * p / (2.0 * (p - 1)), 2.0 * (p - 1) / (b * p) / 1e9);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dist::Environment env;
  const std::string what = argc > 1 ? argv[1] : "";
  return env.run([&] {
    if (what == "throughput") return throughput(env, argc, argv);
    if (what == "allreduce") return allreduce_latency(env, argc, argv);
    if (env.rank() == 0) std::cerr << "usage: mpirun -np N bench_mpi throughput|allreduce [options] (see the file comment)\n";
    return 2;
  });
}
