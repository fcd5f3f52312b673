// Tests nn/optimizers.cpp, nn/optimizer_rules.cpp, nn/schedules.cpp and core/kernels/optim_*.cpp.
//
// References: (1) an independent scalar transcription of Keras 3's update_step formulas in long
// double, below; (2) tests/golden/torch_optimizers.json (Keras 3 formulas in torch float64) and
// keras_optimizers.json (TensorFlow.js float32; see tests/golden/README.md for where tfjs is not
// Keras 3); (3) numbers from Keras' own docs and tests (keras/src/optimizers/*_test.py).
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nn/optimizers.hpp"
#include "nn/schedules.hpp"
#include "test_util.hpp"

namespace tg::nn {
namespace {

using test::check_close;
using test::check_throws_with;
using test::for_each_isa;
using LD = long double;

enum class Kind { sgd, adam, adamw, rmsprop };

// One optimizer configuration: how to build ours and what the reference computes.
struct OptCase {
  std::string label;
  Kind kind;
  double lr;
  double momentum = 0.0;
  bool nesterov = false;
  double beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7, weight_decay = 0.004;
  bool amsgrad = false;
  double rho = 0.9;
  bool centered = false;

  std::shared_ptr<Optimizer> make() const {
    switch (kind) {
      case Kind::sgd: return std::make_shared<SGD>(lr, momentum, nesterov);
      case Kind::adam: return std::make_shared<Adam>(lr, beta_1, beta_2, epsilon, amsgrad);
      case Kind::adamw: return std::make_shared<AdamW>(lr, weight_decay, beta_1, beta_2, epsilon, amsgrad);
      case Kind::rmsprop: return std::make_shared<RMSprop>(lr, rho, momentum, epsilon, centered);
    }
    return nullptr;
  }
};

std::vector<OptCase> all_configs() {
  std::vector<OptCase> c;
  c.push_back({.label = "sgd", .kind = Kind::sgd, .lr = 0.1});
  c.push_back({.label = "sgd momentum", .kind = Kind::sgd, .lr = 0.1, .momentum = 0.9});
  c.push_back({.label = "sgd nesterov", .kind = Kind::sgd, .lr = 0.1, .momentum = 0.9, .nesterov = true});
  c.push_back({.label = "adam", .kind = Kind::adam, .lr = 0.01});
  c.push_back({.label = "adam amsgrad", .kind = Kind::adam, .lr = 0.01, .amsgrad = true});
  c.push_back({.label = "adamw", .kind = Kind::adamw, .lr = 0.01, .weight_decay = 0.05});
  c.push_back({.label = "rmsprop", .kind = Kind::rmsprop, .lr = 0.01});
  c.push_back({.label = "rmsprop momentum", .kind = Kind::rmsprop, .lr = 0.01, .momentum = 0.5});
  c.push_back({.label = "rmsprop centered", .kind = Kind::rmsprop, .lr = 0.01, .centered = true});
  c.push_back({.label = "rmsprop centered momentum", .kind = Kind::rmsprop, .lr = 0.01, .momentum = 0.5,
               .centered = true});
  return c;
}

// Keras 3's update_step, one element at a time, in long double. Returns the parameters after each step.
std::vector<std::vector<LD>> reference(const OptCase& c, std::vector<LD> w, const std::vector<std::vector<LD>>& grads,
                                       std::int64_t first_step = 1) {
  const std::size_t n = w.size();
  std::vector<LD> m(n, 0), v(n, 0), vh(n, 0), ag(n, 0);
  std::vector<std::vector<LD>> out;
  const LD lr = c.lr, mu = c.momentum, b1 = c.beta_1, b2 = c.beta_2, eps = c.epsilon, rho = c.rho;
  for (std::size_t s = 0; s < grads.size(); ++s) {
    const LD t = static_cast<LD>(first_step + static_cast<std::int64_t>(s));
    for (std::size_t i = 0; i < n; ++i) {
      const LD g = grads[s][i];
      switch (c.kind) {
        case Kind::sgd:
          if (mu == 0) {
            w[i] -= lr * g;
          } else {
            m[i] = mu * m[i] - lr * g;
            w[i] += c.nesterov ? mu * m[i] - lr * g : m[i];
          }
          break;
        case Kind::adamw:
          w[i] -= w[i] * LD(c.weight_decay) * lr;
          [[fallthrough]];
        case Kind::adam: {
          const LD alpha = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
          m[i] += (g - m[i]) * (1 - b1);
          v[i] += (g * g - v[i]) * (1 - b2);
          vh[i] = std::max(vh[i], v[i]);
          w[i] -= alpha * m[i] / (std::sqrt(c.amsgrad ? vh[i] : v[i]) + eps);
          break;
        }
        case Kind::rmsprop: {
          v[i] = rho * v[i] + (1 - rho) * g * g;
          LD denominator = v[i] + eps;
          if (c.centered) {
            ag[i] = rho * ag[i] + (1 - rho) * g;
            denominator = v[i] - ag[i] * ag[i] + eps;
          }
          const LD increment = lr * g / std::sqrt(denominator);
          if (mu > 0) {
            m[i] = mu * m[i] + increment;
            w[i] -= m[i];
          } else {
            w[i] -= increment;
          }
          break;
        }
      }
    }
    out.push_back(w);
  }
  return out;
}

// Inputs on a 1/256 grid, exact in float32 and float64; one zero gradient mid-run.
LD grid(double x) { return std::round(x * 256) / 256; }
std::vector<LD> make_init(std::int64_t n) {
  std::vector<LD> w(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) w[static_cast<std::size_t>(i)] = grid(std::sin(0.7 * double(i) + 0.3));
  return w;
}
std::vector<std::vector<LD>> make_grads(std::int64_t n, int steps = 5) {
  std::vector<std::vector<LD>> g(static_cast<std::size_t>(steps), std::vector<LD>(static_cast<std::size_t>(n)));
  for (int s = 0; s < steps; ++s)
    for (std::int64_t i = 0; i < n; ++i)
      g[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)] = grid(1.5 * std::sin(1.3 * double(i) + 2.1 * s + 0.5));
  if (n > 3 && steps > 2) g[2][3] = 0;
  return g;
}

Tensor tensor_of(const std::vector<LD>& v, DType dt) {
  std::vector<double> d(v.begin(), v.end());
  return Tensor::from_vector(d, Shape{static_cast<std::int64_t>(d.size())}).to(dt);
}
std::vector<double> doubles(const std::vector<LD>& v) { return {v.begin(), v.end()}; }

// Runs `c` for every step of `grads` and returns the variable's values after each step.
std::vector<std::vector<double>> run(const OptCase& c, const std::vector<LD>& init,
                                     const std::vector<std::vector<LD>>& grads, DType dt) {
  Variable var(tensor_of(init, dt), "dense/kernel");
  const Tensor handle = var.value();
  auto opt = c.make();
  std::vector<std::vector<double>> out;
  for (const auto& g : grads) {
    opt->apply_gradients({tensor_of(g, dt)}, {var});
    out.push_back(handle.to_vector<double>());  // the old handle sees the update: it was in place
  }
  BOOST_TEST(handle.is_same(var.value()));
  BOOST_TEST(opt->iterations() == static_cast<std::int64_t>(grads.size()));
  return out;
}

nlohmann::json read_golden(const std::string& file) {
  std::ifstream in(std::string(TG_SOURCE_DIR) + "/tests/golden/" + file);
  BOOST_REQUIRE_MESSAGE(in, "cannot open tests/golden/" << file);
  return nlohmann::json::parse(in);
}
// A golden tensor is a list of numbers or {"shape", "dtype", "data"}.
std::vector<LD> golden_values(const nlohmann::json& j) {
  const nlohmann::json& d = j.is_object() ? j.at("data") : j;
  std::vector<LD> v;
  for (const auto& x : d) v.push_back(x.get<double>());
  return v;
}
OptCase golden_config(const nlohmann::json& c) {
  const std::string k = c.at("keras_optimizer").get<std::string>();
  const auto& p = c.at("config");
  OptCase cfg{.label = c.at("name").get<std::string>(), .kind = Kind::sgd, .lr = p.at("learning_rate").get<double>()};
  if (k == "SGD") {
    cfg.momentum = p.at("momentum").get<double>();
    cfg.nesterov = p.at("nesterov").get<bool>();
  } else if (k == "Adam" || k == "AdamW") {
    cfg.kind = k == "Adam" ? Kind::adam : Kind::adamw;
    cfg.beta_1 = p.at("beta_1").get<double>();
    cfg.beta_2 = p.at("beta_2").get<double>();
    cfg.epsilon = p.at("epsilon").get<double>();
    cfg.amsgrad = p.at("amsgrad").get<bool>();
    if (k == "AdamW") cfg.weight_decay = p.at("weight_decay").get<double>();
  } else if (k == "RMSprop") {
    cfg.kind = Kind::rmsprop;
    cfg.rho = p.at("rho").get<double>();
    cfg.momentum = p.at("momentum").get<double>();
    cfg.epsilon = p.at("epsilon").get<double>();
    cfg.centered = p.at("centered").get<bool>();
  } else {
    BOOST_FAIL("unknown keras_optimizer " << k);
  }
  return cfg;
}
std::vector<std::vector<LD>> golden_rows(const nlohmann::json& rows) {
  std::vector<std::vector<LD>> out;
  for (const auto& r : rows) out.push_back(golden_values(r));
  return out;
}

// Bit patterns of every slot, for "unchanged" and "identical" checks.
std::vector<std::vector<double>> state_values(const Optimizer& opt, const std::vector<Variable>& vars) {
  std::vector<std::vector<double>> out;
  for (const auto& s : opt.state(vars)) out.push_back(s.value.to_vector<double>());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_optimizers)

BOOST_AUTO_TEST_CASE(updates_match_scalar_reference_on_every_isa) {
  for_each_isa([&](Isa) {
    for (const OptCase& c : all_configs())
      for (std::int64_t n : {7, 1023})
        for (DType dt : {DType::float64, DType::float32}) {
          const auto init = make_init(n);
          const auto grads = make_grads(n);
          const auto want = reference(c, init, grads);
          const auto got = run(c, init, grads, dt);
          const double rtol = dt == DType::float64 ? 1e-12 : 1e-6;
          const double atol = dt == DType::float64 ? 1e-14 : 1e-7;
          for (std::size_t s = 0; s < want.size(); ++s)
            check_close(tensor_of(std::vector<LD>(got[s].begin(), got[s].end()), DType::float64), doubles(want[s]),
                        rtol, atol, c.label + " " + dtype_name(dt) + " n=" + std::to_string(n) + " step " +
                                        std::to_string(s + 1));
        }
  });
}

BOOST_AUTO_TEST_CASE(every_isa_and_thread_count_gives_the_same_bits) {
  // No FMA in the kernels and tails run through the vector code: the ISA and the chunking
  // (threads) must not change a single bit. 100,352 elements = Dense(784, 128)'s kernel.
  const std::int64_t n = 784 * 128;
  const auto init = make_init(n);
  const auto grads = make_grads(n, 3);
  for (const OptCase& c : all_configs())
    for (DType dt : {DType::float32, DType::float64}) {
      std::vector<std::vector<double>> first;
      bool have_first = false;
      for_each_isa([&](Isa isa) {
        for (int threads : {1, 2}) {
          set_num_threads(threads);
          const auto got = run(c, init, grads, dt);
          if (!have_first) {
            first = got;
            have_first = true;
            // And the big run is right, not only consistent.
            const auto want = reference(c, init, grads);
            check_close(tensor_of(std::vector<LD>(got.back().begin(), got.back().end()), DType::float64),
                        doubles(want.back()), dt == DType::float64 ? 1e-12 : 1e-6, dt == DType::float64 ? 1e-14 : 1e-7,
                        c.label + " 100352");
          } else {
            BOOST_TEST((got == first), c.label << " " << dtype_name(dt) << " differs on " << isa_name(isa) << " with "
                                               << threads << " threads");
          }
        }
      });
      set_num_threads(0);
    }
}

BOOST_AUTO_TEST_CASE(golden_keras3_formulas_from_torch_float64) {
  const auto j = read_golden("torch_optimizers.json");
  BOOST_REQUIRE_GE(j.at("cases").size(), 8u);
  for_each_isa([&](Isa) {
    for (const auto& gc : j.at("cases")) {
      const OptCase c = golden_config(gc);
      const auto got = run(c, golden_values(gc.at("init")), golden_rows(gc.at("grads")), DType::float64);
      const auto want = golden_rows(gc.at("params_after_step"));
      BOOST_REQUIRE_EQUAL(got.size(), want.size());
      for (std::size_t s = 0; s < want.size(); ++s)
        check_close(tensor_of(std::vector<LD>(got[s].begin(), got[s].end()), DType::float64), doubles(want[s]), 1e-12,
                    1e-15, c.label + " step " + std::to_string(s + 1));
    }
  });
}

BOOST_AUTO_TEST_CASE(golden_tfjs_float32) {
  // tfjs' SGD, momentum and RMSprop are Keras 3's formulas (momentum up to float32 rounding, its
  // accumulator is -m/lr). Its Adam puts epsilon outside the bias correction (README): the `adam`
  // case still agrees to ~4e-7, `adam_tiny_grads` must NOT agree; it matches the torch file instead.
  const auto j = read_golden("keras_optimizers.json");
  const auto torch = read_golden("torch_optimizers.json");
  BOOST_REQUIRE_GE(j.at("cases").size(), 7u);
  for (const auto& gc : j.at("cases")) {
    const OptCase c = golden_config(gc);
    const auto got = run(c, golden_values(gc.at("init")), golden_rows(gc.at("grads")), DType::float32);
    const auto want = golden_rows(gc.at("params_after_step"));
    if (c.label == "adam_tiny_grads") {
      BOOST_TEST(!gc.at("matches_keras3_formula").get<bool>());
      double max_diff = 0;
      for (std::size_t i = 0; i < want.back().size(); ++i)
        max_diff = std::max(max_diff, std::fabs(got.back()[i] - double(want.back()[i])));
      BOOST_TEST(max_diff > 1e-3, "tiny-gradient Adam should differ from tfjs, max diff " << max_diff);
      for (const auto& tc : torch.at("cases"))
        if (tc.at("name") == "adam_tiny_grads")
          check_close(tensor_of(std::vector<LD>(got.back().begin(), got.back().end()), DType::float64),
                      doubles(golden_rows(tc.at("params_after_step")).back()), 1e-5, 1e-6, "adam_tiny_grads vs torch");
      continue;
    }
    const double atol = c.label.find("tiny") != std::string::npos ? 1e-5 : (c.label == "adam" ? 1e-6 : 1e-7);
    for (std::size_t s = 0; s < want.size(); ++s)
      check_close(tensor_of(std::vector<LD>(got[s].begin(), got[s].end()), DType::float64), doubles(want[s]), 1e-5,
                  atol, "tfjs " + c.label + " step " + std::to_string(s + 1));
  }
}

BOOST_AUTO_TEST_CASE(known_values_from_keras_docs_and_tests) {
  auto steps = [](std::shared_ptr<Optimizer> opt, std::vector<double> w0, std::vector<std::vector<double>> gs) {
    Variable v(Tensor::from_vector(w0, Shape{static_cast<std::int64_t>(w0.size())}).to(DType::float32), "v");
    for (auto& g : gs) opt->apply_gradients({Tensor::from_vector(g, Shape{v.shape()[0]}).to(DType::float32)}, {v});
    return v.value();
  };
  // SGD docs: lr 0.1, loss var^2/2 (grad = var), var 1 -> 0.9. With momentum 0.9 the second step has
  // grad 0.9: m = 0.9 * -0.1 - 0.1 * 0.9 = -0.18, var = 0.72.
  check_close(steps(std::make_shared<SGD>(0.1), {1.0}, {{1.0}}), {0.9}, 1e-6, 0);
  check_close(steps(std::make_shared<SGD>(0.1, 0.9), {1.0}, {{1.0}, {0.9}}), {0.72}, 1e-6, 0);
  // RMSprop docs: lr 0.1, var 10, grad 10 -> 9.683772.
  check_close(steps(std::make_shared<RMSprop>(0.1), {10.0}, {{10.0}}), {9.683772}, 1e-6, 0);
  // keras/src/optimizers/*_test.py test_single_step: lr 0.5, var [1, 2, 3, 4], grad [1, 6, 7, 2].
  check_close(steps(std::make_shared<SGD>(0.5), {1, 2, 3, 4}, {{1, 6, 7, 2}}), {0.5, -1.0, -0.5, 3.0}, 1e-4, 1e-4);
  check_close(steps(std::make_shared<Adam>(0.5), {1, 2, 3, 4}, {{1, 6, 7, 2}}), {0.5, 1.5, 2.5, 3.5}, 1e-4, 1e-4);
  check_close(steps(std::make_shared<RMSprop>(0.5), {1, 2, 3, 4}, {{1, 6, 7, 2}}), {-0.5811, 0.4189, 1.4189, 2.4189},
              1e-4, 1e-4);
  // test_weight_decay: weight_decay 0.004 at lr 1 with zero gradients, three fresh optimizers -> 1.9760959.
  {
    Variable v(Tensor::scalar(2.0, DType::float32), "v");
    for (int i = 0; i < 3; ++i) AdamW(1.0, 0.004).apply_gradients({Tensor::scalar(0.0, DType::float32)}, {v});
    BOOST_TEST(std::fabs(v.value().item() - 1.9760959) < 1e-6);
  }
  // test_correctness_with_golden: ones(10), first gradient 0.01, then arange(0.1, 1.1, 0.1).
  auto golden_run = [](std::shared_ptr<Optimizer> opt, const std::vector<std::vector<double>>& want) {
    Variable x(Tensor::ones(Shape{10}, DType::float32), "x");
    opt->apply_gradients({Tensor::full(Shape{10}, 0.01, DType::float32)}, {x});
    const Tensor grads = Tensor::arange(0.1, 1.05, 0.1, DType::float32);
    for (const auto& row : want) {
      check_close(x.value(), row, 5e-4, 5e-4, opt->class_name() + " keras golden");
      opt->apply_gradients({grads}, {x});
    }
  };
  auto tile = [](std::vector<double> col) {
    std::vector<std::vector<double>> r;
    for (double c : col) r.emplace_back(10, c);
    return r;
  };
  golden_run(std::make_shared<Adam>(0.001, 0.9, 0.999, 1e-7, true), tile({0.999, 0.9982, 0.9974, 0.9965, 0.9955}));
  golden_run(std::make_shared<RMSprop>(0.001, 0.9, 0.0, 1e-7, true), tile({0.9967, 0.9933, 0.9908, 0.9885, 0.9864}));
  std::vector<std::vector<double>> sgd_golden{std::vector<double>(10, 0.9999)};
  for (int s = 1; s < 5; ++s) {
    sgd_golden.emplace_back();
    for (int i = 0; i < 10; ++i) sgd_golden.back().push_back(0.9999 - 0.001 * s * (i + 1));
  }
  golden_run(std::make_shared<SGD>(0.01, 0.0, true), sgd_golden);
}

BOOST_AUTO_TEST_CASE(exponential_decay_and_scheduled_learning_rate) {
  ExponentialDecay smooth(0.1, 10, 0.5), stairs(0.1, 10, 0.5, true);
  BOOST_TEST(smooth(0) == 0.1);
  BOOST_TEST(std::fabs(smooth(5) - 0.1 * std::sqrt(0.5)) < 1e-16);
  BOOST_TEST(std::fabs(smooth(10) - 0.05) < 1e-17);
  BOOST_TEST(std::fabs(smooth(25) - 0.1 * std::pow(0.5, 2.5)) < 1e-16);
  BOOST_TEST(stairs(9) == 0.1);
  BOOST_TEST(stairs(15) == 0.05);
  BOOST_TEST(stairs(29) == 0.025);
  BOOST_TEST(smooth.class_name() == "ExponentialDecay");
  BOOST_TEST(stairs.get_config(KerasFormat::keras3).at("staircase") == true);
  BOOST_TEST(smooth.get_config(KerasFormat::keras3).at("decay_steps") == 10);
  check_throws_with([] { ExponentialDecay(0.1, 0, 0.5); }, {"ExponentialDecay", "decay_steps", "0"});

  // The update uses the schedule at the iterations before the increment: step k moves by lr(k) * g.
  auto sched = std::make_shared<ExponentialDecay>(0.1, 1, 0.5);
  SGD opt(sched);
  BOOST_TEST(opt.learning_rate() == 0.1);
  Variable v(Tensor::zeros(Shape{1}, DType::float64), "v");
  double want = 0;
  for (int k = 0; k < 4; ++k) {
    BOOST_TEST(opt.learning_rate() == (*sched)(k));
    opt.apply_gradients({Tensor::ones(Shape{1}, DType::float64)}, {v});
    want -= 0.1 * std::pow(0.5, k);
    BOOST_TEST(v.value().item() == want);
  }
  BOOST_TEST(opt.learning_rate() == (*sched)(4));
  opt.set_learning_rate(0.25);
  BOOST_TEST(!opt.learning_rate_schedule());
  BOOST_TEST(opt.learning_rate() == 0.25);
}

BOOST_AUTO_TEST_CASE(iterations_counter) {
  Adam opt;
  BOOST_TEST(opt.iterations() == 0);
  Variable a(Tensor::ones(Shape{3}, DType::float32), "a"), b(Tensor::ones(Shape{2}, DType::float32), "b");
  opt.apply_gradients({Tensor::ones(Shape{3}, DType::float32), Tensor()}, {a, b});  // b has no gradient: skipped
  BOOST_TEST(opt.iterations() == 1);
  check_close(b.value(), {1, 1}, 0, 0, "b untouched");
  BOOST_TEST(a.value().to_vector<double>()[0] < 1.0);
  opt.apply_gradients({Tensor(), Tensor()}, {a, b});
  BOOST_TEST(opt.iterations() == 2);
  // Adam's bias correction reads iterations: a resumed counter gives the step-t update.
  OptCase c{.label = "adam", .kind = Kind::adam, .lr = 0.01};
  Adam resumed(0.01);
  resumed.set_iterations(41);
  const auto init = make_init(7);
  const auto grads = make_grads(7, 1);
  Variable w(tensor_of(init, DType::float64), "w");
  resumed.apply_gradients({tensor_of(grads[0], DType::float64)}, {w});
  check_close(w.value(), doubles(reference(c, init, grads, 42)[0]), 1e-12, 1e-14, "step 42");
  BOOST_TEST(resumed.iterations() == 42);
  check_throws_with([&] { resumed.set_iterations(-1); }, {"Adam", "iterations", "-1"});
}

BOOST_AUTO_TEST_CASE(state_names_follow_keras3) {
  Variable k(Tensor::zeros(Shape{2, 3}), "dense/kernel"), bias(Tensor::zeros(Shape{3}), "dense/bias");
  auto names = [&](const Optimizer& o) {
    std::vector<std::string> r;
    for (const auto& s : o.state({k, bias})) r.push_back(s.name);
    return r;
  };
  using V = std::vector<std::string>;
  BOOST_TEST(names(Adam()) == (V{"adam/iteration", "adam/learning_rate", "adam/dense_kernel_momentum",
                                 "adam/dense_bias_momentum", "adam/dense_kernel_velocity", "adam/dense_bias_velocity"}),
             boost::test_tools::per_element());
  BOOST_TEST(names(SGD()) == (V{"SGD/iteration", "SGD/learning_rate"}), boost::test_tools::per_element());
  BOOST_TEST(names(SGD(0.01, 0.9)) == (V{"SGD/iteration", "SGD/learning_rate", "SGD/dense_kernel_momentum",
                                         "SGD/dense_bias_momentum"}),
             boost::test_tools::per_element());
  BOOST_TEST(names(AdamW(0.001, 0.004, 0.9, 0.999, 1e-7, true)).back() == "adamw/dense_bias_velocity_hat");
  BOOST_TEST(names(RMSprop(0.001, 0.9, 0.5, 1e-7, true)) ==
                 (V{"rmsprop/iteration", "rmsprop/learning_rate", "rmsprop/dense_kernel_velocity",
                    "rmsprop/dense_bias_velocity", "rmsprop/dense_kernel_momentum", "rmsprop/dense_bias_momentum",
                    "rmsprop/dense_kernel_average_gradient", "rmsprop/dense_bias_average_gradient"}),
             boost::test_tools::per_element());
  BOOST_TEST(names(SGD(std::make_shared<ExponentialDecay>(0.1, 10, 0.9))) == (V{"SGD/iteration"}),
             boost::test_tools::per_element());
  const auto st = Adam().state({k, bias});
  BOOST_TEST(st[0].value.dtype() == DType::int64);
  BOOST_TEST(st[0].value.item() == 0.0);
  BOOST_TEST(st[1].value.item() == 0.001);
  BOOST_TEST((st[2].value.shape() == Shape{2, 3}));
  BOOST_TEST(st[2].value.dtype() == DType::float32);
}

BOOST_AUTO_TEST_CASE(state_round_trip_resumes_bit_exactly) {
  const std::vector<OptCase> cases = {all_configs()[2], all_configs()[4], all_configs()[5], all_configs()[9]};
  for (const OptCase& c : cases)
    for (DType dt : {DType::float32, DType::float64}) {
      const auto init = make_init(33);
      const auto grads = make_grads(33, 6);
      Variable wa(tensor_of(init, dt), "dense/kernel"), ba(tensor_of(make_init(5), dt), "dense/bias");
      auto a = c.make();
      const Tensor gb = tensor_of(make_init(5), dt);
      for (int s = 0; s < 3; ++s) a->apply_gradients({tensor_of(grads[s], dt), gb}, {wa, ba});
      // b: a fresh optimizer on fresh variables holding a's values, restored from a's state.
      Variable wb(wa.value().clone(), "dense/kernel"), bb(ba.value().clone(), "dense/bias");
      auto b = c.make();
      auto saved = a->state({wa, ba});
      std::reverse(saved.begin(), saved.end());  // matched by name, not position
      b->load_state({wb, bb}, saved);
      BOOST_TEST(b->iterations() == 3);
      saved[0].value.fill(123.0);  // state() gave copies: the optimizers do not see this
      for (int s = 3; s < 6; ++s) {
        a->apply_gradients({tensor_of(grads[s], dt), gb}, {wa, ba});
        b->apply_gradients({tensor_of(grads[s], dt), gb}, {wb, bb});
        BOOST_TEST((wa.value().to_vector<double>() == wb.value().to_vector<double>()), c.label << " step " << s);
        BOOST_TEST((ba.value().to_vector<double>() == bb.value().to_vector<double>()), c.label << " step " << s);
      }
      BOOST_TEST((state_values(*a, {wa, ba}) == state_values(*b, {wb, bb})), c.label);
      check_close(wa.value(), doubles(reference(c, init, grads).back()), dt == DType::float64 ? 1e-12 : 1e-6,
                  dt == DType::float64 ? 1e-14 : 1e-7, c.label + " resumed run vs reference");
    }
}

BOOST_AUTO_TEST_CASE(load_state_checks_everything_before_assigning) {
  Variable k(Tensor::ones(Shape{2, 3}), "dense/kernel"), bias(Tensor::ones(Shape{3}), "dense/bias");
  Adam opt(0.01);
  opt.apply_gradients({Tensor::ones(Shape{2, 3}), Tensor::ones(Shape{3})}, {k, bias});
  const auto before = state_values(opt, {k, bias});
  auto good = opt.state({k, bias});
  for (auto& s : good) s.value.fill(7.0);  // a different, valid state

  auto bad = good;
  bad.back().value = Tensor::zeros(Shape{4});  // adam/dense_bias_velocity, the last one checked
  check_throws_with([&] { opt.load_state({k, bias}, bad); }, {"Adam.load_state", "adam/dense_bias_velocity", "(4,)", "(3,)"});
  BOOST_TEST((state_values(opt, {k, bias}) == before));
  BOOST_TEST(opt.iterations() == 1);
  BOOST_TEST(opt.learning_rate() == 0.01);

  bad = good;
  bad.pop_back();
  check_throws_with([&] { opt.load_state({k, bias}, bad); }, {"missing slot 'adam/dense_bias_velocity'"});
  bad = good;
  bad[3].name = "adam/dense_bias_momentun";
  check_throws_with([&] { opt.load_state({k, bias}, bad); }, {"unknown slot 'adam/dense_bias_momentun'"});
  bad = good;
  bad[0].value = Tensor::scalar(-1.0, DType::int64);
  check_throws_with([&] { opt.load_state({k, bias}, bad); }, {"adam/iteration", "-1"});
  BOOST_TEST((state_values(opt, {k, bias}) == before));

  opt.load_state({k, bias}, good);
  BOOST_TEST(opt.iterations() == 7);
  BOOST_TEST(opt.learning_rate() == 7.0);
  for (const auto& v : state_values(opt, {k, bias}))
    for (double x : v) BOOST_TEST(x == 7.0);
}

BOOST_AUTO_TEST_CASE(apply_gradients_checks_all_before_updating_any) {
  Variable a(Tensor::ones(Shape{2, 3}), "dense/kernel"), b(Tensor::ones(Shape{3, 2}), "dense_1/kernel");
  RMSprop opt(0.1, 0.9, 0.5);
  const auto ga = Tensor::ones(Shape{2, 3});
  check_throws_with([&] { opt.apply_gradients({ga, Tensor::ones(Shape{2, 3})}, {a, b}); },
                    {"RMSprop.apply_gradients", "'dense_1/kernel'", "(2, 3)", "(3, 2)"});
  check_throws_with([&] { opt.apply_gradients({ga, Tensor::ones(Shape{3, 2}, DType::float64)}, {a, b}); },
                    {"'dense_1/kernel'", "float64", "float32"});
  check_throws_with([&] { opt.apply_gradients({ga}, {a, b}); }, {"1 gradients for 2 variables"});
  Variable ints(Tensor::zeros(Shape{2}, DType::int32), "step", false);
  check_throws_with([&] { opt.apply_gradients({Tensor::zeros(Shape{2}, DType::int32)}, {ints}); }, {"'step'", "int32"});
  check_close(a.value(), std::vector<double>(6, 1.0), 0, 0, "a untouched");
  check_close(b.value(), std::vector<double>(6, 1.0), 0, 0, "b untouched");
  BOOST_TEST(opt.iterations() == 0);
  for (const auto& s : opt.state({a, b}))
    for (double x : s.value.to_vector<double>()) BOOST_TEST(x == (s.name == "rmsprop/learning_rate" ? 0.1 : 0.0));
  check_throws_with([] { SGD(0.1, 1.5); }, {"SGD", "momentum", "1.5"});
  check_throws_with([] { RMSprop(0.1, 1.1); }, {"RMSprop", "rho"});
  check_throws_with([] { AdamW(0.1, -1.0); }, {"AdamW", "weight_decay"});
}

BOOST_AUTO_TEST_CASE(get_optimizer_names_defaults_and_config) {
  struct Want {
    const char* key;
    const char* name;
    double lr;
  };
  for (const Want& w : {Want{"sgd", "SGD", 0.01}, Want{"SGD", "SGD", 0.01}, Want{"Adam", "Adam", 0.001},
                        Want{"adamw", "AdamW", 0.001}, Want{"AdamW", "AdamW", 0.001}, Want{"RMSprop", "RMSprop", 0.001},
                        Want{"rmsprop", "RMSprop", 0.001}}) {
    const auto opt = get_optimizer(w.key);
    BOOST_TEST(opt->class_name() == w.name);
    BOOST_TEST(opt->learning_rate() == w.lr);
    BOOST_TEST(opt->get_config(KerasFormat::keras3).at("learning_rate") == w.lr);
  }
  const auto adam = get_optimizer("adam")->get_config(KerasFormat::keras3);
  BOOST_TEST(adam.at("beta_1") == 0.9);
  BOOST_TEST(adam.at("beta_2") == 0.999);
  BOOST_TEST(adam.at("epsilon") == 1e-7);
  BOOST_TEST(adam.at("amsgrad") == false);
  BOOST_TEST(adam.at("weight_decay").is_null());
  BOOST_TEST(get_optimizer("adamw")->get_config(KerasFormat::keras3).at("weight_decay") == 0.004);
  const auto rms = get_optimizer("rmsprop")->get_config(KerasFormat::keras3);
  BOOST_TEST(rms.at("rho") == 0.9);
  BOOST_TEST(rms.at("momentum") == 0.0);
  BOOST_TEST(rms.at("centered") == false);
  BOOST_TEST(SGD(0.1, 0.9, true).get_config(KerasFormat::keras3).at("nesterov") == true);
  BOOST_TEST(get_optimizer("sgd")->scope() == "SGD");
  BOOST_TEST(get_optimizer("adamw")->scope() == "adamw");
  try {
    get_optimizer("adagrad");
    BOOST_ERROR("no exception");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()) ==
               "unknown optimizer 'adagrad'; expected one of: sgd, adam, adamw, rmsprop (known classes: Adam, AdamW, RMSprop, SGD)");
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tg::nn
