// distributed/ in one process (no launcher): the single-rank API and what it hands to nn. The
// multi-process checks run under mpirun (tests/distributed/mpi_checks.cpp).
#include "test_util.hpp"

BOOST_AUTO_TEST_SUITE(test_environment)

using namespace tg;
namespace dist = tg::distributed;

BOOST_AUTO_TEST_CASE(single_rank_without_a_launcher) {
  BOOST_TEST(nn::process_group() == nullptr);
  BOOST_TEST(dist::size() == 1);
  {
    dist::Environment env;
    BOOST_TEST(!env.uses_mpi());
    BOOST_TEST(env.rank() == 0);
    BOOST_TEST(env.size() == 1);
    BOOST_TEST(env.local_rank() == 0);
    BOOST_TEST(env.local_size() == 1);
    BOOST_TEST(nn::process_group() == &env);  // fit sees it, and with one rank behaves as always
    BOOST_TEST(&dist::environment() == &env);
    BOOST_CHECK_EXCEPTION(dist::Environment{}, std::exception,
                          [](const std::exception& e) { return std::string(e.what()).find("one already exists") != std::string::npos; });
    env.barrier();
    BOOST_TEST(env.run([] { return 7; }) == 7);
    BOOST_CHECK_THROW(env.run([]() -> int { throw std::runtime_error("x"); }), std::runtime_error);  // one rank: rethrown
  }
  BOOST_TEST(nn::process_group() == nullptr);
  BOOST_CHECK_THROW(dist::environment(), std::logic_error);
}

BOOST_AUTO_TEST_CASE(options_are_checked) {
  BOOST_CHECK_EXCEPTION(dist::Environment(dist::EnvironmentOptions{.fusion_bytes = 4}), std::exception, [](const std::exception& e) {
    return std::string(e.what()).find("fusion_bytes must be at least 8, got 4") != std::string::npos;
  });
  BOOST_CHECK_THROW(dist::Environment(dist::EnvironmentOptions{.threads = -1}), std::exception);
  const int before = num_threads();
  {
    dist::Environment env({.threads = 1});
    BOOST_TEST(num_threads() == 1);
  }
  set_num_threads(before);
}

BOOST_AUTO_TEST_CASE(collectives_of_one_rank) {
  dist::Environment env;
  const Tensor a = Tensor::from_values({1.5, -2, 4}, Shape{3});
  const Tensor b = Tensor::from_values({0.25}, Shape{1, 1}, DType::float64);
  for (bool average : {true, false}) {
    const auto out = dist::allreduce({a, b}, average);
    BOOST_TEST(out[0].to_vector<double>() == std::vector<double>({1.5, -2, 4}), boost::test_tools::per_element());
    BOOST_TEST(out[1].at({0, 0}) == 0.25);
    BOOST_TEST(!out[0].is_same(a));  // new tensors
  }
  BOOST_CHECK_EXCEPTION(dist::allreduce({Tensor::zeros(Shape{2}, DType::int32)}), std::invalid_argument, [](const std::exception& e) {
    return std::string(e.what()).find("tensor 0 has dtype int32") != std::string::npos;
  });
  Variable v(Tensor::zeros(Shape{3}), "v"), u(Tensor::zeros(Shape{2}, DType::float64), "u");
  const auto w = dist::weighted_average({a, Tensor()}, {v, u}, 3.0);
  BOOST_TEST(w[0].to_vector<double>() == std::vector<double>({1.5, -2, 4}), boost::test_tools::per_element());
  BOOST_TEST(!w[1].defined());
  BOOST_CHECK_EXCEPTION(dist::weighted_average({a, Tensor()}, {v, u}, 0.0), std::invalid_argument,
                        [](const std::exception& e) { return std::string(e.what()).find("weights sum to 0") != std::string::npos; });
  BOOST_CHECK_EXCEPTION(dist::weighted_average({b, Tensor()}, {v, u}, 1.0), std::invalid_argument, [](const std::exception& e) {
    return std::string(e.what()).find("tensor 0 has shape (1, 1) float64, variable 'v' (3,) float32") != std::string::npos;
  });
  dist::broadcast(std::vector<Variable>{v}, 0);
  BOOST_TEST(v.value().at({1}) == 0.0);
  BOOST_CHECK_EXCEPTION(dist::broadcast(std::vector<Variable>{v}, 1), std::invalid_argument,
                        [](const std::exception& e) { return std::string(e.what()).find("root 1 is not a rank of the 1") != std::string::npos; });
}

BOOST_AUTO_TEST_CASE(distributed_optimizer_of_one_rank_is_the_optimizer) {
  dist::Environment env;
  BOOST_CHECK_THROW(dist::DistributedOptimizer(nullptr), std::invalid_argument);
  Variable w(Tensor::from_values({1.0, -1.0}, Shape{2}), "w");
  dist::DistributedOptimizer opt(std::make_shared<nn::SGD>(0.1));
  opt.broadcast({w});
  opt.apply_gradients({Tensor::from_values({0.5, 2.0}, Shape{2})}, {w}, 16);
  // SGD by hand: w - 0.1 * g
  BOOST_TEST(w.value().at({0}) == 0.95, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(w.value().at({1}) == -1.2, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(opt.optimizer().iterations() == 1);
}

// 10 samples, 3 ranks at batch 2: global batches of 6 are rows [0, 6) and [6, 10) of the order.
BOOST_AUTO_TEST_CASE(shards_of_global_batches) {
  const Tensor ids = Tensor::arange(0, 10, 1, DType::float32).reshape({10, 1});
  nn::Dataset data(ids, ids);
  BOOST_TEST(data.num_global_batches(2, 3) == 2);
  const std::vector<std::vector<std::vector<double>>> want = {{{0, 1}, {2, 3}, {4, 5}}, {{6, 7}, {8, 9}, {}}};
  for (std::int64_t s = 0; s < 2; ++s)
    for (int r = 0; r < 3; ++r) {
      const auto b = data.shard(s, 2, r, 3);
      BOOST_TEST(b.xs[0].to_vector<double>() == want[s][r], boost::test_tools::per_element());
      BOOST_TEST(b.ys[0].shape()[0] == static_cast<std::int64_t>(want[s][r].size()));
      BOOST_TEST(data.shard_rows(s, 2, r, 3) == static_cast<std::int64_t>(want[s][r].size()));
    }
  BOOST_CHECK_EXCEPTION(data.shard(0, 2, 3, 3), std::exception,
                        [](const std::exception& e) { return std::string(e.what()).find("rank 3 is not in [0, 3)") != std::string::npos; });
  BOOST_CHECK_EXCEPTION(data.shard(2, 2, 0, 3), std::exception,
                        [](const std::exception& e) { return std::string(e.what()).find("global batch 2 of size 6 is past the end of 10") != std::string::npos; });
  // Shuffled: rank r's rows are the r-th slice of what one process takes at batch 6.
  Generator g1(4), g2(4);
  nn::Dataset one(ids);
  data.shuffle(g1), one.shuffle(g2);
  const auto global = one.batch(1, 6).x.to_vector<double>();  // 4 rows: rank 1 takes rows 2 and 3
  BOOST_TEST(data.shard(1, 2, 1, 3).xs[0].to_vector<double>() == std::vector<double>(global.begin() + 2, global.end()),
             boost::test_tools::per_element());
  BOOST_TEST(data.shard(1, 2, 2, 3).xs[0].shape()[0] == 0);
}

// Metric states add up across shards: the sum of two halves' states gives the whole's result.
BOOST_AUTO_TEST_CASE(metric_states_add_up) {
  const Tensor y = Tensor::from_values({1, 0, 2, 2}, Shape{4});
  const Tensor p = Tensor::from_values({0.1, 0.9, 0.8, 0.2, 0.3, 0.3, 0.4, 0.1, 0.5, 0.2, 0.7, 0.1}, Shape{4, 3});
  nn::SparseCategoricalAccuracy first, second, whole;
  first.update_state(y.slice_rows(0, 1), p.slice_rows(0, 1));   // correct (argmax 1)
  second.update_state(y.slice_rows(1, 4), p.slice_rows(1, 4));  // argmax 0, 0, 1: one right (row 1)
  whole.update_state(y, p);
  BOOST_TEST(first.state() == std::vector<double>({1, 1}), boost::test_tools::per_element());
  BOOST_TEST(second.state() == std::vector<double>({1, 3}), boost::test_tools::per_element());
  first.set_state({first.state()[0] + second.state()[0], first.state()[1] + second.state()[1]});
  BOOST_TEST(first.result() == 0.5);
  BOOST_TEST(whole.result() == 0.5);
  nn::AUC auc(5), auc2(5);
  const Tensor t = Tensor::from_values({0, 1, 1, 0}, Shape{4}), q = Tensor::from_values({0.2, 0.7, 0.4, 0.6}, Shape{4});
  auc.update_state(t, q);
  auc2.set_state(auc.state());
  BOOST_TEST(auc2.result() == auc.result());
  BOOST_CHECK_THROW(auc2.set_state({1, 2}), std::exception);
  nn::Precision prec;
  prec.set_state({3, 1, 2});  // tp, fp, fn
  BOOST_TEST(prec.result() == 0.75);
}

BOOST_AUTO_TEST_SUITE_END()
