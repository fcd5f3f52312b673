// The README's Functional model and registered layer of your own, end to end: two inputs, a
// shared layer, a user-defined layer, fit, summary, save, load in another format and compare.
#include <cmath>
#include <iostream>

#include "tapegrad.hpp"

using namespace tg;

class ScaleShift : public nn::LayerBase<ScaleShift> {
 public:
  explicit ScaleShift(double offset, const std::string& name = "") : LayerBase(name, "scale_shift"), offset_(offset) {}
  std::string class_name() const override { return "ScaleShift"; }
  nn::Config get_config(nn::KerasFormat f) const override {
    auto c = base_config(f);
    c["offset"] = offset_;
    return c;
  }
  static std::shared_ptr<ScaleShift> from_config(const nn::Config& c) {
    return std::make_shared<ScaleShift>(c.value("offset", 0.0), c.value("name", ""));
  }

 protected:
  void build_impl(const Shape& in) override { scale_ = add_weight("scale", Tensor::ones(Shape{in.back()})); }
  Tensor call(const Tensor& x, bool) override { return x * scale_.value() + offset_; }

 private:
  double offset_;
  Variable scale_;
};

int main(int argc, char** argv) {
  nn::register_layer<ScaleShift>("ScaleShift");
  nn::set_random_seed(1);
  // y = 1 when a0 + b0 > 0: learnable from both inputs.
  Generator g(2);
  const Tensor xa = Tensor::uniform(Shape{512, 16}, -1, 1, g), xb = Tensor::uniform(Shape{512, 8}, -1, 1, g);
  Tensor y(Shape{512, 1});
  for (std::int64_t i = 0; i < 512; ++i) y.data<float>()[i] = xa.data<float>()[16 * i] + xb.data<float>()[8 * i] > 0 ? 1.f : 0.f;

  auto a = nn::Input({16}, "a"), b = nn::Input({8}, "b");
  auto shared = nn::make<nn::Dense>(32, "relu");  // called twice: one set of weights
  auto h = nn::Concatenate()({(*shared)(a), (*shared)(ScaleShift(0.5)(nn::Dense(16)(b)))});
  nn::Model model({a, b}, {nn::Dense(1, "sigmoid", {.name = "score"})(h)});
  model.compile("adam", "binary_crossentropy", {"accuracy"});
  const auto history = model.fit({xa, xb}, {y}, {.epochs = 20, .verbose = 0});
  std::cout << model.summary();
  const double accuracy = history.history.at("accuracy").back();
  const std::string path = argc > 1 ? argv[1] : "functional_example.keras";
  save_model(model, path);
  auto back = load_model(path);
  const Tensor p1 = model.predict({xa, xb}).front(), p2 = back->predict({xa, xb}).front();
  double diff = 0;
  for (std::int64_t i = 0; i < p1.numel(); ++i) diff = std::max(diff, std::fabs(p1.to_vector<double>()[i] - p2.to_vector<double>()[i]));
  std::cout << "accuracy " << accuracy << ", max |reloaded - original| = " << diff << "\n";
  return accuracy > 0.85 && diff == 0 ? 0 : 1;
}
