// One Fashion-MNIST epoch of the seed model, tapegrad vs LibTorch in the same process
// (bench/README.md).
//
// Model: Flatten, Dense(128, relu), Dense(10, softmax); Adam(lr 1e-3, eps 1e-7); sparse
// categorical cross-entropy; 60,000 shuffled training samples per epoch. Three contenders:
//   tapegrad fit   model.fit(x, y, {epochs 1, batch_size B, verbose 0}) (also updates "accuracy")
//   tapegrad tape  hand-written loop: shuffled int64 index, gather_rows per batch, GradientTape,
//                  gradient, Adam::apply_gradients
//   LibTorch       hand-written loop: randperm, index_select per batch, Linear+relu+Linear,
//                  cross_entropy, zero_grad/backward/step with torch::optim::Adam(eps 1e-7)
// After one warm-up epoch each, epochs are timed round-robin (fit, tape, torch, fit, ...), so
// machine noise is spread over all three. Reported: median seconds per epoch (min–max), the
// ratios against LibTorch, and GFLOP/s against the arithmetic floor of 6 x 101,770 x 60,000
// = 36.6 GFLOP per epoch (2 for the forward, 4 for the backward, per parameter and sample).
//
// LibTorch gets its best configuration on this machine: at::set_num_threads(T),
// OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE unset, MALLOC_MMAP_THRESHOLD_ and
// MALLOC_TRIM_THRESHOLD_ = 1 GiB. Those are read when the libraries load, so the program re-execs
// itself with them when the environment differs (--keep-env measures the environment as given).
//
//   bench_train_torch [--threads 2[,1...]] [--batch 32,128] [--epochs 3] [--accuracy] [--keep-env]
//                     [--only fit|tape|torch]
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
#include <sstream>
#include <string>
#include <vector>

#include "tapegrad.hpp"

extern char** environ;

namespace {

using clk = std::chrono::steady_clock;
constexpr double kFlopPerEpoch = 6.0 * 101770.0 * 60000.0;
// 36.6 GFLOP at the two cores' peak (2 cores x 2 FMA pipes x 16 float32 lanes x 2 flop x ~4 GHz).
constexpr double kFloorSeconds = 0.072;
constexpr const char* kBig = "1073741824";

bool env_is(const char* name, const char* want) {
  const char* v = std::getenv(name);
  return want ? (v && std::strcmp(v, want) == 0) : v == nullptr;
}

// Re-execs this program with LibTorch's best environment unless it already has it.
void ensure_environment(char** argv) {
  if (env_is("OPENBLAS_NUM_THREADS", "1") && env_is("OPENBLAS_CORETYPE", nullptr) &&
      env_is("MALLOC_MMAP_THRESHOLD_", kBig) && env_is("MALLOC_TRIM_THRESHOLD_", kBig))
    return;
  if (std::getenv("TG_BENCH_REEXECED")) {
    std::fprintf(stderr, "bench_train_torch: environment still differs after re-exec; going on\n");
    return;
  }
  setenv("OPENBLAS_NUM_THREADS", "1", 1);
  unsetenv("OPENBLAS_CORETYPE");
  setenv("MALLOC_MMAP_THRESHOLD_", kBig, 1);
  setenv("MALLOC_TRIM_THRESHOLD_", kBig, 1);
  setenv("TG_BENCH_REEXECED", "1", 1);
  execve("/proc/self/exe", argv, environ);
  std::perror("bench_train_torch: execve /proc/self/exe");  // only on failure
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

double seconds(const std::function<void()>& f) {
  const auto t0 = clk::now();
  f();
  return std::chrono::duration<double>(clk::now() - t0).count();
}

struct Summary {
  double median = 0, min = 0, max = 0;
};
Summary summarize(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  const double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {med, v.front(), v.back()};
}

// Flatten, Dense(128, relu), Dense(10, softmax), compiled with Adam, sparse CE and accuracy
// (the tape loop uses only its optimizer and loss; evaluate uses the metric).
tg::nn::Sequential make_tg_model() {
  tg::nn::Sequential m({tg::nn::Flatten(), tg::nn::Dense(128, "relu"), tg::nn::Dense(10, "softmax")});
  m.compile(std::make_shared<tg::nn::Adam>(1e-3, 0.9, 0.999, 1e-7),
            std::make_shared<tg::nn::SparseCategoricalCrossentropy>(),
            {"accuracy"});
  m.build(tg::Shape{28, 28});
  return m;
}

struct TorchNet : torch::nn::Module {
  torch::nn::Linear l1{nullptr}, l2{nullptr};
  TorchNet() {
    l1 = register_module("l1", torch::nn::Linear(784, 128));
    l2 = register_module("l2", torch::nn::Linear(128, 10));
  }
  torch::Tensor forward(const torch::Tensor& x) { return l2(torch::relu(l1(x))); }
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads_list{2}, batches{32, 128};
  int epochs = 3;
  bool accuracy = false, keep_env = false;
  std::string only;
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
    else if (a == "--epochs") epochs = std::atoi(next());
    else if (a == "--accuracy") accuracy = true;
    else if (a == "--keep-env") keep_env = true;
    else if (a == "--only") only = next();
    else {
      std::fprintf(stderr,
                   "usage: %s [--threads 2[,1]] [--batch 32,128] [--epochs 3] [--accuracy] [--keep-env] "
                   "[--only fit|tape|torch]\n",
                   argv[0]);
      return 2;
    }
  }
  if (!keep_env) ensure_environment(argv);
  const bool run_fit = only.empty() || only == "fit", run_tape = only.empty() || only == "tape",
             run_torch = only.empty() || only == "torch";

  const tg::io::Dataset ds = tg::io::load_fashion_mnist();
  const std::int64_t n = ds.x_train.dim(0), n_test = ds.x_test.dim(0);
  // LibTorch gets its own copies, flattened once (as a torch user would keep them).
  const torch::Tensor tx = torch::from_blob(const_cast<float*>(ds.x_train.data<float>()), {n, 784}).clone();
  const torch::Tensor ty = torch::from_blob(const_cast<std::int64_t*>(ds.y_train.data<std::int64_t>()), {n}, torch::kInt64).clone();
  const torch::Tensor tx_test = torch::from_blob(const_cast<float*>(ds.x_test.data<float>()), {n_test, 784}).clone();
  const torch::Tensor ty_test =
      torch::from_blob(const_cast<std::int64_t*>(ds.y_test.data<std::int64_t>()), {n_test}, torch::kInt64).clone();

  std::printf("CPU: %s; tapegrad ISA %s; LibTorch %s\n", cpu_model().c_str(), tg::isa_name(tg::active_isa()),
              TORCH_VERSION);
  std::printf("env: OPENBLAS_NUM_THREADS=%s OPENBLAS_CORETYPE=%s MALLOC_MMAP_THRESHOLD_=%s MALLOC_TRIM_THRESHOLD_=%s; "
              "OpenBLAS core %s\n",
              env_or_unset("OPENBLAS_NUM_THREADS"), env_or_unset("OPENBLAS_CORETYPE"),
              env_or_unset("MALLOC_MMAP_THRESHOLD_"), env_or_unset("MALLOC_TRIM_THRESHOLD_"), openblas_core().c_str());
  {
    std::ifstream la("/proc/loadavg");
    std::string l;
    std::getline(la, l);
    std::printf("loadavg at start: %s\n", l.c_str());
  }
  std::printf("Fashion-MNIST: %lld train, %lld test; 1 warm-up epoch + %d timed epochs per contender\n\n",
              static_cast<long long>(n), static_cast<long long>(n_test), epochs);

  struct Row {
    int threads, batch;
    Summary fit, tape, torch;
    double acc_fit = -1, acc_tape = -1, acc_torch = -1;
  };
  std::vector<Row> rows;

  for (int threads : threads_list) {
    tg::set_num_threads(threads);
    at::set_num_threads(threads);
    std::printf("threads: tapegrad %d, LibTorch at::get_num_threads() %d\n", tg::num_threads(), at::get_num_threads());
    for (int batch : batches) {
      tg::nn::set_random_seed(1);
      torch::manual_seed(1);
      tg::nn::Sequential m_fit = make_tg_model();
      tg::nn::Sequential m_tape = make_tg_model();
      const std::vector<tg::Variable> vars = m_tape.trainable_variables();
      TorchNet net;
      torch::optim::Adam topt(net.parameters(), torch::optim::AdamOptions(1e-3).eps(1e-7));

      std::uint64_t seed = 0;
      auto fit_epoch = [&] {
        m_fit.fit(ds.x_train, ds.y_train, {.epochs = 1, .batch_size = batch, .verbose = 0, .seed = ++seed});
      };
      tg::Generator gen(7);
      tg::Tensor perm = tg::Tensor::arange(0, static_cast<double>(n), 1, tg::DType::int64);
      auto tape_epoch = [&] {
        std::int64_t* p = perm.data<std::int64_t>();
        for (std::int64_t i = n - 1; i > 0; --i)
          std::swap(p[i], p[static_cast<std::int64_t>(gen.next_below(static_cast<std::uint64_t>(i + 1)))]);
        tg::nn::Optimizer& opt = *m_tape.optimizer();
        const tg::nn::Loss& loss_fn = *m_tape.loss();
        for (std::int64_t b = 0; b < n; b += batch) {
          const tg::Tensor idx = perm.slice_rows(b, std::min(n, b + batch));
          const tg::Tensor xb = tg::gather_rows(ds.x_train, idx), yb = tg::gather_rows(ds.y_train, idx);
          tg::GradientTape tape;
          const tg::Tensor loss = loss_fn(yb, m_tape(xb, /*training=*/true));
          opt.apply_gradients(tape.gradient(loss, vars), vars);
        }
      };
      auto torch_epoch = [&] {
        const torch::Tensor tperm = torch::randperm(n, torch::kInt64);
        for (std::int64_t b = 0; b < n; b += batch) {
          const torch::Tensor idx = tperm.slice(0, b, std::min(n, b + batch));
          const torch::Tensor xb = tx.index_select(0, idx), yb = ty.index_select(0, idx);
          const torch::Tensor loss = torch::nn::functional::cross_entropy(net.forward(xb), yb);
          topt.zero_grad();
          loss.backward();
          topt.step();
        }
      };

      std::fprintf(stderr, "threads %d batch %d: warm-up\n", threads, batch);
      if (run_fit) fit_epoch();
      if (run_tape) tape_epoch();
      if (run_torch) torch_epoch();
      std::vector<double> t_fit, t_tape, t_torch;
      for (int e = 0; e < epochs; ++e) {
        if (run_fit) t_fit.push_back(seconds(fit_epoch));
        if (run_tape) t_tape.push_back(seconds(tape_epoch));
        if (run_torch) t_torch.push_back(seconds(torch_epoch));
        std::fprintf(stderr, "  epoch %d: fit %.3f s, tape %.3f s, torch %.3f s\n", e + 1,
                     run_fit ? t_fit.back() : 0.0, run_tape ? t_tape.back() : 0.0, run_torch ? t_torch.back() : 0.0);
      }
      Row r{threads, batch, summarize(t_fit), summarize(t_tape), summarize(t_torch)};
      if (accuracy) {  // train on to 5 epochs in all (or the warm-up + timed ones if more), then the test split
        for (int e = 1 + epochs; e < 5; ++e) {
          if (run_fit) fit_epoch();
          if (run_tape) tape_epoch();
          if (run_torch) torch_epoch();
        }
        if (run_fit) r.acc_fit = m_fit.evaluate(ds.x_test, ds.y_test, 128).at("accuracy");
        if (run_tape) r.acc_tape = m_tape.evaluate(ds.x_test, ds.y_test, 128).at("accuracy");
        if (run_torch) {
          torch::NoGradGuard ng;
          r.acc_torch = net.forward(tx_test).argmax(1).eq(ty_test).to(torch::kFloat64).mean().item<double>();
        }
      }
      rows.push_back(r);
    }
  }

  auto cell = [](const Summary& s) {
    char buf[64];
    if (s.median == 0) return std::string("—");
    std::snprintf(buf, sizeof buf, "%.3f (%.3f–%.3f)", s.median, s.min, s.max);
    return std::string(buf);
  };
  auto ratio = [](const Summary& a, const Summary& b) {
    char buf[16];
    if (a.median == 0 || b.median == 0) return std::string("—");
    std::snprintf(buf, sizeof buf, "%.2f", a.median / b.median);
    return std::string(buf);
  };
  auto gflops = [](const Summary& s) {
    char buf[48];
    if (s.median == 0) return std::string("—");
    std::snprintf(buf, sizeof buf, "%.1f (%.1fx floor)", kFlopPerEpoch / s.median / 1e9, s.median / kFloorSeconds);
    return std::string(buf);
  };
  std::printf("Seconds per epoch, median of %d (min–max); ratio = tapegrad / LibTorch (below 1: tapegrad faster)\n\n",
              epochs);
  std::printf("| threads | batch | tapegrad fit | tapegrad tape loop | LibTorch | fit/torch | tape/torch |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows)
    std::printf("| %d | %d | %s | %s | %s | %s | %s |\n", r.threads, r.batch, cell(r.fit).c_str(),
                cell(r.tape).c_str(), cell(r.torch).c_str(), ratio(r.fit, r.torch).c_str(),
                ratio(r.tape, r.torch).c_str());
  const int acc_epochs = std::max(5, 1 + epochs);
  std::printf("\nAchieved GFLOP/s (36.6 GFLOP per epoch / median epoch time) and the median epoch time in units of\n"
              "the arithmetic floor (36.6 GFLOP at ~508 GFLOP/s peak on 2 cores = %.0f ms)",
              kFloorSeconds * 1e3);
  if (accuracy) std::printf("; test accuracy (10k test set) after %d epochs each", acc_epochs);
  std::printf("\n\n");
  std::printf("| threads | batch | fit GFLOP/s | tape GFLOP/s | LibTorch GFLOP/s |%s\n",
              accuracy ? " fit acc | tape acc | LibTorch acc |" : "");
  std::printf("|---|---|---|---|---|%s\n", accuracy ? "---|---|---|" : "");
  for (const Row& r : rows) {
    std::printf("| %d | %d | %s | %s | %s |", r.threads, r.batch, gflops(r.fit).c_str(), gflops(r.tape).c_str(),
                gflops(r.torch).c_str());
    if (accuracy) std::printf(" %.4f | %.4f | %.4f |", r.acc_fit, r.acc_tape, r.acc_torch);
    std::printf("\n");
  }
  return 0;
}
