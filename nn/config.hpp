#pragma once
/// \file
/// Keras configs: the JSON dicts of get_config() / from_config(), and what every Keras class uses
/// to write and read them. A config is written in one of two forms:
///   * KerasFormat::keras2 — tf.keras 2.x / legacy `.h5`: nested objects (initializers, schedules)
///     as {"class_name", "config"}, dtype as a string ("float32");
///   * KerasFormat::keras3 — Keras 3 `.keras`: nested objects with "module" and "registered_name",
///     dtype as a DTypePolicy object.
/// Readers accept both, and the older forms Keras 2.0-2.3 wrote.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/shape.hpp"

namespace tg::nn {

using Config = nlohmann::json;

enum class KerasFormat { keras2, keras3 };

/// Keras 3's to_snake_case: "Dense" -> "dense", "MaxPooling2D" -> "max_pooling2d",
/// "BatchNormalization" -> "batch_normalization" (auto-names and `.keras` weight keys).
std::string keras_snake_case(const std::string& class_name);

/// A nested Keras object in `format`'s form: {"class_name", "config"}, plus "module" and
/// "registered_name" for keras3.
Config serialize_object(const std::string& module, const std::string& class_name, Config config, KerasFormat format);
/// "float32" (keras2) or {"module": "keras", "class_name": "DTypePolicy", "config": {"name": ...}} (keras3).
Config dtype_config(DType dtype, KerasFormat format);
/// A shape with a leading null batch dimension ([null, 28, 28]); negative dims become null.
Config batch_shape_config(const Shape& shape);

/// Reads a config with errors that name the object ("Dense 'dense_1'"), the key, what was expected
/// and what the config holds. Absent keys and JSON null take the default.
class ConfigReader {
 public:
  ConfigReader(const Config& config, std::string where);
  const std::string& where() const { return where_; }
  /// Present and not null.
  bool has(const std::string& key) const;
  const Config& raw(const std::string& key) const;  // null Config when absent
  std::int64_t get_int(const std::string& key, std::int64_t fallback) const;
  std::int64_t require_int(const std::string& key) const;
  double get_double(const std::string& key, double fallback) const;
  /// JSON booleans, and 0/1 numbers as older tapegrad files wrote them.
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  /// A tuple of n integers, or one integer repeated n times (kernel_size 3 -> (3, 3)).
  std::vector<std::int64_t> get_ints(const std::string& key, std::size_t n, std::int64_t fallback) const;
  /// A shape without the batch dimension from a [null, d1, ...] list (null dims -> -1).
  Shape get_batch_shape(const std::string& key) const;
  /// The layer dtype: a string or a DTypePolicy-like object; float32 when absent. Throws for
  /// dtypes tapegrad cannot compute in (float16 policies compute in float32 as Keras' do not: refused).
  DType get_dtype(const std::string& key = "dtype") const;
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;

 private:
  const Config& config_;
  std::string where_;
};

/// An activation config value as a name: "relu", or a serialized-function dict.
std::string activation_name(const Config& activation);

/// Messages echo names from files: long ones are shortened to 200 characters with their length.
std::string shorten(const std::string& s, std::size_t limit = 200);

}  // namespace tg::nn
