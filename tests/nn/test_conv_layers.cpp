// The convolutional family of Keras layers (conv, pooling, BatchNormalization, reshaping,
// preprocessing) against TensorFlow.js layers built from the same Keras configs
// (tests/golden/gen_keras_conv_layers.mjs -> keras_conv_layers.json), and the behaviours
// tfjs cannot show: BatchNormalization's training modes, Normalization, the augmentation layers,
// errors.
#include "golden_util.hpp"
#include "test_util.hpp"

using namespace tg;

namespace {

std::shared_ptr<nn::Layer> from_keras(const std::string& cls, const nn::Config& config) {
  return nn::layer_registry().create(cls, config, "test");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_conv_layers)

BOOST_AUTO_TEST_CASE(layers_built_from_keras_configs_match_tensorflow_js) {
  const auto golden = test::load_golden("keras_conv_layers.json");
  BOOST_TEST(golden.at("cases").size() >= 30u);
  for (const auto& c : golden.at("cases")) {
    const std::string cls = c.at("class_name");
    BOOST_TEST_CONTEXT(cls << " " << c.at("keras_config").dump()) {
      auto layer = from_keras(cls, c.at("keras_config"));
      const Tensor x = test::golden_tensor(c.at("x"));
      std::vector<std::int64_t> per(x.shape().begin() + 1, x.shape().end());
      layer->build(Shape(per));
      std::vector<Tensor> w;
      for (const auto& t : c.at("weights")) w.push_back(test::golden_tensor(t));
      BOOST_REQUIRE_EQUAL(layer->weights().size(), w.size());
      layer->set_weights(w);
      const bool training = c.at("training");
      const Tensor y = (*layer)(x, training);
      const Tensor want = test::golden_tensor(c.at("y"));
      BOOST_TEST(y.shape() == want.shape());
      Shape promised{x.dim(0)};
      for (std::int64_t d : layer->compute_output_shape(Shape(per))) promised.push_back(d);
      BOOST_TEST(promised == want.shape());
      test::check_close(y, want.to_vector<double>(), 1e-5, 1e-5, "output");
      if (c.contains("weights_after")) {
        const auto after = layer->get_weights();
        for (std::size_t i = 0; i < after.size(); ++i)
          test::check_close(after[i], test::golden_tensor(c.at("weights_after")[i]).to_vector<double>(), 1e-5, 1e-6,
                            "weight " + std::to_string(i) + " after a training call");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(batch_normalization_weights_modes_and_configs) {
  nn::BatchNormalization bn({.momentum = 0.5});
  bn.build(Shape{2, 3});
  // Keras' order and names; moving statistics non-trainable even when the layer is made trainable again.
  std::vector<std::string> names;
  for (const Variable& v : bn.weights()) names.push_back(v.name());
  BOOST_TEST(names.size() == 4u);
  BOOST_TEST(bn.trainable_weights().size() == 2u);
  BOOST_TEST(bn.non_trainable_weights().size() == 2u);
  bn.set_trainable(false);
  bn.set_trainable(true);
  BOOST_TEST(bn.trainable_weights().size() == 2u);
  // Channel means over batch and steps (2, 2, 2.5); moving mean from 0 with momentum 0.5.
  const Tensor x = Tensor::from_values({0, 2, 1, 2, 2, 5, 2, 2, 3, 4, 2, 1}, Shape{2, 2, 3});
  const Tensor y = bn(x, /*training=*/true);
  // Batch statistics: channel 1 is constant, so its output is beta = 0 exactly.
  BOOST_TEST(y.to_vector<double>()[1] == 0.0);
  test::check_close(bn.moving_mean().value(), {0.5 * 2, 0.5 * 2, 0.5 * 2.5}, 1e-6, 1e-6,
                    "moving mean");
  // Inference with the moving statistics: (x - mm) / sqrt(mv + 1e-3).
  const auto mm = bn.moving_mean().value().to_vector<double>(), mv = bn.moving_variance().value().to_vector<double>();
  const Tensor yi = bn(x, false);
  const auto xv = x.to_vector<double>();
  std::vector<double> want;
  for (std::size_t i = 0; i < xv.size(); ++i) want.push_back((xv[i] - mm[i % 3]) / std::sqrt(mv[i % 3] + 1e-3));
  test::check_close(yi, want, 1e-5, 1e-6, "inference");
  // Frozen: training=true runs in inference mode and the statistics stay (Keras 2.1+).
  bn.set_trainable(false);
  test::check_close(bn(x, true), want, 1e-5, 1e-6, "frozen");
  BOOST_TEST(bn.moving_mean().value().to_vector<double>() == mm);
  // Keras 2 writes the axis as a list once built, Keras 3 as an int; both read back.
  BOOST_TEST(bn.get_config(nn::KerasFormat::keras2).at("axis") == nn::Config::array({2}));
  BOOST_TEST(bn.get_config(nn::KerasFormat::keras3).at("axis") == -1);
  BOOST_TEST(bn.get_config(nn::KerasFormat::keras3).at("synchronized") == false);
  test::check_throws_with([] { from_keras("BatchNormalization", {{"axis", {1, 2}}}); }, {"BatchNormalization", "axis"});
  test::check_throws_with([] { from_keras("BatchNormalization", {{"renorm", true}}); }, {"renorm", "not supported"});
}

BOOST_AUTO_TEST_CASE(batch_normalization_on_a_middle_axis) {
  // axis 1 of [N, C, L] (channels_first): y = gamma[c] (x - mean[c]) / sqrt(var[c] + eps) + beta[c].
  auto bn = from_keras("BatchNormalization", {{"axis", 1}, {"epsilon", 0.5}});
  bn->build(Shape{3, 2});
  bn->set_weights({Tensor::from_values({1, 2, 3}, Shape{3}), Tensor::from_values({0, 1, -1}, Shape{3}),
                   Tensor::from_values({1, 0, 2}, Shape{3}), Tensor::from_values({0.5, 1.5, 3.5}, Shape{3})});
  const Tensor y = (*bn)(Tensor::from_values({1, 2, 3, 4, 5, 6}, Shape{1, 3, 2}));
  test::check_close(y, {0, 1, 2 * 3 / std::sqrt(2.0) + 1, 2 * 4 / std::sqrt(2.0) + 1, 3 * 3 / 2.0 - 1, 3 * 4 / 2.0 - 1}, 1e-6,
                    1e-6);
}

BOOST_AUTO_TEST_CASE(normalization_uses_its_adapted_weights) {
  auto layer = from_keras("Normalization", {{"axis", -1}});
  layer->build(Shape{2});
  BOOST_REQUIRE_EQUAL(layer->weights().size(), 3u);  // mean, variance, count as Keras keeps them
  BOOST_TEST(layer->weights()[0].name().ends_with("mean"));
  BOOST_TEST(layer->weights()[2].value().dtype() == DType::int64);
  BOOST_TEST(layer->trainable_weights().empty());
  layer->set_weights({Tensor::from_values({1, -2}, Shape{2}), Tensor::from_values({4, 0.25}, Shape{2}),
                      Tensor::zeros(Shape{}, DType::int64)});
  test::check_close((*layer)(Tensor::from_values({3, -2, 1, -1}, Shape{2, 2})), {1, 0, 0, 2}, 1e-6, 1e-6, "adapted");
  // mean and variance given in the config: no weights; variance 0 divides by epsilon 1e-7.
  auto fixed = from_keras("Normalization", {{"axis", nullptr}, {"mean", 2.0}, {"variance", 0.0}});
  test::check_close((*fixed)(Tensor::from_values({2, 2 + 0x1p-20}, Shape{2, 1})), {0, 0x1p-20 / 1e-7}, 1e-5, 1e-6, "given");
  BOOST_TEST(fixed->weights().empty());
  auto inverted = from_keras("Normalization", {{"mean", {1.0, 2.0}}, {"variance", {4.0, 9.0}}, {"invert", true}});
  test::check_close((*inverted)(Tensor::from_values({1, 1}, Shape{1, 2})), {3, 5}, 1e-6, 1e-6, "invert");
}

BOOST_AUTO_TEST_CASE(augmentation_is_identity_at_inference_and_transforms_in_training) {
  Generator g(2);
  const Tensor x = Tensor::uniform(Shape{6, 4, 5, 2}, -1, 1, g);
  for (const char* cls : {"RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom"}) {
    nn::Config c = {{"seed", 5}};
    if (std::string(cls) == "RandomRotation") c["factor"] = 0.2;
    if (std::string(cls) == "RandomTranslation") c["height_factor"] = 0.3, c["width_factor"] = 0.3;
    if (std::string(cls) == "RandomZoom") c["height_factor"] = 0.3;
    auto layer = from_keras(cls, c);
    BOOST_TEST((*layer)(x, false).to_vector<float>() == x.to_vector<float>(), cls);
    BOOST_TEST((*layer)(x, true).to_vector<float>() != x.to_vector<float>(), cls);
    BOOST_TEST((*layer)(x, true).shape() == x.shape());
  }
  // A horizontal flip is exactly a flip: every image is itself or its mirror.
  auto flip = from_keras("RandomFlip", {{"mode", "horizontal"}, {"seed", 1}});
  const auto in = x.to_vector<float>(), out = (*flip)(x, true).to_vector<float>();
  int flipped = 0;
  for (int b = 0; b < 6; ++b) {
    bool same = true, mirror = true;
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 5; ++j)
        for (int c = 0; c < 2; ++c) {
          const float o = out[static_cast<std::size_t>(((b * 4 + i) * 5 + j) * 2 + c)];
          same = same && o == in[static_cast<std::size_t>(((b * 4 + i) * 5 + j) * 2 + c)];
          mirror = mirror && o == in[static_cast<std::size_t>(((b * 4 + i) * 5 + (4 - j)) * 2 + c)];
        }
    BOOST_TEST((same || mirror));
    flipped += mirror && !same;
  }
  BOOST_TEST(flipped > 0);
  BOOST_TEST(flipped < 6);
  // A zero translation with nearest interpolation gives the input back.
  auto still = from_keras("RandomTranslation", {{"height_factor", 0.0}, {"width_factor", 0.0}, {"interpolation", "nearest"}});
  BOOST_TEST((*still)(x, true).to_vector<float>() == x.to_vector<float>());
}

BOOST_AUTO_TEST_CASE(channels_first_matches_channels_last) {
  Generator g(4);
  const Tensor x = Tensor::uniform(Shape{2, 6, 5, 3}, -1, 1, g);
  const Tensor xf = transpose(x, {0, 3, 1, 2});
  for (const char* cls : {"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose", "MaxPooling2D", "AveragePooling2D",
                          "ZeroPadding2D", "UpSampling2D", "Cropping2D"}) {
    nn::Config c = {{"kernel_size", 3}, {"filters", 2}, {"padding", "same"}, {"strides", 2}};
    if (std::string(cls).find("Pooling") != std::string::npos) c = {{"pool_size", 2}, {"padding", "same"}};
    if (std::string(cls) == "ZeroPadding2D") c = {{"padding", {{1, 0}, {0, 2}}}};
    if (std::string(cls) == "UpSampling2D") c = {{"size", {2, 1}}};
    if (std::string(cls) == "Cropping2D") c = {{"cropping", {{1, 0}, {0, 2}}}};
    BOOST_TEST_CONTEXT(cls) {
      auto last = from_keras(cls, c);
      c["data_format"] = "channels_first";
      auto first = from_keras(cls, c);
      last->build(Shape{6, 5, 3});
      first->build(Shape{3, 6, 5});
      first->set_weights(last->get_weights());
      const Tensor want = transpose((*last)(x), {0, 3, 1, 2});
      BOOST_TEST((*first)(xf).shape() == want.shape());
      test::check_close((*first)(xf), want.to_vector<double>(), 1e-6, 1e-6);
    }
  }
}

BOOST_AUTO_TEST_CASE(groups_split_the_channels) {
  // groups=2: each half of the filters sees its half of the input channels.
  Generator g(8);
  auto grouped = from_keras("Conv2D", {{"filters", 4}, {"kernel_size", 2}, {"groups", 2}});
  grouped->build(Shape{4, 4, 6});
  BOOST_TEST(grouped->weights()[0].shape() == (Shape{2, 2, 3, 4}));
  const Tensor x = Tensor::uniform(Shape{1, 4, 4, 6}, -1, 1, g);
  const Tensor k = grouped->weights()[0].value(), b = grouped->weights()[1].value();
  const Tensor y = (*grouped)(x);
  const auto xs = split(x, 2, -1), ks = split(k, 2, -1);
  const Tensor want = concat({conv2d(xs[0], ks[0]), conv2d(xs[1], ks[1])}, -1);
  test::check_close(y, want.to_vector<double>(), 1e-6, 1e-6);
}

BOOST_AUTO_TEST_CASE(float64_gradients_through_the_layers) {
  // A float64 stack of the new layers in training mode (BatchNormalization on batch statistics):
  // tape gradients of the input and of every weight against central differences.
  const DType f64 = DType::float64;
  nn::set_random_seed(6);
  nn::Sequential model;
  model.add(nn::Conv2D(3, {3, 2}, {.strides = {1, 2}, .padding = "same", .activation = "relu", .dtype = f64}));
  model.add(nn::BatchNormalization({.dtype = f64}));
  model.add(nn::DepthwiseConv2D({2, 2}, {.depth_multiplier = 2, .dtype = f64}));
  model.add(nn::AveragePooling2D({2, 2}, std::nullopt, "same"));
  model.add(nn::SeparableConv2D(2, {2, 1}, {.activation = "tanh", .dtype = f64}));
  model.add(nn::Conv2DTranspose(2, {2, 2}, {.strides = {2, 1}, .dtype = f64}));
  model.add(nn::MaxPooling2D({2, 2}));
  model.add(nn::GlobalAveragePooling2D());
  model.add(nn::Dense(3, "linear", {.dtype = f64}));
  model.build(Shape{5, 6, 2});
  Generator g(11);
  const Tensor x = Tensor::uniform(Shape{3, 5, 6, 2}, -1, 1, g, f64);
  const Tensor w = Tensor::uniform(Shape{3, 3}, -1, 1, g, f64);  // a weighted sum as the loss
  auto loss_of = [&](const Tensor& in) { return sum(mul(model(in, /*training=*/true), w)); };
  const auto r = check_gradients([&](const std::vector<Tensor>& in) { return loss_of(in[0]); }, {x}, 1e-6, 1e-7, 1e-5);
  BOOST_TEST(r.passed, r.message);
  const std::vector<Variable> vars = model.trainable_variables();
  BOOST_TEST(vars.size() == 13u);  // kernel and bias of each conv and the dense, BatchNormalization gamma and beta, pointwise kernel
  GradientTape tape;
  const Tensor loss = loss_of(x);
  const std::vector<Tensor> grads = tape.gradient(loss, vars);
  for (std::size_t v = 0; v < vars.size(); ++v) {
    const Tensor saved = vars[v].value().clone();
    const auto analytic = grads[v].to_vector<double>();
    for (std::int64_t i = 0; i < std::min<std::int64_t>(saved.numel(), 3); ++i) {
      auto at = [&](double delta) {
        std::vector<double> vals = saved.to_vector<double>();
        vals[static_cast<std::size_t>(i)] += delta;
        vars[v].assign(Tensor::from_vector(vals, saved.shape()));
        return loss_of(x).item();
      };
      const double numeric = (at(1e-6) - at(-1e-6)) / 2e-6;
      vars[v].assign(saved);
      BOOST_TEST(std::fabs(numeric - analytic[static_cast<std::size_t>(i)]) < 1e-6 + 1e-5 * std::fabs(numeric),
                 vars[v].name() << "[" << i << "]: tape " << analytic[static_cast<std::size_t>(i)] << ", differences " << numeric);
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_configs_and_inputs_name_the_layer) {
  test::check_throws_with([] { from_keras("Conv2D", {{"filters", 2}, {"kernel_size", 3}, {"padding", "full"}, {"name", "c"}}); },
                          {"Conv2D 'c'", "padding", "full"});
  test::check_throws_with([] { from_keras("Conv2D", {{"kernel_size", 3}}); }, {"Conv2D", "filters"});
  test::check_throws_with([] { from_keras("Conv1D", {{"filters", 2}}); }, {"Conv1D", "kernel_size"});
  test::check_throws_with([] { from_keras("Conv2D", {{"filters", 2}, {"kernel_size", 3}, {"data_format", "NHWC"}}); },
                          {"data_format", "NHWC"});
  test::check_throws_with([] { from_keras("MaxPooling2D", {{"pool_size", {0, 2}}}); }, {"MaxPooling2D", "pool_size"});
  test::check_throws_with([] { from_keras("Reshape", {{"target_shape", {-1, -1}}}); }, {"Reshape", "one -1"});
  auto conv = from_keras("Conv2D", {{"filters", 2}, {"kernel_size", 5}, {"name", "small"}});
  test::check_throws_with([&] { (*conv)(Tensor::zeros(Shape{1, 3, 3, 1})); }, {"does not fit"});
  auto conv2 = from_keras("Conv2D", {{"filters", 2}, {"kernel_size", 1}, {"name", "flat"}});
  test::check_throws_with([&] { (*conv2)(Tensor::zeros(Shape{1, 3})); }, {"Conv2D 'flat'", "rank 4"});
  auto reshape = from_keras("Reshape", {{"target_shape", {5}}});
  test::check_throws_with([&] { (*reshape)(Tensor::zeros(Shape{2, 6})); }, {"Reshape", "cannot reshape"});
}

BOOST_AUTO_TEST_SUITE_END()
