// Functional models: a graph built from a TensorFlow.js Keras config reproduces tfjs' layer order
// and outputs; the same graph built in C++ writes the same config; gradients through shared
// layers, merges and a nested Sequential match central differences; fit learns; the summary has
// Keras' Functional layout.
#include <cmath>

#include "golden_util.hpp"
#include "ops/gradcheck_util.hpp"

using namespace tg;

namespace {

// The graph of tests/golden/gen_keras_functional.mjs, in C++.
std::shared_ptr<nn::Model> two_heads(DType dt = DType::float32) {
  nn::clear_session();
  auto a = nn::Input({4}, "a", dt), b = nn::Input({3}, "b", dt);
  auto shared = nn::make<nn::Dense>(4, "tanh", nn::DenseOptions{.name = "shared", .dtype = dt});
  auto h1 = (*shared)(a);
  auto h2 = (*shared)(nn::Dense(4, "linear", {.name = "project_b", .dtype = dt})(b));
  auto r = nn::Add("residual")({h1, a});
  auto c = nn::Concatenate(-1, "concat")({r, h2});
  auto inner = nn::make<nn::Sequential>(std::initializer_list<nn::LayerHandle>{
      nn::Dense(5, "relu", {.name = "inner_dense", .dtype = dt}), nn::Dense(2, "linear", {.name = "inner_out", .dtype = dt})}, "inner");
  auto out1 = (*inner)(c);
  auto out2 = nn::Dense(1, "sigmoid", {.name = "score", .dtype = dt})(nn::Multiply("gate")({h1, h2}));
  return std::make_shared<nn::Model>(std::vector<nn::KerasTensor>{a, b}, std::vector<nn::KerasTensor>{out1, out2}, "two_heads");
}

std::vector<std::string> layer_names(const nn::Model& m) {
  std::vector<std::string> out;
  for (const auto& l : m.layers()) out.push_back(l->name());
  return out;
}

void set_golden_weights(nn::Model& m, const nlohmann::json& golden) {
  const auto ws = m.weights();
  BOOST_REQUIRE_EQUAL(ws.size(), golden.at("weights").size());
  for (std::size_t i = 0; i < ws.size(); ++i) {
    BOOST_TEST(ws[i].name() == golden["weights"][i].at("name").get<std::string>());
    ws[i].assign(test::golden_tensor(golden["weights"][i]));
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_model)

BOOST_AUTO_TEST_CASE(functional_config_from_keras_reproduces_its_outputs) {
  const auto golden = test::load_golden("keras_functional.json");
  auto model = nn::model_from_config(golden.at("model_config"));
  BOOST_TEST(model->class_name() == "Functional");
  BOOST_TEST(layer_names(*model) == golden.at("layer_order").get<std::vector<std::string>>(), boost::test_tools::per_element());
  set_golden_weights(*model, golden);
  const auto ys = model->predict({test::golden_tensor(golden.at("x_a")), test::golden_tensor(golden.at("x_b"))});
  test::check_close(ys[0], test::golden_tensor(golden.at("y_1")).to_vector<double>(), 1e-6, 1e-6, "out1");
  test::check_close(ys[1], test::golden_tensor(golden.at("y_2")).to_vector<double>(), 1e-6, 1e-6, "out2");
}

BOOST_AUTO_TEST_CASE(functional_model_built_in_code_matches_keras) {
  const auto golden = test::load_golden("keras_functional.json");
  auto model = two_heads();
  BOOST_TEST(layer_names(*model) == golden.at("layer_order").get<std::vector<std::string>>(), boost::test_tools::per_element());
  set_golden_weights(*model, golden);
  const auto ys = model->predict({test::golden_tensor(golden.at("x_a")), test::golden_tensor(golden.at("x_b"))});
  test::check_close(ys[0], test::golden_tensor(golden.at("y_1")).to_vector<double>(), 1e-6, 1e-6, "out1");
  test::check_close(ys[1], test::golden_tensor(golden.at("y_2")).to_vector<double>(), 1e-6, 1e-6, "out2");
  // The Keras 2 config: every layer's inbound nodes and the model's inputs and outputs as tfjs writes them.
  const nn::Config mine = model->get_config(nn::KerasFormat::keras2);
  const nn::Config& theirs = golden.at("model_config").at("config");
  BOOST_TEST(mine.at("input_layers") == theirs.at("input_layers"));
  BOOST_TEST(mine.at("output_layers") == theirs.at("output_layers"));
  BOOST_REQUIRE_EQUAL(mine.at("layers").size(), theirs.at("layers").size());
  for (std::size_t i = 0; i < mine["layers"].size(); ++i) {
    BOOST_TEST_CONTEXT(theirs["layers"][i]["name"]) {
      BOOST_TEST(mine["layers"][i]["name"] == theirs["layers"][i]["name"]);
      BOOST_TEST(mine["layers"][i]["class_name"] == theirs["layers"][i]["class_name"]);
      BOOST_TEST(mine["layers"][i]["inbound_nodes"] == theirs["layers"][i]["inbound_nodes"]);
    }
  }
  // Shared weights: `shared` is one layer with one kernel, called twice.
  BOOST_TEST(model->get_layer("shared")->inbound_nodes().size() == 2u);
  BOOST_TEST(model->count_params() == 4 * 4 + 4 + 3 * 4 + 4 + 8 * 5 + 5 + 5 * 2 + 2 + 4 + 1);  // 98
}

BOOST_AUTO_TEST_CASE(gradients_through_shared_layers_merges_and_nesting) {
  // Every weight and both inputs, float64, against central differences: the shared layer's
  // kernel collects the gradient of both its calls.
  auto model = two_heads(DType::float64);
  Generator g(5);
  const Tensor xa = test::random_tensor(Shape{3, 4}, g, DType::float64), xb = test::random_tensor(Shape{3, 3}, g, DType::float64);
  model->predict({xa, xb});
  const auto ws = model->weights();
  test::expect_gradients(
      [&](const std::vector<Tensor>& v) {
        const auto outs = (*model)(std::vector<Tensor>{v[0], v[1]});
        return sum(outs[0] * outs[0]) + sum(outs[1]);
      },
      {xa, xb}, "inputs");
  // Weights: their gradients against differences of the loss in each weight.
  GradientTape tape;
  const auto outs = (*model)(std::vector<Tensor>{xa, xb});
  const Tensor loss = sum(outs[0] * outs[0]) + sum(outs[1]);
  const auto grads = tape.gradient(loss, model->trainable_variables());
  for (std::size_t k = 0; k < ws.size(); ++k) {
    const Tensor w0 = ws[k].value().clone();
    const auto base = w0.to_vector<double>();
    for (std::int64_t i = 0; i < w0.numel(); i += std::max<std::int64_t>(1, w0.numel() / 5)) {
      auto plus = base, minus = base;
      plus[static_cast<std::size_t>(i)] += 1e-6, minus[static_cast<std::size_t>(i)] -= 1e-6;
      auto f = [&](const std::vector<double>& w) {
        ws[k].assign(Tensor::from_vector(w, w0.shape()));
        const auto o = (*model)(std::vector<Tensor>{xa, xb});
        return (sum(o[0] * o[0]) + sum(o[1])).item();
      };
      const double numeric = (f(plus) - f(minus)) / 2e-6;
      ws[k].assign(w0);
      BOOST_TEST(std::fabs(grads[k].to_vector<double>()[static_cast<std::size_t>(i)] - numeric) < 1e-6 + 1e-5 * std::fabs(numeric),
                 ws[k].name() << "[" << i << "]: " << grads[k].to_vector<double>()[static_cast<std::size_t>(i)] << " vs " << numeric);
    }
  }
}

BOOST_AUTO_TEST_CASE(fit_trains_a_two_input_two_output_model) {
  auto model = two_heads();
  Generator g(11);
  const Tensor xa = Tensor::uniform(Shape{256, 4}, -1, 1, g), xb = Tensor::uniform(Shape{256, 3}, -1, 1, g);
  // Targets a function of the inputs: out1 regresses (a0 + b0, a1 - b1), out2 classifies a2 > 0.
  Tensor t1(Shape{256, 2}), t2(Shape{256, 1});
  for (std::int64_t i = 0; i < 256; ++i) {
    t1.data<float>()[2 * i] = xa.data<float>()[4 * i] + xb.data<float>()[3 * i];
    t1.data<float>()[2 * i + 1] = xa.data<float>()[4 * i + 1] - xb.data<float>()[3 * i + 1];
    t2.data<float>()[i] = xa.data<float>()[4 * i + 2] > 0 ? 1.f : 0.f;
  }
  model->compile(std::make_shared<nn::Adam>(0.02), {nn::get_loss("mse"), nn::get_loss("binary_crossentropy")},
                 {"accuracy"}, {1.0, 0.5});
  nn::FitOptions o;
  o.epochs = 30;
  o.verbose = 0;
  const nn::History h = model->fit({xa, xb}, {t1, t2}, o);
  BOOST_TEST(h.history.at("loss").back() < 0.35 * h.history.at("loss").front());
  BOOST_TEST(h.history.at("score_accuracy").back() > 0.9);
  const auto r = model->evaluate({xa, xb}, {t1, t2});
  BOOST_TEST(std::fabs(r.at("loss") - h.history.at("loss").back()) < 0.1);
  BOOST_TEST(r.count("inner_accuracy") == 1u);
}

BOOST_AUTO_TEST_CASE(summary_in_keras_functional_layout) {
  auto model = two_heads();
  const std::string s = model->summary();
  BOOST_TEST(s.find("Model: \"two_heads\"") == 0u);
  // tf.keras 2.10's columns: 32, 53, 65 of 98; a layer called twice lists both calls.
  BOOST_TEST(s.find("\n Layer (type)                   Output Shape         Param #     Connected to") != std::string::npos, s);
  BOOST_TEST(s.find("\n a (InputLayer)                 [(None, 4)]          0           []") != std::string::npos, s);
  BOOST_TEST(s.find("\n shared (Dense)                 (None, 4)            20          ['a[0][0]', 'project_b[0][0]']") !=
                 std::string::npos,
             s);
  BOOST_TEST(s.find("\n residual (Add)                 (None, 4)            0           ['shared[0][0]', 'a[0][0]']") !=
                 std::string::npos,
             s);
  BOOST_TEST(s.find("\n inner (Sequential)             (None, 2)            57          ['concat[0][0]']") != std::string::npos, s);
  BOOST_TEST(s.find("Total params: 98\n") != std::string::npos, s);
}

BOOST_AUTO_TEST_CASE(layer_outputs_expose_every_layer) {
  auto model = two_heads();
  Generator g(2);
  const Tensor xa = Tensor::uniform(Shape{2, 4}, -1, 1, g), xb = Tensor::uniform(Shape{2, 3}, -1, 1, g);
  const auto by_name = model->layer_outputs({xa, xb});
  BOOST_TEST(by_name.size() == model->layers().size());
  const Tensor r = by_name.at("residual"), h1 = by_name.at("shared"), a = by_name.at("a");
  BOOST_TEST(by_name.at("project_b").shape() == (Shape{2, 4}));
  // residual = shared(a) + a, checked by hand on the exposed tensors (the shared entry is its last call).
  const Tensor h1a = (*model->get_layer("shared"))(xa);
  test::check_close(r, (h1a + xa).to_vector<double>(), 0, 0, "residual");
  (void)h1, (void)a;
}

BOOST_AUTO_TEST_CASE(graph_errors_are_clear) {
  nn::clear_session();
  auto a = nn::Input({3}, "a"), b = nn::Input({3}, "b");
  auto y = nn::Add()({a, b});
  test::check_throws_with([&] { nn::Model(a, y); }, {"graph disconnected", "'b'"});
  test::check_throws_with([&] { nn::Concatenate(1)({a, nn::Input({4, 2})}); }, {"Concatenate", "(3,)", "(4, 2)"});
  nn::Dense d(2);  // not owned by a shared_ptr and not a temporary
  test::check_throws_with([&] { d(a); }, {"Dense 'dense'", "std::shared_ptr", "nn::make<Dense>"});
  nn::Model ok(std::vector<nn::KerasTensor>{a, b}, {y});
  test::check_throws_with([&] { ok.predict({Tensor::zeros(Shape{2, 3})}); }, {"takes 2 inputs, got 1"});
}

BOOST_AUTO_TEST_SUITE_END()
