// A compiled Sequential's training state in Keras files: the compile config (legacy
// `training_config` in tf.keras 2.10's form, `.keras` `compile_config` in Keras 3's) and the
// optimizer state (tf.keras 2.10 `optimizer_weights` names, Keras 3 `optimizer/vars` positions),
// both ways.
#include <algorithm>
#include <iostream>
#include <map>
#include <stdexcept>

#include "core/error.hpp"
#include "io/keras_internal.hpp"
#include "nn/metrics.hpp"
#include "nn/optimizers.hpp"
#include "nn/sequential.hpp"

namespace tg::io::detail {

using nlohmann::json;

namespace {

// tf.keras 2.x (optimizer_v2) slot names for tapegrad's (Keras 3's) slot kinds; empty when the
// optimizer has no tf.keras 2.10 form (AdamW arrived in tf.keras 2.11's new optimizers).
std::map<std::string, std::string> tf2_slot_kinds(const nn::Optimizer& opt) {
  if (dynamic_cast<const nn::AdamW*>(&opt)) return {};
  if (dynamic_cast<const nn::Adam*>(&opt)) return {{"momentum", "m"}, {"velocity", "v"}, {"velocity_hat", "vhat"}};
  if (dynamic_cast<const nn::SGD*>(&opt)) return {{"momentum", "momentum"}};
  if (dynamic_cast<const nn::RMSprop*>(&opt)) return {{"velocity", "rms"}, {"momentum", "momentum"}, {"average_gradient", "mg"}};
  return {};
}

// Slots state() returns before the per-variable ones: iterations, and the rate when constant.
std::size_t header_size(const nn::Optimizer& opt) { return opt.learning_rate_schedule() ? 1 : 2; }

KerasWeight to_weight(const std::string& name, const Tensor& t) {
  KerasWeight w;
  w.name = name;
  w.shape = t.shape().to_vector();
  w.values = t.to_vector<double>();
  w.dtype = dtype_name(t.dtype());
  return w;
}

// A learning-rate schedule as Keras serializes it inside the optimizer config.
json schedule_json(const nn::LearningRateSchedule& schedule, bool keras3) {
  json c = json::object();
  if (const auto* e = dynamic_cast<const nn::ExponentialDecay*>(&schedule)) {
    c = {{"initial_learning_rate", e->initial_learning_rate()}, {"decay_steps", e->decay_steps()},
         {"decay_rate", e->decay_rate()}, {"staircase", e->staircase()},
         {"name", keras3 ? json("ExponentialDecay") : json(nullptr)}};
  } else {
    for (const auto& [k, v] : schedule.config()) c[k] = v;  // a schedule defined outside tapegrad
  }
  if (keras3)
    return {{"module", "keras.optimizers.schedules"}, {"class_name", schedule.name()}, {"config", c}, {"registered_name", nullptr}};
  return {{"class_name", schedule.name()}, {"config", c}};
}

json optimizer_json(const nn::Optimizer& opt, bool keras3) {
  json c;
  const auto* adamw = dynamic_cast<const nn::AdamW*>(&opt);
  const auto* adam = dynamic_cast<const nn::Adam*>(&opt);
  const auto* sgd = dynamic_cast<const nn::SGD*>(&opt);
  const auto* rms = dynamic_cast<const nn::RMSprop*>(&opt);
  // tf.keras 2.10 (OptimizerV2): name = class name, `decay` and the optimizer's own keys; it
  // rejects Keras 3's use_ema & co. as unknown arguments. Keras 3 reads `decay` with a warning.
  // AdamW has no tf.keras 2.10 form, so it is written in Keras 3's form in both layouts.
  const json lr = opt.learning_rate_schedule() ? schedule_json(*opt.learning_rate_schedule(), keras3)
                                               : json(opt.learning_rate());
  if (keras3 || adamw || !(adam || sgd || rms)) {
    c = {{"name", opt.scope()},
         {"learning_rate", lr},
         {"weight_decay", adamw ? json(adamw->weight_decay()) : json(nullptr)},
         {"clipnorm", nullptr},
         {"global_clipnorm", nullptr},
         {"clipvalue", nullptr},
         {"use_ema", false},
         {"ema_momentum", 0.99},
         {"ema_overwrite_frequency", nullptr},
         {"loss_scale_factor", nullptr},
         {"gradient_accumulation_steps", nullptr}};
  } else {
    c = {{"name", opt.name()}, {"learning_rate", lr}, {"decay", 0.0}};
  }
  if (adam) {
    c["beta_1"] = adam->beta_1();
    c["beta_2"] = adam->beta_2();
    c["epsilon"] = adam->epsilon();
    c["amsgrad"] = adam->amsgrad();
  } else if (sgd) {
    c["momentum"] = sgd->momentum();
    c["nesterov"] = sgd->nesterov();
  } else if (rms) {
    c["rho"] = rms->rho();
    c["momentum"] = rms->momentum();
    c["epsilon"] = rms->epsilon();
    c["centered"] = rms->centered();
  } else {
    for (const auto& [k, v] : opt.config()) c[k] = v;  // an optimizer defined outside tapegrad
  }
  if (keras3)
    return {{"module", "keras.optimizers"}, {"class_name", opt.name()}, {"config", c}, {"registered_name", nullptr}};
  return {{"class_name", opt.name()}, {"config", c}};
}

// The function a compiled metric computes, as tf.keras names it in MeanMetricWrapper's `fn`.
std::string metric_fn(const nn::Metric& m) {
  if (dynamic_cast<const nn::SparseCategoricalAccuracy*>(&m)) return "sparse_categorical_accuracy";
  if (dynamic_cast<const nn::CategoricalAccuracy*>(&m)) return "categorical_accuracy";
  if (dynamic_cast<const nn::BinaryAccuracy*>(&m)) return "binary_accuracy";
  if (dynamic_cast<const nn::Accuracy*>(&m)) return "accuracy";
  return m.name();
}

// Metric names from a Keras config: ["accuracy"], tf.keras 2.8+'s [[{"class_name":
// "MeanMetricWrapper", "config": {"name", "fn", ...}}]], or dicts per output.
void collect_metrics(const json& j, std::vector<std::pair<std::string, std::string>>& out) {
  if (j.is_string()) {
    out.emplace_back(j.get<std::string>(), "");
  } else if (j.is_array()) {
    for (const auto& e : j) collect_metrics(e, out);
  } else if (j.is_object() && j.contains("class_name")) {  // a serialized metric object
    const json c = j.value("config", json::object());
    const std::string fn = c.is_object() && c.contains("fn") && c["fn"].is_string() ? c["fn"].get<std::string>() : "";
    if (c.is_object() && c.contains("name") && c["name"].is_string()) out.emplace_back(c["name"].get<std::string>(), fn);
    else if (j["class_name"].is_string()) out.emplace_back(j["class_name"].get<std::string>(), fn);
  } else if (j.is_object()) {  // {"output_name": [...]}
    for (const auto& v : j) collect_metrics(v, out);
  }
}

double number(const json& cfg, std::initializer_list<const char*> keys, double fallback) {
  for (const char* k : keys)
    if (cfg.contains(k) && cfg[k].is_number()) return cfg[k].get<double>();
  return fallback;
}

bool flag(const json& cfg, const char* key, bool fallback) {
  if (!cfg.contains(key)) return fallback;
  if (cfg[key].is_boolean()) return cfg[key].get<bool>();
  if (cfg[key].is_number()) return cfg[key].get<double>() != 0;  // tapegrad before this fix wrote 0.0 / 1.0
  return fallback;
}

// A schedule from {"class_name": "ExponentialDecay", "config": {...}} (either Keras generation);
// null for anything else.
std::shared_ptr<nn::LearningRateSchedule> schedule_from(const json& j) {
  if (!j.is_object() || j.value("class_name", "") != "ExponentialDecay" || !j.contains("config")) return nullptr;
  const json& c = j["config"];
  return std::make_shared<nn::ExponentialDecay>(number(c, {"initial_learning_rate"}, 0.0),
                                                static_cast<std::int64_t>(number(c, {"decay_steps"}, 0.0)),
                                                number(c, {"decay_rate"}, 0.0), flag(c, "staircase", false));
}

// The optimizer class with the hyper-parameters tapegrad has and a constant rate; others
// (clipnorm, ema, ...) are ignored. Throws std::invalid_argument for unknown classes.
std::shared_ptr<nn::Optimizer> optimizer_of_class(const json& oc) {
  if (oc.is_string()) return nn::get_optimizer(oc.get<std::string>());
  std::string cls = oc.is_object() ? oc.value("class_name", "") : "";
  if (cls.rfind("Custom>", 0) == 0) cls = cls.substr(7);  // tf.keras 2.11+ registers its optimizers so
  std::transform(cls.begin(), cls.end(), cls.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  const json cfg = oc.is_object() && oc.contains("config") && oc["config"].is_object() ? oc["config"] : json::object();
  if (cls == "adam")
    return std::make_shared<nn::Adam>(number(cfg, {"learning_rate", "lr"}, 0.001), number(cfg, {"beta_1"}, 0.9),
                                      number(cfg, {"beta_2"}, 0.999), number(cfg, {"epsilon"}, 1e-7),
                                      flag(cfg, "amsgrad", false));
  if (cls == "adamw")
    return std::make_shared<nn::AdamW>(number(cfg, {"learning_rate", "lr"}, 0.001), number(cfg, {"weight_decay"}, 0.004),
                                       number(cfg, {"beta_1"}, 0.9), number(cfg, {"beta_2"}, 0.999),
                                       number(cfg, {"epsilon"}, 1e-7), flag(cfg, "amsgrad", false));
  if (cls == "sgd")
    return std::make_shared<nn::SGD>(number(cfg, {"learning_rate", "lr"}, 0.01), number(cfg, {"momentum"}, 0.0),
                                     flag(cfg, "nesterov", false));
  if (cls == "rmsprop")
    return std::make_shared<nn::RMSprop>(number(cfg, {"learning_rate", "lr"}, 0.001), number(cfg, {"rho"}, 0.9),
                                         number(cfg, {"momentum"}, 0.0), number(cfg, {"epsilon"}, 1e-7),
                                         flag(cfg, "centered", false));
  return nn::get_optimizer(cls);  // throws naming the class
}

// An optimizer from {"class_name", "config"} (or a bare name), with its ExponentialDecay schedule.
std::shared_ptr<nn::Optimizer> optimizer_from(const json& oc, const std::string& where) {
  auto opt = optimizer_of_class(oc);
  const json cfg = oc.is_object() && oc.contains("config") && oc["config"].is_object() ? oc["config"] : json::object();
  const json lr = cfg.contains("learning_rate") ? cfg["learning_rate"] : cfg.value("lr", json());
  if (auto schedule = schedule_from(lr))
    opt->set_learning_rate(std::move(schedule));
  else if (!lr.is_null() && !lr.is_number())
    std::cerr << "tapegrad: load_model(" << where << "): learning_rate " << lr.dump()
              << " is neither a number nor an ExponentialDecay; using the optimizer's default\n";
  return opt;
}

// The loss as model.compile saves it: the function name for a default loss (what
// compile(loss="...") writes), the Keras loss object when it differs from the default, so
// from_logits survives a round trip. Keys are constructor arguments of that Keras class.
json loss_json(const nn::Loss& loss, bool keras3) {
  std::string cls;
  bool from_logits = false;
  if (const auto* l = dynamic_cast<const nn::SparseCategoricalCrossentropy*>(&loss))
    cls = "SparseCategoricalCrossentropy", from_logits = l->from_logits;
  else if (const auto* c = dynamic_cast<const nn::CategoricalCrossentropy*>(&loss))
    cls = "CategoricalCrossentropy", from_logits = c->from_logits;
  else if (const auto* b = dynamic_cast<const nn::BinaryCrossentropy*>(&loss))
    cls = "BinaryCrossentropy", from_logits = b->from_logits;
  if (!from_logits) return loss.name();
  json cfg = {{"name", loss.name()}, {"reduction", keras3 ? "sum_over_batch_size" : "auto"}, {"from_logits", true}};
  if (cls != "SparseCategoricalCrossentropy") cfg["label_smoothing"] = 0.0, cfg["axis"] = -1;
  if (keras3) return {{"module", "keras.losses"}, {"class_name", cls}, {"config", cfg}, {"registered_name", nullptr}};
  return {{"class_name", cls}, {"config", cfg}};
}

// A saved loss: a function name, or a {class_name, config} object from either Keras generation.
std::shared_ptr<nn::Loss> loss_from(const json& j) {
  if (j.is_string()) return nn::get_loss(j.get<std::string>());
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string())
    fail("the loss is neither a name nor a {class_name, config} object: ", j.dump());
  const std::string cls = j["class_name"].get<std::string>();
  const json cfg = j.contains("config") && j["config"].is_object() ? j["config"] : json::object();
  const bool logits = flag(cfg, "from_logits", false);
  if (cls == "SparseCategoricalCrossentropy") return std::make_shared<nn::SparseCategoricalCrossentropy>(logits);
  if (cls == "CategoricalCrossentropy") return std::make_shared<nn::CategoricalCrossentropy>(logits);
  if (cls == "BinaryCrossentropy") return std::make_shared<nn::BinaryCrossentropy>(logits);
  if (cls == "MeanSquaredError") return std::make_shared<nn::MeanSquaredError>();
  fail("unsupported loss class '", cls,
       "'; supported: SparseCategoricalCrossentropy, CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError");
}

}  // namespace

json compile_config(const nn::Sequential& model, bool keras3) {
  const nn::Optimizer& opt = *model.optimizer();
  const json loss = loss_json(*model.loss(), keras3);
  json metrics = nullptr;
  if (!model.metrics().empty()) {
    metrics = json::array();
    if (keras3) {
      for (const auto& m : model.metrics()) metrics.push_back(m->name());
    } else {  // tf.keras 2.10 saves the compiled metric objects, one list per output
      json per_output = json::array();
      for (const auto& m : model.metrics())
        per_output.push_back({{"class_name", "MeanMetricWrapper"},
                              {"config", {{"name", m->name()}, {"dtype", "float32"}, {"fn", metric_fn(*m)}}}});
      metrics.push_back(std::move(per_output));
    }
  }
  if (keras3)
    return {{"optimizer", optimizer_json(opt, true)},
            {"loss", loss},
            {"loss_weights", nullptr},
            {"metrics", metrics},
            {"weighted_metrics", nullptr},
            {"run_eagerly", false},
            {"steps_per_execution", 1},
            {"jit_compile", false}};
  return {{"loss", loss},
          {"metrics", metrics},
          {"weighted_metrics", nullptr},
          {"loss_weights", nullptr},
          {"optimizer_config", optimizer_json(opt, false)}};
}

std::vector<KerasWeight> optimizer_weights(const nn::Sequential& model, bool keras3) {
  const nn::Optimizer& opt = *model.optimizer();
  const std::vector<Variable> vars = model.trainable_variables();
  const auto state = opt.state(vars);  // header, then kind-major: kinds x variables
  const std::size_t h = header_size(opt), kinds = opt.slot_names().size(), n = vars.size();
  if (state.size() != h + kinds * n)
    fail<std::logic_error>("optimizer_weights: ", opt.name(), ".state gave ", state.size(), " slots, expected ", h + kinds * n);
  std::vector<KerasWeight> out;
  if (keras3) {
    // Keras 3 builds its slots variable by variable (adam: v0 momentum, v0 velocity, v1 ...);
    // a native file stores them by position only.
    out.push_back(to_weight(state[0].name, state[0].value));
    // Keras 3 keeps a constant rate in a float32 variable; loading prefers the config's double
    // when it rounds to the stored float, so a resume stays exact.
    if (h == 2) out.push_back(to_weight(state[1].name, state[1].value.to(DType::float32)));
    if (opt.iterations() == 0) return out;  // Keras 3 builds the slots at the first step
    for (std::size_t v = 0; v < n; ++v)
      for (std::size_t k = 0; k < kinds; ++k) out.push_back(to_weight(state[h + k * n + v].name, state[h + k * n + v].value));
    return out;
  }
  // tf.keras 2.10 has optimizer variables only after the first step.
  if (opt.iterations() == 0) return out;
  const auto tf2 = tf2_slot_kinds(opt);
  if (tf2.empty()) {  // AdamW: Keras 3's names, as its config
    for (const auto& s : state) out.push_back(to_weight(s.name, s.value));
    return out;
  }
  // "Adam/iter:0", then per kind per variable "Adam/dense/kernel/m:0"; the rate is in the config.
  out.push_back(to_weight(opt.name() + "/iter:0", state[0].value));
  for (std::size_t k = 0; k < kinds; ++k)
    for (std::size_t v = 0; v < n; ++v)
      out.push_back(to_weight(opt.name() + "/" + vars[v].name() + "/" + tf2.at(opt.slot_names()[k]) + ":0",
                              state[h + k * n + v].value));
  return out;
}

bool compile_from_config(nn::Sequential& model, const json& tc, const std::string& where) {
  if (!tc.is_object() || !tc.contains("loss") || tc["loss"].is_null()) return false;
  const json* oc = tc.contains("optimizer_config") ? &tc["optimizer_config"] : tc.contains("optimizer") ? &tc["optimizer"] : nullptr;
  if (!oc) return false;
  try {
    auto opt = optimizer_from(*oc, where);
    auto loss = loss_from(tc["loss"]);
    std::vector<std::pair<std::string, std::string>> found;
    if (tc.contains("metrics")) collect_metrics(tc["metrics"], found);
    std::vector<std::string> metrics;
    for (const auto& [name, fn] : found) {
      std::string use;
      for (const std::string& candidate : {name, fn}) {
        if (candidate.empty() || !use.empty()) continue;
        try {
          nn::get_metric(candidate, loss->name());
          use = candidate;
        } catch (const std::invalid_argument&) {
        }
      }
      if (use.empty()) std::cerr << "tapegrad: load_model(" << where << "): metric '" << name << "' is not supported; left out\n";
      else metrics.push_back(use);
    }
    model.compile(opt, loss, metrics);
    return true;
  } catch (const std::invalid_argument& e) {
    std::cerr << "tapegrad: load_model(" << where << "): the model is not compiled: " << e.what() << "\n";
    return false;
  }
}

bool restore_optimizer_state(nn::Sequential& model, const KerasModel& km, const std::string& where) {
  if (km.optimizer_weights.empty() || !model.optimizer()) return false;
  nn::Optimizer& opt = *model.optimizer();
  const std::vector<Variable> vars = model.trainable_variables();
  const auto expected = opt.state(vars);
  const std::size_t h = header_size(opt), kinds = opt.slot_names().size(), n = vars.size();
  std::map<std::string, std::size_t> index;  // tapegrad slot name -> position in `expected`
  for (std::size_t i = 0; i < expected.size(); ++i) index[expected[i].name] = i;

  std::vector<const KerasWeight*> given(expected.size(), nullptr);
  auto assign = [&](std::size_t i, const KerasWeight& w) {
    if (i >= given.size() || given[i]) return false;
    given[i] = &w;
    return true;
  };
  const auto& ws = km.optimizer_weights;
  bool mapped = false;
  const bool native = km.format == "keras3-weights-h5" || km.format == "keras-zip";
  if (native) {
    // Positions in Keras 3's order: header, then variable-major.
    if (ws.size() == expected.size() || ws.size() == h) {
      mapped = true;
      for (std::size_t p = 0; p < ws.size() && mapped; ++p) {
        const std::size_t i = p < h ? p : h + ((p - h) % kinds) * n + (p - h) / kinds;
        mapped = assign(i, ws[p]);
      }
    }
  } else {
    // tapegrad's own names (Keras 3's), possibly with the model name Keras 3's legacy writer
    // puts in front of the variable path ("adam/sequential_dense_kernel_momentum").
    mapped = true;
    const std::string model_prefix = km.model_name.empty() ? "" : km.model_name + "_";
    for (const auto& w : ws) {
      auto it = index.find(w.name);
      const auto slash = w.name.find('/');
      if (it == index.end() && !model_prefix.empty() && slash != std::string::npos &&
          w.name.compare(slash + 1, model_prefix.size(), model_prefix) == 0)
        it = index.find(w.name.substr(0, slash + 1) + w.name.substr(slash + 1 + model_prefix.size()));
      if (it == index.end() || !assign(it->second, w)) {
        mapped = false;
        break;
      }
    }
    // tf.keras 2.x optimizer_v2: "<name>/iter:0", "<name>/<var>/<m|v|...>:0"; the rate is not saved.
    const auto tf2 = tf2_slot_kinds(opt);
    if (!mapped && !tf2.empty()) {
      std::fill(given.begin(), given.end(), nullptr);
      std::map<std::string, std::size_t> tf2_index{{"iter:0", 0}};
      for (std::size_t k = 0; k < kinds; ++k)
        for (std::size_t v = 0; v < n; ++v)
          tf2_index[vars[v].name() + "/" + tf2.at(opt.slot_names()[k]) + ":0"] = h + k * n + v;
      mapped = true;
      for (const auto& w : ws) {
        const auto slash = w.name.find('/');
        const auto it = slash == std::string::npos ? tf2_index.end() : tf2_index.find(w.name.substr(slash + 1));
        if (it == tf2_index.end() || !assign(it->second, w)) {
          mapped = false;
          break;
        }
      }
    }
  }
  // Keras 3 stores only iterations (0) and the rate until the optimizer is built (its first step);
  // a count past 0 without slots is inconsistent and starts fresh.
  const bool header_only = mapped && given[0] && given[0]->values == std::vector<double>{0.0} &&
                           std::all_of(given.begin() + static_cast<std::ptrdiff_t>(h), given.end(),
                                       [](const KerasWeight* w) { return !w; });
  std::vector<nn::Optimizer::Slot> slots;
  for (std::size_t i = 0; mapped && i < expected.size(); ++i) {
    if (i == 1 && h == 2 && given[i] && given[i]->values.size() == 1 &&
        static_cast<float>(given[i]->values[0]) == static_cast<float>(expected[i].value.item())) {
      slots.push_back(expected[i]);  // the config's rate, of which the file holds a float32 rounding
    } else if (given[i]) {
      const KerasWeight& w = *given[i];
      const DType dt = w.dtype == "int64" ? DType::int64 : w.dtype == "float64" ? DType::float64 : DType::float32;
      slots.push_back({expected[i].name, Tensor::from_vector(w.values, Shape(w.shape)).to(dt)});
    } else if (i == 1 && h == 2) {
      slots.push_back(expected[i]);  // the constant rate compile_from_config took from the config
    } else if (header_only) {
      slots.push_back(expected[i]);  // a fresh (zero) slot
    } else {
      mapped = false;
    }
  }
  if (mapped) {
    try {
      opt.load_state(vars, slots);  // checks every shape first; all or nothing
      return true;
    } catch (const std::invalid_argument& e) {
      std::cerr << "tapegrad: load_model(" << where << "): " << e.what() << "\n";
    }
  }
  std::cerr << "tapegrad: load_model(" << where
            << "): the saved optimizer state does not match the model's variables; the optimizer starts fresh\n";
  return false;
}

}  // namespace tg::io::detail
