// The real recurrent Keras files of shared/keras-files load and reproduce the reference outputs
// MANIFEST.md gives (a float64 numpy forward pass checked against TensorFlow.js and PyTorch) for
// its fixed inputs, within 1e-5: the final outputs and the first 10 values of the recurrent
// layers' outputs. The files' recurrent configs also come back key for key from get_config.
#include <cmath>
#include <map>

#include "io/keras_model.hpp"
#include "test_util.hpp"

using namespace tg;
using nlohmann::json;

namespace {

std::string sample(const std::string& name) { return std::string(TG_SHARED_DIR) + "/keras-files/" + name; }

// The MANIFEST's input recipes, shape (1, n) or (1, n, 1).
Tensor zeros(const Shape& s) { return Tensor::zeros(s); }
Tensor half(const Shape& s) { return Tensor::full(s, 0.5); }
Tensor ramp(const Shape& s) {
  std::vector<float> v(static_cast<std::size_t>(s.numel()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(static_cast<double>(i % 97) / 97.0);
  return Tensor::from_vector(v, s);
}
Tensor ids_1_to_t(std::int64_t t, std::int64_t input_dim) {
  std::vector<float> v;
  for (std::int64_t i = 0; i < t; ++i) v.push_back(static_cast<float>((i + 1) % input_dim));
  return Tensor::from_vector(v, Shape{1, t});
}
Tensor post_padded(std::int64_t t, std::int64_t input_dim) {
  std::vector<float> v;
  for (std::int64_t i = 0; i < t; ++i) v.push_back(i < t / 3 ? static_cast<float>(1 + (i * 7919) % (input_dim - 1)) : 0.f);
  return Tensor::from_vector(v, Shape{1, t});
}

void expect_first(const Tensor& got, const std::vector<double>& want, const std::string& what, double tol = 1e-5) {
  const auto g = got.to_vector<double>();
  BOOST_REQUIRE_GE(g.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    BOOST_TEST(std::fabs(g[i] - want[i]) <= tol, what << "[" << i << "]: " << g[i] << " vs " << want[i]);
}

struct Reference {
  std::string input;
  Tensor x;
  std::vector<double> output;                                        // the model's output (all of it)
  std::vector<std::pair<std::string, std::vector<double>>> layers;  // layer name -> its first values
};

void check_file(const std::string& file, const std::vector<Reference>& refs) {
  auto model = load_model(sample(file), /*compile=*/false);
  for (const Reference& r : refs) {
    BOOST_TEST_CONTEXT(file << ", input " << r.input) {
      std::map<std::string, Tensor> outs;
      if (auto* seq = dynamic_cast<nn::Sequential*>(model.get())) {
        const std::vector<Tensor> each = seq->call_with_intermediates(r.x, false);
        for (std::size_t i = 0; i < each.size(); ++i) outs[seq->layers()[i]->name()] = each[i];
      } else {
        outs = model->layer_outputs({r.x});
      }
      expect_first(model->predict(r.x), r.output, "output");
      // MANIFEST prints 6 significant digits: within 1e-5 of an O(1) value means agreeing to them.
      for (const auto& [layer, first] : r.layers) expect_first(outs.at(layer), first, layer);
    }
  }
}

// A file's config entry for `layer` (legacy .h5: model_config; .keras: config.json).
json file_layer_config(const io::KerasModel& km, const std::string& layer) {
  for (const json& e : km.model_config["config"]["layers"])
    if (e["config"]["name"] == layer) return e["config"];
  throw std::runtime_error("no layer " + layer);
}

// Keras 3's shared_object_id is an object's address; tf.keras 2.13+ also adds Keras 3's
// module / registered_name to nested objects (tapegrad writes tf.keras 2.10's form).
void strip_ids(json& j, bool nested_keras3_keys) {
  if (j.is_object()) {
    j.erase("shared_object_id");
    if (nested_keras3_keys) {
      j.erase("module");
      j.erase("registered_name");
    }
    for (auto& [k, v] : j.items()) strip_ids(v, nested_keras3_keys);
  } else if (j.is_array()) {
    for (auto& v : j) strip_ids(v, nested_keras3_keys);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_keras_rnn_files)

BOOST_AUTO_TEST_CASE(gru_reset_after_file_tfkeras_2_11) {
  const Shape s{1, 7, 1};
  const Tensor row0 = Tensor::from_values({332, 322, 163, 103, 165, 124, 156}, s);
  check_file("tfkeras2.11.0_seq_gru_full.h5",
             {{"zeros", zeros(s), {1},
               {{"gru", {0.00660276, 0, 0, 0, 0, 0, 0, 0, 0.00982222, -3.03826e-05}},
                {"gru_1", {-0.997592, 0.998587, 0.992768, 0.997704, -0.999253, -0.995757, -0.997281, 0.998806, 0.994012, 0.998852}}}},
              {"ramp", ramp(s), {1},
               {{"gru", {0.00660276, 0, 0, 0, 0, 0, 0, 0, 0.0103357, 0.00202668}},
                {"gru_1", {-0.997672, 0.998671, 0.992796, 0.997688, -0.999258, -0.995906, -0.997392, 0.998871, 0.994134, 0.998868}}}},
              {"half", half(s), {1},
               {{"gru", {0.0315155, 0.0865196, 0.116428, -0.0862578, -0.0951351, 0.0908243, 0.104838, -0.083634, 0.0272495, 0.128223}},
                {"gru_1", {-0.998582, 0.99931, 0.993674, 0.997705, -0.999476, -0.997611, -0.998574, 0.999375, 0.995476, 0.999122}}}},
              {"trainX_row0", row0, {1},
               {{"gru", {0.899759, 0, 1, -0.017999, -1, 1, 0, 0, 0.990941, 0}},
                {"gru_1", {-0.999381, 0.99921, 0.99845, 0.999364, -0.999048, -0.999086, -0.999662, 0.999652, 0.998868, 0.999442}}}}});
}

BOOST_AUTO_TEST_CASE(embedding_simple_rnn_file_tfkeras_2_15) {
  check_file("tfkeras2.15.0_seq_embedding_simplernn_full.h5",
             {{"zeros", zeros(Shape{1, 35}), {0.000645728, 0.00496181, 0.994392},
               {{"simple_rnn", {0.175881, 0.415561, -0.317668, 0.390865, -0.601655, 0.317741, 0.0601896, -0.0669151, 0.64403, 0.516804}}}},
              {"ids_1_to_T", ids_1_to_t(35, 20000), {0.00117052, 0.163359, 0.835471},
               {{"simple_rnn", {-0.304068, 0.541212, -0.303431, 0.0211391, -0.325339, 0.26669, -0.278734, 0.277758, 0.615489, 0.16011}}}},
              {"post_padded", post_padded(35, 20000), {0.342495, 0.561188, 0.0963169},
               {{"simple_rnn", {0.543992, -0.254953, -0.227727, -0.160669, -0.00397477, -0.148383, -0.344649, -0.0725355, -0.395222, 0.319756}}}}});
}

BOOST_AUTO_TEST_CASE(stacked_lstm_keras_file_keras_3_6) {
  const Shape s{1, 100, 1};
  check_file("keras3.6.0_seq_lstm.keras",
             {{"zeros", zeros(s), {0.00178846},
               {{"lstm_1", {0.00360657, 0.00462367, 0.00126882, 0.00793812, -0.00124786, 0.00355839, -0.00134044, 0.0132449, 0.000250151, 0.0018444}}}},
              {"ramp", ramp(s), {0.0118777},
               {{"lstm_1", {0.00837736, 0.0167709, 0.0155604, -0.00707082, -0.0236198, 0.00540556, -0.0133762, 0.0155231, -0.00719631, 0.00631769}}}},
              {"half", half(s), {0.48487},
               {{"lstm_1", {-0.00926489, -0.007754, -0.00416848, -0.0197784, 0.00475664, -0.0141094, 0.00535453, -0.0296802, -0.000856962, -0.00616592}}}}});
}

BOOST_AUTO_TEST_CASE(embedding_conv1d_bilstm_file_tfkeras_2_12) {
  const std::string file = "tfkeras2.12.0_seq_embedding_conv1d_bilstm_full.h5";
  const std::vector<Reference> refs{
      {"zeros", zeros(Shape{1, 50}), {0.0170192, 0.945117, 0.0378634},
       {{"bidirectional", {0.0350888, -0.225254, 0.141035, 0.111171, 0.166504, 0.0188875, 0.00725948, 0.0875386, 0.128815, 0.0954331}}}},
      {"ids_1_to_T", ids_1_to_t(50, 5000), {0.0304722, 0.00781787, 0.96171},
       {{"bidirectional", {-0.00619898, 0.0930054, 0.0599325, 0.0778168, -0.0127651, 0.00923743, -0.0129216, -0.063786, -0.076655, 0.228156}}}},
      {"post_padded", post_padded(50, 5000), {0.741799, 0.204414, 0.0537865},
       {{"bidirectional", {0.0296405, -0.228397, 0.142554, 0.10196, 0.176647, 0.00966707, 0.0067286, 0.068017, 0.12217, 0.0807725}}}}};
  if (nn::layer_registry().contains("Conv1D") && nn::layer_registry().contains("MaxPooling1D")) {
    check_file(file, refs);
    return;
  }
  // Without Conv1D in this build: Embedding, Conv1D ('same', relu) and MaxPooling1D computed here
  // from the file's weights, then the file's Bidirectional and Dense built from its config.
  BOOST_TEST_MESSAGE("Conv1D/MaxPooling1D not registered: the convolution is computed by the test");
  const io::KerasModel km = io::read_keras_file(sample(file));
  auto weights_of = [&](const std::string& layer) {
    for (const auto& l : km.layers)
      if (l.name == layer) return l.weights;
    throw std::runtime_error("no layer " + layer);
  };
  const auto emb = weights_of("embedding"), conv = weights_of("conv1d"), dense = weights_of("dense");
  std::shared_ptr<nn::Layer> bi, out;
  {
    nn::LoadContextScope scope({2, nn::KerasFormat::keras2});
    bi = nn::layer_registry().create("Bidirectional", file_layer_config(km, "bidirectional"), file);
    out = nn::layer_registry().create("Dense", file_layer_config(km, "dense"), file);
  }
  bi->build(Shape{25, 32});
  out->build(Shape{64});
  std::vector<Tensor> bw;
  for (const auto& w : weights_of("bidirectional")) bw.push_back(Tensor::from_vector(w.values, Shape(w.shape)).to(DType::float32));
  bi->set_weights(bw);
  out->set_weights({Tensor::from_vector(dense[0].values, Shape(dense[0].shape)).to(DType::float32),
                    Tensor::from_vector(dense[1].values, Shape(dense[1].shape)).to(DType::float32)});
  for (const Reference& r : refs) {
    BOOST_TEST_CONTEXT(file << ", input " << r.input) {
      const auto ids = r.x.to_vector<double>();
      // embedding (5000, 32) -> conv kernel (3, 32, 32) 'same' + relu -> max pool 2 -> [1, 25, 32]
      std::vector<double> e(50 * 32), c(50 * 32), p(25 * 32);
      for (int t = 0; t < 50; ++t)
        for (int k = 0; k < 32; ++k) e[t * 32 + k] = emb[0].values[static_cast<std::size_t>(ids[t]) * 32 + k];
      for (int t = 0; t < 50; ++t)
        for (int o = 0; o < 32; ++o) {
          double acc = conv[1].values[o];
          for (int j = 0; j < 3; ++j) {
            const int src = t + j - 1;
            if (src < 0 || src >= 50) continue;
            for (int i = 0; i < 32; ++i) acc += e[src * 32 + i] * conv[0].values[(j * 32 + i) * 32 + o];
          }
          c[t * 32 + o] = std::max(acc, 0.0);
        }
      for (int t = 0; t < 25; ++t)
        for (int k = 0; k < 32; ++k) p[t * 32 + k] = std::max(c[2 * t * 32 + k], c[(2 * t + 1) * 32 + k]);
      const Tensor h = (*bi)(Tensor::from_vector(p, Shape{1, 25, 32}).to(DType::float32));
      expect_first(h, r.layers.front().second, "bidirectional");
      expect_first((*out)(h), r.output, "output");
    }
  }
}

BOOST_AUTO_TEST_CASE(recurrent_configs_come_back_key_for_key) {
  // tf.keras 2 (legacy .h5) and Keras 3 (.keras) write different keys; each form is reproduced.
  for (const auto& [file, layer] : std::vector<std::pair<std::string, std::string>>{
           {"tfkeras2.11.0_seq_gru_full.h5", "gru_1"},
           {"tfkeras2.15.0_seq_embedding_simplernn_full.h5", "simple_rnn"},
           {"tfkeras2.12.0_seq_embedding_conv1d_bilstm_full.h5", "bidirectional"},
           {"keras3.6.0_seq_lstm.keras", "lstm_1"}}) {
    BOOST_TEST_CONTEXT(file << " " << layer) {
      const io::KerasModel km = io::read_keras_file(sample(file));
      const bool keras3 = file.find(".keras") != std::string::npos;
      json want = file_layer_config(km, layer);
      strip_ids(want, !keras3);
      std::string cls;
      for (const json& e : km.model_config["config"]["layers"])
        if (e["config"]["name"] == layer) cls = e["class_name"];
      nn::LoadContextScope scope({keras3 ? 3 : 2, keras3 ? nn::KerasFormat::keras3 : nn::KerasFormat::keras2});
      auto l = nn::layer_registry().create(cls, want, file);
      json got = l->get_config(keras3 ? nn::KerasFormat::keras3 : nn::KerasFormat::keras2);
      strip_ids(got, !keras3);
      BOOST_TEST(got == want, "\n got " << got.dump() << "\nwant " << want.dump());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
