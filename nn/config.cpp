#include "nn/config.hpp"

#include <cctype>

#include "core/error.hpp"

namespace tg::nn {

std::string keras_snake_case(const std::string& class_name) {
  // Keras: drop non-word chars, then "(.)([A-Z][a-z]+)" -> "\1_\2", then "([a-z])([A-Z])" -> "\1_\2".
  std::string s;
  for (char c : class_name)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') s += c;
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  std::string a;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && upper(s[i]) && i + 1 < s.size() && lower(s[i + 1])) a += '_';
    a += s[i];
  }
  std::string b;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i > 0 && lower(a[i - 1]) && upper(a[i])) b += '_';
    b += a[i];
  }
  for (char& c : b) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return b;
}

Config serialize_object(const std::string& module, const std::string& class_name, Config config, KerasFormat format) {
  if (format == KerasFormat::keras2) return {{"class_name", class_name}, {"config", std::move(config)}};
  return {{"module", module}, {"class_name", class_name}, {"config", std::move(config)}, {"registered_name", nullptr}};
}

Config dtype_config(DType dtype, KerasFormat format) {
  const std::string name = dtype_name(dtype);
  if (format == KerasFormat::keras2) return name;
  return serialize_object("keras", "DTypePolicy", {{"name", name}}, format);
}

Config batch_shape_config(const Shape& shape) {
  Config j = Config::array({nullptr});
  for (std::int64_t d : shape) j.push_back(d < 0 ? Config(nullptr) : Config(d));
  return j;
}

std::string shorten(const std::string& s, std::size_t limit) {
  if (s.size() <= limit) return s;
  return s.substr(0, limit) + "... (" + std::to_string(s.size()) + " characters)";
}

ConfigReader::ConfigReader(const Config& config, std::string where) : config_(config), where_(std::move(where)) {
  if (!config_.is_object()) tg::fail<std::invalid_argument>(where_, ": the config is not a JSON object: ", shorten(config_.dump()));
}

bool ConfigReader::has(const std::string& key) const { return config_.contains(key) && !config_[key].is_null(); }

const Config& ConfigReader::raw(const std::string& key) const {
  static const Config null;
  return config_.contains(key) ? config_[key] : null;
}

void ConfigReader::fail(const std::string& key, const std::string& what) const {
  tg::fail<std::invalid_argument>(where_, ": config key '", key, "' ", what, ", got ", shorten(raw(key).dump()));
}

std::int64_t ConfigReader::get_int(const std::string& key, std::int64_t fallback) const {
  if (!has(key)) return fallback;
  const Config& v = config_[key];
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<std::int64_t>(v.get<double>())) &&
      std::abs(v.get<double>()) < 9e15)
    return static_cast<std::int64_t>(v.get<double>());
  fail(key, "must be an integer");
}

std::int64_t ConfigReader::require_int(const std::string& key) const {
  if (!has(key)) fail(key, "is required");
  return get_int(key, 0);
}

double ConfigReader::get_double(const std::string& key, double fallback) const {
  if (!has(key)) return fallback;
  if (!config_[key].is_number()) fail(key, "must be a number");
  return config_[key].get<double>();
}

bool ConfigReader::get_bool(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const Config& v = config_[key];
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  fail(key, "must be a boolean");
}

std::string ConfigReader::get_string(const std::string& key, const std::string& fallback) const {
  if (!has(key)) return fallback;
  if (!config_[key].is_string()) fail(key, "must be a string");
  return config_[key].get<std::string>();
}

std::vector<std::int64_t> ConfigReader::get_ints(const std::string& key, std::size_t n, std::int64_t fallback) const {
  if (!has(key)) return std::vector<std::int64_t>(n, fallback);
  const Config& v = config_[key];
  if (v.is_number_integer()) return std::vector<std::int64_t>(n, v.get<std::int64_t>());
  if (!v.is_array() || v.size() != n) fail(key, "must be an integer or a list of " + std::to_string(n) + " integers");
  std::vector<std::int64_t> out;
  for (const auto& e : v) {
    if (!e.is_number_integer()) fail(key, "must hold integers");
    out.push_back(e.get<std::int64_t>());
  }
  return out;
}

Shape ConfigReader::get_batch_shape(const std::string& key) const {
  const Config& v = raw(key);
  if (!v.is_array() || v.empty() || v.size() > 9) fail(key, "must be a list [null, d1, ...] of at most 9 entries");
  Shape s;
  for (std::size_t i = 1; i < v.size(); ++i) {
    if (v[i].is_null()) s.push_back(-1);
    else if (v[i].is_number_integer() && v[i].get<std::int64_t>() >= 0) s.push_back(v[i].get<std::int64_t>());
    else fail(key, "must hold non-negative integers or null");
  }
  return s;
}

DType ConfigReader::get_dtype(const std::string& key) const {
  const Config& v = raw(key);
  std::string name = "float32";
  if (v.is_string()) {
    name = v.get<std::string>();
  } else if (v.is_object()) {  // DTypePolicy {"config": {"name": ...}} or {"name": ...}
    if (v.contains("config") && v["config"].is_object() && v["config"].contains("name") && v["config"]["name"].is_string())
      name = v["config"]["name"].get<std::string>();
    else if (v.contains("name") && v["name"].is_string())
      name = v["name"].get<std::string>();
  }
  if (name == "float32") return DType::float32;
  if (name == "float64") return DType::float64;
  fail(key, "names a dtype tapegrad layers cannot compute in (float32 or float64 expected)");
}

std::string activation_name(const Config& activation) {
  if (activation.is_null()) return "linear";
  if (activation.is_string()) return activation.get<std::string>();
  if (activation.is_object())
    for (const char* key : {"config", "registered_name", "class_name"})
      if (activation.contains(key) && activation[key].is_string()) return activation[key].get<std::string>();
  return activation.dump();
}

}  // namespace tg::nn
