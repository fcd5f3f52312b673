// A compiled model's training state in Keras files: the compile config (legacy
// `training_config` in tf.keras 2.10's form, `.keras` `compile_config` in Keras 3's) and the
// optimizer state (tf.keras 2.10 `optimizer_weights` names, Keras 3 `optimizer/vars` positions),
// both ways. Every class describes itself (get_config, compile_config, tf2_slot_names); nothing
// here names one.
#include "io/keras_compile.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <stdexcept>

#include "core/error.hpp"
#include "nn/metrics.hpp"
#include "nn/optimizers.hpp"
#include "nn/registry.hpp"

namespace tg::io::detail {

using nlohmann::json;

namespace {

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

// One output's metrics as tf.keras 2.10 saves compiled metrics: MeanMetricWrapper around the
// metric function, or the metric object itself when it is not a function's mean.
json keras2_metric(const nn::Metric& m) {
  if (!m.fn_name().empty())
    return {{"class_name", "MeanMetricWrapper"}, {"config", {{"name", m.name()}, {"dtype", "float32"}, {"fn", m.fn_name()}}}};
  return nn::serialize_object("keras.metrics", m.class_name(), m.get_config(nn::KerasFormat::keras2), nn::KerasFormat::keras2);
}

// Metric names from a Keras config: ["accuracy"], tf.keras 2.8+'s [[{"class_name":
// "MeanMetricWrapper", "config": {"name", "fn", ...}}]], or dicts per output; with the object
// when the entry is one.
struct FoundMetric {
  std::string name, fn;
  json object;
};
void collect_metrics(const json& j, std::vector<FoundMetric>& out, int depth = 0) {
  if (depth > 8) return;  // a compile config nests metrics at most per output and per list
  if (j.is_string()) {
    out.push_back({j.get<std::string>(), "", json()});
  } else if (j.is_array()) {
    for (const auto& e : j) collect_metrics(e, out, depth + 1);
  } else if (j.is_object() && j.contains("class_name")) {  // a serialized metric object
    const json c = j.value("config", json::object());
    const std::string fn = c.is_object() && c.contains("fn") && c["fn"].is_string() ? c["fn"].get<std::string>() : "";
    std::string name = j["class_name"].is_string() ? j["class_name"].get<std::string>() : "";
    if (c.is_object() && c.contains("name") && c["name"].is_string()) name = c["name"].get<std::string>();
    out.push_back({name, fn, j});
  } else if (j.is_object()) {  // {"output_name": [...]}
    for (const auto& v : j) collect_metrics(v, out, depth + 1);
  }
}

}  // namespace

json compile_config(const nn::Model& model, nn::KerasFormat format) {
  const bool keras3 = format == nn::KerasFormat::keras3;
  const nn::Optimizer& opt = *model.optimizer();
  json loss;
  if (model.losses().size() == 1) {
    loss = model.loss()->compile_config(format);
  } else {
    loss = json::array();
    for (const auto& l : model.losses()) loss.push_back(l->compile_config(format));
  }
  json metrics = nullptr;
  if (!model.metric_names().empty()) {
    metrics = json::array();
    if (keras3) {
      for (const auto& m : model.metric_names()) metrics.push_back(m);
    } else {  // tf.keras 2.10 saves the compiled metric objects, one list per output
      const std::size_t per = model.metric_names().size();
      for (std::size_t o = 0; o * per < model.metrics().size(); ++o) {
        json per_output = json::array();
        for (std::size_t k = 0; k < per; ++k) per_output.push_back(keras2_metric(*model.metrics()[o * per + k]));
        metrics.push_back(std::move(per_output));
      }
    }
  }
  json loss_weights = nullptr;
  if (std::any_of(model.loss_weights().begin(), model.loss_weights().end(), [](double w) { return w != 1.0; }))
    loss_weights = model.loss_weights();
  const json optimizer = nn::serialize_object("keras.optimizers", opt.class_name(), opt.get_config(format), format);
  if (keras3)
    return {{"optimizer", optimizer},         {"loss", loss},         {"loss_weights", loss_weights},
            {"metrics", metrics},             {"weighted_metrics", nullptr}, {"run_eagerly", false},
            {"steps_per_execution", 1},       {"jit_compile", false}};
  return {{"loss", loss},
          {"metrics", metrics},
          {"weighted_metrics", nullptr},
          {"loss_weights", loss_weights},
          {"optimizer_config", optimizer}};
}

std::vector<KerasWeight> optimizer_weights(const nn::Model& model, nn::KerasFormat format) {
  const nn::Optimizer& opt = *model.optimizer();
  const std::vector<Variable> vars = model.trainable_variables();
  const auto state = opt.state(vars);  // header, then kind-major: kinds x variables
  const std::size_t h = header_size(opt), kinds = opt.slot_names().size(), n = vars.size();
  if (state.size() != h + kinds * n)
    fail<std::logic_error>("optimizer_weights: ", opt.class_name(), ".state gave ", state.size(), " slots, expected ", h + kinds * n);
  std::vector<KerasWeight> out;
  if (format == nn::KerasFormat::keras3) {
    // Keras 3 builds its slots variable by variable (adam: v0 momentum, v0 velocity, v1 ...);
    // a native file stores them by position only.
    out.push_back(to_weight(state[0].name, state[0].value));
    // Keras 3 keeps a constant rate in a float32 variable; loading prefers the config's double
    // when it rounds to the stored float, so a resume stays exact.
    if (h == 2) out.push_back(to_weight(state[1].name, core::convert(state[1].value, DType::float32)));
    if (opt.iterations() == 0) return out;  // Keras 3 builds the slots at the first step
    for (std::size_t v = 0; v < n; ++v)
      for (std::size_t k = 0; k < kinds; ++k) out.push_back(to_weight(state[h + k * n + v].name, state[h + k * n + v].value));
    return out;
  }
  // tf.keras 2.10 has optimizer variables only after the first step.
  if (opt.iterations() == 0) return out;
  const auto tf2 = opt.tf2_slot_names();
  if (tf2.empty()) {  // no tf.keras 2.10 form (AdamW): Keras 3's names, as its config
    for (const auto& s : state) out.push_back(to_weight(s.name, s.value));
    return out;
  }
  // "Adam/iter:0", then per kind per variable "Adam/dense/kernel/m:0"; the rate is in the config.
  out.push_back(to_weight(opt.class_name() + "/iter:0", state[0].value));
  for (std::size_t k = 0; k < kinds; ++k)
    for (std::size_t v = 0; v < n; ++v)
      out.push_back(to_weight(opt.class_name() + "/" + vars[v].name() + "/" + tf2.at(opt.slot_names()[k]) + ":0",
                              state[h + k * n + v].value));
  return out;
}

bool compile_from_config(nn::Model& model, const json& tc, const std::string& where) {
  if (!tc.is_object() || !tc.contains("loss") || tc["loss"].is_null()) return false;
  const json* oc = tc.contains("optimizer_config") ? &tc["optimizer_config"] : tc.contains("optimizer") ? &tc["optimizer"] : nullptr;
  if (!oc) return false;
  try {
    auto opt = nn::optimizer_from_config(*oc, where);
    std::vector<std::shared_ptr<nn::Loss>> losses;
    const json& lj = tc["loss"];
    if (lj.is_array()) {
      for (const auto& e : lj) losses.push_back(nn::loss_from_config(e, where));
    } else if (lj.is_object() && !lj.contains("class_name")) {  // {"output_name": loss}, in output order
      for (const std::string& name : model.output_names()) {
        if (!lj.contains(name)) fail(where, ": the loss dict has no entry for output '", name, "'");
        losses.push_back(nn::loss_from_config(lj[name], where));
      }
    } else {
      losses.push_back(nn::loss_from_config(lj, where));
    }
    std::vector<FoundMetric> found;
    if (tc.contains("metrics")) collect_metrics(tc["metrics"], found);
    std::vector<std::string> metrics;
    for (const auto& f : found) {
      std::string use;
      for (const std::string& candidate : {f.name, f.fn}) {
        if (candidate.empty() || !use.empty()) continue;
        if (std::find(metrics.begin(), metrics.end(), candidate) != metrics.end()) {
          use = "-";  // the same metric for another output
          continue;
        }
        try {
          nn::get_metric(candidate, losses.front()->name());
          use = candidate;
        } catch (const std::invalid_argument&) {
        }
      }
      if (use.empty()) std::cerr << "tapegrad: load_model(" << where << "): metric '" << nn::shorten(f.name) << "' is not supported; left out\n";
      else if (use != "-") metrics.push_back(use);
    }
    std::vector<double> weights;
    if (tc.contains("loss_weights") && tc["loss_weights"].is_array())
      for (const auto& w : tc["loss_weights"])
        if (w.is_number()) weights.push_back(w.get<double>());
    model.compile(opt, losses, metrics, weights);
    return true;
  } catch (const std::invalid_argument& e) {
    std::cerr << "tapegrad: load_model(" << where << "): the model is not compiled: " << e.what() << "\n";
    return false;
  }
}

bool restore_optimizer_state(nn::Model& model, const KerasModel& km, const std::string& where) {
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
    const auto tf2 = opt.tf2_slot_names();
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
