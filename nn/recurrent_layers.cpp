#include "nn/recurrent_layers.hpp"

#include "nn/activations.hpp"
#include "nn/registry.hpp"
#include "ops/dropout.hpp"
#include "ops/recurrent.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

namespace {

const char* prefix_of(CellKind k) {
  switch (k) {
    case CellKind::lstm: return "lstm";
    case CellKind::gru: return "gru";
    case CellKind::simple_rnn: break;
  }
  return "simple_rnn";
}

const char* class_of(CellKind k) {
  return k == CellKind::lstm ? "LSTM" : k == CellKind::gru ? "GRU" : "SimpleRNN";
}

std::int64_t gates(CellKind k) { return k == CellKind::lstm ? 4 : k == CellKind::gru ? 3 : 1; }

// The fused kernels' activation for a canonical nn activation name.
RnnActivation fused_activation(const std::string& name, const std::string& where) {
  if (name == "hard_sigmoid_keras2") return RnnActivation::hard_sigmoid;
  if (name == "hard_sigmoid") return RnnActivation::hard_sigmoid_keras3;
  if (name == "tanh") return RnnActivation::tanh;
  if (name == "sigmoid") return RnnActivation::sigmoid;
  if (name == "relu") return RnnActivation::relu;
  if (name == "linear") return RnnActivation::linear;
  fail<std::invalid_argument>(where, ": activation '", shorten(name),
                              "' is not supported by the recurrent kernels; use tanh, sigmoid, hard_sigmoid, relu or linear");
}

void null_keys(Config& c, std::initializer_list<const char*> keys) {
  for (const char* k : keys) c[k] = nullptr;
}

}  // namespace

// ---- RNNCell ----------------------------------------------------------------------------------

RNNCell::RNNCell(CellKind kind, std::int64_t units, const RNNOptions& options)
    : LayerBase("", std::string(prefix_of(kind)) + "_cell", options.dtype), kind_(kind), units_(units), options_(options) {}

std::string RNNCell::class_name() const {
  return kind_ == CellKind::lstm ? "LSTMCell" : kind_ == CellKind::gru ? "GRUCell" : "SimpleRNNCell";
}

void RNNCell::build_impl(const Shape& in) {
  if (in.rank() != 1 || in[0] <= 0) fail(where(), ": expected a known feature size, got ", in);
  const std::int64_t u = units_, w = gates(kind_) * units_;
  Generator gen = make_generator(-1);
  kernel_ = add_weight("kernel", (*options_.kernel_initializer.get())(Shape{in[0], w}, gen, dtype()));
  recurrent_kernel_ = add_weight("recurrent_kernel", (*options_.recurrent_initializer.get())(Shape{u, w}, gen, dtype()));
  if (!options_.use_bias) return;
  const auto& init = *options_.bias_initializer.get();
  Tensor b;
  if (kind_ == CellKind::lstm && options_.unit_forget_bias)  // i, f, c, o: the forget block starts at 1
    b = concat({init(Shape{u}, gen, dtype()), Tensor::ones(Shape{u}, dtype()), init(Shape{2 * u}, gen, dtype())}, 0);
  else if (kind_ == CellKind::gru && options_.reset_after)
    b = init(Shape{2, w}, gen, dtype());
  else
    b = init(Shape{w}, gen, dtype());
  bias_ = add_weight("bias", b);
}

// ---- RNN --------------------------------------------------------------------------------------

RNN::RNN(CellKind kind, std::int64_t units, RNNOptions options)
    : Layer(options.name, prefix_of(kind), options.dtype),
      kind_(kind),
      units_(units),
      options_(std::move(options)),
      gen_(make_generator(options_.seed)) {
  // The class's virtual where() cannot be called while the base is constructed.
  const std::string at = std::string(class_of(kind)) + " '" + name() + "'";
  if (units <= 0) fail(at, ": units must be positive, got ", units);
  options_.activation = canonical_activation(options_.activation);
  options_.recurrent_activation = canonical_activation(options_.recurrent_activation);
  fused_activation(options_.activation, at);
  if (kind != CellKind::simple_rnn) fused_activation(options_.recurrent_activation, at);
  for (double rate : {options_.dropout, options_.recurrent_dropout})
    if (!(rate >= 0 && rate < 1)) fail(at, ": dropout rates must be in [0, 1), got ", rate);
  cell_ = std::make_shared<RNNCell>(kind, units, options_);
}

Config RNN::get_config(KerasFormat format) const {
  const bool k2 = format == KerasFormat::keras2;
  Config c = base_config(format);
  c["return_sequences"] = options_.return_sequences;
  c["return_state"] = options_.return_state;
  c["go_backwards"] = options_.go_backwards;
  c["stateful"] = options_.stateful;
  c["unroll"] = options_.unroll;
  if (k2) c["time_major"] = false;
  else c["zero_output_for_mask"] = options_.zero_output_for_mask;
  c["units"] = units_;
  c["activation"] = activation_to_config(options_.activation, format);
  if (kind_ != CellKind::simple_rnn)
    c["recurrent_activation"] = activation_to_config(options_.recurrent_activation, format);
  c["use_bias"] = options_.use_bias;
  c["kernel_initializer"] = options_.kernel_initializer.get_config(format);
  c["recurrent_initializer"] = options_.recurrent_initializer.get_config(format);
  c["bias_initializer"] = options_.bias_initializer.get_config(format);
  if (kind_ == CellKind::lstm) c["unit_forget_bias"] = options_.unit_forget_bias;
  null_keys(c, {"kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
                "kernel_constraint", "recurrent_constraint", "bias_constraint"});
  c["dropout"] = options_.dropout;
  c["recurrent_dropout"] = options_.recurrent_dropout;
  if (k2 && kind_ != CellKind::simple_rnn) c["implementation"] = options_.implementation;
  if (kind_ == CellKind::gru) c["reset_after"] = options_.reset_after;
  if (!k2) c["seed"] = options_.seed < 0 ? Config(nullptr) : Config(options_.seed);
  return c;
}

RNNOptions RNN::options_from_config(const ConfigReader& r, CellKind kind) {
  RNNOptions o;
  o.name = r.get_string("name", "");
  if (r.has("activation")) o.activation = activation_from_config(r.raw("activation"));
  if (r.has("recurrent_activation")) o.recurrent_activation = activation_from_config(r.raw("recurrent_activation"));
  o.use_bias = r.get_bool("use_bias", true);
  if (r.has("kernel_initializer")) o.kernel_initializer = get_initializer(r.raw("kernel_initializer"), r.where());
  if (r.has("recurrent_initializer")) o.recurrent_initializer = get_initializer(r.raw("recurrent_initializer"), r.where());
  if (r.has("bias_initializer")) o.bias_initializer = get_initializer(r.raw("bias_initializer"), r.where());
  o.unit_forget_bias = r.get_bool("unit_forget_bias", true);
  // Keras 2.x before TF 2 defaulted reset_after to False; every config since states it.
  o.reset_after = kind == CellKind::gru ? r.get_bool("reset_after", true) : true;
  o.dropout = r.get_double("dropout", 0);
  o.recurrent_dropout = r.get_double("recurrent_dropout", 0);
  o.return_sequences = r.get_bool("return_sequences", false);
  o.return_state = r.get_bool("return_state", false);
  o.go_backwards = r.get_bool("go_backwards", false);
  o.stateful = r.get_bool("stateful", false);
  o.unroll = r.get_bool("unroll", false);
  o.zero_output_for_mask = r.get_bool("zero_output_for_mask", false);
  if (r.get_bool("time_major", false)) r.fail("time_major", "True is not supported (inputs are batch-major)");
  o.implementation = r.get_int("implementation", 2);
  o.seed = r.get_int("seed", -1);
  o.dtype = r.get_dtype();
  return o;
}

std::vector<Shape> RNN::compute_output_shapes(const std::vector<Shape>& in) const {
  if (in.empty() || in.front().rank() != 2)
    fail(where(), ": expected inputs [N, T, F], got per-example shape ", in.empty() ? Shape() : in.front());
  std::vector<Shape> out{options_.return_sequences ? Shape{in.front()[0], units_} : Shape{units_}};
  if (options_.return_state)
    for (std::size_t i = 0; i < state_count(); ++i) out.push_back(Shape{units_});
  return out;
}

// Keras: the sequence keeps the input's mask; the last output and the states carry none.
std::vector<Tensor> RNN::compute_output_masks(const std::vector<Tensor>&, const std::vector<Tensor>& masks,
                                              std::size_t n_outputs) const {
  std::vector<Tensor> out(n_outputs);
  if (options_.return_sequences && !masks.empty() && n_outputs > 0) out[0] = masks.front();
  return out;
}

void RNN::build_multi(const std::vector<Shape>& in) {
  if (in.empty() || in.front().rank() != 2 || in.front()[1] <= 0)
    fail(where(), ": expected inputs [N, T, F] with F known, got per-example shape ", in.empty() ? Shape() : in.front());
  if (in.size() != 1 && in.size() != 1 + state_count())
    fail(where(), ": expected the sequence and ", state_count(), " initial state(s), got ", in.size(), " inputs");
  for (std::size_t i = 1; i < in.size(); ++i)
    if (!(in[i] == Shape{units_})) fail(where(), ": initial state ", i - 1, " must be [N, ", units_, "], got per-example ", in[i]);
  cell_->set_weight_scope(weight_scope() + "/" + cell_->name());
  cell_->build(Shape{in.front()[1]});
  accept_any_length(0, 0);  // any number of time steps, as Keras' RNN input_spec (None, None, F)
}

std::vector<Tensor> RNN::call_multi(const std::vector<Tensor>& xs, const CallArgs& args) {
  const Tensor& x = xs.front();
  if (x.rank() != 3) fail(where(), ": expected inputs [N, T, F], got ", x.shape());
  const std::int64_t n = x.shape()[0];
  std::vector<Tensor> init(xs.begin() + 1, xs.end());
  if (init.empty() && options_.stateful && !states_.empty()) {
    if (states_.front().shape()[0] != n)
      fail(where(), ": a stateful layer keeps states for batches of ", states_.front().shape()[0], ", called with ", n,
           " (call reset_states() first)");
    init = states_;
  }
  init.resize(state_count());
  RecurrentOptions ro;
  ro.activation = fused_activation(options_.activation, where());
  ro.recurrent_activation = fused_activation(options_.recurrent_activation, where());
  ro.return_sequences = options_.return_sequences;
  ro.go_backwards = options_.go_backwards;
  ro.zero_output_for_mask = options_.zero_output_for_mask;
  ro.reset_after = options_.reset_after;
  if (!args.masks.empty()) ro.mask = args.masks.front();
  if (args.training && options_.dropout > 0)
    ro.dropout_mask = dropout(Tensor::ones(Shape{n, x.shape()[2]}, x.dtype()), options_.dropout, gen_);
  if (args.training && options_.recurrent_dropout > 0)
    ro.recurrent_dropout_mask = dropout(Tensor::ones(Shape{n, units_}, x.dtype()), options_.recurrent_dropout, gen_);
  const Tensor& k = cell_->kernel().value();
  const Tensor& rk = cell_->recurrent_kernel().value();
  const Tensor b = options_.use_bias ? cell_->bias().value() : Tensor();
  RecurrentResult r;
  switch (kind_) {
    case CellKind::lstm: r = lstm(x, k, rk, b, init[0], init[1], ro); break;
    case CellKind::gru: r = gru(x, k, rk, b, init[0], ro); break;
    case CellKind::simple_rnn: r = simple_rnn(x, k, rk, b, init[0], ro); break;
  }
  std::vector<Tensor> states{r.h};
  if (kind_ == CellKind::lstm) states.push_back(r.c);
  if (options_.stateful) {
    states_.clear();
    for (const Tensor& s : states) states_.push_back(core::copy(s));  // kept without their history
  }
  std::vector<Tensor> out{r.outputs};
  if (options_.return_state) out.insert(out.end(), states.begin(), states.end());
  return out;
}

void RNN::reset_states() {
  if (!options_.stateful) fail(where(), ": reset_states() needs a stateful layer");
  states_.clear();
}

void RNN::reset_states(const std::vector<Tensor>& states) {
  if (!options_.stateful) fail(where(), ": reset_states() needs a stateful layer");
  if (states.size() != state_count()) fail(where(), ": expected ", state_count(), " states, got ", states.size());
  for (const Tensor& s : states)
    if (s.rank() != 2 || s.shape()[1] != units_ || s.shape()[0] != states.front().shape()[0])
      fail(where(), ": states must be [N, ", units_, "], got ", s.shape());
  states_.clear();
  for (const Tensor& s : states) states_.push_back(core::copy(s));
}

// ---- The three layers -------------------------------------------------------------------------

std::shared_ptr<SimpleRNN> SimpleRNN::from_config(const Config& config) {
  const ConfigReader r(config, "SimpleRNN '" + ConfigReader(config, "SimpleRNN").get_string("name", "") + "'");
  auto l = std::make_shared<SimpleRNN>(r.require_int("units"), options_from_config(r, CellKind::simple_rnn));
  apply_base_config(*l, r);
  return l;
}

std::shared_ptr<LSTM> LSTM::from_config(const Config& config) {
  const ConfigReader r(config, "LSTM '" + ConfigReader(config, "LSTM").get_string("name", "") + "'");
  auto l = std::make_shared<LSTM>(r.require_int("units"), options_from_config(r, CellKind::lstm));
  apply_base_config(*l, r);
  return l;
}

std::shared_ptr<GRU> GRU::from_config(const Config& config) {
  const ConfigReader r(config, "GRU '" + ConfigReader(config, "GRU").get_string("name", "") + "'");
  auto l = std::make_shared<GRU>(r.require_int("units"), options_from_config(r, CellKind::gru));
  apply_base_config(*l, r);
  return l;
}

void register_recurrent_layers(Registry<Layer>& reg) {
  const std::string m = "keras.layers";
  reg.add("SimpleRNN", m, [](const Config& c) { return SimpleRNN::from_config(c); });
  reg.add("LSTM", m, [](const Config& c) { return LSTM::from_config(c); });
  reg.add("GRU", m, [](const Config& c) { return GRU::from_config(c); });
  reg.add_example("SimpleRNN", {{"config", {{"units", 3}, {"return_sequences", true}}}, {"input_shapes", {{5, 4}}}});
  reg.add_example("LSTM", {{"config", {{"units", 3}, {"return_state", true}}}, {"input_shapes", {{5, 4}}}});
  reg.add_example("GRU", {{"config", {{"units", 3}, {"reset_after", false}, {"go_backwards", true}}}, {"input_shapes", {{5, 4}}}});
}

}  // namespace tg::nn
