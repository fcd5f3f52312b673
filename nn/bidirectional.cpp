#include "nn/bidirectional.hpp"

#include "nn/registry.hpp"
#include "ops/arithmetic.hpp"
#include "ops/indexing.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

namespace {

std::string without_prefix(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s;
}

// A recurrent layer rebuilt from `layer`'s config with a new name (and direction, and Keras'
// forced zero_output_for_mask).
std::shared_ptr<RNN> remake(const RNN& layer, const std::string& name, bool flip_direction, const std::string& where) {
  Config c = layer.get_config(KerasFormat::keras3);
  c["name"] = name;
  if (flip_direction) c["go_backwards"] = !layer.options().go_backwards;
  c["zero_output_for_mask"] = layer.options().return_sequences;
  auto l = std::dynamic_pointer_cast<RNN>(layer_registry().create(layer.class_name(), c, where));
  if (!l) fail(where, ": ", layer.class_name(), " is not a recurrent layer");
  return l;
}

}  // namespace

Bidirectional::Bidirectional(const RNN& layer, const std::string& merge_mode, std::shared_ptr<RNN> backward_layer,
                             const std::string& name)
    : LayerBase(name, "bidirectional", layer.dtype()), merge_mode_(merge_mode) {
  if (merge_mode_ != "concat" && merge_mode_ != "sum" && merge_mode_ != "mul" && merge_mode_ != "ave" && !merge_mode_.empty())
    fail(where(), ": merge_mode must be concat, sum, mul, ave or None (\"\"), got '", shorten(merge_mode_), "'");
  forward_ = remake(layer, "forward_" + without_prefix(layer.name(), "forward_"), false, where());
  if (backward_layer) {
    custom_backward_ = true;
    if (backward_layer->built()) fail(where(), ": the backward layer must not be built yet");
    // Rebuilt from its config too, for Keras' forced zero_output_for_mask.
    backward_ = remake(*backward_layer, backward_layer->name(), false, where());
    if (backward_->options().go_backwards == forward_->options().go_backwards)
      fail(where(), ": the forward and backward layers must have different go_backwards, both have ",
           forward_->options().go_backwards);
    const auto& f = forward_->options();
    const auto& b = backward_->options();
    if (f.return_sequences != b.return_sequences || f.return_state != b.return_state || f.stateful != b.stateful)
      fail(where(), ": the forward and backward layers must agree on return_sequences, return_state and stateful");
  } else {
    backward_ = remake(layer, "backward_" + without_prefix(layer.name(), "backward_"), true, where());
  }
}

Config Bidirectional::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["merge_mode"] = merge_mode_.empty() ? Config(nullptr) : Config(merge_mode_);
  if (format == KerasFormat::keras3) {
    c["layer"] = serialize_layer(*forward_, format);
    c["backward_layer"] = serialize_layer(*backward_, format);
  } else {  // tf.keras 2 stores the wrapped layer as given, and the backward one only when custom
    Config inner = serialize_layer(*forward_, format);
    inner["config"]["name"] = without_prefix(forward_->name(), "forward_");
    c["layer"] = inner;
    if (custom_backward_) c["backward_layer"] = serialize_layer(*backward_, format);
  }
  return c;
}

std::shared_ptr<Bidirectional> Bidirectional::from_config(const Config& config) {
  const ConfigReader r(config, "Bidirectional '" + ConfigReader(config, "Bidirectional").get_string("name", "") + "'");
  if (!r.raw("layer").is_object()) r.fail("layer", "is required: the wrapped recurrent layer");
  auto inner = std::dynamic_pointer_cast<RNN>(deserialize_layer(r.raw("layer"), r.where()));
  if (!inner) r.fail("layer", "must be SimpleRNN, LSTM or GRU");
  std::shared_ptr<RNN> backward;
  if (r.raw("backward_layer").is_object()) {
    backward = std::dynamic_pointer_cast<RNN>(deserialize_layer(r.raw("backward_layer"), r.where()));
    if (!backward) r.fail("backward_layer", "must be SimpleRNN, LSTM or GRU");
  }
  std::string mode = "concat";  // absent: the default; null: Keras' None
  if (config.contains("merge_mode")) mode = config["merge_mode"].is_null() ? std::string() : r.get_string("merge_mode", "");
  auto l = std::make_shared<Bidirectional>(*inner, mode, backward, r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

std::vector<Shape> Bidirectional::compute_output_shapes(const std::vector<Shape>& in) const {
  std::vector<Shape> f = forward_->compute_output_shapes({in.front()});
  Shape y = f.front();
  std::vector<Shape> out;
  if (merge_mode_ == "concat") y[y.rank() - 1] *= 2;
  out.push_back(y);
  if (merge_mode_.empty()) out.push_back(y);
  for (int dir = 0; dir < 2; ++dir) out.insert(out.end(), f.begin() + 1, f.end());
  return out;
}

std::vector<Tensor> Bidirectional::compute_output_masks(const std::vector<Tensor>&, const std::vector<Tensor>& masks,
                                                        std::size_t n_outputs) const {
  std::vector<Tensor> out(n_outputs);
  if (forward_->options().return_sequences && !masks.empty()) {
    out[0] = masks.front();
    if (merge_mode_.empty() && n_outputs > 1) out[1] = masks.front();
  }
  return out;
}

void Bidirectional::build_multi(const std::vector<Shape>& in) {
  const std::size_t ns = forward_->state_count();
  if (in.size() != 1 && in.size() != 1 + 2 * ns)
    fail(where(), ": expected the sequence and ", 2 * ns, " initial states (forward, then backward), got ", in.size(),
         " inputs");
  std::vector<Shape> f{in.front()}, b{in.front()};
  for (std::size_t i = 1; i < in.size(); ++i) (i <= ns ? f : b).push_back(in[i]);
  forward_->set_weight_scope(weight_scope() + "/" + forward_->name());
  backward_->set_weight_scope(weight_scope() + "/" + backward_->name());
  forward_->build(f);
  backward_->build(b);
  accept_any_length(0, 0);
}

std::vector<Tensor> Bidirectional::call_multi(const std::vector<Tensor>& xs, const CallArgs& args) {
  const std::size_t ns = forward_->state_count();
  std::vector<Tensor> f{xs.front()}, b{xs.front()};
  for (std::size_t i = 1; i < xs.size(); ++i) (i <= ns ? f : b).push_back(xs[i]);
  CallArgs fa{args.training, std::vector<Tensor>(f.size())}, ba{args.training, std::vector<Tensor>(b.size())};
  if (!args.masks.empty()) fa.masks[0] = ba.masks[0] = args.masks.front();
  std::vector<Tensor> yf = forward_->call_with_masks(f, fa);
  std::vector<Tensor> yb = backward_->call_with_masks(b, ba);
  Tensor y = yf.front(), y_rev = yb.front();
  if (forward_->options().return_sequences) y_rev = slice(y_rev, 1, std::nullopt, std::nullopt, -1);
  std::vector<Tensor> out;
  if (merge_mode_ == "concat") out.push_back(concat({y, y_rev}, -1));
  else if (merge_mode_ == "sum") out.push_back(add(y, y_rev));
  else if (merge_mode_ == "mul") out.push_back(mul(y, y_rev));
  else if (merge_mode_ == "ave") out.push_back(mul(add(y, y_rev), scalar_like(y, 0.5)));
  else out = {y, y_rev};
  out.insert(out.end(), yf.begin() + 1, yf.end());
  out.insert(out.end(), yb.begin() + 1, yb.end());
  return out;
}

void Bidirectional::reset_states() {
  forward_->reset_states();
  backward_->reset_states();
}

void register_bidirectional(Registry<Layer>& reg) {
  reg.add("Bidirectional", "keras.layers", [](const Config& c) { return Bidirectional::from_config(c); });
  reg.add_example("Bidirectional", {{"config",
                                     {{"layer", {{"class_name", "GRU"}, {"config", {{"units", 3}, {"return_sequences", true}}}}},
                                      {"merge_mode", "ave"}}},
                                    {"input_shapes", {{5, 4}}}});
}

}  // namespace tg::nn
