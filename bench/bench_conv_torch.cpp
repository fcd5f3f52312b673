// Per-layer convolution speed, tapegrad vs LibTorch in the same process (bench/README.md).
//
// The two convolutions of Keras' mnist_convnet example at batch 128 (and any --batch given):
//   conv1  Conv2D(32, 3x3) on 28x28x1   -> 26x26x32
//   conv2  Conv2D(64, 3x3) on 13x13x32  -> 11x11x64
// each timed for its forward pass (with bias), input gradient and kernel gradient:
//   tapegrad          core::conv2d / conv2d_backward_input / conv2d_backward_kernel, NHWC,
//                     kernel (kh, kw, in, out), the kernels the differentiable ops run
//   LibTorch NCHW     at::conv2d and at::convolution_backward (output_mask picks the gradient)
//   LibTorch NHWC     the same on channels_last tensors (input, weight and dy)
// Samples are taken round-robin (tapegrad, NCHW, NHWC, tapegrad, ...) so machine noise is spread
// over all three. Before each timed call the program sleeps 30 ms and makes one untimed call of
// the same contender: LibTorch's OpenMP workers spin for ~10 ms after each parallel region, and
// without the pause they held both cores during the tapegrad call that followed, halving its
// 2-thread speed (conv2 forward: 165 GFLOP/s called right after LibTorch, 283 with
// OMP_WAIT_POLICY=PASSIVE, 2026-12-02); the untimed call then wakes the contender's own workers,
// as the previous op of a training step would. Reported: median GFLOP/s (min-max) with 2 * N*OH*OW*out*kh*kw*in flop per pass,
// the fraction of the machine's float32 FMA peak (threads x 2 FMA units x 16 lanes x 2 flop x
// --ghz), and tapegrad's time over the faster LibTorch layout's.
//
// Then one training step of the convnet's layers as ops, forward and backward (no optimizer, no
// dropout): conv1 + relu, max pool 2, conv2 + relu, max pool 2, flatten, dense 10, softmax
// cross-entropy, gradients of all six weights. tapegrad: tg ops on a GradientTape (conv2d with
// the fused relu); LibTorch: torch::nn::functional ops and backward() in NCHW and channels_last.
// Reported: median milliseconds per step and tapegrad's time over the faster LibTorch layout's.
//
// LibTorch runs in bench_train_torch's environment (OPENBLAS_NUM_THREADS=1, 1 GiB malloc
// thresholds, set by re-exec unless --keep-env).
//
// --cpu-time times each call by the calling thread's CPU time instead of the wall clock: with one
// thread on a loaded machine that leaves out the time the thread waited for a core (it still
// pays for caches another process emptied). Only meaningful with --threads 1.
//
//   bench_conv_torch [--threads 2[,1]] [--batch 128[,32]] [--samples 30] [--ghz 2.1] [--cpu-time] [--keep-env]
#include <torch/torch.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/conv.hpp"
#include "tapegrad.hpp"

extern char** environ;

namespace {

// Lets the other contender's thread pool go idle (30 ms), then wakes this one's with an untimed call.
void switch_to(const std::function<void()>& fn) {
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  fn();
}

using clk = std::chrono::steady_clock;
constexpr const char* kBig = "1073741824";

bool env_is(const char* name, const char* want) {
  const char* v = std::getenv(name);
  return want ? (v && std::strcmp(v, want) == 0) : v == nullptr;
}

void ensure_environment(char** argv) {
  if (env_is("OPENBLAS_NUM_THREADS", "1") && env_is("OPENBLAS_CORETYPE", nullptr) &&
      env_is("MALLOC_MMAP_THRESHOLD_", kBig) && env_is("MALLOC_TRIM_THRESHOLD_", kBig))
    return;
  if (std::getenv("TG_BENCH_REEXECED")) {
    std::fprintf(stderr, "bench_conv_torch: environment still differs after re-exec; going on\n");
    return;
  }
  setenv("OPENBLAS_NUM_THREADS", "1", 1);
  unsetenv("OPENBLAS_CORETYPE");
  setenv("MALLOC_MMAP_THRESHOLD_", kBig, 1);
  setenv("MALLOC_TRIM_THRESHOLD_", kBig, 1);
  setenv("TG_BENCH_REEXECED", "1", 1);
  execve("/proc/self/exe", argv, environ);
  std::perror("bench_conv_torch: execve /proc/self/exe");
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string loadavg() {
  std::ifstream la("/proc/loadavg");
  std::string l;
  std::getline(la, l);
  return l;
}

std::vector<int> parse_list(const char* s) {
  std::vector<int> v;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) v.push_back(std::stoi(item));
  return v;
}

bool use_cpu_time = false;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double seconds(const std::function<void()>& f) {
  if (use_cpu_time) {
    const double t0 = thread_cpu_seconds();
    f();
    return thread_cpu_seconds() - t0;
  }
  const auto t0 = clk::now();
  f();
  return std::chrono::duration<double>(clk::now() - t0).count();
}

struct Summary {
  double median = 0, min = 0, max = 0;
};
Summary summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return {n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.front(), v.back()};
}

struct Layer {
  const char* name;
  std::int64_t h, w, c, out, k;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads_list{2}, batches{128};
  int samples = 30;
  double ghz = 2.1;
  bool keep_env = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--threads") threads_list = parse_list(next());
    else if (a == "--batch") batches = parse_list(next());
    else if (a == "--samples") samples = std::max(1, std::atoi(next()));
    else if (a == "--ghz") ghz = std::atof(next());
    else if (a == "--keep-env") keep_env = true;
    else if (a == "--cpu-time") use_cpu_time = true;
    else {
      std::fprintf(stderr, "usage: %s [--threads 2[,1]] [--batch 128[,32]] [--samples 30] [--ghz 2.1] [--cpu-time] [--keep-env]\n",
                   argv[0]);
      return 2;
    }
  }
  if (!keep_env) ensure_environment(argv);

  std::printf("CPU: %s; tapegrad ISA %s; LibTorch %s (oneDNN %s)\n", cpu_model().c_str(), tg::isa_name(tg::active_isa()),
              TORCH_VERSION, at::hasMKLDNN() ? "built in" : "absent");
  std::printf("loadavg at start: %s\n", loadavg().c_str());
  std::printf("%d samples per cell after 3 warm-up calls, timed by %s; peak = threads x 2 FMA x 16 lanes x 2 flop x "
              "%.2f GHz\n\n",
              samples, use_cpu_time ? "thread CPU time" : "wall clock", ghz);

  const std::vector<Layer> layers = {{"conv1 28x28x1->32", 28, 28, 1, 32, 3}, {"conv2 13x13x32->64", 13, 13, 32, 64, 3}};
  const char* passes[] = {"forward", "input grad", "kernel grad"};
  std::printf("| threads | batch | layer | pass | tapegrad GFLOP/s | LibTorch NCHW | LibTorch NHWC | tapegrad %% peak | "
              "tapegrad time / best LibTorch |\n|---|---|---|---|---|---|---|---|---|\n");
  for (int threads : threads_list) {
    tg::set_num_threads(threads);
    at::set_num_threads(threads);
    const double peak = threads * 2.0 * 16.0 * 2.0 * ghz;  // GFLOP/s
    for (int batch : batches) {
      for (const Layer& l : layers) {
        const std::int64_t oh = l.h - l.k + 1, ow = l.w - l.k + 1;
        const double flop = 2.0 * batch * oh * ow * l.out * l.k * l.k * l.c;
        tg::Generator gen(1);
        const tg::Tensor x = tg::Tensor::uniform(tg::Shape{batch, l.h, l.w, l.c}, -1, 1, gen);
        const tg::Tensor k = tg::Tensor::uniform(tg::Shape{l.k, l.k, l.c, l.out}, -0.1, 0.1, gen);
        const tg::Tensor b = tg::Tensor::uniform(tg::Shape{l.out}, -0.1, 0.1, gen);
        const tg::Tensor dy = tg::Tensor::uniform(tg::Shape{batch, oh, ow, l.out}, -1, 1, gen);
        tg::core::Window2D g;
        g.n = batch, g.h = l.h, g.w = l.w, g.c = l.c, g.kh = l.k, g.kw = l.k, g.oh = oh, g.ow = ow;
        // LibTorch copies in NCHW and channels_last (same values).
        auto nchw = [](const tg::Tensor& t) {
          return torch::from_blob(const_cast<float*>(t.data<float>()), {t.dim(0), t.dim(1), t.dim(2), t.dim(3)})
              .permute({0, 3, 1, 2})
              .contiguous();
        };
        const torch::Tensor tx = nchw(x), tdy = nchw(dy);
        const torch::Tensor tw = torch::from_blob(const_cast<float*>(k.data<float>()), {l.k, l.k, l.c, l.out})
                                     .permute({3, 2, 0, 1})
                                     .contiguous();
        const torch::Tensor tb = torch::from_blob(const_cast<float*>(b.data<float>()), {l.out}).clone();
        const auto cl = at::MemoryFormat::ChannelsLast;
        const torch::Tensor tx_cl = tx.contiguous(cl), tw_cl = tw.contiguous(cl), tdy_cl = tdy.contiguous(cl);
        for (int pass = 0; pass < 3; ++pass) {
          std::function<void()> fn[3];
          auto torch_pass = [&, pass](const torch::Tensor& xx, const torch::Tensor& ww, const torch::Tensor& gg) {
            return [&, pass, xx, ww, gg] {
              torch::NoGradGuard ng;
              if (pass == 0) {
                (void)at::conv2d(xx, ww, tb);
              } else {
                const std::array<bool, 3> mask{pass == 1, pass == 2, false};
                (void)at::convolution_backward(gg, xx, ww, at::OptionalIntArrayRef(c10::IntArrayRef{l.out}), {1, 1},
                                               {0, 0}, {1, 1}, false, {0, 0}, 1, mask);
              }
            };
          };
          fn[0] = [&, pass] {
            if (pass == 0) (void)tg::core::conv2d(x, k, b, g);
            else if (pass == 1) (void)tg::core::conv2d_backward_input(dy, k, g);
            else (void)tg::core::conv2d_backward_kernel(x, dy, g);
          };
          fn[1] = torch_pass(tx, tw, tdy);
          fn[2] = torch_pass(tx_cl, tw_cl, tdy_cl);
          for (int w = 0; w < 3; ++w)
            for (auto& f : fn) f();
          std::vector<double> t[3];
          for (int s = 0; s < samples; ++s)
            for (int c = 0; c < 3; ++c) {
              switch_to(fn[c]);  // see the top of the file
              t[c].push_back(seconds(fn[c]));
            }
          Summary sm[3];
          for (int c = 0; c < 3; ++c) sm[c] = summarize(t[c]);
          auto cell = [&](const Summary& s) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.1f (%.1f-%.1f)", flop / s.median / 1e9, flop / s.max / 1e9, flop / s.min / 1e9);
            return std::string(buf);
          };
          std::printf("| %d | %d | %s | %s | %s | %s | %s | %.0f%% | %.2f |\n", threads, batch, l.name, passes[pass],
                      cell(sm[0]).c_str(), cell(sm[1]).c_str(), cell(sm[2]).c_str(), 100.0 * flop / sm[0].median / 1e9 / peak,
                      sm[0].median / std::min(sm[1].median, sm[2].median));
          std::fflush(stdout);
        }
      }
    }
  }
  std::printf("\nTraining step of the convnet's layers (forward + backward, no optimizer), ms, median (min-max)\n\n");
  std::printf("| threads | batch | tapegrad | LibTorch NCHW | LibTorch NHWC | tapegrad / best LibTorch |\n|---|---|---|---|---|---|\n");
  for (int threads : threads_list) {
    tg::set_num_threads(threads);
    at::set_num_threads(threads);
    for (int batch : batches) {
      tg::Generator gen(2);
      const tg::Tensor x = tg::Tensor::uniform(tg::Shape{batch, 28, 28, 1}, 0, 1, gen);
      tg::Tensor labels(tg::Shape{batch}, tg::DType::int64);
      for (std::int64_t i = 0; i < batch; ++i) labels.data<std::int64_t>()[i] = i % 10;
      const std::vector<tg::Tensor> w = {tg::Tensor::uniform(tg::Shape{3, 3, 1, 32}, -0.3, 0.3, gen),
                                         tg::Tensor::uniform(tg::Shape{32}, -0.1, 0.1, gen),
                                         tg::Tensor::uniform(tg::Shape{3, 3, 32, 64}, -0.08, 0.08, gen),
                                         tg::Tensor::uniform(tg::Shape{64}, -0.1, 0.1, gen),
                                         tg::Tensor::uniform(tg::Shape{1600, 10}, -0.06, 0.06, gen),
                                         tg::Tensor::uniform(tg::Shape{10}, -0.1, 0.1, gen)};
      auto tg_step = [&] {
        tg::GradientTape tape;
        for (const tg::Tensor& t : w) tape.watch(t);
        tg::Tensor h = tg::max_pool2d(tg::conv2d(x, w[0], w[1], {}, true));
        h = tg::max_pool2d(tg::conv2d(h, w[2], w[3], {}, true));
        const tg::Tensor loss = tg::sparse_softmax_cross_entropy_with_logits(labels, tg::dense(tg::flatten(h), w[4], w[5]));
        (void)tape.gradient(loss, w);
      };
      auto nchw = [](const tg::Tensor& t, bool conv) {
        torch::Tensor r = torch::from_blob(const_cast<float*>(t.data<float>()), std::vector<std::int64_t>(t.shape().begin(), t.shape().end())).clone();
        return conv ? r.permute({3, 2, 0, 1}).contiguous() : r;
      };
      const torch::Tensor tx = torch::from_blob(const_cast<float*>(x.data<float>()), {batch, 28, 28, 1}).permute({0, 3, 1, 2}).contiguous();
      const torch::Tensor ty = torch::from_blob(labels.data<std::int64_t>(), {batch}, torch::kInt64).clone();
      std::vector<torch::Tensor> tw = {nchw(w[0], true), nchw(w[1], false), nchw(w[2], true), nchw(w[3], false),
                                       nchw(w[4], false).t().contiguous(), nchw(w[5], false)};
      auto torch_step = [&](bool channels_last) {
        std::vector<torch::Tensor> p;
        for (const torch::Tensor& t : tw)
          p.push_back((channels_last && t.dim() == 4 ? t.contiguous(at::MemoryFormat::ChannelsLast) : t).detach().requires_grad_(true));
        const torch::Tensor xx = channels_last ? tx.contiguous(at::MemoryFormat::ChannelsLast) : tx;
        return [=] {
          namespace F = torch::nn::functional;
          torch::Tensor h = F::max_pool2d(torch::relu(F::conv2d(xx, p[0], F::Conv2dFuncOptions().bias(p[1]))), F::MaxPool2dFuncOptions(2));
          h = F::max_pool2d(torch::relu(F::conv2d(h, p[2], F::Conv2dFuncOptions().bias(p[3]))), F::MaxPool2dFuncOptions(2));
          const torch::Tensor loss = F::cross_entropy(F::linear(h.flatten(1), p[4], p[5]), ty);
          for (const torch::Tensor& q : p) q.mutable_grad() = torch::Tensor();
          loss.backward();
        };
      };
      std::function<void()> fn[3] = {tg_step, torch_step(false), torch_step(true)};
      for (int k = 0; k < 3; ++k)
        for (auto& f : fn) f();
      std::vector<double> t[3];
      for (int sm = 0; sm < samples; ++sm)
        for (int c = 0; c < 3; ++c) {
          switch_to(fn[c]);
          t[c].push_back(seconds(fn[c]));
        }
      Summary r[3];
      for (int c = 0; c < 3; ++c) r[c] = summarize(t[c]);
      auto cell = [](const Summary& v) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.2f (%.2f-%.2f)", v.median * 1e3, v.min * 1e3, v.max * 1e3);
        return std::string(buf);
      };
      std::printf("| %d | %d | %s | %s | %s | %.2f |\n", threads, batch, cell(r[0]).c_str(), cell(r[1]).c_str(),
                  cell(r[2]).c_str(), r[0].median / std::min(r[1].median, r[2].median));
      std::fflush(stdout);
    }
  }
  std::printf("\nloadavg at end: %s\n", loadavg().c_str());
  return 0;
}
