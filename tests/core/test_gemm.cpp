#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/gemm.hpp"
#include "test_util.hpp"

using namespace tg;
using tg::core::gemm;
using tg::core::GemmEpilogue;

namespace {

struct Case {
  bool ta = false, tb = false;
  std::int64_t M = 1, N = 1, K = 1;
  std::int64_t pad = 0;  // extra leading-dimension elements in A, B and C
  bool bias = false, relu = false, accumulate = false;
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << (c.ta ? "A^T" : "A") << "*" << (c.tb ? "B^T" : "B") << " M=" << c.M << " N=" << c.N << " K=" << c.K
            << " pad=" << c.pad << (c.bias ? " bias" : "") << (c.relu ? " relu" : "") << (c.accumulate ? " accumulate" : "");
}

// A rows x cols matrix with leading dimension ld; the padding holds NaN so reading it shows up.
template <class T>
std::vector<T> random_matrix(std::int64_t rows, std::int64_t cols, std::int64_t ld, std::mt19937& rng) {
  std::vector<T> m(static_cast<std::size_t>(std::max<std::int64_t>(rows * ld, 1)), std::numeric_limits<T>::quiet_NaN());
  std::uniform_real_distribution<double> u(-1, 1);
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) m[static_cast<std::size_t>(i * ld + j)] = static_cast<T>(u(rng));
  return m;
}

// Runs one case under every ISA and with 1 and 2 threads against a naive double-precision loop.
// The error allowed for C[i][j] is c * sqrt(K) * (sum_k |a_ik b_kj| + |C0| + |bias|), c a few ulps.
template <class T>
void check_case(const Case& c, std::mt19937& rng) {
  BOOST_TEST_CONTEXT(c << (sizeof(T) == 4 ? " float32" : " float64")) {
    const std::int64_t M = c.M, N = c.N, K = c.K;
    const std::int64_t a_rows = c.ta ? K : M, a_cols = c.ta ? M : K;
    const std::int64_t b_rows = c.tb ? N : K, b_cols = c.tb ? K : N;
    const std::int64_t lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = N + c.pad;
    const auto A = random_matrix<T>(a_rows, a_cols, lda, rng);
    const auto B = random_matrix<T>(b_rows, b_cols, ldb, rng);
    auto C0 = random_matrix<T>(M, N, ldc, rng);
    for (std::int64_t i = 0; i < M; ++i)  // a sentinel in C's padding: gemm must not touch it
      for (std::int64_t j = N; j < ldc; ++j) C0[static_cast<std::size_t>(i * ldc + j)] = T(12345);
    const auto bias = random_matrix<T>(1, N, N, rng);

    std::vector<double> want(static_cast<std::size_t>(M * N)), bound(want.size());
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j) {
        double s = 0, abs_sum = 0;
        for (std::int64_t p = 0; p < K; ++p) {
          const double a = A[static_cast<std::size_t>(c.ta ? p * lda + i : i * lda + p)];
          const double b = B[static_cast<std::size_t>(c.tb ? j * ldb + p : p * ldb + j)];
          s += a * b;
          abs_sum += std::fabs(a * b);
        }
        const double c0 = C0[static_cast<std::size_t>(i * ldc + j)];
        if (c.accumulate) s += c0, abs_sum += std::fabs(c0);
        if (c.bias) s += bias[static_cast<std::size_t>(j)], abs_sum += std::fabs(bias[static_cast<std::size_t>(j)]);
        if (c.relu && s < 0) s = 0;
        want[static_cast<std::size_t>(i * N + j)] = s;
        bound[static_cast<std::size_t>(i * N + j)] =
            4 * std::numeric_limits<T>::epsilon() * std::sqrt(static_cast<double>(K) + 1) * (abs_sum + 1e-30);
      }

    GemmEpilogue<T> ep;
    ep.bias = c.bias ? bias.data() : nullptr;
    ep.relu = c.relu;
    ep.accumulate = c.accumulate;
    test::for_each_isa([&](Isa) {
      for (int threads : {1, 2}) {
        BOOST_TEST_CONTEXT("threads " << threads) {
          set_num_threads(threads);
          auto C = C0;
          gemm<T>(c.ta, c.tb, M, N, K, A.data(), lda, B.data(), ldb, C.data(), ldc, ep);
          int bad = 0;
          for (std::int64_t i = 0; i < M && bad < 5; ++i)
            for (std::int64_t j = 0; j < ldc && bad < 5; ++j) {
              const double got = C[static_cast<std::size_t>(i * ldc + j)];
              if (j >= N) {
                if (got != 12345) {
                  ++bad;
                  BOOST_ERROR("padding C[" << i << "][" << j << "] overwritten: " << got);
                }
                continue;
              }
              const double w = want[static_cast<std::size_t>(i * N + j)];
              if (!(std::fabs(got - w) <= bound[static_cast<std::size_t>(i * N + j)])) {
                ++bad;
                BOOST_ERROR("C[" << i << "][" << j << "] = " << got << ", want " << w);
              }
            }
          BOOST_TEST(bad == 0);  // counted, so Boost sees each product as a checked assertion
        }
      }
    });
    set_num_threads(0);
  }
}

template <class T>
void check_all_modes(Case c, std::mt19937& rng) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      c.ta = ta;
      c.tb = tb;
      check_case<T>(c, rng);
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_gemm)

// Every awkward size in every dimension, in all four transpose combinations, with leading
// dimensions larger than the minimum.
BOOST_AUTO_TEST_CASE(odd_sizes_all_transposes) {
  std::mt19937 rng(1);
  const std::int64_t s[] = {1, 3, 17, 31, 33, 64, 127};
  std::vector<Case> cases;
  for (int i = 0; i < 7; ++i) {
    cases.push_back({false, false, s[i], s[(i + 2) % 7], s[(i + 4) % 7], 0});
    cases.push_back({false, false, s[i], s[(i + 3) % 7], s[(i + 5) % 7], 5});
    cases.push_back({false, false, s[i], s[i], s[i], 1});
  }
  cases.push_back({false, false, 3, 17, 1023, 2});
  cases.push_back({false, false, 1023, 5, 33, 0});
  cases.push_back({false, false, 33, 1023, 3, 7});
  for (const Case& c : cases) {
    check_all_modes<float>(c, rng);
    check_all_modes<double>(c, rng);
  }
}

// The shapes a Dense layer of an MNIST MLP runs: forward X*W, dW = X^T*dY, dX = dY*W^T.
BOOST_AUTO_TEST_CASE(mlp_shapes) {
  std::mt19937 rng(2);
  // (M, K, N) as in the benchmark table.
  const std::int64_t shapes[][3] = {{32, 784, 128}, {128, 784, 128}, {128, 128, 10}, {1024, 784, 128}};
  for (const auto& s : shapes) {
    Case c;
    c.M = s[0];
    c.K = s[1];
    c.N = s[2];
    check_all_modes<float>(c, rng);
  }
  Case c;
  c.M = 128, c.K = 784, c.N = 128, c.bias = true, c.relu = true;
  check_all_modes<double>(c, rng);
}

BOOST_AUTO_TEST_CASE(epilogue_bias_relu_accumulate) {
  std::mt19937 rng(3);
  for (bool bias : {false, true})
    for (bool relu : {false, true})
      for (bool acc : {false, true}) {
        for (auto mnk : {std::array<std::int64_t, 3>{17, 33, 31}, std::array<std::int64_t, 3>{64, 10, 300},
                         std::array<std::int64_t, 3>{1, 1, 1}, std::array<std::int64_t, 3>{130, 70, 600}}) {
          Case c;
          c.M = mnk[0], c.N = mnk[1], c.K = mnk[2], c.pad = 3, c.bias = bias, c.relu = relu, c.accumulate = acc;
          check_all_modes<float>(c, rng);
          check_case<double>(c, rng);
        }
      }
}

// N narrower than a vector and M wide: gemm computes C^T = op(B)^T op(A)^T, storing down the
// columns of C (with bias along them), reading A^T in place or packing A transposed.
BOOST_AUTO_TEST_CASE(narrow_n_computed_transposed) {
  std::mt19937 rng(5);
  for (std::int64_t n : {1, 7, 10, 15})
    for (auto mk : {std::array<std::int64_t, 2>{64, 1}, std::array<std::int64_t, 2>{200, 129},
                    std::array<std::int64_t, 2>{1000, 600}}) {
      Case c;
      c.M = mk[0], c.K = mk[1], c.N = n, c.pad = 3, c.bias = true, c.relu = n % 2 == 1, c.accumulate = n == 10;
      check_all_modes<float>(c, rng);
      if (n != 15) check_case<double>(c, rng);
    }
}

// Few rows and a row-major B with short rows: full column panels of B are read in place
// (b_step = ldb), the partial last panel is packed; and B^T panels packed in 16 x 16 register transposes, with K and N
// not multiples of 16.
BOOST_AUTO_TEST_CASE(b_in_place_and_transposed_pack) {
  std::mt19937 rng(6);
  for (std::int64_t m : {1, 14, 40, 168, 169, 300})
    for (auto kn : {std::array<std::int64_t, 2>{784, 128}, std::array<std::int64_t, 2>{37, 133},
                    std::array<std::int64_t, 2>{300, 45}, std::array<std::int64_t, 2>{17, 64},
                    std::array<std::int64_t, 2>{37, 600}}) {  // rows of B 2400 bytes apart: packed
      Case c;
      c.M = m, c.K = kn[0], c.N = kn[1], c.pad = m % 2 ? 5 : 0, c.bias = m == 40;
      check_all_modes<float>(c, rng);
    }
}

// Row-major A with rows a multiple of 2 KB apart is packed k-major (pack_t into max_mr-row panels):
// full and partial K blocks, row counts that are not a multiple of the tile height.
BOOST_AUTO_TEST_CASE(a_packed_for_power_of_two_strides) {
  std::mt19937 rng(8);
  for (auto mkn : {std::array<std::int64_t, 4>{100, 512, 70, 0}, std::array<std::int64_t, 4>{37, 509, 33, 3},
                   std::array<std::int64_t, 4>{200, 1024, 129, 0}}) {
    Case c;
    c.M = mkn[0], c.K = mkn[1], c.N = mkn[2], c.pad = mkn[3], c.bias = true;
    check_case<float>(c, rng);  // lda = 512 or 1024 floats
    c.tb = true;
    check_case<float>(c, rng);
  }
  Case d;
  d.M = 50, d.K = 256, d.N = 40, d.relu = true;  // lda = 256 doubles
  check_case<double>(d, rng);
}

// Each element of C is one ordered sum over K whatever the split, so 1 and 2 threads agree bit
// for bit.
BOOST_AUTO_TEST_CASE(same_bits_on_one_and_two_threads) {
  std::mt19937 rng(7);
  const std::int64_t shapes[][3] = {{32, 784, 128}, {128, 128, 10}, {1024, 784, 128}, {300, 517, 333}};
  for (const auto& s : shapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        const std::int64_t M = s[0], K = s[1], N = s[2];
        const std::int64_t lda = ta ? M : K, ldb = tb ? K : N;
        const auto A = random_matrix<float>(ta ? K : M, lda, lda, rng);
        const auto B = random_matrix<float>(tb ? N : K, ldb, ldb, rng);
        std::vector<float> C1(static_cast<std::size_t>(M * N)), C2(C1.size());
        set_num_threads(1);
        gemm<float>(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, C1.data(), N);
        set_num_threads(2);
        gemm<float>(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, C2.data(), N);
        BOOST_TEST_CONTEXT("M=" << M << " K=" << K << " N=" << N << " ta=" << ta << " tb=" << tb) {
          BOOST_TEST((C1 == C2));
        }
      }
  set_num_threads(0);
}

// K == 0: C = 0 (+bias, relu), or C unchanged (+bias, relu) with accumulate.
BOOST_AUTO_TEST_CASE(empty_inner_dimension) {
  std::mt19937 rng(4);
  for (bool bias : {false, true})
    for (bool relu : {false, true})
      for (bool acc : {false, true}) {
        Case c;
        c.M = 5, c.N = 19, c.K = 0, c.pad = 2, c.bias = bias, c.relu = relu, c.accumulate = acc;
        check_all_modes<float>(c, rng);
        check_case<double>(c, rng);
      }
  // M == 0 or N == 0 writes nothing and reads nothing.
  float dummy = 7;
  gemm<float>(false, false, 0, 3, 4, nullptr, 4, nullptr, 3, &dummy, 3);
  gemm<float>(false, false, 3, 0, 4, nullptr, 4, nullptr, 1, &dummy, 1);
  BOOST_TEST(dummy == 7.0f);
}

BOOST_AUTO_TEST_CASE(matmul_values) {
  // [[1,2,3],[4,5,6]] x [[1,0],[0,1],[1,1]] = [[4,5],[10,11]]
  const Tensor a = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = Tensor::from_values({1, 0, 0, 1, 1, 1}, {3, 2});
  test::check_close(core::matmul(a, b), {4, 5, 10, 11}, 0, 0, "a*b");
  // a^T (3x2) x a (2x3) = [[17,22,27],[22,29,36],[27,36,45]]
  test::check_close(core::matmul(a, a, true, false), {17, 22, 27, 22, 29, 36, 27, 36, 45}, 0, 0, "a^T*a");
  // a (2x3) x a^T (3x2) = [[14,32],[32,77]]
  const Tensor ad = a.to(DType::float64);
  const Tensor g = core::matmul(ad, ad, false, true);
  BOOST_TEST((g.dtype() == DType::float64));
  BOOST_TEST((g.shape() == Shape{2, 2}));
  test::check_close(g, {14, 32, 32, 77}, 0, 0, "a*a^T");
  // b^T (2x3) x a^T (3x2) = (a*b)^T
  test::check_close(core::matmul(b, a, true, true), {4, 10, 5, 11}, 0, 0, "b^T*a^T");
}

BOOST_AUTO_TEST_CASE(matmul_errors) {
  const Tensor a = Tensor::zeros({32, 10});
  const Tensor b = Tensor::zeros({3, 5});
  test::check_throws_with<ShapeError>([&] { core::matmul(a, b); },
                                      {"matmul", "inner dimensions differ", "(32, 10)", "(3, 5)"});
  test::check_throws_with<ShapeError>([&] { core::matmul(Tensor::zeros({2, 3, 4}), b); }, {"matmul", "rank-2", "(2, 3, 4)", "(3, 5)"});
  test::check_throws_with<ShapeError>([&] { core::matmul(a, Tensor::zeros({10, 2}, DType::float64)); },
                                      {"matmul", "float32", "float64", "(32, 10)", "(10, 2)"});
  test::check_throws_with<ShapeError>(
      [&] { core::matmul(Tensor::zeros({2, 2}, DType::int32), Tensor::zeros({2, 2}, DType::int32)); },
      {"matmul", "int32"});
  // Transposed operands are checked on their transposed shapes.
  BOOST_CHECK_NO_THROW(core::matmul(Tensor::zeros({10, 32}), a, true, true));
  // (32, 10) x (10, 5) is fine; read as (32, 10)^T x (10, 5) the inner dimensions are 32 and 10.
  BOOST_CHECK_NO_THROW(core::matmul(a, Tensor::zeros({10, 5})));
  test::check_throws_with<ShapeError>([&] { core::matmul(a, Tensor::zeros({10, 5}), true, false); },
                                      {"inner dimensions differ", "(32, 10)^T"});
}

BOOST_AUTO_TEST_SUITE_END()
