#include "nn/conv_layers.hpp"

#include "nn/activations.hpp"
#include "nn/registry.hpp"
#include "ops/conv.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

namespace {

const char* class_of(ConvBase::Kind k) {
  switch (k) {
    case ConvBase::Kind::conv1d: return "Conv1D";
    case ConvBase::Kind::conv2d: return "Conv2D";
    case ConvBase::Kind::depthwise: return "DepthwiseConv2D";
    case ConvBase::Kind::separable: return "SeparableConv2D";
    case ConvBase::Kind::transpose: return "Conv2DTranspose";
  }
  return "Conv";
}

std::string prefix_of(ConvBase::Kind k) { return keras_snake_case(class_of(k)); }

std::vector<std::int64_t> vec(const auto& a) { return std::vector<std::int64_t>(a.begin(), a.end()); }

ConvLayerOptions<2> widen(const ConvLayerOptions<1>& o) {
  ConvLayerOptions<2> w;
  w.strides = {1, o.strides[0]};
  w.padding = o.padding;
  w.data_format = o.data_format;
  w.dilation_rate = {1, o.dilation_rate[0]};
  w.groups = o.groups;
  w.activation = o.activation;
  w.use_bias = o.use_bias;
  w.kernel_initializer = o.kernel_initializer;
  w.bias_initializer = o.bias_initializer;
  w.kernel_regularizer = o.kernel_regularizer;
  w.bias_regularizer = o.bias_regularizer;
  w.name = o.name;
  w.seed = o.seed;
  w.dtype = o.dtype;
  return w;
}

Config ints_config(const std::vector<std::int64_t>& v) { return Config(v); }

}  // namespace

std::string check_data_format(const std::string& data_format, const std::string& where) {
  if (data_format != "channels_last" && data_format != "channels_first")
    fail(where, ": data_format must be 'channels_last' or 'channels_first', got '", shorten(data_format), "'");
  return data_format;
}

Tensor to_channels_last(const Tensor& x, const std::string& data_format) {
  if (data_format != "channels_first" || x.rank() < 3) return x;
  std::vector<std::int64_t> perm{0};
  for (int d = 2; d < x.rank(); ++d) perm.push_back(d);
  perm.push_back(1);
  return transpose(x, perm);
}

Tensor from_channels_last(const Tensor& x, const std::string& data_format) {
  if (data_format != "channels_first" || x.rank() < 3) return x;
  std::vector<std::int64_t> perm{0, x.rank() - 1};
  for (int d = 1; d < x.rank() - 1; ++d) perm.push_back(d);
  return transpose(x, perm);
}

ConvBase::ConvBase(Kind kind, std::int64_t filters, std::vector<std::int64_t> kernel_size, std::vector<std::int64_t> strides,
                   std::vector<std::int64_t> dilation, const std::string& padding, const ConvLayerOptions<2>& common,
                   const std::string& prefix)
    : Layer(common.name, prefix, common.dtype),
      kind_(kind),
      filters_(filters),
      kernel_size_(std::move(kernel_size)),
      strides_(std::move(strides)),
      dilation_(std::move(dilation)),
      padding_(padding),
      data_format_(check_data_format(common.data_format, std::string(class_of(kind)) + " '" + name() + "'")),
      activation_(canonical_activation(common.activation)),
      o_(common) {
  // class_name() is not callable yet (the derived class is not constructed): name the class here.
  const std::string where = std::string(class_of(kind)) + " '" + name() + "'";
  check_activation(common.activation, where);
  const bool spatial1 = kind == Kind::conv1d;
  if (filters <= 0) fail(where, kind == Kind::depthwise ? ": depth_multiplier" : ": filters", " must be positive, got ", filters);
  for (std::size_t a = spatial1 ? 1 : 0; a < 2; ++a) {
    if (kernel_size_[a] <= 0) fail(where, ": kernel_size must be positive, got ", kernel_size_[a]);
    if (strides_[a] <= 0) fail(where, ": strides must be positive, got ", strides_[a]);
    if (dilation_[a] <= 0) fail(where, ": dilation_rate must be positive, got ", dilation_[a]);
    if (strides_[a] > 1 && dilation_[a] > 1 && kind != Kind::transpose)
      fail(where, ": strides > 1 together with dilation_rate > 1 is not supported (Keras refuses it too)");
  }
  std::string p = padding_;
  for (char& ch : p) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (p != "valid" && p != "same" && !(p == "causal" && spatial1))
    fail(where, ": padding must be 'valid', 'same'", spatial1 ? " or 'causal'" : "", ", got '", shorten(padding_), "'");
  padding_ = p;
  if (o_.groups < 1) fail(where, ": groups must be positive, got ", o_.groups);
  if (filters % o_.groups != 0) fail(where, ": filters (", filters, ") must be divisible by groups (", o_.groups, ")");
  if (kind == Kind::separable && o_.depth_multiplier < 1)
    fail(where, ": depth_multiplier must be positive, got ", o_.depth_multiplier);
}

ConvLayerOptions<2> ConvBase::options_from_config(const ConfigReader& r, int rank, Kind kind) {
  ConvLayerOptions<2> o;
  o.name = r.get_string("name", "");
  const auto s = r.get_ints("strides", static_cast<std::size_t>(rank), 1);
  const auto d = r.get_ints("dilation_rate", static_cast<std::size_t>(rank), 1);
  o.strides = rank == 1 ? std::array<std::int64_t, 2>{1, s[0]} : std::array<std::int64_t, 2>{s[0], s[1]};
  o.dilation_rate = rank == 1 ? std::array<std::int64_t, 2>{1, d[0]} : std::array<std::int64_t, 2>{d[0], d[1]};
  o.padding = r.get_string("padding", "valid");
  o.data_format = r.get_string("data_format", "channels_last");
  o.groups = r.get_int("groups", 1);
  o.activation = activation_from_config(r.raw("activation"));
  o.use_bias = r.get_bool("use_bias", true);
  const bool depthwise = kind == Kind::depthwise || kind == Kind::separable;
  const char* kernel_key = depthwise ? "depthwise_initializer" : "kernel_initializer";
  if (r.has(kernel_key)) o.kernel_initializer = get_initializer(r.raw(kernel_key), r.where());
  if (r.has("bias_initializer")) o.bias_initializer = get_initializer(r.raw("bias_initializer"), r.where());
  if (r.has("pointwise_initializer")) o.pointwise_initializer = get_initializer(r.raw("pointwise_initializer"), r.where());
  o.kernel_regularizer = RegularizerArg(get_regularizer(r.raw(depthwise ? "depthwise_regularizer" : "kernel_regularizer"), r.where()));
  o.bias_regularizer = RegularizerArg(get_regularizer(r.raw("bias_regularizer"), r.where()));
  o.pointwise_regularizer = RegularizerArg(get_regularizer(r.raw("pointwise_regularizer"), r.where()));
  o.depth_multiplier = r.get_int("depth_multiplier", 1);
  if (kind == Kind::transpose && r.has("output_padding")) {
    const auto p = r.get_ints("output_padding", 2, 0);
    o.output_padding = std::array<std::int64_t, 2>{p[0], p[1]};
  }
  o.dtype = r.get_dtype();
  return o;
}

Config ConvBase::get_config(KerasFormat format) const {
  Config c = base_config(format);
  const bool one = kind_ == Kind::conv1d;
  auto spatial = [&](const std::vector<std::int64_t>& v) {
    return one ? ints_config({v[1]}) : ints_config(v);
  };
  if (kind_ != Kind::depthwise) c["filters"] = filters_;
  c["kernel_size"] = spatial(kernel_size_);
  c["strides"] = spatial(strides_);
  c["padding"] = padding_;
  c["data_format"] = data_format_;
  c["dilation_rate"] = spatial(dilation_);
  // Keras 3 dropped `groups` from the depthwise, separable and transposed layers' configs.
  if (kind_ == Kind::conv1d || kind_ == Kind::conv2d || format == KerasFormat::keras2) c["groups"] = o_.groups;
  c["activation"] = activation_to_config(activation_, format);
  c["use_bias"] = o_.use_bias;
  if (kind_ == Kind::depthwise || kind_ == Kind::separable) {
    c["depth_multiplier"] = kind_ == Kind::depthwise ? filters_ : o_.depth_multiplier;
    c["depthwise_initializer"] = o_.kernel_initializer.get_config(format);
    if (kind_ == Kind::separable) c["pointwise_initializer"] = o_.pointwise_initializer.get_config(format);
    c["bias_initializer"] = o_.bias_initializer.get_config(format);
    for (const char* k : {"activity_regularizer", "depthwise_constraint", "bias_constraint"}) c[k] = nullptr;
    c["depthwise_regularizer"] = o_.kernel_regularizer.get_config(format);
    c["bias_regularizer"] = o_.bias_regularizer.get_config(format);
    if (kind_ == Kind::separable) {
      c["pointwise_regularizer"] = o_.pointwise_regularizer.get_config(format);
      c["pointwise_constraint"] = nullptr;
    }
  } else {
    c["kernel_initializer"] = o_.kernel_initializer.get_config(format);
    c["bias_initializer"] = o_.bias_initializer.get_config(format);
    for (const char* k : {"activity_regularizer", "kernel_constraint", "bias_constraint"}) c[k] = nullptr;
    c["kernel_regularizer"] = o_.kernel_regularizer.get_config(format);
    c["bias_regularizer"] = o_.bias_regularizer.get_config(format);
  }
  if (kind_ == Kind::transpose)
    c["output_padding"] = o_.output_padding ? ints_config(vec(*o_.output_padding)) : Config(nullptr);
  return c;
}

std::vector<Tensor> ConvBase::own_regularization_losses() const {
  std::vector<Tensor> out;
  if (o_.kernel_regularizer && kernel_.defined()) out.push_back((*o_.kernel_regularizer.get())(kernel_.value()));
  if (o_.pointwise_regularizer && pointwise_.defined()) out.push_back((*o_.pointwise_regularizer.get())(pointwise_.value()));
  if (o_.bias_regularizer && bias_.defined()) out.push_back((*o_.bias_regularizer.get())(bias_.value()));
  return out;
}

std::int64_t ConvBase::channels(const Shape& in) const {
  const int rank = kind_ == Kind::conv1d ? 2 : 3;
  if (in.rank() != rank)
    fail(where(), ": expected inputs of rank ", rank + 1, " (batch, ", rank == 2 ? "steps, channels" : "height, width, channels",
         data_format_ == "channels_first" ? " in channels_first order" : "", "), got per-example shape ", in);
  const std::int64_t c = data_format_ == "channels_first" ? in[0] : in[rank - 1];
  if (c <= 0) fail(where(), ": the channel dimension must be known, got per-example shape ", in);
  return c;
}

Shape ConvBase::compute_output_shape(const Shape& in) const {
  (void)channels(in);
  const bool first = data_format_ == "channels_first";
  const int rank = in.rank();
  Shape out = in;
  const int spatial0 = first ? 1 : 0, nspatial = rank - 1;
  for (int i = 0; i < nspatial; ++i) {
    const std::size_t a = static_cast<std::size_t>(kind_ == Kind::conv1d ? 1 : i);
    const std::int64_t size = in[spatial0 + i];
    if (size < 0) continue;
    const std::int64_t k = kernel_size_[a], s = strides_[a], d = dilation_[a], eff = (k - 1) * d + 1;
    std::int64_t o;
    if (kind_ == Kind::transpose) {
      if (!o_.output_padding) o = padding_ == "valid" ? size * s + std::max<std::int64_t>(eff - s, 0) : size * s;
      else o = (size - 1) * s + eff - 2 * (padding_ == "same" ? eff / 2 : 0) + (*o_.output_padding)[a];
    } else if (padding_ == "causal") {
      o = (size + s - 1) / s;
    } else {
      o = ops::detail::tf_padding(class_of(kind_), padding_, size, k, s, d).out;
    }
    out[spatial0 + i] = o;
  }
  const std::int64_t c = channels(in);
  const std::int64_t out_c = kind_ == Kind::depthwise ? c * filters_ : filters_;
  out[first ? 0 : rank - 1] = out_c;
  return out;
}

void ConvBase::build_impl(const Shape& in) {
  const std::int64_t c = channels(in);
  if (c % o_.groups != 0) fail(where(), ": input channels (", c, ") must be divisible by groups (", o_.groups, ")");
  Generator gen = make_generator(o_.seed);
  const std::int64_t kh = kernel_size_[0], kw = kernel_size_[1];
  auto init = [&](const InitializerArg& a, const Shape& s) { return (*a.get())(s, gen, dtype()); };
  switch (kind_) {
    case Kind::conv1d: kernel_ = add_weight("kernel", init(o_.kernel_initializer, Shape{kw, c / o_.groups, filters_})); break;
    case Kind::conv2d: kernel_ = add_weight("kernel", init(o_.kernel_initializer, Shape{kh, kw, c / o_.groups, filters_})); break;
    case Kind::transpose: kernel_ = add_weight("kernel", init(o_.kernel_initializer, Shape{kh, kw, filters_, c})); break;
    case Kind::depthwise:
      kernel_ = add_weight("depthwise_kernel", init(o_.kernel_initializer, Shape{kh, kw, c, filters_}));
      break;
    case Kind::separable:
      kernel_ = add_weight("depthwise_kernel", init(o_.kernel_initializer, Shape{kh, kw, c, o_.depth_multiplier}));
      pointwise_ = add_weight("pointwise_kernel", init(o_.pointwise_initializer, Shape{1, 1, c * o_.depth_multiplier, filters_}));
      break;
  }
  if (o_.use_bias) {
    const std::int64_t n = kind_ == Kind::depthwise ? c * filters_ : filters_;
    bias_ = add_weight("bias", init(o_.bias_initializer, Shape{n}));
  }
}

Tensor ConvBase::call(const Tensor& input, bool) {
  if (input.dtype() != dtype())
    fail(where(), ": input dtype ", dtype_name(input.dtype()), " differs from the layer's ", dtype_name(dtype()));
  const Tensor x = to_channels_last(input, data_format_);
  const Tensor b = o_.use_bias ? bias_.value() : Tensor();
  const bool relu = activation_ == "relu";
  bool fused = false;
  Tensor y;
  const Conv2DOptions c2{{strides_[0], strides_[1]}, padding_, {dilation_[0], dilation_[1]}};
  switch (kind_) {
    case Kind::conv1d:
    case Kind::conv2d: {
      auto conv = [&](const Tensor& xi, const Tensor& ki, const Tensor& bi) {
        if (kind_ == Kind::conv1d) return conv1d(xi, ki, bi, Conv1DOptions{strides_[1], padding_, dilation_[1]}, relu);
        return conv2d(xi, ki, bi, c2, relu);
      };
      if (o_.groups == 1) {
        y = conv(x, kernel_.value(), b);
      } else {  // one convolution per group of input channels and filters
        const std::vector<Tensor> xs = split(x, o_.groups, -1), ks = split(kernel_.value(), o_.groups, -1);
        std::vector<Tensor> bs(static_cast<std::size_t>(o_.groups));
        if (b.defined()) bs = split(b, o_.groups, 0);
        std::vector<Tensor> ys;
        for (std::size_t g = 0; g < xs.size(); ++g) ys.push_back(conv(xs[g], ks[g], bs[g]));
        y = concat(ys, -1);
      }
      fused = relu;
      break;
    }
    case Kind::depthwise: y = depthwise_conv2d(x, kernel_.value(), b, c2); break;
    case Kind::separable:
      y = conv2d(depthwise_conv2d(x, kernel_.value(), Tensor(), c2), pointwise_.value(), b, {}, relu);
      fused = relu;
      break;
    case Kind::transpose: {
      Conv2DTransposeOptions t{{strides_[0], strides_[1]}, padding_, {dilation_[0], dilation_[1]}, o_.output_padding};
      y = conv2d_transpose(x, kernel_.value(), b, t);
      break;
    }
  }
  if (!fused) y = nn::activation(activation_, y);
  return from_channels_last(y, data_format_);
}

Conv2D::Conv2D(std::int64_t filters, std::array<std::int64_t, 2> k, Conv2DLayerOptions o)
    : LayerBase(Kind::conv2d, filters, vec(k), vec(o.strides), vec(o.dilation_rate), o.padding, o, prefix_of(Kind::conv2d)) {}

Conv1D::Conv1D(std::int64_t filters, std::int64_t k, Conv1DLayerOptions o)
    : LayerBase(Kind::conv1d, filters, {1, k}, {1, o.strides[0]}, {1, o.dilation_rate[0]}, o.padding, widen(o),
                prefix_of(Kind::conv1d)) {}

DepthwiseConv2D::DepthwiseConv2D(std::array<std::int64_t, 2> k, Conv2DLayerOptions o)
    : LayerBase(Kind::depthwise, o.depth_multiplier, vec(k), vec(o.strides), vec(o.dilation_rate), o.padding, o,
                prefix_of(Kind::depthwise)) {
  if (o.groups != 1) fail(where(), ": groups must be 1, got ", o.groups);
}

SeparableConv2D::SeparableConv2D(std::int64_t filters, std::array<std::int64_t, 2> k, Conv2DLayerOptions o)
    : LayerBase(Kind::separable, filters, vec(k), vec(o.strides), vec(o.dilation_rate), o.padding, o,
                prefix_of(Kind::separable)) {
  if (o.groups != 1) fail(where(), ": groups must be 1, got ", o.groups);
}

Conv2DTranspose::Conv2DTranspose(std::int64_t filters, std::array<std::int64_t, 2> k, Conv2DLayerOptions o)
    : LayerBase(Kind::transpose, filters, vec(k), vec(o.strides), vec(o.dilation_rate), o.padding, o,
                prefix_of(Kind::transpose)) {
  if (o.groups != 1) fail(where(), ": groups must be 1, got ", o.groups);
}

namespace {

std::string where_of(const Config& c, const char* cls) {
  return std::string(cls) + " '" + ConfigReader(c, cls).get_string("name", "") + "'";
}

}  // namespace

std::shared_ptr<Conv2D> Conv2D::from_config(const Config& c) {
  const ConfigReader r(c, where_of(c, "Conv2D"));
  const auto k = r.get_ints("kernel_size", 2, -1);
  if (!r.has("kernel_size")) r.fail("kernel_size", "is required");
  return finish(std::make_shared<Conv2D>(r.require_int("filters"), std::array<std::int64_t, 2>{k[0], k[1]},
                                         options_from_config(r, 2, Kind::conv2d)),
                r);
}

std::shared_ptr<Conv1D> Conv1D::from_config(const Config& c) {
  const ConfigReader r(c, where_of(c, "Conv1D"));
  if (!r.has("kernel_size")) r.fail("kernel_size", "is required");
  const auto o2 = options_from_config(r, 1, Kind::conv1d);
  Conv1DLayerOptions o;
  o.strides = {o2.strides[1]};
  o.dilation_rate = {o2.dilation_rate[1]};
  o.padding = o2.padding, o.data_format = o2.data_format, o.groups = o2.groups, o.activation = o2.activation;
  o.use_bias = o2.use_bias, o.kernel_initializer = o2.kernel_initializer, o.bias_initializer = o2.bias_initializer;
  o.kernel_regularizer = o2.kernel_regularizer, o.bias_regularizer = o2.bias_regularizer;
  o.name = o2.name, o.dtype = o2.dtype;
  return finish(std::make_shared<Conv1D>(r.require_int("filters"), r.get_ints("kernel_size", 1, -1)[0], o), r);
}

std::shared_ptr<DepthwiseConv2D> DepthwiseConv2D::from_config(const Config& c) {
  const ConfigReader r(c, where_of(c, "DepthwiseConv2D"));
  if (!r.has("kernel_size")) r.fail("kernel_size", "is required");
  const auto k = r.get_ints("kernel_size", 2, -1);
  return finish(std::make_shared<DepthwiseConv2D>(std::array<std::int64_t, 2>{k[0], k[1]},
                                                  options_from_config(r, 2, Kind::depthwise)),
                r);
}

std::shared_ptr<SeparableConv2D> SeparableConv2D::from_config(const Config& c) {
  const ConfigReader r(c, where_of(c, "SeparableConv2D"));
  if (!r.has("kernel_size")) r.fail("kernel_size", "is required");
  const auto k = r.get_ints("kernel_size", 2, -1);
  return finish(std::make_shared<SeparableConv2D>(r.require_int("filters"), std::array<std::int64_t, 2>{k[0], k[1]},
                                                  options_from_config(r, 2, Kind::separable)),
                r);
}

std::shared_ptr<Conv2DTranspose> Conv2DTranspose::from_config(const Config& c) {
  const ConfigReader r(c, where_of(c, "Conv2DTranspose"));
  if (!r.has("kernel_size")) r.fail("kernel_size", "is required");
  const auto k = r.get_ints("kernel_size", 2, -1);
  return finish(std::make_shared<Conv2DTranspose>(r.require_int("filters"), std::array<std::int64_t, 2>{k[0], k[1]},
                                                  options_from_config(r, 2, Kind::transpose)),
                r);
}

void register_conv_layers(Registry<Layer>& reg) {
  const std::string m = "keras.layers";
  reg.add("Conv2D", m, [](const Config& c) { return Conv2D::from_config(c); });
  reg.add("Conv1D", m, [](const Config& c) { return Conv1D::from_config(c); });
  reg.add("DepthwiseConv2D", m, [](const Config& c) { return DepthwiseConv2D::from_config(c); });
  reg.add("SeparableConv2D", m, [](const Config& c) { return SeparableConv2D::from_config(c); });
  reg.add("Conv2DTranspose", m, [](const Config& c) { return Conv2DTranspose::from_config(c); });
  reg.add_example("Conv2D", {{"config", {{"filters", 4}, {"kernel_size", {3, 2}}, {"strides", {2, 1}}, {"padding", "same"},
                                         {"activation", "relu"},
                                         {"kernel_regularizer", {{"class_name", "L1L2"}, {"config", {{"l1", 0.0}, {"l2", 0.01}}}}}}},
                             {"input_shapes", {{5, 6, 3}}}});
  reg.add_example("Conv1D", {{"config", {{"filters", 3}, {"kernel_size", 3}, {"padding", "causal"}, {"dilation_rate", 2}}},
                             {"input_shapes", {{7, 2}}}});
  reg.add_example("DepthwiseConv2D", {{"config", {{"kernel_size", 3}, {"depth_multiplier", 2}, {"padding", "same"}}},
                                      {"input_shapes", {{5, 5, 3}}}});
  reg.add_example("SeparableConv2D", {{"config", {{"filters", 4}, {"kernel_size", 3}, {"depth_multiplier", 2}}},
                                      {"input_shapes", {{5, 6, 2}}}});
  reg.add_example("Conv2DTranspose", {{"config", {{"filters", 3}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"},
                                                  {"data_format", "channels_first"}}},
                                      {"input_shapes", {{2, 3, 4}}}});
}

}  // namespace tg::nn
