#include "core/gemm.hpp"
#include "ops/golden_ops_util.hpp"
#include "ops/gradcheck_util.hpp"

using namespace tg;

namespace {

// A naive batched product in double: a [B, M, K] x b [B, K, N] -> [B, M, N] (batch already broadcast).
std::vector<double> naive_bmm(const Tensor& a, const Tensor& b) {
  const std::int64_t B = a.dim(0), M = a.dim(1), K = a.dim(2), N = b.dim(2);
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  std::vector<double> c(static_cast<std::size_t>(B * M * N), 0.0);
  for (std::int64_t i = 0; i < B; ++i)
    for (std::int64_t m = 0; m < M; ++m)
      for (std::int64_t n = 0; n < N; ++n) {
        double s = 0;
        for (std::int64_t k = 0; k < K; ++k)
          s += va[static_cast<std::size_t>((i * M + m) * K + k)] * vb[static_cast<std::size_t>((i * K + k) * N + n)];
        c[static_cast<std::size_t>((i * M + m) * N + n)] = s;
      }
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_linalg)

BOOST_AUTO_TEST_CASE(batched_matmul_matches_torch) {
  const std::map<std::string, test::GoldenOp> ops = {
      {"matmul", [](const auto& v, const auto& p) {
         return std::vector<Tensor>{matmul(v[0], v[1], p.at("trans_a").template get<bool>(), p.at("trans_b").template get<bool>())};
       }}};
  BOOST_TEST(test::run_golden_ops("linalg", ops) == 28);
}

BOOST_AUTO_TEST_CASE(batched_gradients_with_broadcast_batches_and_transposes) {
  Generator g(81);
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {Shape{2, 3, 4}, Shape{2, 4, 5}}, {Shape{3, 4}, Shape{2, 4, 1}}, {Shape{2, 1, 17, 3}, Shape{3, 3, 1}},
      {Shape{1, 1, 3}, Shape{2, 3, 17}}, {Shape{3, 2, 4}, Shape{4, 3}}};
  for (const auto& [sa, sb] : shapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        auto flip = [](Shape s, bool t) {
          if (t) std::swap(s[s.rank() - 1], s[s.rank() - 2]);
          return s;
        };
        const Tensor a = test::random_tensor(flip(sa, ta), g, DType::float64);
        const Tensor b = test::random_tensor(flip(sb, tb), g, DType::float64);
        const Tensor w = test::random_tensor(matmul(a, b, ta, tb).shape(), g, DType::float64);
        BOOST_TEST_CONTEXT(sa << " x " << sb << " ta " << ta << " tb " << tb) {
          test::expect_gradients([&](const std::vector<Tensor>& v) { return matmul(v[0], v[1], ta, tb) * w; }, {a, b},
                                 "batched matmul");
        }
      }
}

BOOST_AUTO_TEST_CASE(batched_values_against_a_naive_loop) {
  Generator g(82);
  for (DType dt : {DType::float32, DType::float64})
    for (std::int64_t batches : {1, 3, 17, 300})  // 300 small products share threads
      for (auto [m, k, n] : {std::array<std::int64_t, 3>{1, 1, 1}, {3, 17, 5}, {17, 3, 1}, {40, 70, 33}}) {
        const Tensor a = test::random_tensor(Shape{batches, m, k}, g, dt);
        const Tensor b = test::random_tensor(Shape{batches, k, n}, g, dt);
        const double tol = dt == DType::float32 ? 1e-4 : 1e-12;
        BOOST_TEST_CONTEXT(dtype_name(dt) << " " << batches << " x " << m << "x" << k << "x" << n) {
          test::check_close(matmul(a, b), naive_bmm(a, b), tol, tol, "per batch");
          // b without batch dimensions: every batch entry multiplies the same matrix (one GEMM).
          const Tensor b0 = test::random_tensor(Shape{k, n}, g, dt);
          test::check_close(matmul(a, b0), naive_bmm(a, core::broadcast_to(b0, Shape{batches, k, n})), tol, tol, "shared b");
        }
      }
}

BOOST_AUTO_TEST_CASE(rank_two_keeps_the_gemm_path) {
  Generator g(83);
  const Tensor a = test::random_tensor(Shape{17, 9}, g);
  const Tensor b = test::random_tensor(Shape{9, 5}, g);
  const auto direct = core::matmul(a, b).to_vector<float>();
  BOOST_TEST(matmul(a, b).to_vector<float>() == direct, boost::test_tools::per_element());
  // A batch of one is the same product, bit for bit.
  BOOST_TEST(matmul(a.reshape({1, 17, 9}), b).to_vector<float>() == direct, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_gradient_path_and_errors) {
  Generator g(84);
  const Tensor a = test::random_tensor(Shape{2, 3, 4}, g, DType::float64);
  Tensor b = test::random_tensor(Shape{2, 4, 2}, g, DType::float64);
  GradientTape tape;
  tape.watch(b);
  const auto grads = tape.gradient(sum(matmul(a, b)), {a, b});
  BOOST_TEST(!grads[0].defined());
  BOOST_TEST(grads[1].shape() == b.shape());
  test::check_throws_with([&] { matmul(a, test::random_tensor(Shape{2, 3, 2}, g)); }, {"matmul", "(2, 3, 4)", "(2, 3, 2)"});
  test::check_throws_with([&] { matmul(a, Tensor::zeros(Shape{3, 4, 2}, DType::float64)); },
                          {"matmul", "cannot broadcast", "(2,)", "(3,)"});
  test::check_throws_with([&] { matmul(a, Tensor::zeros(Shape{4}, DType::float64)); }, {"matmul", "rank >= 2", "(4,)"});
  test::check_throws_with([&] { matmul(a, Tensor::zeros(Shape{2, 4, 2}, DType::float32)); }, {"matmul", "float64", "float32"});
}

BOOST_AUTO_TEST_SUITE_END()
