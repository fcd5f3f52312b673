// Checks of distributed/ that need several processes: run under `mpirun -np N` (ctest runs N = 2
// and 3, see tests/CMakeLists.txt). Usage: tapegrad_mpi_checks CHECK, CHECK one of collectives,
// mismatch, shard, fit, tape, dropout, throw, terminate. Every rank checks its own values; the
// program exits non-zero when any rank failed. Expected values are written out by hand (sums
// over ranks in closed form) or come from the same computation in one process at the global
// batch, which is what data parallelism must reproduce.
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>

#include "tapegrad.hpp"

namespace {

using namespace tg;
namespace dist = tg::distributed;

int failures = 0;
#define CHECK(cond, what)                                                                              \
  do {                                                                                                 \
    if (!(cond)) {                                                                                     \
      ++failures;                                                                                      \
      std::cerr << "rank " << dist::rank() << ": FAILED " << #cond << " (" << what << ") line " << __LINE__ << "\n"; \
    }                                                                                                  \
  } while (0)

bool close(double a, double b, double tol) { return std::fabs(a - b) <= tol * std::max(1.0, std::fabs(b)); }

// ---- collectives: sums, means, weighted means, fusion call counts, broadcast ----
void check_collectives(dist::Environment& env) {
  const int r = env.rank(), n = env.size();
  const double rs = n * (n + 1) / 2.0;  // sum over ranks of (r + 1)
  Tensor a = Tensor::from_vector(std::vector<float>{1.0f * (r + 1), 2.0f * (r + 1), 0.5f}, Shape{3});
  Tensor b = Tensor::from_vector(std::vector<double>{1e-3 * (r + 1), -3.0 * r}, Shape{2, 1});
  Tensor c = Tensor::full(Shape{17}, r == 0 ? 1.0 : 2.0, DType::float32);
  const std::int64_t calls0 = dist::allreduce_calls();
  auto sum = dist::allreduce({a, b, c}, /*average=*/false);
  CHECK(dist::allreduce_calls() - calls0 == 2, "one fused call per dtype, got " << dist::allreduce_calls() - calls0);
  CHECK(sum[0].dtype() == DType::float32 && sum[1].dtype() == DType::float64, "dtypes kept");
  CHECK(close(sum[0].at({0}), rs, 1e-7) && close(sum[0].at({1}), 2 * rs, 1e-7) && close(sum[0].at({2}), 0.5 * n, 1e-7), "float32 sum");
  CHECK(close(sum[1].at({0, 0}), 1e-3 * rs, 1e-15) && close(sum[1].at({1, 0}), -3.0 * (rs - n), 1e-15), "float64 sum");
  CHECK(close(sum[2].at({16}), 1.0 + 2.0 * (n - 1), 1e-7), "float32 sum of the odd-size tensor");
  CHECK(a.at({0}) == r + 1, "the input is not changed");
  auto mean = dist::allreduce({a, b});
  CHECK(close(mean[0].at({1}), 2 * rs / n, 1e-7) && close(mean[1].at({1, 0}), -3.0 * (rs - n) / n, 1e-15), "means");

  // A fusion buffer of 16 bytes: 4 floats or 2 doubles per call -> ceil(20/4) + ceil(2/2) calls.
  env.set_fusion_bytes(16);
  const std::int64_t calls1 = dist::allreduce_calls();
  auto small = dist::allreduce({a, b, c}, false);
  CHECK(dist::allreduce_calls() - calls1 == 5 + 1, "calls with a 16-byte buffer: " << dist::allreduce_calls() - calls1);
  CHECK(close(small[2].at({3}), 1.0 + 2.0 * (n - 1), 1e-7) && close(small[0].at({2}), 0.5 * n, 1e-7), "values through a small buffer");
  env.set_fusion_bytes(std::int64_t{64} << 20);

  // Weighted mean with weight r: rank 0 has no samples (undefined gradients); the second
  // tensor is undefined on every rank and stays so.
  Variable va(Tensor::zeros(Shape{3}), "va"), vb(Tensor::zeros(Shape{2}, DType::float64), "vb");
  Tensor ga = r == 0 ? Tensor() : Tensor::from_vector(std::vector<float>{1.0f * r, 1.0f, -2.0f * r}, Shape{3});
  std::vector<double> extra{1.0 * r, 0.5};  // summed in the same call
  const std::int64_t calls2 = dist::allreduce_calls();
  auto wm = dist::weighted_average({ga, Tensor()}, {va, vb}, r, &extra);
  CHECK(dist::allreduce_calls() - calls2 == 2, "float32 and float64 variables: 2 calls");
  const double sr = n * (n - 1) / 2.0, sr2 = (n - 1) * n * (2 * n - 1) / 6.0;  // sums of r and r^2
  CHECK(close(wm[0].at({0}), sr2 / sr, 1e-6) && close(wm[0].at({1}), 1.0, 1e-6) && close(wm[0].at({2}), -2 * sr2 / sr, 1e-6),
        "weighted mean " << wm[0].at({0}));
  CHECK(!wm[1].defined(), "undefined everywhere stays undefined");
  CHECK(extra[0] == n * (n - 1) / 2.0 && extra[1] == 0.5 * n, "sums riding with the gradients");

  // From 128 KiB up the sum goes round a ring of sends (uneven chunks: 100 003 elements over n
  // ranks). Element i of rank r is (r + 1) * (i % 1000) / 8 + r / 4: exact in float32, so the sum
  // is exact, rs * (i % 1000) / 8 + (n - 1) n / 8, whatever the order of the additions.
  for (const DType dt : {DType::float32, DType::float64}) {
    const std::int64_t big = 100003;
    std::vector<double> vals(static_cast<std::size_t>(big));
    for (std::int64_t i = 0; i < big; ++i) vals[static_cast<std::size_t>(i)] = (r + 1) * static_cast<double>(i % 1000) / 8 + r / 4.0;
    const Tensor t = Tensor::from_vector(vals, Shape{big}).to(dt);
    const std::int64_t calls3 = dist::allreduce_calls();
    const Tensor s = dist::allreduce({t}, false)[0];
    CHECK(dist::allreduce_calls() - calls3 == 1, "one ring call for " << dtype_name(dt));
    std::int64_t wrong = 0;
    const std::vector<double> got = s.to_vector<double>();
    for (std::int64_t i = 0; i < big; ++i)
      if (got[static_cast<std::size_t>(i)] != rs * static_cast<double>(i % 1000) / 8 + (n - 1) * n / 8.0) ++wrong;
    CHECK(wrong == 0, wrong << " wrong elements of the ring sum, " << dtype_name(dt));
  }

  bool threw = false;
  try {
    dist::allreduce({Tensor::zeros(Shape{2}, DType::int64)});
  } catch (const std::invalid_argument& e) {
    threw = std::string(e.what()).find("int64") != std::string::npos;
  }
  CHECK(threw, "allreduce refuses int64, naming the dtype");

  // Broadcast from the last rank, variables and an int64 tensor.
  const int root = n - 1;
  Variable w1(Tensor::full(Shape{2, 3}, 10.0 * r), "w1"), w2(Tensor::full(Shape{4}, -1.0 * r, DType::float64), "w2");
  dist::broadcast(std::vector<Variable>{w1, w2}, root);
  CHECK(w1.value().at({1, 2}) == 10.0 * root && w2.value().at({3}) == -1.0 * root, "broadcast variables");
  Tensor steps = Tensor::full(Shape{1}, 100 + r, DType::int64);
  dist::broadcast(std::vector<Tensor>{steps}, root);
  CHECK(steps.at({0}) == 100 + root, "broadcast int64");

  // Optimizer state: rank 0's Adam slots and iteration count on every rank.
  Variable p(Tensor::full(Shape{3}, 1.0), "p");
  nn::Adam adam;
  for (int i = 0; i <= r; ++i) adam.apply_gradients({Tensor::full(Shape{3}, 0.1 * (r + 1))}, {p});
  dist::DistributedOptimizer dopt(std::make_shared<nn::Adam>());
  dist::broadcast(adam, std::vector<Variable>{p}, 0);
  CHECK(adam.iterations() == 1, "iterations from rank 0: " << adam.iterations());

  // nn's hook: sums of doubles.
  std::vector<double> v{1.0 * r, 1.0};
  env.sum(v);
  CHECK(v[0] == sr && v[1] == n, "ProcessGroup::sum");
}

// ---- mismatch: models that differ are named at the first broadcast, on every rank ----
void check_mismatch(dist::Environment& env) {
  const int r = env.rank();
  auto message_of = [](const std::vector<Variable>& vars) {
    try {
      dist::broadcast(vars, 0);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  nn::Sequential a({nn::Dense(r == 1 ? 4 : 3)});
  a.build(Shape{5});
  const std::string m1 = message_of(a.weights());
  CHECK(m1.find("rank 1") != std::string::npos && m1.find("variable 0") != std::string::npos &&
            m1.find("shape (5, 4), on rank 0 (5, 3)") != std::string::npos,
        "shape mismatch message: " << m1);
  nn::Sequential b({nn::Dense(3, "linear", {.use_bias = r != env.size() - 1})});
  b.build(Shape{2});
  const std::string m2 = message_of(b.weights());
  CHECK(m2.find("rank " + std::to_string(env.size() - 1)) != std::string::npos && m2.find("1 variables, rank 0 has 2") != std::string::npos,
        "count mismatch message: " << m2);
  nn::Sequential c({nn::Dense(3, "linear", {.dtype = r == 1 ? DType::float64 : DType::float32})});
  c.build(Shape{2});
  const std::string m3 = message_of(c.weights());
  CHECK(m3.find("rank 1") != std::string::npos && m3.find("dtype float64, on rank 0 float32") != std::string::npos,
        "dtype mismatch message: " << m3);
  std::cout << (r == 0 ? "mismatch messages: " + m1 + "\n  " + m2 + "\n  " + m3 + "\n" : "");
}

// ---- shard: every sample once per epoch, and the slices of the one-process global batch ----
void check_shard(dist::Environment& env) {
  const int r = env.rank(), n = env.size();
  for (std::int64_t total : {37, 30, 5}) {
    const std::int64_t per = 4;
    Tensor ids = Tensor::arange(0, static_cast<double>(total), 1, DType::float64).reshape({total, 1});
    nn::Dataset data(ids), one(ids);
    Generator g(11), g1(11);
    for (int epoch = 0; epoch < 2; ++epoch) {
      data.shuffle(g), one.shuffle(g1);
      std::vector<double> seen(static_cast<std::size_t>(total), 0.0);
      const std::int64_t steps = data.num_global_batches(per, n);
      CHECK(steps == (total + per * n - 1) / (per * n), "global batch count");
      for (std::int64_t s = 0; s < steps; ++s) {
        const Tensor x = data.shard(s, per, r, n).xs.front();
        CHECK(x.shape()[0] == data.shard_rows(s, per, r, n), "shard_rows");
        const Tensor whole = one.batch(s, per * n).x;  // one process at batch n * per
        for (std::int64_t i = 0; i < x.shape()[0]; ++i) {
          seen[static_cast<std::size_t>(x.at({i, 0}))] += 1;
          CHECK(x.at({i, 0}) == whole.at({r * per + i, 0}), "slice of the global batch");
        }
      }
      env.sum(seen);
      for (std::int64_t i = 0; i < total; ++i) CHECK(seen[static_cast<std::size_t>(i)] == 1, "sample " << i << " seen " << seen[i]);
    }
  }
}

// ---- the seed model, 1 process at batch N*16 vs N ranks at 16 ----
struct Data {
  Tensor x, y;
};
Data make_data(std::int64_t n, DType dt) {
  Generator g(5);
  Data d{Tensor::uniform(Shape{n, 4, 5}, -1, 1, g, dt), Tensor(Shape{n}, DType::float32)};
  for (std::int64_t i = 0; i < n; ++i) d.y.data<float>()[i] = static_cast<float>(g.next_below(10));
  return d;
}

std::shared_ptr<nn::Sequential> seed_model(DType dt, bool with_dropout, double rate = 0) {
  nn::set_random_seed(7);
  auto m = std::make_shared<nn::Sequential>();
  m->add(nn::Flatten());
  m->add(nn::Dense(128, "relu", {.dtype = dt}));
  if (with_dropout) m->add(nn::Dropout(rate));
  m->add(nn::Dense(10, "softmax", {.dtype = dt}));
  m->build(Shape{4, 5});
  return m;
}

// max |a - b| / max |b| over each weight tensor
double max_rel_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto va = a[i].to_vector<double>(), vb = b[i].to_vector<double>();
    double d = 0, m = 0;
    for (std::size_t k = 0; k < va.size(); ++k) d = std::max(d, std::fabs(va[k] - vb[k])), m = std::max(m, std::fabs(vb[k]));
    worst = std::max(worst, d / std::max(m, 1e-30));
  }
  return worst;
}

// 790 samples, 2 epochs: 50 steps at global batch 32 with N = 2, the last batch of each epoch short.
void check_fit(dist::Environment& env) {
  const int n = env.size();
  for (DType dt : {DType::float32, DType::float64})
    for (bool dropout : {false, true}) {
      const Data d = make_data(790, dt);
      nn::FitOptions fo;
      fo.epochs = 2, fo.verbose = 0, fo.seed = 3;
      // One process at the global batch: the process group is set aside while it runs.
      nn::ProcessGroup* group = nn::set_process_group(nullptr);
      auto ref = seed_model(dt, dropout);
      ref->compile(std::make_shared<nn::Adam>(), std::make_shared<nn::SparseCategoricalCrossentropy>(), {"accuracy"});
      fo.batch_size = 16 * n;
      const nn::History h1 = ref->fit(d.x, d.y, fo);
      const auto e1 = ref->evaluate(d.x, d.y, 16 * n);
      nn::set_process_group(group);

      auto model = seed_model(dt, dropout);
      model->compile(std::make_shared<nn::Adam>(), std::make_shared<nn::SparseCategoricalCrossentropy>(), {"accuracy"});
      fo.batch_size = 16;
      const std::int64_t calls0 = dist::allreduce_calls();
      const nn::History hn = model->fit(d.x, d.y, fo);
      const std::int64_t steps = 2 * ((790 + 16 * n - 1) / (16 * n));
      const std::int64_t calls = dist::allreduce_calls() - calls0;
      const auto en = model->evaluate(d.x, d.y, 16);
      const double tol = dt == DType::float32 ? 1e-5 : 1e-12;
      const double diff = max_rel_diff(model->get_weights(), ref->get_weights());
      CHECK(diff <= tol, dtype_name(dt) << (dropout ? " with Dropout(0)" : "") << ": weights differ by " << diff << " relative");
      CHECK(close(hn.history.at("loss").back(), h1.history.at("loss").back(), 1e-5) &&
                close(hn.history.at("accuracy").back(), h1.history.at("accuracy").back(), 1e-12),
            "reported loss/accuracy are global: " << hn.history.at("loss").back() << " vs " << h1.history.at("loss").back());
      CHECK(close(en.at("loss"), e1.at("loss"), 1e-5) && en.at("accuracy") == e1.at("accuracy"),
            "evaluate is global: " << en.at("loss") << " vs " << e1.at("loss"));
      // Per step one call for the gradients with the loss and count; per epoch one for the
      // metrics; one for the model check of the broadcast at train begin.
      CHECK(calls == steps + 2 + 1, "MPI_Allreduce calls " << calls << " for " << steps << " steps");
      if (env.rank() == 0)
        std::cout << dtype_name(dt) << (dropout ? " +Dropout(0)" : "") << ": fit on " << n << " ranks x 16 vs 1 x " << 16 * n << ", "
                  << steps << " steps: max relative weight difference " << diff << "\n";
    }
}

// The same with a GradientTape loop and DistributedOptimizer.
void check_tape(dist::Environment& env) {
  const int r = env.rank(), n = env.size();
  for (DType dt : {DType::float32, DType::float64}) {
    const Data d = make_data(790, dt);
    nn::SparseCategoricalCrossentropy loss_fn;
    auto run = [&](nn::Sequential& model, auto&& apply, std::int64_t per, int rank, int size) {
      nn::Dataset data(d.x, d.y);
      Generator g(3);
      for (int epoch = 0; epoch < 2; ++epoch) {
        data.shuffle(g);
        for (std::int64_t s = 0; s < data.num_global_batches(per, size); ++s) {
          const auto b = data.shard(s, per, rank, size);
          const std::int64_t rows = b.xs[0].shape()[0];
          std::vector<Tensor> grads(model.trainable_variables().size());
          if (rows > 0) {
            GradientTape tape;
            grads = tape.gradient(loss_fn(b.ys[0], model(b.xs[0], true)), model.trainable_variables());
          }
          apply(grads, static_cast<double>(rows));
        }
      }
    };
    auto ref = seed_model(dt, false);
    nn::Adam adam;
    run(*ref, [&](const std::vector<Tensor>& g, double) { adam.apply_gradients(g, ref->trainable_variables()); }, 16 * n, 0, 1);

    auto model = seed_model(dt, false);
    dist::DistributedOptimizer opt(std::make_shared<nn::Adam>());
    opt.broadcast(model->trainable_variables());
    run(*model, [&](const std::vector<Tensor>& g, double rows) { opt.apply_gradients(g, model->trainable_variables(), rows); }, 16, r, n);
    const double diff = max_rel_diff(model->get_weights(), ref->get_weights());
    CHECK(diff <= (dt == DType::float32 ? 1e-5 : 1e-12), dtype_name(dt) << " tape loop: weights differ by " << diff);
    if (r == 0) std::cout << dtype_name(dt) << ": GradientTape + DistributedOptimizer: max relative weight difference " << diff << "\n";
  }
  // train_on_batch: each rank passes its own rows (rank r: 5 + r of them) of one batch.
  const Data d = make_data(5 * n + n * (n - 1) / 2, DType::float64);
  nn::ProcessGroup* group = nn::set_process_group(nullptr);
  auto ref = seed_model(DType::float64, false);
  ref->compile(std::make_shared<nn::Adam>(), std::make_shared<nn::SparseCategoricalCrossentropy>(), {"accuracy"});
  std::map<std::string, double> want;
  for (int step = 0; step < 3; ++step) want = ref->train_on_batch(d.x, d.y);
  nn::set_process_group(group);
  auto model = seed_model(DType::float64, false);
  model->compile(std::make_shared<nn::Adam>(), std::make_shared<nn::SparseCategoricalCrossentropy>(), {"accuracy"});
  const std::int64_t lo = 5 * r + r * (r - 1) / 2, hi = lo + 5 + r;
  std::map<std::string, double> got;
  for (int step = 0; step < 3; ++step) got = model->train_on_batch(d.x.slice_rows(lo, hi), d.y.slice_rows(lo, hi));
  const double diff = max_rel_diff(model->get_weights(), ref->get_weights());
  CHECK(diff <= 1e-12, "train_on_batch: weights differ by " << diff);
  CHECK(close(got.at("loss"), want.at("loss"), 1e-12) && got.at("accuracy") == want.at("accuracy"),
        "train_on_batch logs are global: " << got.at("loss") << " vs " << want.at("loss"));
}

// Dropout(0.5): each rank draws its own masks (rank 0 those of one process).
void check_dropout(dist::Environment& env) {
  nn::set_random_seed(1);
  nn::Dropout drop(0.5);
  const Tensor kept = drop(Tensor::ones(Shape{64}), true);
  std::vector<double> mask = kept.to_vector<double>(), total = mask;
  env.sum(total);
  int same = 0;  // positions where every rank made the same choice
  for (std::size_t i = 0; i < mask.size(); ++i) same += total[i] == 0 || total[i] == 2.0 * env.size();
  CHECK(same < 40, "masks agree at " << same << " of 64 positions: ranks share masks");
  nn::set_random_seed(1);
  nn::Dropout solo(0.5);
  nn::ProcessGroup* group = nn::set_process_group(nullptr);
  const Tensor alone = solo(Tensor::ones(Shape{64}), true);
  nn::set_process_group(group);
  if (env.rank() == 0) CHECK(alone.to_vector<double>() == mask, "rank 0 draws the masks of one process");
}

// A rank that fails in the middle of fit ends the job (the others wait in an allreduce).
void check_throw(dist::Environment& env) {
  struct Boom : nn::Callback {
    int rank;
    explicit Boom(int r) : rank(r) {}
    void on_train_batch_end(std::int64_t batch, const nn::Logs&) override {
      if (batch == 2 && rank == tg::distributed::size() - 1) throw std::runtime_error("cannot read batch 3 (simulated fault)");
    }
  };
  const Data d = make_data(200, DType::float32);
  auto model = seed_model(DType::float32, false);
  model->compile(std::make_shared<nn::Adam>(), std::make_shared<nn::SparseCategoricalCrossentropy>());
  nn::FitOptions fo;
  fo.epochs = 50, fo.batch_size = 8, fo.verbose = 0;
  fo.callbacks.push_back(std::make_shared<Boom>(env.rank()));
  model->fit(d.x, d.y, fo);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  tg::distributed::Environment env;
  if (what == "terminate") {  // an exception nobody catches: the terminate handler names the rank
    if (env.rank() == env.size() - 1) throw std::runtime_error("uncaught on purpose");
    env.barrier();  // the others wait for a rank that will never come
    return 0;
  }
  return env.run([&] {
    if (what == "collectives") check_collectives(env);
    else if (what == "mismatch") check_mismatch(env);
    else if (what == "shard") check_shard(env);
    else if (what == "fit") check_fit(env);
    else if (what == "tape") check_tape(env);
    else if (what == "dropout") check_dropout(env);
    else if (what == "throw") check_throw(env);
    else throw std::invalid_argument("usage: tapegrad_mpi_checks collectives|mismatch|shard|fit|tape|dropout|throw|terminate");
    std::vector<double> f{static_cast<double>(failures)};
    env.sum(f);
    if (env.rank() == 0) std::cout << what << " on " << env.size() << " ranks: " << (f[0] == 0 ? "passed" : "FAILED") << "\n";
    return f[0] == 0 ? 0 : 1;
  });
}
