#include "nn/pooling_layers.hpp"

#include "core/elementwise.hpp"
#include "nn/conv_layers.hpp"
#include "nn/registry.hpp"
#include "ops/arithmetic.hpp"
#include "ops/conv.hpp"
#include "ops/pooling.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

namespace {

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::string where_of(const Config& c, const char* cls) {
  return std::string(cls) + " '" + ConfigReader(c, cls).get_string("name", "") + "'";
}

template <std::size_t R>
std::array<std::int64_t, 2> widen(const std::array<std::int64_t, R>& a) {
  if constexpr (R == 1) return {1, a[0]};
  else return a;
}

}  // namespace

// ---- windowed pooling ----------------------------------------------------------------------

Pooling::Pooling(Kind kind, int rank, std::array<std::int64_t, 2> pool, std::optional<std::array<std::int64_t, 2>> strides,
                 const std::string& padding, const std::string& data_format, const std::string& name)
    : Layer(name, rank == 2 ? (kind == Kind::max ? "max_pooling2d" : "average_pooling2d")
                            : (kind == Kind::max ? "max_pooling1d" : "average_pooling1d")),
      kind_(kind),
      rank_(rank),
      pool_(pool),
      strides_(strides ? *strides : pool),
      padding_(lower(padding)) {
  const std::string where = std::string(kind == Kind::max ? "MaxPooling" : "AveragePooling") +
                            (rank == 2 ? "2D '" : "1D '") + this->name() + "'";
  data_format_ = check_data_format(data_format, where);
  for (int a = 2 - rank; a < 2; ++a) {
    if (pool_[static_cast<std::size_t>(a)] <= 0) fail(where, ": pool_size must be positive, got ", pool_[static_cast<std::size_t>(a)]);
    if (strides_[static_cast<std::size_t>(a)] <= 0) fail(where, ": strides must be positive, got ", strides_[static_cast<std::size_t>(a)]);
  }
  if (padding_ != "valid" && padding_ != "same") fail(where, ": padding must be 'valid' or 'same', got '", shorten(padding), "'");
}

Pooling::Args Pooling::args_from_config(const ConfigReader& r, int rank) {
  Args a;
  const auto p = r.get_ints("pool_size", static_cast<std::size_t>(rank), 2);
  a.pool = rank == 2 ? std::array<std::int64_t, 2>{p[0], p[1]} : std::array<std::int64_t, 2>{1, p[0]};
  if (r.has("strides")) {
    const auto s = r.get_ints("strides", static_cast<std::size_t>(rank), 1);
    a.strides = rank == 2 ? std::array<std::int64_t, 2>{s[0], s[1]} : std::array<std::int64_t, 2>{1, s[0]};
  }
  a.padding = r.get_string("padding", "valid");
  a.data_format = r.get_string("data_format", "channels_last");
  a.name = r.get_string("name", "");
  return a;
}

Config Pooling::get_config(KerasFormat format) const {
  Config c = base_config(format);
  auto spatial = [&](const std::array<std::int64_t, 2>& v) {
    return rank_ == 2 ? Config(std::vector<std::int64_t>{v[0], v[1]}) : Config(std::vector<std::int64_t>{v[1]});
  };
  c["pool_size"] = spatial(pool_);
  c["padding"] = padding_;
  c["strides"] = spatial(strides_);
  c["data_format"] = data_format_;
  return c;
}

Shape Pooling::compute_output_shape(const Shape& in) const {
  if (in.rank() != rank_ + 1)
    fail(where(), ": expected inputs of rank ", rank_ + 2, ", got per-example shape ", in);
  Shape out = in;
  const int spatial0 = data_format_ == "channels_first" ? 1 : 0;
  for (int i = 0; i < rank_; ++i) {
    const std::size_t a = static_cast<std::size_t>(rank_ == 1 ? 1 : i);
    if (in[spatial0 + i] >= 0)
      out[spatial0 + i] = ops::detail::tf_padding(class_name().c_str(), padding_, in[spatial0 + i], pool_[a], strides_[a], 1).out;
  }
  return out;
}

Tensor Pooling::call(const Tensor& input, bool) {
  const Tensor x = to_channels_last(input, data_format_);
  Tensor y;
  if (rank_ == 2) {
    const Pool2DOptions o{pool_, strides_, padding_};
    y = kind_ == Kind::max ? max_pool2d(x, o) : avg_pool2d(x, o);
  } else {
    const Pool1DOptions o{pool_[1], strides_[1], padding_};
    y = kind_ == Kind::max ? max_pool1d(x, o) : avg_pool1d(x, o);
  }
  return from_channels_last(y, data_format_);
}

MaxPooling2D::MaxPooling2D(std::array<std::int64_t, 2> pool_size, std::optional<std::array<std::int64_t, 2>> strides,
                           const std::string& padding, const std::string& data_format, const std::string& name)
    : LayerBase(Kind::max, 2, pool_size, strides, padding, data_format, name) {}
AveragePooling2D::AveragePooling2D(std::array<std::int64_t, 2> pool_size, std::optional<std::array<std::int64_t, 2>> strides,
                                   const std::string& padding, const std::string& data_format, const std::string& name)
    : LayerBase(Kind::average, 2, pool_size, strides, padding, data_format, name) {}
MaxPooling1D::MaxPooling1D(std::array<std::int64_t, 1> pool_size, std::optional<std::array<std::int64_t, 1>> strides,
                           const std::string& padding, const std::string& data_format, const std::string& name)
    : LayerBase(Kind::max, 1, widen(pool_size), strides ? std::optional(widen(*strides)) : std::nullopt, padding,
                data_format, name) {}
AveragePooling1D::AveragePooling1D(std::array<std::int64_t, 1> pool_size, std::optional<std::array<std::int64_t, 1>> strides,
                                   const std::string& padding, const std::string& data_format, const std::string& name)
    : LayerBase(Kind::average, 1, widen(pool_size), strides ? std::optional(widen(*strides)) : std::nullopt, padding,
                data_format, name) {}

namespace {
// from_config for a pooling class of rank R: the arguments, then the base keys.
template <class L, int R>
std::shared_ptr<L> pooling_from_config(const Config& config, const char* cls) {
  const ConfigReader r(config, where_of(config, cls));
  const Pooling::Args a = Pooling::args_from_config(r, R);
  std::shared_ptr<L> l;
  if constexpr (R == 2) {
    l = std::make_shared<L>(a.pool, a.strides, a.padding, a.data_format, a.name);
  } else {
    std::optional<std::array<std::int64_t, 1>> s;
    if (a.strides) s = std::array<std::int64_t, 1>{(*a.strides)[1]};
    l = std::make_shared<L>(std::array<std::int64_t, 1>{a.pool[1]}, s, a.padding, a.data_format, a.name);
  }
  l->set_trainable(r.get_bool("trainable", true));
  return l;
}
}  // namespace

std::shared_ptr<MaxPooling2D> MaxPooling2D::from_config(const Config& c) { return pooling_from_config<MaxPooling2D, 2>(c, "MaxPooling2D"); }
std::shared_ptr<AveragePooling2D> AveragePooling2D::from_config(const Config& c) {
  return pooling_from_config<AveragePooling2D, 2>(c, "AveragePooling2D");
}
std::shared_ptr<MaxPooling1D> MaxPooling1D::from_config(const Config& c) { return pooling_from_config<MaxPooling1D, 1>(c, "MaxPooling1D"); }
std::shared_ptr<AveragePooling1D> AveragePooling1D::from_config(const Config& c) {
  return pooling_from_config<AveragePooling1D, 1>(c, "AveragePooling1D");
}

// ---- global pooling ----------------------------------------------------------------------------

GlobalPooling::GlobalPooling(Kind kind, int rank, const std::string& data_format, bool keepdims, const std::string& name)
    : Layer(name, std::string(kind == Kind::max ? "global_max_pooling" : "global_average_pooling") + (rank == 2 ? "2d" : "1d")),
      kind_(kind),
      rank_(rank),
      keepdims_(keepdims) {
  data_format_ = check_data_format(data_format, std::string(kind == Kind::max ? "GlobalMaxPooling" : "GlobalAveragePooling") +
                                                    (rank == 2 ? "2D '" : "1D '") + this->name() + "'");
}

Config GlobalPooling::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["data_format"] = data_format_;
  c["keepdims"] = keepdims_;
  return c;
}

Shape GlobalPooling::compute_output_shape(const Shape& in) const {
  if (in.rank() != rank_ + 1) fail(where(), ": expected inputs of rank ", rank_ + 2, ", got per-example shape ", in);
  const bool first = data_format_ == "channels_first";
  const std::int64_t c = first ? in[0] : in[in.rank() - 1];
  if (!keepdims_) return Shape{c};
  Shape out(std::vector<std::int64_t>(static_cast<std::size_t>(rank_ + 1), 1));
  out[first ? 0 : rank_] = c;
  return out;
}

std::vector<Tensor> GlobalPooling::call_multi(const std::vector<Tensor>& xs, const CallArgs& args) {
  const Tensor x = to_channels_last(xs.at(0), data_format_);
  const Tensor mask = args.masks.empty() ? Tensor() : args.masks[0];
  Tensor y;
  if (rank_ == 1 && kind_ == Kind::average && mask.defined()) {
    // Keras: the mean over the steps the mask keeps, sum(x * mask) / sum(mask).
    const Tensor m = expand_dims(core::convert(mask, x.dtype()), -1);
    y = div(sum(mul(x, m), {1}, keepdims_), sum(m, {1}, keepdims_));
  } else if (rank_ == 2) {
    y = kind_ == Kind::max ? global_max_pooling2d(x, keepdims_) : global_average_pooling2d(x, keepdims_);
  } else {
    y = kind_ == Kind::max ? global_max_pooling1d(x, keepdims_) : global_average_pooling1d(x, keepdims_);
  }
  return {keepdims_ ? from_channels_last(y, data_format_) : y};
}

namespace {
template <class L>
std::shared_ptr<L> global_from_config(const Config& config, const char* cls) {
  const ConfigReader r(config, where_of(config, cls));
  auto l = std::make_shared<L>(r.get_string("data_format", "channels_last"), r.get_bool("keepdims", false), r.get_string("name", ""));
  l->set_trainable(r.get_bool("trainable", true));
  return l;
}
}  // namespace

#define TG_GLOBAL_POOLING_IMPL(Cls, KIND, RANK)                                                              \
  Cls::Cls(const std::string& data_format, bool keepdims, const std::string& name)                         \
      : LayerBase(KIND, RANK, data_format, keepdims, name) {}                                              \
  std::shared_ptr<Cls> Cls::from_config(const Config& c) { return global_from_config<Cls>(c, #Cls); }
TG_GLOBAL_POOLING_IMPL(GlobalAveragePooling2D, Kind::average, 2)
TG_GLOBAL_POOLING_IMPL(GlobalMaxPooling2D, Kind::max, 2)
TG_GLOBAL_POOLING_IMPL(GlobalAveragePooling1D, Kind::average, 1)
TG_GLOBAL_POOLING_IMPL(GlobalMaxPooling1D, Kind::max, 1)
#undef TG_GLOBAL_POOLING_IMPL

void register_pooling_layers(Registry<Layer>& reg) {
  const std::string m = "keras.layers";
  reg.add("MaxPooling2D", m, [](const Config& c) { return MaxPooling2D::from_config(c); });
  reg.add("AveragePooling2D", m, [](const Config& c) { return AveragePooling2D::from_config(c); });
  reg.add("MaxPooling1D", m, [](const Config& c) { return MaxPooling1D::from_config(c); });
  reg.add("AveragePooling1D", m, [](const Config& c) { return AveragePooling1D::from_config(c); });
  reg.add("GlobalAveragePooling2D", m, [](const Config& c) { return GlobalAveragePooling2D::from_config(c); });
  reg.add("GlobalMaxPooling2D", m, [](const Config& c) { return GlobalMaxPooling2D::from_config(c); });
  reg.add("GlobalAveragePooling1D", m, [](const Config& c) { return GlobalAveragePooling1D::from_config(c); });
  reg.add("GlobalMaxPooling1D", m, [](const Config& c) { return GlobalMaxPooling1D::from_config(c); });
  reg.add_example("MaxPooling2D", {{"config", {{"pool_size", {3, 2}}, {"strides", {2, 2}}, {"padding", "same"}}},
                                   {"input_shapes", {{5, 6, 3}}}});
  reg.add_example("AveragePooling2D", {{"config", {{"pool_size", 2}, {"padding", "same"}, {"data_format", "channels_first"}}},
                                       {"input_shapes", {{2, 5, 5}}}});
  reg.add_example("MaxPooling1D", {{"config", {{"pool_size", 3}, {"strides", 2}}}, {"input_shapes", {{7, 2}}}});
  reg.add_example("AveragePooling1D", {{"config", {{"pool_size", 2}, {"padding", "same"}}}, {"input_shapes", {{5, 3}}}});
  reg.add_example("GlobalAveragePooling2D", {{"config", Config::object()}, {"input_shapes", {{3, 4, 2}}}});
  reg.add_example("GlobalMaxPooling2D", {{"config", {{"keepdims", true}}}, {"input_shapes", {{3, 4, 2}}}});
  reg.add_example("GlobalAveragePooling1D", {{"config", {{"data_format", "channels_first"}}}, {"input_shapes", {{3, 4}}}});
  reg.add_example("GlobalMaxPooling1D", {{"config", Config::object()}, {"input_shapes", {{5, 3}}}});
}

}  // namespace tg::nn
