#include "nn/sequential.hpp"

#include <iomanip>
#include <sstream>

#include "nn/layers.hpp"

namespace tg::nn {

Sequential::Sequential(const std::string& name) : name_(name.empty() ? unique_name("sequential") : name) {}

Sequential::Sequential(std::initializer_list<LayerHandle> layers, const std::string& name) : Sequential(name) {
  for (const LayerHandle& l : layers) add(l);
}

void Sequential::add(LayerHandle layer) {
  const auto& l = layer.get();
  for (const auto& existing : layers_)
    if (existing->name() == l->name())
      fail("Sequential '", name_, "': a layer named '", l->name(), "' is already in the model; layer names must be unique");
  if (built() && !l->built()) l->build(output_shape());
  layers_.push_back(l);
}

std::shared_ptr<Layer> Sequential::get_layer(const std::string& name) const {
  std::string names;
  for (const auto& l : layers_) {
    if (l->name() == name) return l;
    names += (names.empty() ? "" : ", ") + l->name();
  }
  fail("Sequential '", name_, "': no layer named '", name, "'; layers are: ", names);
}

void Sequential::build(const Shape& input_shape) {
  Shape s = input_shape;
  for (const auto& l : layers_) {
    l->build(s);
    s = l->compute_output_shape(s);
  }
}

bool Sequential::built() const { return !layers_.empty() && layers_.front()->built(); }

Shape Sequential::input_shape() const {
  if (!built()) fail("Sequential '", name_, "': the model is not built yet (call build() or the model once)");
  return layers_.front()->input_shape();
}

Shape Sequential::output_shape() const {
  Shape s = input_shape();
  for (const auto& l : layers_) s = l->compute_output_shape(s);
  return s;
}

Tensor Sequential::operator()(const Tensor& x, bool training) {
  if (layers_.empty()) fail("Sequential '", name_, "': the model has no layers");
  Tensor h = x;
  for (const auto& l : layers_) h = (*l)(h, training);
  return h;
}

std::vector<Tensor> Sequential::call_with_intermediates(const Tensor& x, bool training) {
  std::vector<Tensor> out;
  Tensor h = x;
  for (const auto& l : layers_) out.push_back(h = (*l)(h, training));
  return out;
}

std::vector<Variable> Sequential::weights() const {
  std::vector<Variable> out;
  for (const auto& l : layers_)
    for (const Variable& v : l->weights()) out.push_back(v);
  return out;
}

std::vector<Variable> Sequential::trainable_variables() const {
  std::vector<Variable> out;
  for (const auto& l : layers_)
    for (const Variable& v : l->trainable_weights()) out.push_back(v);
  return out;
}

std::vector<Variable> Sequential::non_trainable_variables() const {
  std::vector<Variable> out;
  for (const auto& l : layers_)
    for (const Variable& v : l->non_trainable_weights()) out.push_back(v);
  return out;
}

std::int64_t Sequential::count_params() const {
  std::int64_t n = 0;
  for (const auto& l : layers_) n += l->count_params();
  return n;
}

std::string with_commas(std::int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

namespace {
std::string batch_shape(const Shape& s) {
  std::string out = "(None";
  for (std::int64_t d : s) out += ", " + std::to_string(d);
  return out + ")";
}
// Keras truncates a field to its column, leaving one space before the next.
std::string pad(const std::string& s, std::size_t w) {
  return s.size() >= w ? s.substr(0, w - 1) + " " : s + std::string(w - s.size(), ' ');
}
}  // namespace

std::string Sequential::summary() const {
  // tf.keras 2.x's layout: columns at 29, 55 and 65; rows separated by a line of spaces.
  std::ostringstream os;
  const std::string rule(65, '_'), double_rule(65, '='), blank(65, ' ');
  auto row = [&](const std::string& a, const std::string& b, const std::string& c) {
    os << pad(" " + a, 29) << pad(b, 26) << pad(c, 10) << "\n";
  };
  os << "Model: \"" << name_ << "\"\n" << rule << "\n";
  row("Layer (type)", "Output Shape", "Param #");
  os << double_rule << "\n";
  Shape s;
  const bool known = built();
  if (known) s = input_shape();
  std::int64_t trainable = 0, total = 0;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const auto& l = layers_[i];
    std::string out = "multiple";
    if (known) {
      s = l->compute_output_shape(s);
      out = batch_shape(s);
    }
    row(l->name() + " (" + l->class_name() + ")", out, std::to_string(l->count_params()));
    os << blank << "\n";
    total += l->count_params();
    for (const Variable& v : l->trainable_weights()) trainable += v.value().numel();
  }
  os << double_rule << "\n";
  os << "Total params: " << with_commas(total) << "\n";
  os << "Trainable params: " << with_commas(trainable) << "\n";
  os << "Non-trainable params: " << with_commas(total - trainable) << "\n" << rule << "\n";
  return os.str();
}

}  // namespace tg::nn
