#include "nn/regularizers.hpp"

#include <cmath>
#include <map>

#include "nn/registry.hpp"
#include "ops/arithmetic.hpp"
#include "ops/math.hpp"
#include "ops/reduction.hpp"

namespace tg::nn {

namespace {
double factor(const Config& c, const char* key, double fallback, const std::string& where) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  if (!c[key].is_number()) fail(where, ": '", key, "' must be a number, got ", shorten(c[key].dump()));
  const double v = c[key].get<double>();
  if (!std::isfinite(v) || v < 0) fail(where, ": '", key, "' must be a finite number >= 0, got ", v);
  return v;
}
}  // namespace

L1L2::L1L2(double l1, double l2) : l1_(l1), l2_(l2) {
  if (!std::isfinite(l1) || !std::isfinite(l2) || l1 < 0 || l2 < 0)
    fail("L1L2: the factors must be finite and >= 0, got l1=", l1, " l2=", l2);
}

Config L1L2::get_config() const { return {{"l1", l1_}, {"l2", l2_}}; }
Config L1::get_config() const { return {{"l1", l1_}}; }
Config L2::get_config() const { return {{"l2", l2_}}; }

// As Keras: the factor is a constant of the weight's dtype (float32 for float32 weights).
Tensor L1L2::operator()(const Tensor& w) const {
  Tensor penalty = Tensor::zeros(Shape{}, w.dtype());
  if (l1_ != 0) penalty = add(penalty, mul(Tensor::scalar(l1_, w.dtype()), sum(abs(w))));
  if (l2_ != 0) penalty = add(penalty, mul(Tensor::scalar(l2_, w.dtype()), sum(square(w))));
  return penalty;
}

std::shared_ptr<Regularizer> get_regularizer(const Config& id, const std::string& context) {
  if (id.is_null()) return nullptr;
  if (id.is_string()) {
    static const std::map<std::string, std::string> aliases = {{"l1", "L1"}, {"l2", "L2"}, {"l1_l2", "L1L2"}};
    const std::string name = id.get<std::string>();
    auto it = aliases.find(name);
    return regularizer_registry().create(it != aliases.end() ? it->second : name, Config::object(), context);
  }
  if (id.is_object() && id.contains("class_name") && id["class_name"].is_string()) {
    const Config cfg = id.contains("config") && id["config"].is_object() ? id["config"] : Config::object();
    return regularizer_registry().create(id["class_name"].get<std::string>(), cfg, context);
  }
  fail(context, ": a regularizer must be null, a name or a {class_name, config} object, got ", shorten(id.dump()));
}

RegularizerArg::RegularizerArg(const std::string& name) : reg_(get_regularizer(Config(name), "regularizer")) {}

Config RegularizerArg::get_config(KerasFormat format) const {
  if (!reg_) return nullptr;
  return serialize_object("keras.regularizers", reg_->class_name(), reg_->get_config(), format);
}

RegularizerArg RegularizerArg::from_config(const Config& c, const std::string& key, const std::string& where) {
  if (!c.is_object() || !c.contains(key)) return {};
  return RegularizerArg(get_regularizer(c[key], where + " " + key));
}

void register_regularizers(Registry<Regularizer>& reg) {
  const std::string m = "keras.regularizers";
  reg.add("L1L2", m, [](const Config& c) {
    return std::make_shared<L1L2>(factor(c, "l1", 0.0, "L1L2"), factor(c, "l2", 0.0, "L1L2"));
  });
  reg.add("L1", m, [](const Config& c) { return std::make_shared<L1>(factor(c, "l1", 0.01, "L1")); });
  reg.add("L2", m, [](const Config& c) { return std::make_shared<L2>(factor(c, "l2", 0.01, "L2")); });
}

Registry<Regularizer>& regularizer_registry() {
  static Registry<Regularizer> r("regularizer");
  static std::once_flag once;
  std::call_once(once, [&] { register_regularizers(r); });
  return r;
}

}  // namespace tg::nn
