// The ops a custom loop reaches for (issue 8), tapegrad vs LibTorch in the same process: each row
// times one forward with recording plus its backward, float32, on shapes of a small transformer
// block. Samples alternate between the frameworks; cells are median (p10–p90) in microseconds and
// the ratio of medians (tapegrad / LibTorch). Start it from bench/run.sh's environment, or pass
// the environment bench_tape_torch.cpp sets (OPENBLAS_NUM_THREADS=1) yourself.
//
//   bench_ops_torch [--threads N] [--samples S]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace {

using clk = std::chrono::steady_clock;

struct Stats {
  double median, p10, p90;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto q = [&](double p) { return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5)]; };
  return {q(0.5), q(0.1), q(0.9)};
}

void compare(const char* what, int samples, const std::function<void()>& fa, const std::function<void()>& fb) {
  std::vector<double> a, b;
  auto time_one = [](const std::function<void()>& f) {
    const auto t0 = clk::now();
    f();
    return std::chrono::duration<double, std::micro>(clk::now() - t0).count();
  };
  for (int i = 0; i < 3; ++i) time_one(fa), time_one(fb);  // warm-up: caches, allocator pools
  for (int s = 0; s < samples; ++s) {
    a.push_back(time_one(fa));
    b.push_back(time_one(fb));
  }
  const Stats x = stats(a), y = stats(b);
  std::printf("| %-40s | %8.1f (%.1f–%.1f) | %8.1f (%.1f–%.1f) | %5.2f |\n", what, x.median, x.p10, x.p90, y.median,
              y.p10, y.p90, x.median / y.median);
}

tg::Tensor tg_rand(const tg::Shape& s, tg::Generator& g) { return tg::Tensor::uniform(s, -1, 1, g); }

// One forward under a tape and the gradient of sum(f(x)) with respect to x.
void tg_step(const tg::Tensor& x, const std::function<tg::Tensor(const tg::Tensor&)>& f) {
  tg::GradientTape tape;
  tape.watch(x);
  const tg::Tensor g = tape.gradient(tg::sum(f(x)), x);
  if (!g.defined()) std::abort();
}

void torch_step(const torch::Tensor& x, const std::function<torch::Tensor(const torch::Tensor&)>& f) {
  f(x).sum().backward();
  x.mutable_grad().reset();
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, samples = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--samples") == 0) samples = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--threads N] [--samples S]\n", argv[0]);
      return 2;
    }
  }
  tg::set_num_threads(threads);
  at::set_num_threads(threads);
  std::printf("tapegrad ISA %s; threads %d (tapegrad) / %d (LibTorch %s); %d samples per row\n\n",
              tg::isa_name(tg::active_isa()), tg::num_threads(), at::get_num_threads(), TORCH_VERSION, samples);
  std::printf("| %-40s | %-22s | %-22s | ratio |\n|---|---|---|---|\n", "forward + backward, float32 (us)", "tapegrad",
              "LibTorch");

  tg::Generator gen(0);
  const std::int64_t B = 32, T = 64, D = 128;  // batch, sequence, width
  const tg::Tensor x = tg_rand({B, T, D}, gen);
  const tg::Tensor k = tg_rand({B, T, D}, gen);
  torch::Tensor px =
      torch::from_blob(const_cast<float*>(x.data<float>()), {B, T, D}).clone().requires_grad_(true);
  torch::Tensor pk = torch::from_blob(const_cast<float*>(k.data<float>()), {B, T, D}).clone();

  auto tg_row = [&](const char* what, const std::function<tg::Tensor(const tg::Tensor&)>& f,
                    const std::function<torch::Tensor(const torch::Tensor&)>& pf) {
    compare(what, samples, [&] { tg_step(x, f); }, [&] { torch_step(px, pf); });
  };
  tg_row("matmul [32,64,128] x [32,64,128]^T", [&](const tg::Tensor& t) { return tg::matmul(t, k, false, true); },
         [&](const torch::Tensor& t) { return torch::matmul(t, pk.transpose(-1, -2)); });
  const tg::Tensor w = tg_rand({D, D}, gen);
  torch::Tensor pw = torch::from_blob(const_cast<float*>(w.data<float>()), {D, D}).clone();
  tg_row("matmul [32,64,128] x [128,128]", [&](const tg::Tensor& t) { return tg::matmul(t, w); },
         [&](const torch::Tensor& t) { return torch::matmul(t, pw); });
  tg_row("gelu [32,64,128]", [](const tg::Tensor& t) { return tg::gelu(t); },
         [](const torch::Tensor& t) { return torch::gelu(t); });
  tg_row("silu [32,64,128]", [](const tg::Tensor& t) { return tg::silu(t); },
         [](const torch::Tensor& t) { return torch::silu(t); });
  tg_row("logsumexp [32,64,128] axis -1", [](const tg::Tensor& t) { return tg::logsumexp(t, {-1}); },
         [](const torch::Tensor& t) { return torch::logsumexp(t, {-1}); });
  tg_row("var [32,64,128] axis -1", [](const tg::Tensor& t) { return tg::var(t, {-1}); },
         [](const torch::Tensor& t) { return torch::var(t, {-1}, false); });
  std::vector<std::int64_t> picks;
  for (std::int64_t i = 0; i < T; i += 2) picks.push_back((i * 7) % T);
  const tg::Tensor idx = tg::Tensor::from_vector(picks, {static_cast<std::int64_t>(picks.size())});
  const torch::Tensor pidx = torch::tensor(picks);
  tg_row("gather axis 1 (32 of 64)", [&](const tg::Tensor& t) { return tg::gather(t, idx, 1); },
         [&](const torch::Tensor& t) { return t.index_select(1, pidx); });
  tg_row(
      "x[:, ::2, 1:-1]",
      [](const tg::Tensor& t) {
        using namespace tg::indexing;
        return t.index({Slice(), Slice(None, None, 2), Slice(1, -1)});
      },
      [](const torch::Tensor& t) {
        using namespace torch::indexing;
        return t.index({Slice(), Slice(None, None, 2), Slice(1, -1)});
      });
  tg_row("where(x > 0, x, 0.1 x)", [](const tg::Tensor& t) { return tg::where(tg::greater(t, 0.0), t, t * 0.1); },
         [](const torch::Tensor& t) { return torch::where(t > 0, t, t * 0.1); });
  return 0;
}
