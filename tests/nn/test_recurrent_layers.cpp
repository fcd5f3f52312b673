// The recurrent layers against TensorFlow.js layers (tests/golden/gen_keras_rnn_layers.mjs:
// Embedding(mask_zero) and Masking feeding LSTM/GRU/SimpleRNN, Keras 2's hard_sigmoid,
// go_backwards, return_state, Bidirectional in every merge mode, TimeDistributed, RepeatVector),
// built here from the Keras 2 configs of the JSON; float64 gradients through the layers against
// central differences; stateful layers, dropout, masks on the outputs, weight names in files,
// and the errors bad inputs get.
#include <filesystem>

#include "golden_util.hpp"
#include "ops/gradcheck_util.hpp"
#include "io/keras_model.hpp"
#include "test_util.hpp"

using namespace tg;
using nlohmann::json;

namespace {

// Calls the layers in turn (masks ride on the tensors); the last layer's outputs, all of them.
std::vector<Tensor> run_stack(const std::vector<std::shared_ptr<nn::Layer>>& layers, const Tensor& x, bool training = false) {
  Tensor h = x;
  for (std::size_t i = 0; i + 1 < layers.size(); ++i) h = (*layers[i])(h, training);
  return (*layers.back())(std::vector<Tensor>{h}, training);
}

std::vector<Variable> trainable(const std::vector<std::shared_ptr<nn::Layer>>& layers) {
  std::vector<Variable> out;
  for (const auto& l : layers)
    for (const Variable& v : l->trainable_weights()) out.push_back(v);
  return out;
}

Tensor weighted_loss(const std::vector<Tensor>& outs, const std::vector<Tensor>& w) {
  Tensor loss = sum(mul(outs[0], w[0]));
  for (std::size_t i = 1; i < outs.size(); ++i) loss = add(loss, sum(mul(outs[i], w[i])));
  return loss;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_recurrent_layers)

BOOST_AUTO_TEST_CASE(layers_match_tensorflow_js) {
  const json g = test::load_golden("keras_rnn_layers.json");
  for (const json& c : g.at("cases")) {
    BOOST_TEST_CONTEXT(c.at("name").get<std::string>()) {
      nn::clear_session();
      std::vector<std::shared_ptr<nn::Layer>> layers;
      {
        // Read as a Keras 2 file is: "hard_sigmoid" is Keras 2's (and tfjs') formula.
        nn::LoadContextScope scope({2, nn::KerasFormat::keras2});
        for (const json& e : c.at("layers")) layers.push_back(nn::deserialize_layer(e, "golden"));
      }
      // Token ids come as float32, as Keras files declare them.
      const Tensor x = test::golden_tensor(c.at("x"), static_cast<int>(DType::float32));
      run_stack(layers, x);  // builds
      std::vector<Tensor> ws;
      for (const json& w : c.at("weights")) ws.push_back(test::golden_tensor(w));
      std::size_t at = 0;
      for (const auto& l : layers) {
        const std::size_t n = l->weights().size();
        l->set_weights(std::vector<Tensor>(ws.begin() + static_cast<std::ptrdiff_t>(at), ws.begin() + static_cast<std::ptrdiff_t>(at + n)));
        at += n;
      }
      BOOST_REQUIRE_EQUAL(at, ws.size());
      std::vector<Tensor> w;
      for (const json& t : c.at("w_outputs")) w.push_back(test::golden_tensor(t));
      const bool float_x = c.at("grads").contains("x");
      GradientTape tape;
      if (float_x) tape.watch(x);
      const std::vector<Tensor> outs = run_stack(layers, x);
      BOOST_REQUIRE_EQUAL(outs.size(), c.at("outputs").size());
      for (std::size_t i = 0; i < outs.size(); ++i) {
        const Tensor want = test::golden_tensor(c.at("outputs")[i]);
        BOOST_TEST(outs[i].shape() == want.shape());
        if (i == 0 && c.contains("compare_mask")) {
          // Keras' Bidirectional zeroes the outputs of masked steps; tfjs does not: compare the rest.
          const auto m = test::golden_tensor(c.at("compare_mask")).to_vector<double>();
          const auto got = outs[0].to_vector<double>(), ref = want.to_vector<double>();
          const std::size_t per_step = got.size() / m.size();
          for (std::size_t k = 0; k < got.size(); ++k) {
            if (m[k / per_step] != 0) BOOST_TEST(test::close(got[k], ref[k], 1e-5, 1e-6), "element " << k << ": " << got[k] << " vs " << ref[k]);
            else BOOST_TEST(got[k] == 0.0, "masked element " << k << " is " << got[k]);
          }
        } else {
          test::check_close(outs[i], want.to_vector<double>(), 1e-5, 1e-6, "output " + std::to_string(i));
        }
      }
      std::vector<Tensor> sources;
      for (const Variable& v : trainable(layers)) sources.push_back(v.value());
      if (float_x) sources.push_back(x);
      const std::vector<Tensor> grads = tape.gradient(weighted_loss(outs, w), sources);
      const json& gw = c.at("grads").at("weights");
      BOOST_REQUIRE_EQUAL(gw.size() + (float_x ? 1 : 0), grads.size());
      for (std::size_t i = 0; i < gw.size(); ++i)
        test::check_close(grads[i], test::golden_tensor(gw[i]).to_vector<double>(), 2e-5, 2e-6,
                          "gradient of weight " + std::to_string(i));
      if (float_x)
        test::check_close(grads.back(), test::golden_tensor(c.at("grads").at("x")).to_vector<double>(), 2e-5, 2e-6,
                          "gradient of x");
    }
  }
}

namespace {

// Central differences of loss() in every element of every variable, against the tape's gradient.
void check_weight_gradients(const std::function<Tensor()>& loss, const std::vector<Variable>& vars, const std::string& what) {
  std::vector<Tensor> values;
  for (const Variable& v : vars) values.push_back(v.value());
  GradientTape tape;
  const std::vector<Tensor> analytic = tape.gradient(loss(), values);
  const double eps = 1e-6;
  for (std::size_t k = 0; k < vars.size(); ++k) {
    const Tensor base = core::copy(vars[k].value());
    const auto a = analytic[k].to_vector<double>();
    double worst = 0;
    for (std::int64_t i = 0; i < base.numel(); ++i) {
      Tensor t = core::copy(base);
      t.data<double>()[i] += eps;
      vars[k].assign(t);
      const double up = loss().item();
      t.data<double>()[i] -= 2 * eps;
      vars[k].assign(t);
      const double down = loss().item();
      const double numeric = (up - down) / (2 * eps);
      worst = std::max(worst, std::fabs(numeric - a[static_cast<std::size_t>(i)]) / (1e-6 + 1e-5 * std::fabs(numeric)));
    }
    vars[k].assign(base);
    BOOST_TEST(worst <= 1.0, what << ": " << vars[k].name() << " off by " << worst << " tolerances");
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(float64_gradients_through_the_layers_match_central_differences) {
  Generator g(5);
  // Masked input: trailing, leading and inner zero steps.
  Tensor x = Tensor::uniform(Shape{3, 5, 2}, -1, 1, g, DType::float64);
  for (auto [b, t] : {std::pair{0, 3}, {0, 4}, {1, 0}, {2, 2}}) {
    x.data<double>()[(b * 5 + t) * 2] = 0;
    x.data<double>()[(b * 5 + t) * 2 + 1] = 0;
  }
  auto f64 = [](nn::RNNOptions o) {
    o.dtype = DType::float64;
    return o;
  };
  std::vector<std::pair<std::string, std::shared_ptr<nn::Layer>>> cases = {
      {"LSTM hard_sigmoid backwards state", nn::make<nn::LSTM>(3, f64({.recurrent_activation = "hard_sigmoid",
                                                                        .return_state = true, .go_backwards = true}))},
      {"GRU reset_after seq", nn::make<nn::GRU>(3, f64({.return_sequences = true}))},
      {"GRU reset_before", nn::make<nn::GRU>(2, f64({.reset_after = false}))},
      {"SimpleRNN seq", nn::make<nn::SimpleRNN>(4, f64({.return_sequences = true}))},
      {"Bidirectional LSTM mul", nn::make<nn::Bidirectional>(nn::LSTM(2, f64({.return_sequences = true})), "mul")},
  };
  for (auto& [what, layer] : cases) {
    BOOST_TEST_CONTEXT(what) {
      nn::Masking masking;
      (*layer)(std::vector<Tensor>{masking(x)});
      for (const Variable& v : layer->weights()) v.assign(Tensor::uniform(v.shape(), -0.8, 0.8, g, DType::float64));
      std::vector<Tensor> w;
      for (const Tensor& o : (*layer)(std::vector<Tensor>{masking(x)})) w.push_back(Tensor::uniform(o.shape(), -1, 1, g, DType::float64));
      auto loss = [&] { return weighted_loss((*layer)(std::vector<Tensor>{masking(x)}), w); };
      check_weight_gradients(loss, layer->trainable_weights(), what);
      // And the input, through Masking's multiplication.
      test::expect_gradients([&](const std::vector<Tensor>& in) { return weighted_loss((*layer)(std::vector<Tensor>{in[0]}), w); },
                             {x}, what + " (x)");
    }
  }
  // Embedding's table gets the rows the ids picked (an id twice: the sum).
  nn::Embedding emb(5, 3, {.dtype = DType::float64});
  nn::SimpleRNN rnn(2, {.dtype = DType::float64});
  const Tensor ids = Tensor::from_values({1, 4, 4, 0, 2, 3}, Shape{2, 3}, DType::float64);
  rnn(emb(ids));
  std::vector<Variable> vars = emb.weights();
  for (const Variable& v : rnn.weights()) vars.push_back(v);
  check_weight_gradients([&] { return sum(rnn(emb(ids))); }, vars, "Embedding + SimpleRNN");
}

BOOST_AUTO_TEST_CASE(masks_propagate_as_in_keras) {
  nn::Embedding emb(6, 3, {.mask_zero = true});
  const Tensor ids = Tensor::from_values({1, 2, 0, 3, 0, 0}, Shape{2, 3});
  const Tensor e = emb(ids);
  BOOST_TEST(nn::keras_mask(e).to_vector<double>() == std::vector<double>({1, 1, 0, 1, 0, 0}), boost::test_tools::per_element());
  nn::LSTM seq(4, {.return_sequences = true, .return_state = true});
  const std::vector<Tensor> ys = seq(std::vector<Tensor>{e});
  BOOST_REQUIRE_EQUAL(ys.size(), 3u);
  BOOST_TEST(nn::keras_mask(ys[0]).defined());   // the sequence keeps the mask
  BOOST_TEST(!nn::keras_mask(ys[1]).defined());  // states carry none
  // Masked steps carry the state: the output repeats the previous one, the final state is the
  // state after the last taken step.
  const auto out = ys[0].to_vector<float>();
  for (int u = 0; u < 4; ++u) {
    BOOST_TEST(out[(0 * 3 + 2) * 4 + u] == out[(0 * 3 + 1) * 4 + u]);
    BOOST_TEST(out[(1 * 3 + 2) * 4 + u] == out[(1 * 3 + 0) * 4 + u]);
    BOOST_TEST(ys[1].to_vector<float>()[static_cast<std::size_t>(4 + u)] == out[(1 * 3 + 0) * 4 + u]);
  }
  nn::GRU last(2);
  BOOST_TEST(!nn::keras_mask(last(e)).defined());  // the last output carries none
  // Masking: all-equal steps are masked and zeroed.
  nn::Masking masking(0.5);
  const Tensor m = masking(Tensor::from_values({0.5, 0.5, 1, 0.5, 0.5, 0.5}, Shape{1, 3, 2}));
  BOOST_TEST(nn::keras_mask(m).to_vector<double>() == std::vector<double>({0, 1, 0}), boost::test_tools::per_element());
  BOOST_TEST(m.to_vector<double>() == std::vector<double>({0, 0, 1, 0.5, 0, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(stateful_layers_continue_where_the_last_call_ended) {
  Generator g(9);
  const Tensor x = Tensor::uniform(Shape{2, 6, 3}, -1, 1, g);
  nn::LSTM whole(4, {.return_sequences = true});
  nn::LSTM part(4, {.return_sequences = true, .stateful = true});
  whole(x);
  part(x);  // built on 6 steps, then fed 3 at a time: any length is accepted, as in Keras
  part.set_weights(whole.get_weights());
  part.reset_states();
  const auto want = whole(x).to_vector<double>();
  std::vector<double> got = part(slice(x, 1, 0, 3)).to_vector<double>();
  const auto second = part(slice(x, 1, 3, 6)).to_vector<double>();
  for (int b = 0; b < 2; ++b)  // [b, 0:3] then [b, 3:6]
    for (std::size_t k = 0; k < 12; ++k) {
      BOOST_TEST(test::close(got[b * 12 + k], want[b * 24 + k], 1e-6, 1e-7));
      BOOST_TEST(test::close(second[b * 12 + k], want[b * 24 + 12 + k], 1e-6, 1e-7));
    }
  part.reset_states();
  BOOST_TEST(part(slice(x, 1, 0, 3)).to_vector<double>() == got, boost::test_tools::per_element());
  test::check_throws_with([&] { part(slice(x, 0, 0, 1)); }, {"stateful", "batches of 2", "reset_states"});
  test::check_throws_with([&] { part(Tensor::zeros(Shape{2, 3, 4})); }, {"LSTM 'lstm", "expected input of shape (None, None, 3)"});
  nn::GRU plain(2);
  test::check_throws_with([&] { plain.reset_states(); }, {"GRU 'gru", "stateful"});
}

BOOST_AUTO_TEST_CASE(dropout_applies_only_while_training) {
  Generator g(4);
  const Tensor x = Tensor::uniform(Shape{3, 5, 4}, -1, 1, g);
  nn::GRU plain(3);
  nn::GRU dropped(3, {.dropout = 0.5, .recurrent_dropout = 0.3, .seed = 11});
  plain(x);
  dropped(x);
  dropped.set_weights(plain.get_weights());
  BOOST_TEST(dropped(x, false).to_vector<float>() == plain(x).to_vector<float>(), boost::test_tools::per_element());
  BOOST_TEST(dropped(x, true).to_vector<float>() != plain(x).to_vector<float>());
  // Gradients flow while training.
  GradientTape tape;
  const Tensor loss = sum(dropped(x, true));
  const auto grads = tape.gradient(loss, dropped.trainable_weights());
  BOOST_TEST(grads.size() == 3u);
  BOOST_TEST(std::isfinite(sum(abs(grads[0])).item()));
}

BOOST_AUTO_TEST_CASE(weights_are_named_as_keras_names_them_in_files) {
  namespace fs = std::filesystem;
  nn::clear_session();
  const fs::path dir = fs::path(test::scratch_dir()) / "recurrent_layers";
  fs::create_directories(dir);
  auto in = nn::Input({6});
  auto e = nn::Embedding(10, 4)(in);
  auto s = nn::LSTM(3, {.return_sequences = true})(e);
  auto y = nn::Bidirectional(nn::LSTM(2), "concat")(s);
  nn::Model model(in, y, "seq");
  const Tensor ids = Tensor::from_values({1, 2, 3, 4, 5, 6, 9, 8, 7, 0, 0, 0}, Shape{2, 6});
  const auto want = model.predict(ids).to_vector<float>();
  save_model(model, (dir / "m.h5").string());
  const io::KerasModel km = io::read_keras_file((dir / "m.h5").string());
  std::vector<std::string> names;
  for (const auto& l : km.layers)
    for (const auto& w : l.weights) names.push_back(w.stored_name.empty() ? w.name : w.stored_name);
  const std::vector<std::string> expected{
      "embedding/embeddings:0",
      "lstm/lstm_cell/kernel:0", "lstm/lstm_cell/recurrent_kernel:0", "lstm/lstm_cell/bias:0",
      "bidirectional/forward_lstm_1/lstm_cell_2/kernel:0", "bidirectional/forward_lstm_1/lstm_cell_2/recurrent_kernel:0",
      "bidirectional/forward_lstm_1/lstm_cell_2/bias:0", "bidirectional/backward_lstm_1/lstm_cell_3/kernel:0",
      "bidirectional/backward_lstm_1/lstm_cell_3/recurrent_kernel:0", "bidirectional/backward_lstm_1/lstm_cell_3/bias:0"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  // Keras 3: the cell's variables one level down, Bidirectional's under forward_layer/backward_layer.
  save_model(model, (dir / "m.keras").string());
  const io::KerasModel k3 = io::read_keras_file((dir / "m.keras").string());
  const io::NativeNode* layers = k3.native.child("layers");
  BOOST_REQUIRE(layers);
  BOOST_REQUIRE(layers->child("lstm") && layers->child("lstm")->child("cell"));
  BOOST_TEST(layers->child("lstm")->vars.empty());
  BOOST_TEST(layers->child("lstm")->child("cell")->vars.size() == 3u);
  const io::NativeNode* bi = layers->child("bidirectional");
  BOOST_REQUIRE(bi && bi->child("forward_layer") && bi->child("backward_layer"));
  BOOST_TEST(bi->child("backward_layer")->child("cell")->vars.size() == 3u);
  for (const std::string f : {"m.h5", "m.keras"})
    BOOST_TEST(load_model((dir / f).string())->predict(ids).to_vector<float>() == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bidirectional_with_a_custom_backward_layer) {
  nn::clear_session();
  nn::Bidirectional bi(nn::LSTM(2, {.return_sequences = true}), "concat",
                       nn::make<nn::GRU>(3, nn::RNNOptions{.return_sequences = true, .go_backwards = true, .name = "back"}));
  // Keras' forced zero_output_for_mask reaches the custom layer too; both forms keep it.
  BOOST_TEST(bi.backward_layer().options().zero_output_for_mask);
  const nn::Config k3 = bi.get_config(nn::KerasFormat::keras3), k2 = bi.get_config(nn::KerasFormat::keras2);
  BOOST_TEST(k3.at("backward_layer").at("class_name") == "GRU");
  BOOST_TEST(k2.at("backward_layer").at("config").at("name") == "back");
  BOOST_TEST(k2.at("layer").at("config").at("name") == "lstm");
  auto again = nn::Bidirectional::from_config(k3);
  BOOST_TEST(again->backward_layer().class_name() == "GRU");
  BOOST_TEST(again->get_config(nn::KerasFormat::keras3) == k3);  // both unbuilt: no build_config inside
  Generator g(2);
  BOOST_TEST(bi(Tensor::uniform(Shape{2, 4, 3}, -1, 1, g)).shape() == Shape({2, 4, 5}));
}

BOOST_AUTO_TEST_CASE(bad_inputs_get_clear_errors) {
  nn::Embedding emb(4, 2);
  test::check_throws_with([&] { emb(Tensor::from_values({1, 7}, Shape{1, 2})); },
                                              {"Embedding 'embedding", "id 7", "[0, input_dim = 4)"});
  nn::LSTM lstm(3);
  test::check_throws_with([&] { lstm(Tensor::zeros(Shape{2, 5})); }, {"LSTM 'lstm", "[N, T, F]"});
  test::check_throws_with([&] { lstm(std::vector<Tensor>{Tensor::zeros(Shape{2, 5, 4}), Tensor::zeros(Shape{2, 3})}); },
                                              {"LSTM 'lstm", "2 initial state(s)"});
  test::check_throws_with([] { nn::SimpleRNN(3, {.activation = "softsign"}); },
                                                 {"SimpleRNN", "softsign", "not supported"});
  test::check_throws_with([] { nn::Bidirectional(nn::GRU(2), "max"); }, {"Bidirectional", "merge_mode", "'max'"});
  test::check_throws_with([] { nn::Bidirectional(nn::GRU(2), "sum", nn::make<nn::GRU>(2)); },
                                              {"Bidirectional", "different go_backwards"});
  test::check_throws_with([] { nn::RepeatVector(0); }, {"RepeatVector", "n must be positive"});
}

BOOST_AUTO_TEST_SUITE_END()
