// One LSTM layer, tapegrad's lstm op vs LibTorch's torch::nn::LSTM, in the same process
// (issue 11's second benchmark; bench/README.md).
//
// Shapes: batch 64, sequence length 100, input 64, LSTM(256), float32, batch-major input, all
// outputs returned. Two measurements per contender:
//   forward            tapegrad: no tape alive; LibTorch: under torch::NoGradGuard
//   forward+backward   the loss sum(outputs) and its gradient for the input and every weight
//                      (tapegrad: GradientTape::gradient; LibTorch: backward())
// Repetitions run round-robin (tapegrad, torch, tapegrad, ...) after warm-ups, so machine noise is
// spread over both; before each timed call the program sleeps 30 ms and makes one untimed call of
// the same contender, so LibTorch's OpenMP workers, which spin ~10 ms after each parallel region,
// are not still holding the cores when tapegrad's timed call starts (bench_conv_torch.cpp says what
// that cost). Reported: median (min-max) milliseconds and the ratio tapegrad / LibTorch.
//
// LibTorch gets the environment of bench_train_torch (OPENBLAS_NUM_THREADS=1, glibc malloc
// thresholds of 1 GiB; the program re-execs itself unless --keep-env) and at::set_num_threads(T).
//
//   bench_rnn_torch [--threads 2[,1]] [--reps 20] [--batch 64] [--steps 100] [--input 64] [--units 256]
//                   [--keep-env]
#include <torch/torch.h>
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

#include "tapegrad.hpp"

extern char** environ;

namespace {

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
    std::fprintf(stderr, "bench_rnn_torch: environment still differs after re-exec; going on\n");
    return;
  }
  setenv("OPENBLAS_NUM_THREADS", "1", 1);
  unsetenv("OPENBLAS_CORETYPE");
  setenv("MALLOC_MMAP_THRESHOLD_", kBig, 1);
  setenv("MALLOC_TRIM_THRESHOLD_", kBig, 1);
  setenv("TG_BENCH_REEXECED", "1", 1);
  execve("/proc/self/exe", argv, environ);
  std::perror("bench_rnn_torch: execve /proc/self/exe");
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

std::vector<int> parse_list(const char* s) {
  std::vector<int> v;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) v.push_back(std::stoi(item));
  return v;
}

double millis(const std::function<void()>& f) {
  const auto t0 = clk::now();
  f();
  return std::chrono::duration<double, std::milli>(clk::now() - t0).count();
}

struct Summary {
  double median = 0, min = 0, max = 0;
};
Summary summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return {n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.front(), v.back()};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads_list{2};
  int reps = 20;
  std::int64_t batch = 64, steps = 100, input = 64, units = 256;
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
    else if (a == "--reps") reps = std::max(1, std::atoi(next()));
    else if (a == "--batch") batch = std::atoll(next());
    else if (a == "--steps") steps = std::atoll(next());
    else if (a == "--input") input = std::atoll(next());
    else if (a == "--units") units = std::atoll(next());
    else if (a == "--keep-env") keep_env = true;
    else {
      std::fprintf(stderr,
                   "usage: %s [--threads 2[,1]] [--reps 20] [--batch 64] [--steps 100] [--input 64] [--units 256] "
                   "[--keep-env]\n",
                   argv[0]);
      return 2;
    }
  }
  if (!keep_env) ensure_environment(argv);

  // The same weights and input for both: Keras layout for tapegrad, transposed for torch.
  tg::Generator gen(0);
  const float limit = 1.0f / std::sqrt(static_cast<float>(units));
  const tg::Tensor x = tg::Tensor::uniform(tg::Shape{batch, steps, input}, -1, 1, gen);
  const tg::Tensor kernel = tg::Tensor::uniform(tg::Shape{input, 4 * units}, -limit, limit, gen);
  const tg::Tensor rkernel = tg::Tensor::uniform(tg::Shape{units, 4 * units}, -limit, limit, gen);
  const tg::Tensor bias = tg::Tensor::uniform(tg::Shape{4 * units}, -limit, limit, gen);
  auto to_torch = [](const tg::Tensor& t) {
    std::vector<std::int64_t> shape(t.shape().begin(), t.shape().end());
    return torch::from_blob(const_cast<float*>(t.data<float>()), shape).clone();
  };
  torch::nn::LSTM tlstm(torch::nn::LSTMOptions(input, units).batch_first(true));
  {
    torch::NoGradGuard ng;
    tlstm->named_parameters()["weight_ih_l0"].copy_(to_torch(kernel).t());
    tlstm->named_parameters()["weight_hh_l0"].copy_(to_torch(rkernel).t());
    tlstm->named_parameters()["bias_ih_l0"].copy_(to_torch(bias));
    tlstm->named_parameters()["bias_hh_l0"].zero_();
  }
  const torch::Tensor tx = to_torch(x).requires_grad_(true);

  tg::RecurrentOptions opt;
  opt.return_sequences = true;
  auto tg_forward = [&] { return tg::lstm(x, kernel, rkernel, bias, tg::Tensor(), tg::Tensor(), opt).outputs; };
  auto tg_backward = [&] {
    tg::GradientTape tape;
    for (const tg::Tensor* t : {&x, &kernel, &rkernel, &bias}) tape.watch(*t);
    const tg::Tensor loss = tg::sum(tg_forward());
    return tape.gradient(loss, {x, kernel, rkernel, bias});
  };
  auto torch_forward = [&] {
    torch::NoGradGuard ng;
    return std::get<0>(tlstm->forward(tx));
  };
  auto torch_backward = [&] {
    tlstm->zero_grad();
    tx.mutable_grad() = torch::Tensor();
    std::get<0>(tlstm->forward(tx)).sum().backward();
  };

  // The two agree before anything is timed.
  {
    const tg::Tensor a = tg_forward();
    const torch::Tensor b = torch_forward().contiguous();
    double worst = 0;
    const float* pa = a.data<float>();
    const float* pb = b.data_ptr<float>();
    for (std::int64_t i = 0; i < a.numel(); ++i) worst = std::max(worst, static_cast<double>(std::fabs(pa[i] - pb[i])));
    std::printf("max |tapegrad - LibTorch| over the outputs: %.3g\n", worst);
  }
  std::printf("CPU: %s; tapegrad ISA %s; LibTorch %s\n", cpu_model().c_str(), tg::isa_name(tg::active_isa()), TORCH_VERSION);
  {
    std::ifstream la("/proc/loadavg");
    std::string l;
    std::getline(la, l);
    std::printf("loadavg at start: %s\n", l.c_str());
  }
  std::printf("LSTM(%lld), batch %lld, %lld steps, input %lld, float32; %d repetitions each, round-robin\n\n",
              static_cast<long long>(units), static_cast<long long>(batch), static_cast<long long>(steps),
              static_cast<long long>(input), reps);
  std::printf("%-8s %-18s %-26s %-26s %s\n", "threads", "measure", "tapegrad ms", "LibTorch ms", "ratio");
  for (int threads : threads_list) {
    tg::set_num_threads(threads);
    at::set_num_threads(threads);
    for (int which = 0; which < 2; ++which) {
      std::function<void()> ours = which == 0 ? std::function<void()>([&] { tg_forward(); })
                                              : std::function<void()>([&] { tg_backward(); });
      std::function<void()> theirs = which == 0 ? std::function<void()>([&] { torch_forward(); })
                                                : std::function<void()>(torch_backward);
      for (int w = 0; w < 2; ++w) {
        ours();
        theirs();
      }
      std::vector<double> a, b;
      for (int r = 0; r < reps; ++r) {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        ours();  // untimed switch-in
        a.push_back(millis(ours));
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        theirs();
        b.push_back(millis(theirs));
      }
      const Summary sa = summarize(a), sb = summarize(b);
      char ca[64], cb[64];
      std::snprintf(ca, sizeof ca, "%.2f (%.2f-%.2f)", sa.median, sa.min, sa.max);
      std::snprintf(cb, sizeof cb, "%.2f (%.2f-%.2f)", sb.median, sb.min, sb.max);
      std::printf("%-8d %-18s %-26s %-26s %.2fx\n", threads, which == 0 ? "forward" : "forward+backward", ca, cb,
                  sa.median / sb.median);
    }
  }
  return 0;
}
