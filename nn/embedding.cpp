#include "nn/embedding.hpp"

#include "nn/registry.hpp"
#include "ops/arithmetic.hpp"
#include "ops/compare.hpp"
#include "ops/indexing.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

// ---- Embedding --------------------------------------------------------------------------------

Embedding::Embedding(std::int64_t input_dim, std::int64_t output_dim, EmbeddingOptions options)
    : LayerBase(options.name, "embedding", options.dtype),
      input_dim_(input_dim),
      output_dim_(output_dim),
      options_(std::move(options)) {
  if (input_dim <= 0 || output_dim <= 0)
    fail(where(), ": input_dim and output_dim must be positive, got ", input_dim, " and ", output_dim);
}

Config Embedding::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["input_dim"] = input_dim_;
  c["output_dim"] = output_dim_;
  c["embeddings_initializer"] = options_.embeddings_initializer.get_config(format);
  c["embeddings_regularizer"] = nullptr;
  c["activity_regularizer"] = nullptr;
  c["embeddings_constraint"] = nullptr;
  c["mask_zero"] = options_.mask_zero;
  if (format == KerasFormat::keras2)
    c["input_length"] = options_.input_length < 0 ? Config(nullptr) : Config(options_.input_length);
  return c;
}

std::shared_ptr<Embedding> Embedding::from_config(const Config& config) {
  const ConfigReader r(config, "Embedding '" + ConfigReader(config, "Embedding").get_string("name", "") + "'");
  EmbeddingOptions o;
  o.name = r.get_string("name", "");
  if (r.has("embeddings_initializer"))
    o.embeddings_initializer = get_initializer(r.raw("embeddings_initializer"), r.where());
  o.mask_zero = r.get_bool("mask_zero", false);
  const Config& len = r.raw("input_length");
  if (len.is_number_integer()) o.input_length = len.get<std::int64_t>();
  else if (len.is_array() && len.size() == 1 && len[0].is_number_integer()) o.input_length = len[0].get<std::int64_t>();
  o.dtype = r.get_dtype();
  auto l = std::make_shared<Embedding>(r.require_int("input_dim"), r.require_int("output_dim"), o);
  apply_base_config(*l, r);
  return l;
}

Shape Embedding::compute_output_shape(const Shape& input_shape) const {
  Shape out = input_shape;
  out.push_back(output_dim_);
  return out;
}

void Embedding::build_impl(const Shape& in) {
  for (int d = 0; d < in.rank(); ++d) accept_any_length(0, d);  // ids of any length
  Generator gen = make_generator(-1);
  embeddings_ = add_weight("embeddings",
                           (*options_.embeddings_initializer.get())(Shape{input_dim_, output_dim_}, gen, dtype()));
}

Tensor Embedding::call(const Tensor& x, bool) {
  const Tensor ids = x.dtype() == DType::int64 ? x : cast(x, DType::int64);
  const std::int64_t* p = ids.data<std::int64_t>();
  for (std::int64_t i = 0; i < ids.numel(); ++i)
    if (p[i] < 0 || p[i] >= input_dim_)
      fail(where(), ": id ", p[i], " (input element ", i, " of ", x.shape(), ") is outside [0, input_dim = ", input_dim_,
           ")");
  return gather(embeddings_.value(), ids, 0);
}

Tensor Embedding::compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>&) const {
  if (!options_.mask_zero || inputs.empty()) return Tensor();
  return not_equal(cast(inputs.front(), DType::float32), 0.0);
}

// ---- Masking ----------------------------------------------------------------------------------

Masking::Masking(double mask_value, const std::string& name) : LayerBase(name, "masking"), mask_value_(mask_value) {}

Config Masking::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["mask_value"] = mask_value_;
  return c;
}

std::shared_ptr<Masking> Masking::from_config(const Config& config) {
  const ConfigReader r(config, "Masking");
  auto l = std::make_shared<Masking>(r.get_double("mask_value", 0.0), r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

// A step is kept when any of its features differs from mask_value (Keras: ops.any(x != v, -1)).
Tensor Masking::compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>&) const {
  if (inputs.empty() || inputs.front().rank() < 2) fail(where(), ": expected inputs [N, T, ...]");
  return reduce_max(not_equal(inputs.front(), mask_value_), {-1});
}

Tensor Masking::call(const Tensor& x, bool) {
  if (x.rank() < 2) fail(where(), ": expected inputs [N, T, ...], got ", x.shape());
  return mul(x, reduce_max(not_equal(x, mask_value_), {-1}, true));
}

void register_embedding_layers(Registry<Layer>& reg) {
  const std::string m = "keras.layers";
  reg.add("Embedding", m, [](const Config& c) { return Embedding::from_config(c); });
  reg.add("Masking", m, [](const Config& c) { return Masking::from_config(c); });
  // The conformance check feeds uniform(-1, 1) inputs: ids truncate to 0, within any table.
  reg.add_example("Embedding", {{"config", {{"input_dim", 7}, {"output_dim", 3}, {"mask_zero", true}}}, {"input_shapes", {{5}}}});
  reg.add_example("Masking", {{"config", {{"mask_value", 0.0}}}, {"input_shapes", {{4, 3}}}});
}

}  // namespace tg::nn
