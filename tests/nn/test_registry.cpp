// The conformance check every registered layer passes (Keras' run_layer_test): built from its
// registry example, the output shapes it promises, weights in Keras' order, its config round
// trip in both forms, and save / load in the three Keras formats with bit-identical outputs.
// A user's own layer, registered, does the same.
#include <filesystem>
#include <set>

#include "io/keras_model.hpp"
#include "test_util.hpp"

using namespace tg;
namespace fs = std::filesystem;

namespace {

std::string scratch(const std::string& name) {
  const fs::path dir = fs::path(test::scratch_dir()) / "registry";
  fs::create_directories(dir);
  return (dir / name).string();
}

std::vector<Shape> shapes_of(const nn::Config& j) {
  std::vector<Shape> out;
  for (const auto& s : j) out.emplace_back(s.get<std::vector<std::int64_t>>());
  return out;
}

std::vector<float> flat(const std::vector<Tensor>& ts) {
  std::vector<float> out;
  for (const Tensor& t : ts)
    for (float v : t.to_vector<float>()) out.push_back(v);
  return out;
}

// Wraps a layer in a Functional model, saves it in every format, loads it back, compares.
void check_files(nn::Model& model, const std::vector<Tensor>& xs, const std::string& tag) {
  const std::vector<Tensor> want = model.predict(xs);
  for (const std::string suffix : {".keras", ".h5"}) {
    const std::string path = scratch(tag + suffix);
    save_model(model, path);
    auto back = load_model(path);
    BOOST_TEST(flat(back->predict(xs)) == flat(want), boost::test_tools::per_element());
    BOOST_REQUIRE_EQUAL(back->weights().size(), model.weights().size());
    for (std::size_t i = 0; i < model.weights().size(); ++i)
      BOOST_TEST(back->weights()[i].value().to_vector<float>() == model.weights()[i].value().to_vector<float>());
  }
  const std::string weights = scratch(tag + ".weights.h5");
  save_weights(model, weights);
  auto twin = load_architecture(scratch(tag + ".keras"));
  load_weights(*twin, weights);
  BOOST_TEST(flat(twin->predict(xs)) == flat(want), boost::test_tools::per_element());
  // The legacy weights-only layout, loaded by order of layers, as Keras' load_weights does.
  save_weights(model, scratch(tag + "_legacy_weights.h5"));
  auto twin2 = load_architecture(scratch(tag + ".h5"));
  load_weights(*twin2, scratch(tag + "_legacy_weights.h5"));
  BOOST_TEST(flat(twin2->predict(xs)) == flat(want), boost::test_tools::per_element());
}

void conformance(const std::string& cls, const nn::Config& example) {
  auto& reg = nn::layer_registry();
  std::shared_ptr<nn::Layer> layer = reg.create(cls, example.at("config"), "conformance");
  BOOST_TEST((layer->class_name() == cls || (cls == "Model" && layer->class_name() == "Functional")));
  const std::vector<Shape> in = shapes_of(example.at("input_shapes"));
  // Config round trips, in both forms.
  for (auto format : {nn::KerasFormat::keras3, nn::KerasFormat::keras2}) {
    const nn::Config c = layer->get_config(format);
    BOOST_TEST(c.at("name") == layer->name());
    auto again = reg.create(layer->class_name(), c, "conformance round trip");
    BOOST_TEST(again->get_config(format) == c, c.dump());
  }
  if (cls == "InputLayer") return;  // nothing to call: it only starts graphs
  // Symbolic call: a Functional model around the layer; shapes as promised.
  std::vector<nn::KerasTensor> inputs;
  for (const Shape& s : in) inputs.push_back(nn::Input(s));
  const std::vector<nn::KerasTensor> outs = (*layer)(inputs);
  nn::Model model(inputs, outs, "conformance_" + nn::keras_snake_case(cls));
  const std::vector<Shape> promised = layer->compute_output_shapes(in);
  BOOST_REQUIRE_EQUAL(outs.size(), promised.size());
  Generator g(17);
  std::vector<Tensor> xs;
  for (const Shape& s : in) {
    Shape full{2};
    for (std::int64_t d : s) full.push_back(d);
    xs.push_back(Tensor::uniform(full, -1, 1, g));
  }
  const std::vector<Tensor> ys = model.predict(xs);
  for (std::size_t i = 0; i < ys.size(); ++i) {
    Shape want{2};
    for (std::int64_t d : promised[i]) want.push_back(d);
    BOOST_TEST(ys[i].shape() == want);
    BOOST_TEST(std::isfinite(ys[i].to_vector<double>().front()));
  }
  // Weights: unique names, trainable ones first, shapes matching count_params.
  std::set<std::string> names;
  bool seen_frozen = false;
  std::int64_t params = 0;
  for (const Variable& v : layer->weights()) {
    BOOST_TEST(names.insert(v.name()).second, v.name() << " twice");
    if (!v.trainable()) seen_frozen = true;
    else BOOST_TEST(!seen_frozen, "trainable weight " << v.name() << " after a non-trainable one");
    params += v.value().numel();
  }
  BOOST_TEST(params == layer->count_params());
  // Files: fresh random weights, so that a loaded zero or default would show. Non-trainable
  // weights are statistics (BatchNormalization's moving variance, Normalization's variance and
  // count): drawn positive, in the variable's dtype.
  for (const Variable& v : model.weights())
    v.assign(core::convert(Tensor::uniform(v.shape(), v.trainable() ? -1 : 0.25, v.trainable() ? 1 : 3, g), v.value().dtype()));
  check_files(model, xs, nn::keras_snake_case(cls));
}

// A layer a user writes: y = x * scale + offset, scale a trainable weight per feature and offset
// a config value. Its Keras identity lives here, in the class.
class ScaleShift : public nn::LayerBase<ScaleShift> {
 public:
  explicit ScaleShift(double offset, const std::string& name = "") : LayerBase(name, "scale_shift"), offset_(offset) {}
  std::string class_name() const override { return "ScaleShift"; }
  nn::Config get_config(nn::KerasFormat format) const override {
    nn::Config c = base_config(format);
    c["offset"] = offset_;
    return c;
  }
  static std::shared_ptr<ScaleShift> from_config(const nn::Config& c) {
    const nn::ConfigReader r(c, "ScaleShift");
    return std::make_shared<ScaleShift>(r.get_double("offset", 0), r.get_string("name", ""));
  }

 protected:
  void build_impl(const Shape& in) override { scale_ = add_weight("scale", Tensor::ones(Shape{in.back()})); }
  Tensor call(const Tensor& x, bool) override { return x * scale_.value() + offset_; }

 private:
  double offset_;
  Variable scale_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(test_registry)

BOOST_AUTO_TEST_CASE(every_registered_layer_passes_the_conformance_check) {
  auto& reg = nn::layer_registry();
  const auto names = reg.names();
  BOOST_TEST(names.size() >= 17u);
  for (const std::string& cls : names) {
    BOOST_TEST_CONTEXT(cls) {
      const nn::Config example = reg.example(cls);
      BOOST_REQUIRE_MESSAGE(example.is_object(), cls << " is registered without a conformance example");
      nn::clear_session();
      conformance(cls, example);
    }
  }
}

BOOST_AUTO_TEST_CASE(unknown_classes_list_the_registry) {
  test::check_throws_with([] { nn::layer_registry().create("Conv9D", nn::Config::object(), "here"); },
                          {"here: unknown layer class 'Conv9D'", "known layer classes: Activation, Add"});
  test::check_throws_with([] { nn::get_loss("nope"); }, {"unknown loss 'nope'", "SparseCategoricalCrossentropy"});
  test::check_throws_with([] { nn::optimizer_from_config(nn::Config::parse(R"({"class_name": "Adagradx"})"), "f"); },
                          {"unknown optimizer 'Adagradx'", "Adam, AdamW, RMSprop, SGD"});
}

BOOST_AUTO_TEST_CASE(a_registered_user_layer_round_trips_every_format) {
  const std::string tag = "user_layer";
  // Before registration a file holding it names the class and what the registry holds.
  nn::clear_session();
  auto x = nn::Input({3});
  auto y = nn::Dense(2)(ScaleShift(0.5)(x));
  nn::Model model(x, y, "custom");
  save_model(model, scratch(tag + "_before.keras"));
  test::check_throws_with<io::FileError>([&] { load_model(scratch(tag + "_before.keras")); },
                                         {"unknown layer class 'ScaleShift'", "known layer classes"});
  nn::register_layer<ScaleShift>("ScaleShift");
  nn::layer_registry().add_example("ScaleShift", {{"config", {{"offset", -0.25}}}, {"input_shapes", {{4}}}});
  Generator g(3);
  for (const Variable& v : model.weights()) v.assign(Tensor::uniform(v.shape(), -1, 1, g));
  check_files(model, {Tensor::uniform(Shape{4, 3}, -1, 1, g)}, tag);
  // Its config is written with the user's module and read back with the offset.
  const auto km = io::read_keras_file(scratch(tag + ".keras"));
  BOOST_TEST(km.model_config["config"]["layers"][1]["class_name"] == "ScaleShift");
  BOOST_TEST(km.model_config["config"]["layers"][1]["module"] == "custom");
  BOOST_TEST(km.model_config["config"]["layers"][1]["config"]["offset"] == 0.5);
  conformance("ScaleShift", nn::layer_registry().example("ScaleShift"));
}

BOOST_AUTO_TEST_SUITE_END()
