// Autograd overhead, tapegrad vs LibTorch in the same process (bench/README.md).
//
// (a) A chain of K one-element float32 ops (mul, add, tanh, exp repeating), x -> y, then the
//     gradient dy/dx: tapegrad's GradientTape + gradient() against LibTorch's requires_grad +
//     backward(). Reported: ns per op = (forward with recording + backward) / K, i.e. one op's
//     forward, its record and its backward rule together. Also the forward alone with no tape vs
//     under torch::NoGradGuard (ns per op = forward / K).
// (b) One training step of a 784-128-10 MLP (relu, softmax/sparse cross-entropy, Adam lr 1e-3
//     eps 1e-7) on a fixed random batch: tapegrad's train_on_batch and a hand-written tape step
//     against torch::nn::Linear + cross_entropy + torch::optim::Adam.
//
// Samples of the two frameworks alternate, so machine noise hits both alike; we report the median
// and p10/p90 of the samples, and the ratio of medians (tapegrad / LibTorch).
//
//   bench_tape_torch [--threads N] [--samples S] [--k K] [--batch B]
#include <dlfcn.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "tapegrad.hpp"

extern char** environ;

namespace {

constexpr const char* kBig = "1073741824";

bool env_is(const char* name, const char* want) {
  const char* v = std::getenv(name);
  return want ? (v && std::strcmp(v, want) == 0) : v == nullptr;
}

// LibTorch's best environment on this machine (see bench_train_torch.cpp): one OpenBLAS thread
// (LibTorch parallelises itself), OpenBLAS' own core detection, and no mmap/trim churn in glibc's
// malloc. These are read when the libraries load, so the program re-execs itself with them.
void ensure_environment(char** argv) {
  if (env_is("OPENBLAS_NUM_THREADS", "1") && env_is("OPENBLAS_CORETYPE", nullptr) &&
      env_is("MALLOC_MMAP_THRESHOLD_", kBig) && env_is("MALLOC_TRIM_THRESHOLD_", kBig))
    return;
  if (std::getenv("TG_BENCH_REEXECED")) {
    std::fprintf(stderr, "bench_tape_torch: environment still differs after re-exec; going on\n");
    return;
  }
  setenv("OPENBLAS_NUM_THREADS", "1", 1);
  unsetenv("OPENBLAS_CORETYPE");
  setenv("MALLOC_MMAP_THRESHOLD_", kBig, 1);
  setenv("MALLOC_TRIM_THRESHOLD_", kBig, 1);
  setenv("TG_BENCH_REEXECED", "1", 1);
  execve("/proc/self/exe", argv, environ);
  std::perror("bench_tape_torch: execve /proc/self/exe");  // only on failure
}

const char* env_or_unset(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "(unset)";
}

// The OpenBLAS kernel set LibTorch's BLAS runs, if OpenBLAS is the loaded BLAS.
std::string openblas_core() {
  using Fn = char* (*)();
  void* sym = dlsym(RTLD_DEFAULT, "openblas_get_corename");
  if (!sym) return "(no OpenBLAS loaded)";
  return reinterpret_cast<Fn>(sym)();
}

using clk = std::chrono::steady_clock;

struct Stats {
  double median, p10, p90;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto q = [&](double p) { return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5)]; };
  return {q(0.5), q(0.1), q(0.9)};
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

// Runs `fa` and `fb` alternately, `samples` times each; each sample times `reps` calls and
// returns the time of one call divided by `per` (ns).
std::pair<Stats, Stats> compare(int samples, int reps, double per, const std::function<void()>& fa,
                                const std::function<void()>& fb) {
  std::vector<double> a, b;
  auto time_one = [&](const std::function<void()>& f) {
    const auto t0 = clk::now();
    for (int r = 0; r < reps; ++r) f();
    return std::chrono::duration<double, std::nano>(clk::now() - t0).count() / reps / per;
  };
  for (int i = 0; i < 3; ++i) time_one(fa), time_one(fb);  // warm-up: caches, allocator pools
  for (int s = 0; s < samples; ++s) {
    a.push_back(time_one(fa));
    b.push_back(time_one(fb));
  }
  return {stats(a), stats(b)};
}

void row(const char* what, const char* unit, const std::pair<Stats, Stats>& r) {
  std::printf("| %-34s | %9.1f (%.1f–%.1f) | %9.1f (%.1f–%.1f) | %5.2f |\n", what, r.first.median, r.first.p10,
              r.first.p90, r.second.median, r.second.p10, r.second.p90, r.first.median / r.second.median);
  (void)unit;
}

volatile float g_sink = 0;

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, samples = 200, K = 64, batch = 32;
  bool keep_env = false;
  for (int i = 1; i < argc; i += 2) {
    if (std::strcmp(argv[i], "--keep-env") == 0) {
      keep_env = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", argv[i]);
      return 2;
    }
    const std::string a = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (a == "--threads") threads = v;
    else if (a == "--samples") samples = v;
    else if (a == "--k") K = v;
    else if (a == "--batch") batch = v;
    else {
      std::fprintf(stderr, "usage: %s [--threads N] [--samples S] [--k K] [--batch B] [--keep-env]\n", argv[0]);
      return 2;
    }
  }
  if (!keep_env) ensure_environment(argv);
  tg::set_num_threads(threads);
  at::set_num_threads(threads);
  torch::manual_seed(0);

  std::printf("CPU: %s; tapegrad ISA %s; threads %d (tapegrad) / %d (LibTorch %s)\n", cpu_model().c_str(),
              tg::isa_name(tg::active_isa()), tg::num_threads(), at::get_num_threads(), TORCH_VERSION);
  std::printf("env: OPENBLAS_NUM_THREADS=%s OPENBLAS_CORETYPE=%s MALLOC_MMAP_THRESHOLD_=%s MALLOC_TRIM_THRESHOLD_=%s; "
              "OpenBLAS core %s\n",
              env_or_unset("OPENBLAS_NUM_THREADS"), env_or_unset("OPENBLAS_CORETYPE"),
              env_or_unset("MALLOC_MMAP_THRESHOLD_"), env_or_unset("MALLOC_TRIM_THRESHOLD_"), openblas_core().c_str());
  std::printf("Samples per row: %d, alternating tapegrad / LibTorch. Cells: median (p10–p90).\n\n", samples);

  // ---- (a) one-element chain ----
  const float c_mul = 0.9f, c_add = 0.1f;
  tg::Tensor tx = tg::Tensor::full({1}, 0.5), tcm = tg::Tensor::full({1}, c_mul), tca = tg::Tensor::full({1}, c_add);
  auto tg_chain = [&](const tg::Tensor& x) {
    tg::Tensor y = x;
    for (int i = 0; i < K; ++i) {
      switch (i % 4) {
        case 0: y = tg::mul(y, tcm); break;
        case 1: y = tg::add(y, tca); break;
        case 2: y = tg::tanh(y); break;
        default: y = tg::exp(y); break;
      }
    }
    return y;
  };
  torch::Tensor px = torch::full({1}, 0.5f, torch::requires_grad()), pcm = torch::full({1}, c_mul),
                pca = torch::full({1}, c_add);
  auto torch_chain = [&](const torch::Tensor& x) {
    torch::Tensor y = x;
    for (int i = 0; i < K; ++i) {
      switch (i % 4) {
        case 0: y = torch::mul(y, pcm); break;
        case 1: y = torch::add(y, pca); break;
        case 2: y = torch::tanh(y); break;
        default: y = torch::exp(y); break;
      }
    }
    return y;
  };

  // Same values and gradient in both, or the comparison is void.
  {
    tg::GradientTape tape;
    tape.watch(tx);
    const tg::Tensor y = tg_chain(tx);
    const double tg_g = tape.gradient(y, tx).item();
    torch::Tensor py = torch_chain(px);
    py.backward();
    const double pt_g = px.grad().item<double>();
    px.mutable_grad().reset();
    std::printf("check: y = %.6f (tapegrad) %.6f (LibTorch); dy/dx = %.6g / %.6g\n\n", y.item(),
                py.item<double>(), tg_g, pt_g);
    if (std::abs(tg_g - pt_g) > 1e-4 * std::max(1.0, std::abs(pt_g))) {
      std::fprintf(stderr, "gradients differ\n");
      return 1;
    }
  }

  std::printf("(a) chain of K=%d one-element ops (mul, add, tanh, exp repeating), ns per op\n\n", K);
  std::printf("| %-34s | %-22s | %-22s | %-5s |\n", "measure", "tapegrad ns/op", "LibTorch ns/op", "ratio");
  std::printf("|%s|%s|%s|%s|\n", std::string(36, '-').c_str(), std::string(24, '-').c_str(),
              std::string(24, '-').c_str(), std::string(7, '-').c_str());
  const int reps = 20;
  row("forward + record + backward", "ns/op",
      compare(samples, reps, K,
              [&] {
                tg::GradientTape tape;
                tape.watch(tx);
                const tg::Tensor y = tg_chain(tx);
                const auto g = tape.gradient(y, {tx});
                g_sink = g_sink + static_cast<float>(g[0].numel());
              },
              [&] {
                torch::Tensor y = torch_chain(px);
                y.backward();
                px.mutable_grad().reset();
              }));
  row("forward with recording only", "ns/op",
      compare(samples, reps, K,
              [&] {
                tg::GradientTape tape;
                tape.watch(tx);
                const tg::Tensor y = tg_chain(tx);
                g_sink = g_sink + static_cast<float>(y.numel());
              },
              [&] {
                torch::Tensor y = torch_chain(px);
                g_sink = g_sink + static_cast<float>(y.numel());
              }));
  row("forward, no tape / NoGradGuard", "ns/op",
      compare(samples, reps, K,
              [&] {
                const tg::Tensor y = tg_chain(tx);
                g_sink = g_sink + static_cast<float>(y.numel());
              },
              [&] {
                torch::NoGradGuard ng;
                torch::Tensor y = torch_chain(px);
                g_sink = g_sink + static_cast<float>(y.numel());
              }));
  row("forward, no tape / InferenceMode", "ns/op",
      compare(samples, reps, K,
              [&] {
                const tg::Tensor y = tg_chain(tx);
                g_sink = g_sink + static_cast<float>(y.numel());
              },
              [&] {
                c10::InferenceMode im;
                torch::Tensor y = torch_chain(px);
                g_sink = g_sink + static_cast<float>(y.numel());
              }));

  // ---- (b) MLP training step ----
  tg::Generator gen(1);
  tg::Tensor bx = tg::Tensor::uniform({batch, 784}, 0, 1, gen);
  std::vector<std::int64_t> labels(static_cast<std::size_t>(batch));
  for (auto& l : labels) l = static_cast<std::int64_t>(gen.next_below(10));
  tg::Tensor by = tg::Tensor::from_vector(labels, {batch});

  tg::nn::Sequential model({tg::nn::Flatten(), tg::nn::Dense(128, "relu"), tg::nn::Dense(10, "softmax")});
  model.compile(std::make_shared<tg::nn::Adam>(1e-3), std::make_shared<tg::nn::SparseCategoricalCrossentropy>(),
                {"accuracy"});
  model.build(tg::Shape{784});
  tg::nn::Sequential model2({tg::nn::Flatten(), tg::nn::Dense(128, "relu"), tg::nn::Dense(10, "softmax")});
  model2.build(tg::Shape{784});
  auto opt2 = std::make_shared<tg::nn::Adam>(1e-3);
  tg::nn::SparseCategoricalCrossentropy loss2;
  const auto vars2 = model2.trainable_variables();

  torch::Tensor pbx = torch::from_blob(bx.data<float>(), {batch, 784}, torch::kFloat32).clone();
  torch::Tensor pby = torch::from_blob(by.data<std::int64_t>(), {batch}, torch::kInt64).clone();
  torch::nn::Linear l1(784, 128), l2(128, 10);
  std::vector<torch::Tensor> params;
  for (auto& p : l1->parameters()) params.push_back(p);
  for (auto& p : l2->parameters()) params.push_back(p);
  torch::optim::Adam topt(params, torch::optim::AdamOptions(1e-3).eps(1e-7));
  auto torch_step = [&] {
    torch::Tensor logits = l2(torch::relu(l1(pbx)));
    torch::Tensor loss = torch::nn::functional::cross_entropy(logits, pby);
    topt.zero_grad();
    loss.backward();
    topt.step();
    return loss.item<float>();
  };

  std::printf("\n(b) MLP 784-128-10 training step, batch %d, random data, us per step\n\n", batch);
  std::printf("| %-34s | %-22s | %-22s | %-5s |\n", "measure", "tapegrad us/step", "LibTorch us/step", "ratio");
  std::printf("|%s|%s|%s|%s|\n", std::string(36, '-').c_str(), std::string(24, '-').c_str(),
              std::string(24, '-').c_str(), std::string(7, '-').c_str());
  const int step_samples = std::max(20, samples / 2), step_reps = 10;
  row("train_on_batch vs Linear+Adam step", "us",
      compare(step_samples, step_reps, 1000.0, [&] { g_sink = g_sink + static_cast<float>(model.train_on_batch(bx, by).at("loss")); },
              [&] { g_sink = g_sink + torch_step(); }));
  row("GradientTape step vs Linear+Adam", "us",
      compare(step_samples, step_reps, 1000.0,
              [&] {
                tg::GradientTape tape;
                const tg::Tensor p = model2(bx, /*training=*/true);
                const tg::Tensor loss = loss2(by, p);
                const auto grads = tape.gradient(loss, vars2);
                opt2->apply_gradients(grads, vars2);
                g_sink = g_sink + static_cast<float>(loss.item());
              },
              [&] { g_sink = g_sink + torch_step(); }));
  std::printf("\nratio = tapegrad median / LibTorch median (below 1: tapegrad faster)\n");
  return 0;
}
