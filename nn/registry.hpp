#pragma once
/// \file
/// The Keras registry: every Keras class tapegrad has (layers, models, optimizers, losses,
/// metrics, initializers, learning-rate schedules) is found here by its Keras class name, with the
/// factory that builds it from a config (Keras' `from_config`). File readers build models through
/// it and never name a class; a user's own class registered here round-trips through every Keras
/// file format, as Keras' `custom_objects` / `register_keras_serializable` allow:
///
///     class Scale : public tg::nn::LayerBase<Scale> { ... };   // class_name(), get_config(), from_config()
///     tg::nn::register_layer<Scale>("Scale");                   // now load_model() finds it
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "nn/config.hpp"

namespace tg::nn {

class Layer;
class Optimizer;
class Loss;
class Metric;
class Initializer;
class LearningRateSchedule;

/// Keras class name -> factory, for one kind of object.
template <class Base>
class Registry {
 public:
  using Factory = std::function<std::shared_ptr<Base>(const Config& config)>;
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  /// Adds or replaces (a user's class may shadow a built-in one) the factory for `class_name`;
  /// `module` is what Keras 3 files record ("keras.layers"; a user's classes: "custom").
  void add(const std::string& class_name, const std::string& module, Factory factory) {
    std::lock_guard lock(mu_);
    entries_[class_name] = {module, std::move(factory)};
  }
  bool contains(const std::string& class_name) const {
    std::lock_guard lock(mu_);
    return entries_.count(class_name) != 0;
  }
  /// A layer's example for the conformance check every registered layer passes
  /// (tests/nn/test_registry.cpp): {"config": {...}, "input_shapes": [[4], ...]} (per-example
  /// shapes); it is how a new layer gets tested by registering.
  void add_example(const std::string& class_name, Config example) {
    std::lock_guard lock(mu_);
    examples_[class_name] = std::move(example);
  }
  Config example(const std::string& class_name) const {
    std::lock_guard lock(mu_);
    auto it = examples_.find(class_name);
    return it == examples_.end() ? Config() : it->second;
  }

  /// The module recorded with the class ("keras.layers"), or "" when unknown.
  std::string module_of(const std::string& class_name) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(class_name);
    return it == entries_.end() ? std::string() : it->second.module;
  }
  /// Builds an object from its config; an unknown class throws naming `where`, the class and
  /// every class the registry holds.
  std::shared_ptr<Base> create(const std::string& class_name, const Config& config, const std::string& where) const {
    Factory f;
    {
      std::lock_guard lock(mu_);
      auto it = entries_.find(class_name);
      if (it != entries_.end()) f = it->second.factory;
    }
    if (!f && class_name.empty())
      fail<std::invalid_argument>(where, ": the ", kind_, " entry's class_name is empty; known ", kind_,
                                  " classes: ", list());
    if (!f)
      fail<std::invalid_argument>(where, ": unknown ", kind_, " class '", shorten(class_name), "'; known ", kind_,
                                  " classes: ", list());
    return f(config);
  }
  std::vector<std::string> names() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [k, e] : entries_) out.push_back(k);
    return out;
  }
  /// "Add, Concatenate, Dense, ..." for messages.
  std::string list() const {
    std::string s;
    for (const std::string& n : names()) s += (s.empty() ? "" : ", ") + n;
    return s;
  }

 private:
  struct Entry {
    std::string module;
    Factory factory;
  };
  std::string kind_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, Config> examples_;
};

/// The registries, with tapegrad's classes registered on first use.
Registry<Layer>& layer_registry();
Registry<Optimizer>& optimizer_registry();
Registry<Loss>& loss_registry();
Registry<Metric>& metric_registry();
Registry<Initializer>& initializer_registry();
Registry<LearningRateSchedule>& schedule_registry();

/// Registers layer class T under `class_name`: T::from_config(const Config&) must return a
/// std::shared_ptr<T>, and T::class_name() must return `class_name`.
template <class T>
void register_layer(const std::string& class_name, const std::string& module = "custom") {
  layer_registry().add(class_name, module, [](const Config& c) -> std::shared_ptr<Layer> { return T::from_config(c); });
}

}  // namespace tg::nn
