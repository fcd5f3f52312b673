#include <cmath>
#include <limits>

#include "core/elementwise.hpp"
#include "core/strided.hpp"
#include "test_util.hpp"

using namespace tg;
using tg::core::kern::Binary;
using tg::core::kern::Unary;

namespace {

double ref_unary(Unary op, double x) {
  switch (op) {
    case Unary::neg: return -x;
    case Unary::exp: return std::exp(x);
    case Unary::log: return std::log(x);
    case Unary::sqrt: return std::sqrt(x);
    case Unary::square: return x * x;
    case Unary::abs: return std::fabs(x);
    case Unary::relu: return std::isnan(x) ? x : (x < 0 ? 0 : x);
    case Unary::sigmoid: return 1 / (1 + std::exp(-x));
    case Unary::tanh: return std::tanh(x);
    case Unary::log1p: return std::log1p(x);
    case Unary::expm1: return std::expm1(x);
    case Unary::sin: return std::sin(x);
    case Unary::cos: return std::cos(x);
    case Unary::erf: return std::erf(x);
    case Unary::softplus: return std::log1p(std::exp(x));
    case Unary::silu: return x / (1 + std::exp(-x));
    case Unary::gelu: return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
    case Unary::gelu_tanh: return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    default: return 0;
  }
}

double ref_binary(Binary op, double a, double b) {
  switch (op) {
    case Binary::add: return a + b;
    case Binary::sub: return a - b;
    case Binary::mul: return a * b;
    case Binary::div: return a / b;
    case Binary::pow: return std::pow(a, b);
    case Binary::maximum: return (std::isnan(a) || std::isnan(b)) ? NAN : std::max(a, b);
    case Binary::minimum: return (std::isnan(a) || std::isnan(b)) ? NAN : std::min(a, b);
    case Binary::eq: return a == b;
    case Binary::ne: return a != b;
    case Binary::lt: return a < b;
    case Binary::le: return a <= b;
    case Binary::gt: return a > b;
    case Binary::ge: return a >= b;
    default: return 0;
  }
}

// Naive broadcasting reference: index arithmetic per element.
std::vector<double> ref_broadcast(Binary op, const Tensor& a, const Tensor& b, const Shape& out) {
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  std::vector<double> r(static_cast<std::size_t>(out.numel()));
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    std::int64_t rem = i, ia = 0, ib = 0, sa = 1, sb = 1;
    for (int d = out.rank() - 1; d >= 0; --d) {
      const std::int64_t idx = rem % out[d];
      rem /= out[d];
      const int da = a.rank() - out.rank() + d, db = b.rank() - out.rank() + d;
      if (da >= 0) {
        ia += (a.shape()[da] == 1 ? 0 : idx) * sa;
        sa *= a.shape()[da];
      }
      if (db >= 0) {
        ib += (b.shape()[db] == 1 ? 0 : idx) * sb;
        sb *= b.shape()[db];
      }
    }
    r[static_cast<std::size_t>(i)] = ref_binary(op, va[static_cast<std::size_t>(ia)], vb[static_cast<std::size_t>(ib)]);
  }
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_elementwise)

BOOST_AUTO_TEST_CASE(unary_matches_reference_at_odd_sizes) {
  test::for_each_isa([](Isa) {
    Generator g(1);
    for (DType dt : {DType::float32, DType::float64})
      for (std::int64_t n : {1, 3, 17, 1023, 70001})
        for (int op = 0; op < static_cast<int>(Unary::count); ++op) {
          const auto u = static_cast<Unary>(op);
          const bool positive = u == Unary::log || u == Unary::sqrt;
          Tensor x = test::random_tensor(Shape{n}, g, dt, positive ? 0.01 : -5, 5);
          std::vector<double> want;
          for (double v : x.to_vector<double>()) want.push_back(ref_unary(u, v));
          const double tol = dt == DType::float32 ? 2e-6 : 1e-13;
          test::check_close(core::unary(u, x), want, tol, tol, "unary op " + std::to_string(op) + " n=" + std::to_string(n));
        }
  });
}

BOOST_AUTO_TEST_CASE(binary_broadcasting_corners) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {Shape{}, Shape{17}},           {Shape{1023}, Shape{}},        {Shape{32, 10}, Shape{10}},
      {Shape{17, 1}, Shape{1, 3}},    {Shape{3, 1, 5}, Shape{4, 1}}, {Shape{1}, Shape{2, 3, 1}},
      {Shape{2, 3, 4}, Shape{2, 3, 4}}, {Shape{1023, 3}, Shape{1023, 1}}, {Shape{5, 1, 1}, Shape{1, 1, 7}},
      {Shape{0, 3}, Shape{3}}};
  test::for_each_isa([&](Isa) {
    Generator g(2);
    for (DType dt : {DType::float32, DType::float64, DType::int32, DType::int64})
      for (const auto& [sa, sb] : cases)
        for (int op = 0; op < static_cast<int>(Binary::count); ++op) {
          const auto bop = static_cast<Binary>(op);
          const bool integer = !is_floating(dt);
          if (integer && (bop == Binary::pow || bop == Binary::div)) continue;
          Tensor a = integer ? test::random_tensor(sa, g, DType::float64, -9, 9).to(dt)
                             : test::random_tensor(sa, g, dt, bop == Binary::pow ? 0.1 : -3, 3);
          Tensor b = integer ? test::random_tensor(sb, g, DType::float64, -9, 9).to(dt) : test::random_tensor(sb, g, dt);
          const Shape out = broadcast_shapes(sa, sb, "test");
          Tensor r = core::binary(bop, a, b);
          BOOST_TEST(r.shape() == out);
          const double tol = dt == DType::float32 ? 2e-6 : 1e-13;
          test::check_close(r, ref_broadcast(bop, a, b, out), tol, tol,
                            std::string(dtype_name(dt)) + " op " + std::to_string(op) + " " + sa.str() + " with " + sb.str());
        }
  });
}

BOOST_AUTO_TEST_CASE(nan_and_inf_propagate) {
  const double inf = std::numeric_limits<double>::infinity();
  test::for_each_isa([&](Isa) {
    for (DType dt : {DType::float32, DType::float64}) {
      // 17 elements so both the SIMD body and the scalar tail see the special values.
      std::vector<double> v(17, 1.0);
      v[0] = NAN, v[1] = inf, v[2] = -inf, v[15] = NAN, v[16] = -inf;
      Tensor x = Tensor::from_vector(v, Shape{17}).to(dt);
      for (Unary u : {Unary::neg, Unary::exp, Unary::relu, Unary::sigmoid, Unary::tanh, Unary::abs, Unary::square,
                      Unary::log1p, Unary::expm1, Unary::sin, Unary::cos, Unary::erf, Unary::softplus, Unary::silu,
                      Unary::gelu, Unary::gelu_tanh}) {
        std::vector<double> want;
        for (double e : v) want.push_back(ref_unary(u, e));
        test::check_close(core::unary(u, x), want, 1e-6, 1e-6, "special values, unary " + std::to_string(static_cast<int>(u)));
      }
      Tensor ones = Tensor::ones(Shape{17}, dt);
      // Comparisons with NaN are false except not_equal, as IEEE and NumPy say.
      for (Binary b : {Binary::add, Binary::mul, Binary::maximum, Binary::minimum, Binary::div, Binary::eq, Binary::ne,
                       Binary::lt, Binary::le, Binary::gt, Binary::ge}) {
        std::vector<double> want;
        for (double e : v) want.push_back(ref_binary(b, e, 1.0));
        test::check_close(core::binary(b, x, ones), want, 1e-6, 1e-6, "special values, binary");
      }
      BOOST_TEST(std::isnan(core::log(Tensor::full(Shape{3}, -1, dt)).at({2})));
    }
  });
}

BOOST_AUTO_TEST_CASE(contiguous_dimensions_merge_into_one_run) {
  const Shape full{32, 64, 128}, row{128}, col{32, 64, 1};
  const auto s = core::detail::make_strided<3>(full, {&full, &full, &full});
  BOOST_TEST(s.rank == 1);
  BOOST_TEST(s.inner() == 32 * 64 * 128);
  const auto r = core::detail::make_strided<2>(full, {&full, &row});
  BOOST_TEST(r.rank == 2);  // (2048, 128): the row repeats
  BOOST_TEST(r.inner() == 128);
  const auto c = core::detail::make_strided<2>(full, {&col, &full});
  BOOST_TEST(c.rank == 2);  // (2048, 128) with col broadcast along the last
  BOOST_TEST(c.stride[0][1] == 0);
  BOOST_TEST(c.stride[0][0] == 1);
}

BOOST_AUTO_TEST_CASE(bad_input_names_op_and_shapes) {
  test::check_throws_with([] { core::add(Tensor::zeros(Shape{32, 10}), Tensor::zeros(Shape{3})); },
                          {"add: cannot broadcast (32, 10) with (3,)"});
  test::check_throws_with([] { core::mul(Tensor::zeros(Shape{2}), Tensor::zeros(Shape{2}, DType::float64)); },
                          {"multiply", "float32", "float64"});
  test::check_throws_with([] { core::exp(Tensor::zeros(Shape{2}, DType::int64)); }, {"exp", "int64"});
  test::check_throws_with([] { core::broadcast_to(Tensor::zeros(Shape{3}), Shape{2, 4}); }, {"broadcast_to", "(3,)"});
}

BOOST_AUTO_TEST_CASE(where_broadcast_to_and_inplace) {
  Tensor c = Tensor::from_values({1, 0, 1}, Shape{3});
  Tensor a = Tensor::from_values({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  Tensor b = Tensor::scalar(-1);
  test::check_close(core::where(c, a, b), {1, -1, 3, 4, -1, 6}, 0, 0, "where");
  test::check_close(core::broadcast_to(Tensor::from_values({7, 8}, Shape{2, 1}), Shape{2, 3}), {7, 7, 7, 8, 8, 8}, 0, 0);
  Tensor acc = Tensor::ones(Shape{2, 3});
  core::add_inplace(acc, a);
  core::scale_inplace(acc, 0.5);
  test::check_close(acc, {1, 1.5, 2, 2.5, 3, 3.5}, 0, 0, "in place");
}

BOOST_AUTO_TEST_CASE(threads_do_not_change_results) {
  Generator g(3);
  Tensor a = test::random_tensor(Shape{300, 1001}, g), b = test::random_tensor(Shape{1001}, g);
  set_num_threads(1);
  const auto one = core::tanh(core::add(a, b)).to_vector<float>();
  set_num_threads(2);
  const auto two = core::tanh(core::add(a, b)).to_vector<float>();
  set_num_threads(0);
  BOOST_TEST(one == two);
}

BOOST_AUTO_TEST_SUITE_END()
