#include <cmath>

#include "golden_util.hpp"
#include "ops/gradcheck_util.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_image)

namespace {
std::vector<double> data(const nlohmann::json& t) { return t.at("data").get<std::vector<double>>(); }
}  // namespace

BOOST_AUTO_TEST_CASE(padding_and_upsampling_by_hand) {
  const Tensor x = Tensor::from_values({1, 2, 3, 4}, Shape{1, 2, 2, 1});
  test::check_close(zero_padding2d(x, {{{1, 0}, {0, 2}}}), {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}, 0, 0, "pad");
  BOOST_TEST(zero_padding2d(x, {{{1, 0}, {0, 2}}}).shape() == (Shape{1, 3, 4, 1}));
  test::check_close(cropping2d(zero_padding2d(x, {{{1, 0}, {0, 2}}}), {{{1, 0}, {0, 2}}}), {1, 2, 3, 4}, 0, 0, "crop");
  test::check_close(upsampling2d(x, {2, 3}), {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}, 0, 0,
                    "upsample");
  // Same size: bilinear resize with half-pixel centres is the identity.
  const Tensor r = Tensor::from_values({1, 2, 3, 4, 5, 6}, Shape{1, 2, 3, 1});
  test::check_close(resize_bilinear(r, 2, 3), {1, 2, 3, 4, 5, 6}, 0, 0, "identity resize");
  // 1x2 -> 1x4: sources -0.25, 0.25, 0.75, 1.25 clamp to [0, 1]: 1, 1.25, 1.75, 2 (by hand).
  test::check_close(resize_bilinear(Tensor::from_values({1, 2}, Shape{1, 1, 2, 1}), 1, 4), {1, 1.25, 1.75, 2}, 0, 1e-7, "1x2 to 1x4");
}

BOOST_AUTO_TEST_CASE(gradients_of_every_op) {
  Generator gen(41);
  const DType f64 = DType::float64;
  for (const Shape& s : {Shape{1, 1, 1, 1}, Shape{2, 3, 4, 3}, Shape{1, 5, 2, 17}}) {
    BOOST_TEST_CONTEXT(s) {
      const Tensor x = test::random_tensor(s, gen, f64);
      const Padding2D p{{{1, 2}, {0, 3}}};
      const Tensor wp = test::random_tensor(zero_padding2d(x, p).shape(), gen, f64);
      test::expect_gradients([&](const std::vector<Tensor>& v) { return zero_padding2d(v[0], p) * wp; }, {x}, "zero_padding2d");
      const Tensor xp = test::random_tensor(zero_padding2d(x, p).shape(), gen, f64);
      const Tensor wc = test::random_tensor(x.shape(), gen, f64);
      test::expect_gradients([&](const std::vector<Tensor>& v) { return cropping2d(v[0], p) * wc; }, {xp}, "cropping2d");
      const Tensor wu = test::random_tensor(upsampling2d(x, {3, 2}).shape(), gen, f64);
      test::expect_gradients([&](const std::vector<Tensor>& v) { return upsampling2d(v[0], {3, 2}) * wu; }, {x}, "upsampling2d");
      for (const auto& [h, w] : std::vector<std::pair<std::int64_t, std::int64_t>>{{7, 3}, {2, 9}, {1, 1}}) {
        const Tensor wr = test::random_tensor(Shape{s[0], h, w, s[3]}, gen, f64);
        test::expect_gradients([&](const std::vector<Tensor>& v) { return resize_bilinear(v[0], h, w) * wr; }, {x},
                               "resize_bilinear");
      }
    }
  }
  // Second order: the gradients are recorded ops too (each linear op's gradient is its transpose).
  const Tensor x = test::random_tensor(Shape{1, 3, 4, 2}, gen, f64);
  const Tensor v = test::random_tensor(x.shape(), gen, f64);
  const Tensor w = test::random_tensor(Shape{1, 5, 7, 2}, gen, f64);
  const Tensor w2 = test::random_tensor(Shape{1, 7, 9, 2}, gen, f64);
  auto f = [&](const std::vector<Tensor>& in) {
    GradientTape tape;
    tape.watch(x);
    const Tensor a = sum(square(mul(resize_bilinear(x, 5, 7), in[0])));
    const Tensor b = sum(square(mul(zero_padding2d(upsampling2d(x, {2, 2}), {{{1, 0}, {0, 1}}}), in[1])));
    return sum(mul(tape.gradient(add(a, b), x), v));
  };
  test::expect_gradients(f, {w, w2}, "second order through resize, upsampling and padding");
}

BOOST_AUTO_TEST_CASE(matches_pytorch_float64) {
  // tests/golden/gen_torch_conv.py: F.pad, F.interpolate(nearest), F.interpolate(bilinear,
  // align_corners=False, antialias=False) in float64.
  const auto j = test::load_golden("torch_image.json");
  auto run = [&](const char* op, const std::function<Tensor(const Tensor&, const nlohmann::json&)>& f) {
    for (const auto& c : j.at(op)) {
      BOOST_TEST_CONTEXT(op << " " << c.at("name").get<std::string>()) {
        const Tensor x = test::golden_tensor(c.at("x"));
        GradientTape tape;
        tape.watch(x);
        const Tensor y = f(x, c);
        BOOST_TEST(y.shape() == test::golden_tensor(c.at("y")).shape());
        test::check_close(y, data(c.at("y")), 1e-14, 1e-14, "y");
        test::check_close(tape.gradient(y, std::vector<Tensor>{x}, test::golden_tensor(c.at("dy")))[0], data(c.at("dx")), 1e-14, 1e-14, "dx");
      }
    }
  };
  run("zero_padding2d", [](const Tensor& x, const nlohmann::json& c) {
    const auto p = c.at("padding");
    return zero_padding2d(x, {{{p[0][0], p[0][1]}, {p[1][0], p[1][1]}}});
  });
  run("upsampling2d", [](const Tensor& x, const nlohmann::json& c) {
    return upsampling2d(x, {c.at("size")[0].get<std::int64_t>(), c.at("size")[1].get<std::int64_t>()});
  });
  run("resize_bilinear", [](const Tensor& x, const nlohmann::json& c) {
    return resize_bilinear(x, c.at("size")[0].get<std::int64_t>(), c.at("size")[1].get<std::int64_t>());
  });
}

BOOST_AUTO_TEST_CASE(matches_tensorflow_js_keras_semantics) {
  // tests/golden/gen_keras_conv.mjs: tf.image.resizeBilinear(x, size, false, true) (Keras'
  // Resizing), tf.layers.upSampling2d and tf.layers.zeroPadding2d, float32.
  const auto j = test::load_golden("keras_conv.json");
  for (const auto& c : j.at("resize_bilinear")) {
    BOOST_TEST_CONTEXT(c.at("name").get<std::string>()) {
      const Tensor y = resize_bilinear(test::golden_tensor(c.at("x")), c.at("size")[0], c.at("size")[1]);
      BOOST_TEST(y.shape() == test::golden_tensor(c.at("y")).shape());
      test::check_close(y, data(c.at("y")), 1e-6, 1e-6, "y");
    }
  }
  const auto& u = j.at("upsampling2d");
  test::check_close(upsampling2d(test::golden_tensor(u.at("x")), {u.at("size")[0], u.at("size")[1]}), data(u.at("y")), 0, 0,
                    "upsampling2d");
  const auto& z = j.at("zero_padding2d");
  const auto p = z.at("padding");
  test::check_close(zero_padding2d(test::golden_tensor(z.at("x")), {{{p[0][0], p[0][1]}, {p[1][0], p[1][1]}}}), data(z.at("y")),
                    0, 0, "zero_padding2d");
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_shapes) {
  const Tensor x = Tensor::zeros(Shape{1, 3, 3, 2});
  test::check_throws_with<ShapeError>([&] { zero_padding2d(x, {{{-1, 0}, {0, 0}}}); }, {"zero_padding2d", "padding ((-1, 0)"});
  test::check_throws_with<ShapeError>([&] { cropping2d(x, {{{2, 2}, {0, 0}}}); }, {"cropping2d", "larger than input (1, 3, 3, 2)"});
  test::check_throws_with<ShapeError>([&] { upsampling2d(x, {0, 2}); }, {"upsampling2d", "size (0, 2)"});
  test::check_throws_with<ShapeError>([&] { resize_bilinear(Tensor::zeros(Shape{3, 3, 2}), 2, 2); },
                                      {"resize_bilinear", "[batch, height, width, channels]"});
}

BOOST_AUTO_TEST_SUITE_END()
