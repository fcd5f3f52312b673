// What enable_check_numerics costs (issue 13): the same work with the checks off and on,
// samples interleaved, medians and the on/off ratio.
//
// (a) One training step (train_on_batch) of the seed model, Flatten, Dense(128, relu),
//     Dense(10, softmax), sparse cross-entropy, Adam, on a fixed random batch of B 28x28 images.
// (b) A chain of K one-element float32 ops (mul, add, tanh, exp repeating) with its gradient:
//     the per-op cost, where the checks' fixed part (the record of how each value was made) shows.
//
//   bench_check_numerics [--threads N] [--samples S] [--batch B] [--k K] [--mode both|off|on]
// --mode off|on runs only one side, for instruction counts under valgrind --tool=callgrind.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace {

double seconds(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, samples = 41;
  std::int64_t batch = 32, k = 1000;
  std::string mode = "both";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--threads") threads = std::atoi(v.c_str());
    else if (a == "--samples") samples = std::atoi(v.c_str());
    else if (a == "--batch") batch = std::atoll(v.c_str());
    else if (a == "--k") k = std::atoll(v.c_str());
    else if (a == "--mode") mode = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  tg::set_num_threads(threads);
  using namespace tg;
  nn::set_random_seed(1);
  nn::Sequential model({nn::Flatten(), nn::Dense(128, "relu"), nn::Dense(10, "softmax")});
  model.build(Shape{28, 28});
  model.compile("adam", "sparse_categorical_crossentropy");
  Generator gen(3);
  const Tensor x = Tensor::uniform({batch, 28, 28}, 0, 1, gen);
  std::vector<double> labels;
  for (std::int64_t i = 0; i < batch; ++i) labels.push_back(static_cast<double>(i % 10));
  const Tensor y = Tensor::from_vector(labels, Shape{batch}).to(DType::int64);
  const Tensor one = Tensor::scalar(0.5f);

  auto step = [&] { model.train_on_batch(x, y); };
  auto chain = [&] {
    GradientTape tape;
    tape.watch(one);
    Tensor t = one;
    for (std::int64_t i = 0; i < k; ++i) {
      switch (i % 4) {
        case 0: t = mul(t, scalar_like(t, 0.999)); break;
        case 1: t = add(t, scalar_like(t, 0.001)); break;
        case 2: t = tanh(t); break;
        default: t = exp(sub(t, scalar_like(t, 0.5))); break;
      }
    }
    (void)tape.gradient(t, one);
  };
  auto run = [&](bool on, const std::function<void()>& f) {
    if (on) enable_check_numerics();
    else disable_check_numerics();
    const double s = seconds(f);
    disable_check_numerics();
    return s;
  };
  if (mode == "off" || mode == "on") {  // one side only (for callgrind): a few repetitions
    for (int i = 0; i < samples; ++i) run(mode == "on", step), run(mode == "on", chain);
    return 0;
  }
  std::printf("threads %d, batch %lld, chain of %lld ops, %d samples each, isa %s\n", threads,
              static_cast<long long>(batch), static_cast<long long>(k), samples, isa_name(active_isa()));
  for (const auto& [name, f] : std::vector<std::pair<std::string, std::function<void()>>>{{"train step", step}, {"op chain", chain}}) {
    for (int w = 0; w < 3; ++w) run(false, f), run(true, f);  // warm-up
    std::vector<double> off, on;
    for (int i = 0; i < samples; ++i) off.push_back(run(false, f)), on.push_back(run(true, f));
    std::printf("%-11s off %9.1f us   on %9.1f us   on/off %.2f\n", name.c_str(), median(off) * 1e6, median(on) * 1e6,
                median(on) / median(off));
  }
  return 0;
}
