#include "nn/merge.hpp"

#include "core/elementwise.hpp"
#include "nn/registry.hpp"
#include "ops/arithmetic.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

namespace {
const char* merge_class(Merge::Op op) {
  switch (op) {
    case Merge::Op::add: return "Add";
    case Merge::Op::subtract: return "Subtract";
    case Merge::Op::multiply: return "Multiply";
    case Merge::Op::average: return "Average";
    case Merge::Op::maximum: return "Maximum";
    case Merge::Op::minimum: return "Minimum";
  }
  return "";
}

// Broadcast of per-example shapes, as NumPy; unknown (-1) dims stay unknown.
Shape broadcast_shapes(const std::vector<Shape>& shapes, const std::string& where) {
  int rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.rank());
  Shape out(std::vector<std::int64_t>(static_cast<std::size_t>(rank), 1));
  for (const Shape& s : shapes)
    for (int d = 0; d < s.rank(); ++d) {
      const int o = rank - s.rank() + d;
      const std::int64_t a = out[o], b = s[d];
      if (a == 1 || a == b) out[o] = b;
      else if (b != 1 && a >= 0 && b >= 0) {
        std::string all;
        for (const Shape& t : shapes) all += (all.empty() ? "" : ", ") + t.str();
        fail(where, ": inputs of shapes ", all, " do not broadcast together");
      }
    }
  return out;
}
}  // namespace

Merge::Merge(Op op, const std::string& name) : Layer(name, keras_snake_case(merge_class(op)), DType::float32), op_(op) {}

std::string Merge::class_name() const { return merge_class(op_); }

void Merge::build_multi(const std::vector<Shape>& shapes) {
  if (shapes.size() < 2 || (op_ == Op::subtract && shapes.size() != 2))
    fail(where(), ": expected ", op_ == Op::subtract ? "exactly 2" : "at least 2", " inputs, got ", shapes.size());
  broadcast_shapes(shapes, where());
}

std::vector<Shape> Merge::compute_output_shapes(const std::vector<Shape>& shapes) const {
  return {broadcast_shapes(shapes, where())};
}

std::vector<Tensor> Merge::call_multi(const std::vector<Tensor>& xs, const CallArgs&) {
  Tensor y = xs.front();
  for (std::size_t i = 1; i < xs.size(); ++i) {
    switch (op_) {
      case Op::add:
      case Op::average: y = add(y, xs[i]); break;
      case Op::subtract: y = sub(y, xs[i]); break;
      case Op::multiply: y = mul(y, xs[i]); break;
      case Op::maximum: y = maximum(y, xs[i]); break;
      case Op::minimum: y = minimum(y, xs[i]); break;
    }
  }
  if (op_ == Op::average) y = y / static_cast<double>(xs.size());
  return {y};
}

// Keras: a position is kept when every input keeps it.
Tensor Merge::compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  Tensor out;
  for (const Tensor& m : masks) {
    if (!m.defined()) continue;
    out = out.defined() ? core::mul(out, m) : m;
  }
  return out;
}

#define TG_MERGE_FROM_CONFIG(Cls)                                        \
  std::shared_ptr<Cls> Cls::from_config(const Config& config) {          \
    const ConfigReader r(config, #Cls);                                  \
    auto l = std::make_shared<Cls>(r.get_string("name", ""));            \
    apply_base_config(*l, r);                                            \
    return l;                                                            \
  }
TG_MERGE_FROM_CONFIG(Add)
TG_MERGE_FROM_CONFIG(Subtract)
TG_MERGE_FROM_CONFIG(Multiply)
TG_MERGE_FROM_CONFIG(Average)
TG_MERGE_FROM_CONFIG(Maximum)
TG_MERGE_FROM_CONFIG(Minimum)
#undef TG_MERGE_FROM_CONFIG

Concatenate::Concatenate(std::int64_t axis, const std::string& name) : LayerBase(name, "concatenate"), axis_(axis) {}

Config Concatenate::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["axis"] = axis_;
  return c;
}

std::shared_ptr<Concatenate> Concatenate::from_config(const Config& config) {
  const ConfigReader r(config, "Concatenate");
  auto l = std::make_shared<Concatenate>(r.get_int("axis", -1), r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

int Concatenate::batch_axis(int rank) const {  // axis in the batch tensor of `rank` dims
  const std::int64_t a = axis_ < 0 ? axis_ + rank : axis_;
  if (a < 1 || a >= rank) fail(where(), ": axis ", axis_, " is out of range for inputs of rank ", rank, " (batch included)");
  return static_cast<int>(a);
}

void Concatenate::build_multi(const std::vector<Shape>& shapes) {
  if (shapes.size() < 2) fail(where(), ": expected at least 2 inputs, got ", shapes.size());
  compute_output_shapes(shapes);
}

std::vector<Shape> Concatenate::compute_output_shapes(const std::vector<Shape>& shapes) const {
  const int rank = shapes.front().rank() + 1;
  const int a = batch_axis(rank) - 1;
  Shape out = shapes.front();
  for (std::size_t i = 1; i < shapes.size(); ++i) {
    bool ok = shapes[i].rank() == rank - 1;
    for (int d = 0; ok && d < rank - 1; ++d)
      ok = d == a || out[d] < 0 || shapes[i][d] < 0 || out[d] == shapes[i][d];
    if (!ok) {
      std::string all;
      for (const Shape& t : shapes) all += (all.empty() ? "" : ", ") + t.str();
      fail(where(), ": inputs of shapes ", all, " differ outside the concatenation axis ", axis_);
    }
    out[a] = out[a] < 0 || shapes[i][a] < 0 ? -1 : out[a] + shapes[i][a];
  }
  return {out};
}

std::vector<Tensor> Concatenate::call_multi(const std::vector<Tensor>& xs, const CallArgs&) {
  return {concat(xs, batch_axis(xs.front().rank()))};
}

// Keras concatenates the masks of the inputs when the axis is the last (feature) axis of a
// sequence; here a mask is kept only when all inputs share it per time step.
Tensor Concatenate::compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  Tensor out;
  for (const Tensor& m : masks) {
    if (!m.defined()) continue;
    out = out.defined() ? core::mul(out, m) : m;
  }
  return out;
}

void register_merge_layers(Registry<Layer>& reg) {
  const std::string m = "keras.layers";
  reg.add("Add", m, [](const Config& c) { return Add::from_config(c); });
  reg.add("Subtract", m, [](const Config& c) { return Subtract::from_config(c); });
  reg.add("Multiply", m, [](const Config& c) { return Multiply::from_config(c); });
  reg.add("Average", m, [](const Config& c) { return Average::from_config(c); });
  reg.add("Maximum", m, [](const Config& c) { return Maximum::from_config(c); });
  reg.add("Minimum", m, [](const Config& c) { return Minimum::from_config(c); });
  reg.add("Concatenate", m, [](const Config& c) { return Concatenate::from_config(c); });
  for (const char* cls : {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"})
    reg.add_example(cls, {{"config", Config::object()}, {"input_shapes", {{3, 4}, {3, 4}}}});
  reg.add_example("Concatenate", {{"config", {{"axis", 1}}}, {"input_shapes", {{2, 3}, {4, 3}}}});
}

}  // namespace tg::nn
