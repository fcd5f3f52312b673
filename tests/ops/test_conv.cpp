#include <cmath>
#include <random>

#include "core/conv.hpp"
#include "golden_util.hpp"
#include "ops/conv_reference.hpp"
#include "ops/gradcheck_util.hpp"

using namespace tg;
using core::Window2D;

BOOST_AUTO_TEST_SUITE(test_conv)

namespace {

struct Case {
  std::int64_t n, h, w, c, kh, kw, out;
  std::array<std::int64_t, 2> strides{1, 1};
  const char* padding = "valid";
  std::array<std::int64_t, 2> dilation{1, 1};
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << "x (" << c.n << ", " << c.h << ", " << c.w << ", " << c.c << ") kernel " << c.kh << "x" << c.kw << "->"
            << c.out << " strides (" << c.strides[0] << ", " << c.strides[1] << ") " << c.padding << " dilation ("
            << c.dilation[0] << ", " << c.dilation[1] << ")";
}

Window2D geometry(const Case& c) {
  Window2D g;
  g.n = c.n, g.h = c.h, g.w = c.w, g.c = c.c, g.kh = c.kh, g.kw = c.kw;
  g.sh = c.strides[0], g.sw = c.strides[1], g.dh = c.dilation[0], g.dw = c.dilation[1];
  const auto ph = ops::detail::tf_padding("test", c.padding, c.h, c.kh, g.sh, g.dh);
  const auto pw = ops::detail::tf_padding("test", c.padding, c.w, c.kw, g.sw, g.dw);
  g.oh = ph.out, g.pt = ph.before, g.ow = pw.out, g.pl = pw.before;
  return g;
}

// Counts elements outside atol + rtol * |want| and reports the first few; one assertion per array.
void expect_near(const Tensor& got, const std::vector<double>& want, double rtol, double atol, const std::string& what) {
  BOOST_TEST_CONTEXT(what) {
    BOOST_REQUIRE_EQUAL(got.numel(), static_cast<std::int64_t>(want.size()));
    const auto g = got.to_vector<double>();
    int bad = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
      if (!(std::fabs(g[i] - want[i]) <= atol + rtol * std::fabs(want[i])) && bad++ < 3)
        BOOST_TEST_MESSAGE("element " << i << ": got " << g[i] << ", want " << want[i]);
    BOOST_TEST(bad == 0, bad << " of " << want.size() << " elements differ");
  }
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// Forward, input gradient and kernel gradient of the core kernels against the naive loops.
void check_kernels(const Case& c, DType dt, Generator& gen) {
  BOOST_TEST_CONTEXT(c << " " << dtype_name(dt)) {
    const Window2D g = geometry(c);
    const Tensor x = test::random_tensor(Shape{c.n, c.h, c.w, c.c}, gen, dt);
    const Tensor k = test::random_tensor(Shape{c.kh, c.kw, c.c, c.out}, gen, dt, -1, 1);
    const Tensor b = test::random_tensor(Shape{c.out}, gen, dt, -1, 1);
    const Tensor dy = test::random_tensor(Shape{c.n, g.oh, g.ow, c.out}, gen, dt, -1, 1);
    // float32 sums of K = kh*kw*c products of values up to 2: error ~ sqrt(K) ulps of the terms.
    const double k_len = static_cast<double>(c.kh * c.kw * c.c);
    const double atol = dt == DType::float32 ? 2e-6 * (1 + std::sqrt(k_len)) * 4 : 1e-12 * (1 + k_len);
    const double rtol = dt == DType::float32 ? 1e-5 : 1e-12;
    expect_near(core::conv2d(x, k, b, g), test::naive_conv2d(values(x), values(k), values(b), g, c.out), rtol, atol,
                "forward");
    expect_near(core::conv2d(x, k, Tensor(), g, true), test::naive_conv2d(values(x), values(k), {}, g, c.out, true),
                rtol, atol, "forward, relu, no bias");
    const double pix = static_cast<double>(g.oh * g.ow * c.n);
    expect_near(core::conv2d_backward_input(dy, k, g), test::naive_conv2d_input_grad(values(dy), values(k), g, c.out),
                rtol, atol * 2, "input gradient");
    expect_near(core::conv2d_backward_kernel(x, dy, g), test::naive_conv2d_kernel_grad(values(x), values(dy), g, c.out),
                rtol, (dt == DType::float32 ? 1e-5 : 1e-12) * (1 + pix), "kernel gradient");
  }
}

const std::vector<Case>& kernel_cases() {
  static const std::vector<Case> cases = {
      {1, 5, 6, 1, 3, 3, 5},                                  // one input channel
      {3, 7, 5, 3, 3, 2, 4, {2, 1}, "same"},                  // asymmetric "same" padding
      {1, 6, 7, 17, 2, 3, 3, {1, 1}, "same", {2, 1}},         // dilation on one axis
      {3, 9, 8, 17, 5, 5, 17, {3, 2}, "same"},                // strides above 1, wide window
      {3, 4, 5, 17, 1, 1, 7},                                 // 1x1: the patch matrix is x itself
      {1, 5, 5, 3, 1, 1, 2, {2, 2}, "same"},                  // 1x1 with stride: not pointwise
      {1, 11, 11, 3, 3, 3, 2, {1, 1}, "valid", {3, 3}},       // dilation 3
      {1, 2, 3, 3, 5, 5, 4, {1, 1}, "same"},                  // window larger than the input
      {3, 12, 11, 64, 3, 3, 33},                              // K = 576 > one K block; groups of images
      {2, 7, 6, 9, 3, 3, 67, {1, 1}, "same"},                 // out >= 64: the 6x4 AVX-512 tiles, a partial panel
  };
  return cases;
}

}  // namespace

BOOST_AUTO_TEST_CASE(kernels_match_naive_loops_on_every_isa) {
  Generator gen(7);
  test::for_each_isa([&](Isa) {
    for (const Case& c : kernel_cases())
      for (DType dt : {DType::float32, DType::float64}) check_kernels(c, dt, gen);
  });
}

BOOST_AUTO_TEST_CASE(results_do_not_depend_on_thread_count) {
  Generator gen(8);
  const Case c{3, 12, 11, 64, 3, 3, 33};
  const Window2D g = geometry(c);
  const Tensor x = test::random_tensor(Shape{c.n, c.h, c.w, c.c}, gen);
  const Tensor k = test::random_tensor(Shape{c.kh, c.kw, c.c, c.out}, gen);
  const Tensor dy = test::random_tensor(Shape{c.n, g.oh, g.ow, c.out}, gen);
  const int saved = num_threads();
  std::vector<std::vector<float>> runs;
  for (int t : {1, 2}) {
    set_num_threads(t);
    for (const Tensor& r : {core::conv2d(x, k, Tensor(), g), core::conv2d_backward_input(dy, k, g), core::conv2d_backward_kernel(x, dy, g)})
      runs.push_back(r.to_vector<float>());
  }
  set_num_threads(saved);
  for (std::size_t i = 0; i < 3; ++i) BOOST_TEST((runs[i] == runs[i + 3]), "result " << i << " differs between 1 and 2 threads");
}

BOOST_AUTO_TEST_CASE(depthwise_is_a_block_diagonal_convolution) {
  Generator gen(9);
  test::for_each_isa([&](Isa) {
    for (const Case& c : {Case{1, 5, 6, 1, 3, 3, 1}, Case{3, 7, 5, 3, 3, 2, 2, {2, 1}, "same"},
                          Case{1, 6, 7, 17, 2, 3, 3, {1, 1}, "same", {2, 1}}, Case{3, 8, 8, 17, 3, 3, 1, {2, 2}, "same"}})
      for (DType dt : {DType::float32, DType::float64}) {
        BOOST_TEST_CONTEXT(c << " multiplier " << c.out << " " << dtype_name(dt)) {
          const std::int64_t m = c.out;
          const Window2D g = geometry(c);
          const Tensor x = test::random_tensor(Shape{c.n, c.h, c.w, c.c}, gen, dt);
          const Tensor k = test::random_tensor(Shape{c.kh, c.kw, c.c, m}, gen, dt, -1, 1);
          const Tensor b = test::random_tensor(Shape{c.c * m}, gen, dt, -1, 1);
          const Tensor dy = test::random_tensor(Shape{c.n, g.oh, g.ow, c.c * m}, gen, dt, -1, 1);
          const auto dense = test::depthwise_as_dense(values(k), g.taps(), c.c, m);
          const double tol = dt == DType::float32 ? 2e-5 : 1e-12;
          expect_near(core::depthwise_conv2d(x, k, b, g), test::naive_conv2d(values(x), dense, values(b), g, c.c * m), tol,
                      tol, "forward");
          expect_near(core::depthwise_conv2d_backward_input(dy, k, g),
                      test::naive_conv2d_input_grad(values(dy), dense, g, c.c * m), tol, tol, "input gradient");
          // The kernel gradient is the dense one on the block diagonal.
          const auto dk = test::naive_conv2d_kernel_grad(values(x), values(dy), g, c.c * m);
          std::vector<double> want(static_cast<std::size_t>(g.taps() * c.c * m));
          for (std::int64_t t = 0; t < g.taps(); ++t)
            for (std::int64_t ci = 0; ci < c.c; ++ci)
              for (std::int64_t j = 0; j < m; ++j)
                want[static_cast<std::size_t>((t * c.c + ci) * m + j)] =
                    dk[static_cast<std::size_t>((t * c.c + ci) * c.c * m + ci * m + j)];
          expect_near(core::depthwise_conv2d_backward_kernel(x, dy, g, m), want, tol, tol * 10, "kernel gradient");
        }
      }
  });
}

BOOST_AUTO_TEST_CASE(gradients_of_every_input) {
  Generator gen(10);
  const DType f64 = DType::float64;
  for (const Case& c : {Case{2, 5, 4, 3, 3, 2, 2}, Case{1, 5, 6, 2, 3, 3, 3, {2, 2}, "same"},
                        Case{1, 6, 5, 1, 2, 2, 2, {1, 1}, "same", {2, 2}}}) {
    BOOST_TEST_CONTEXT(c) {
      const Conv2DOptions o{c.strides, c.padding, c.dilation};
      const Tensor x = test::random_tensor(Shape{c.n, c.h, c.w, c.c}, gen, f64);
      const Tensor k = test::random_tensor(Shape{c.kh, c.kw, c.c, c.out}, gen, f64, -1, 1);
      const Tensor b = test::random_tensor(Shape{c.out}, gen, f64, -1, 1);
      const Tensor wy = test::random_tensor(conv2d(x, k, b, o).shape(), gen, f64);  // weights make sum(y) non-trivial
      test::expect_gradients([&](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], v[2], o) * wy; }, {x, k, b},
                             "conv2d");
      // Depthwise with multiplier 2 on the same geometry.
      const Tensor kd = test::random_tensor(Shape{c.kh, c.kw, c.c, 2}, gen, f64, -1, 1);
      const Tensor bd = test::random_tensor(Shape{c.c * 2}, gen, f64, -1, 1);
      const Tensor wd = test::random_tensor(depthwise_conv2d(x, kd, bd, o).shape(), gen, f64);
      test::expect_gradients([&](const std::vector<Tensor>& v) { return depthwise_conv2d(v[0], v[1], v[2], o) * wd; },
                             {x, kd, bd}, "depthwise_conv2d");
      // Transposed: kernel (kh, kw, out, in) on an input with `out` channels... here in = c.
      const Tensor kt = test::random_tensor(Shape{c.kh, c.kw, 3, c.c}, gen, f64, -1, 1);
      const Tensor bt = test::random_tensor(Shape{3}, gen, f64, -1, 1);
      const Conv2DTransposeOptions ot{c.strides, c.padding, c.dilation};
      const Tensor wt = test::random_tensor(conv2d_transpose(x, kt, bt, ot).shape(), gen, f64);
      test::expect_gradients([&](const std::vector<Tensor>& v) { return conv2d_transpose(v[0], v[1], v[2], ot) * wt; },
                             {x, kt, bt}, "conv2d_transpose");
    }
  }
  for (const char* padding : {"valid", "same", "causal"}) {
    BOOST_TEST_CONTEXT("conv1d " << padding) {
      const Conv1DOptions o{2, padding, 1};
      const Conv1DOptions od{1, padding, 2};
      const Tensor x = test::random_tensor(Shape{2, 7, 3}, gen, f64);
      const Tensor k = test::random_tensor(Shape{3, 3, 2}, gen, f64, -1, 1);
      const Tensor b = test::random_tensor(Shape{2}, gen, f64, -1, 1);
      for (const Conv1DOptions& opt : {o, od}) {
        const Tensor w = test::random_tensor(conv1d(x, k, b, opt).shape(), gen, f64);
        test::expect_gradients([&](const std::vector<Tensor>& v) { return conv1d(v[0], v[1], v[2], opt) * w; }, {x, k, b},
                               "conv1d");
      }
    }
  }
  // output_padding picks a larger output of the same transposed convolution.
  const Tensor x = test::random_tensor(Shape{1, 3, 2, 2}, gen, f64);
  const Tensor kt = test::random_tensor(Shape{3, 3, 2, 2}, gen, f64, -1, 1);
  const Conv2DTransposeOptions op{{2, 3}, "same", {1, 1}, std::array<std::int64_t, 2>{1, 2}};
  BOOST_TEST(conv2d_transpose(x, kt, Tensor(), op).shape() == (Shape{1, 6, 6, 2}));
  const Tensor w = test::random_tensor(Shape{1, 6, 6, 2}, gen, f64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return conv2d_transpose(v[0], v[1], Tensor(), op) * w; },
                         {x, kt}, "conv2d_transpose with output_padding");
}

BOOST_AUTO_TEST_CASE(fused_relu_matches_a_separate_relu) {
  Generator gen(11);
  const Tensor x = test::random_tensor(Shape{2, 6, 5, 3}, gen, DType::float64);
  const Tensor k = test::random_tensor(Shape{3, 3, 3, 4}, gen, DType::float64);
  const Tensor b = test::random_tensor(Shape{4}, gen, DType::float64);
  const Conv2DOptions o{{1, 1}, "same"};
  GradientTape tape(true);
  for (const Tensor& t : {x, k, b}) tape.watch(t);
  const Tensor fused = sum(conv2d(x, k, b, o, true) * 1.5);
  const Tensor apart = sum(relu(conv2d(x, k, b, o)) * 1.5);
  BOOST_TEST(fused.item() == apart.item());
  const auto g1 = tape.gradient(fused, {x, k, b});
  const auto g2 = tape.gradient(apart, {x, k, b});
  for (std::size_t i = 0; i < 3; ++i) test::check_close(g1[i], g2[i].to_vector<double>(), 1e-13, 1e-13, "input " + std::to_string(i));
}

BOOST_AUTO_TEST_CASE(first_layer_gradients_mask_and_bias_inside_the_product) {
  // Without an input gradient (x not watched) the relu mask and the bias sum happen inside the
  // kernel-gradient GEMM; check them against the naive loops on the masked output gradient.
  Generator gen(14);
  test::for_each_isa([&](Isa) {
    for (const Case& c : {Case{2, 7, 6, 1, 3, 3, 32}, Case{3, 4, 5, 17, 1, 1, 7}, Case{3, 12, 11, 64, 3, 3, 33},
                          Case{1, 6, 7, 3, 2, 3, 70, {2, 1}, "same"}})
      for (DType dt : {DType::float32, DType::float64})
        for (bool with_bias : {true, false}) {
          BOOST_TEST_CONTEXT(c << " " << dtype_name(dt) << (with_bias ? " bias" : "")) {
            const Window2D g = geometry(c);
            const Tensor x = test::random_tensor(Shape{c.n, c.h, c.w, c.c}, gen, dt);
            const Tensor k = test::random_tensor(Shape{c.kh, c.kw, c.c, c.out}, gen, dt, -1, 1);
            const Tensor b = with_bias ? test::random_tensor(Shape{c.out}, gen, dt, -1, 1) : Tensor();
            const Tensor dy = test::random_tensor(Shape{c.n, g.oh, g.ow, c.out}, gen, dt, -1, 1);
            GradientTape tape;
            tape.watch(k);
            if (with_bias) tape.watch(b);
            const Tensor y = conv2d(x, k, b, {c.strides, c.padding, c.dilation}, true);
            const auto grads = tape.gradient(y, with_bias ? std::vector<Tensor>{k, b} : std::vector<Tensor>{k}, dy);
            auto masked = values(dy);
            const auto yv = values(y);
            for (std::size_t i = 0; i < masked.size(); ++i)
              if (!(yv[i] > 0)) masked[i] = 0;
            const double pix = static_cast<double>(g.pixels());
            const double tol = (dt == DType::float32 ? 1e-5 : 1e-12) * (1 + pix);
            expect_near(grads[0], test::naive_conv2d_kernel_grad(values(x), masked, g, c.out), 1e-5, tol, "dkernel");
            if (with_bias) {
              std::vector<double> db(static_cast<std::size_t>(c.out), 0.0);
              for (std::size_t i = 0; i < masked.size(); ++i) db[i % static_cast<std::size_t>(c.out)] += masked[i];
              expect_near(grads[1], db, 1e-5, tol, "dbias");
            }
          }
        }
  });
}

BOOST_AUTO_TEST_CASE(second_order_gradients) {
  // The gradients are recorded convolutions: differentiate d(sum(conv * w))/dx and /dkernel again.
  Generator gen(12);
  const DType f64 = DType::float64;
  const Conv2DOptions o{{2, 1}, "same", {1, 1}};
  const Tensor x = test::random_tensor(Shape{2, 5, 4, 2}, gen, f64);
  const Tensor k = test::random_tensor(Shape{3, 2, 2, 3}, gen, f64);
  const Tensor w = test::random_tensor(conv2d(x, k, Tensor(), o).shape(), gen, f64);
  const Tensor vx = test::random_tensor(x.shape(), gen, f64), vk = test::random_tensor(k.shape(), gen, f64);
  // f = sum(dL/dx * vx) + sum((dL/dk)^2 * vk) for L = sum(op(x, k) * w): nonlinear in the kernel gradient.
  auto second = [](const std::function<Tensor(const Tensor&, const Tensor&)>& op, const Tensor& vx, const Tensor& vk) {
    return [=](const std::vector<Tensor>& v) {
      GradientTape tape;
      tape.watch(v[0]);
      tape.watch(v[1]);
      const auto g = tape.gradient(sum(mul(op(v[0], v[1]), v[2])), {v[0], v[1]});
      return add(sum(mul(g[0], vx)), sum(mul(mul(g[1], g[1]), vk)));
    };
  };
  test::expect_gradients(second([&](const Tensor& a, const Tensor& b) { return conv2d(a, b, Tensor(), o); }, vx, vk),
                         {x, k, w}, "conv2d second order");
  const Tensor kd = test::random_tensor(Shape{3, 2, 2, 2}, gen, f64);
  const Tensor wd = test::random_tensor(depthwise_conv2d(x, kd, Tensor(), o).shape(), gen, f64);
  const Tensor vkd = test::random_tensor(kd.shape(), gen, f64);
  const auto inner_d = second([&](const Tensor& a, const Tensor& b) { return depthwise_conv2d(a, b, Tensor(), o); }, vx, vkd);
  test::expect_gradients(inner_d, {x, kd, wd}, "depthwise second order");
}

BOOST_AUTO_TEST_CASE(no_tape_records_nothing) {
  Generator gen(13);
  const Tensor x = test::random_tensor(Shape{1, 4, 4, 2}, gen);
  const Tensor k = test::random_tensor(Shape{3, 3, 2, 2}, gen);
  GradientTape tape;  // alive but watching nothing
  conv2d(x, k);
  depthwise_conv2d(x, test::random_tensor(Shape{3, 3, 2, 1}, gen));
  conv2d_transpose(x, k);
  BOOST_TEST(tape.size() == 0u);
}

BOOST_AUTO_TEST_CASE(matches_pytorch_float64) {
  // tests/golden/gen_torch_conv.py: PyTorch 1.13, float64, layouts and TF padding mapped explicitly.
  const auto j = test::load_golden("torch_conv.json");
  auto check = [](const nlohmann::json& c, const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>& f, DType dt) {
    BOOST_TEST_CONTEXT(c.at("name").get<std::string>() << " " << dtype_name(dt)) {
      const Tensor x = test::golden_tensor(c.at("x"), static_cast<int>(dt));
      const Tensor k = test::golden_tensor(c.at("kernel"), static_cast<int>(dt));
      const Tensor b = test::golden_tensor(c.at("bias"), static_cast<int>(dt));
      const Tensor dy = test::golden_tensor(c.at("dy"), static_cast<int>(dt));
      GradientTape tape;
      for (const Tensor& t : {x, k, b}) tape.watch(t);
      const Tensor y = f(x, k, b);
      const double tol = dt == DType::float64 ? 1e-12 : 2e-5;
      BOOST_TEST(y.shape() == test::golden_tensor(c.at("y")).shape());
      expect_near(y, c.at("y").at("data").get<std::vector<double>>(), tol, tol, "y");
      const auto g = tape.gradient(y, {x, k, b}, dy);
      expect_near(g[0], c.at("dx").at("data").get<std::vector<double>>(), tol, tol, "dx");
      expect_near(g[1], c.at("dkernel").at("data").get<std::vector<double>>(), tol, tol * 4, "dkernel");
      expect_near(g[2], c.at("dbias").at("data").get<std::vector<double>>(), tol, tol * 4, "dbias");
    }
  };
  auto pair = [](const nlohmann::json& v) { return std::array<std::int64_t, 2>{v[0].get<std::int64_t>(), v[1].get<std::int64_t>()}; };
  for (DType dt : {DType::float64, DType::float32}) {
    for (const auto& c : j.at("conv2d")) {
      const Conv2DOptions o{pair(c.at("strides")), c.at("padding"), pair(c.at("dilation_rate"))};
      check(c, [&](const Tensor& x, const Tensor& k, const Tensor& b) { return conv2d(x, k, b, o); }, dt);
    }
    for (const auto& c : j.at("depthwise_conv2d")) {
      const Conv2DOptions o{pair(c.at("strides")), c.at("padding"), pair(c.at("dilation_rate"))};
      check(c, [&](const Tensor& x, const Tensor& k, const Tensor& b) { return depthwise_conv2d(x, k, b, o); }, dt);
    }
    for (const auto& c : j.at("conv1d")) {
      const Conv1DOptions o{c.at("strides"), c.at("padding"), c.at("dilation_rate")};
      check(c, [&](const Tensor& x, const Tensor& k, const Tensor& b) { return conv1d(x, k, b, o); }, dt);
    }
    for (const auto& c : j.at("conv2d_transpose")) {
      const Conv2DTransposeOptions o{pair(c.at("strides")), c.at("padding"), pair(c.at("dilation_rate"))};
      check(c, [&](const Tensor& x, const Tensor& k, const Tensor& b) { return conv2d_transpose(x, k, b, o); }, dt);
    }
  }
}

BOOST_AUTO_TEST_CASE(matches_tensorflow_js_keras_semantics) {
  // tests/golden/gen_keras_conv.mjs: TensorFlow.js 4.22, float32 ("same" split, Conv2DTranspose's
  // output size, depthwise channel order, causal Conv1D). Gradients where tfjs has them.
  const auto j = test::load_golden("keras_conv.json");
  auto pair = [](const nlohmann::json& v) { return std::array<std::int64_t, 2>{v[0].get<std::int64_t>(), v[1].get<std::int64_t>()}; };
  auto check = [](const nlohmann::json& c, const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>& f) {
    BOOST_TEST_CONTEXT(c.at("name").get<std::string>()) {
      const Tensor x = test::golden_tensor(c.at("x")), k = test::golden_tensor(c.at("kernel"));
      const Tensor b = test::golden_tensor(c.at("bias"));
      GradientTape tape;
      for (const Tensor& t : {x, k, b}) tape.watch(t);
      const Tensor y = f(x, k, b);
      BOOST_TEST(y.shape() == test::golden_tensor(c.at("y")).shape());
      expect_near(y, c.at("y").at("data").get<std::vector<double>>(), 1e-5, 1e-5, "y");
      if (!c.contains("dy")) return;
      const auto g = tape.gradient(y, {x, k, b}, test::golden_tensor(c.at("dy")));
      expect_near(g[0], c.at("dx").at("data").get<std::vector<double>>(), 1e-5, 1e-5, "dx");
      if (c.contains("dkernel")) {
        expect_near(g[1], c.at("dkernel").at("data").get<std::vector<double>>(), 1e-5, 2e-5, "dkernel");
        expect_near(g[2], c.at("dbias").at("data").get<std::vector<double>>(), 1e-5, 2e-5, "dbias");
      }
    }
  };
  for (const auto& c : j.at("conv2d")) {
    const Conv2DOptions o{pair(c.at("strides")), c.at("padding"), pair(c.at("dilation_rate"))};
    check(c, [&](const Tensor& x, const Tensor& k, const Tensor& b) { return conv2d(x, k, b, o); });
  }
  for (const auto& c : j.at("depthwise_conv2d")) {
    const Conv2DOptions o{pair(c.at("strides")), c.at("padding"), pair(c.at("dilation_rate"))};
    check(c, [&](const Tensor& x, const Tensor& k, const Tensor& b) { return depthwise_conv2d(x, k, b, o); });
  }
  for (const auto& c : j.at("conv1d")) {
    const Conv1DOptions o{c.at("strides"), c.at("padding"), c.at("dilation_rate")};
    check(c, [&](const Tensor& x, const Tensor& k, const Tensor& b) { return conv1d(x, k, b, o); });
  }
  for (const auto& c : j.at("conv2d_transpose")) {
    const Conv2DTransposeOptions o{pair(c.at("strides")), c.at("padding"), pair(c.at("dilation_rate"))};
    check(c, [&](const Tensor& x, const Tensor& k, const Tensor& b) { return conv2d_transpose(x, k, b, o); });
  }
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_shapes) {
  const Tensor x = Tensor::zeros(Shape{1, 5, 5, 3});
  test::check_throws_with<ShapeError>([&] { conv2d(x, Tensor::zeros(Shape{3, 3, 4, 2})); },
                                      {"conv2d", "(1, 5, 5, 3)", "3 channels", "(3, 3, 4, 2)", "expects 4"});
  test::check_throws_with<ShapeError>([&] { conv2d(x, Tensor::zeros(Shape{3, 3, 3, 2}), Tensor(), {{1, 1}, "full"}); },
                                      {"conv2d", "padding 'full'", "'valid' or 'same'"});
  test::check_throws_with<ShapeError>([&] { conv2d(x, Tensor::zeros(Shape{7, 3, 3, 2})); },
                                      {"conv2d", "window of 7", "input of 5", "'valid'"});
  test::check_throws_with<ShapeError>([&] { conv2d(x, Tensor::zeros(Shape{3, 3, 3, 2}), Tensor::zeros(Shape{3})); },
                                      {"conv2d", "bias (3,)", "expected (2,)"});
  test::check_throws_with<ShapeError>([&] { conv2d(x, Tensor::zeros(Shape{3, 3, 3, 2}, DType::float64)); },
                                      {"conv2d", "kernel dtype float64", "input dtype float32"});
  test::check_throws_with<ShapeError>([&] { conv2d(Tensor::zeros(Shape{5, 5, 3}), Tensor::zeros(Shape{3, 3, 3, 2})); },
                                      {"conv2d", "[batch, height, width, channels]", "(5, 5, 3)"});
  test::check_throws_with<ShapeError>([&] { conv2d(x, Tensor::zeros(Shape{3, 3, 3, 2}), Tensor(), {{0, 1}}); },
                                      {"conv2d", "strides must be >= 1"});
  test::check_throws_with<ShapeError>([&] { depthwise_conv2d(x, Tensor::zeros(Shape{3, 3, 2, 1})); },
                                      {"depthwise_conv2d", "3 channels", "expects 2"});
  test::check_throws_with<ShapeError>([&] { conv1d(Tensor::zeros(Shape{1, 5, 3}), Tensor::zeros(Shape{3, 3, 2}), Tensor(), {1, "full"}); },
                                      {"conv1d", "padding 'full'"});
  test::check_throws_with<ShapeError>(
      [&] {
        conv2d_transpose(x, Tensor::zeros(Shape{3, 3, 2, 3}), Tensor(),
                         {{2, 2}, "same", {1, 1}, std::array<std::int64_t, 2>{2, 0}});
      },
      {"conv2d_transpose", "output_padding (2, 0)", "below the strides (2, 2)"});
}

BOOST_AUTO_TEST_SUITE_END()
