// The representation's helpers: sizes, lookups, Keras 3's layer keys, weight checks.
#include <map>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "io/keras_internal.hpp"
#include "nn/config.hpp"

namespace tg::io {

std::int64_t KerasWeight::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

NativeNode::NativeNode() = default;
NativeNode::~NativeNode() = default;
NativeNode::NativeNode(const NativeNode&) = default;
NativeNode::NativeNode(NativeNode&&) noexcept = default;
NativeNode& NativeNode::operator=(const NativeNode&) = default;
NativeNode& NativeNode::operator=(NativeNode&&) noexcept = default;

const NativeNode* NativeNode::child(const std::string& key) const {
  for (const auto& [k, n] : children)
    if (k == key) return &n;
  return nullptr;
}

NativeNode& NativeNode::add_child(const std::string& key) {
  for (auto& [k, n] : children)
    if (k == key) return n;
  children.emplace_back(key, NativeNode());
  return children.back().second;
}

std::int64_t NativeNode::param_count() const {
  std::int64_t n = 0;
  for (const auto& w : vars) n += w.numel();
  for (const auto& [k, c] : children) n += c.param_count();
  return n;
}

std::int64_t KerasModel::param_count() const {
  std::int64_t n = 0;
  for (const auto& l : layers)
    for (const auto& w : l.weights) n += w.numel();
  return n;
}

const KerasLayer* KerasModel::find_layer(const std::string& name) const {
  for (const auto& l : layers)
    if (l.name == name) return &l;
  return nullptr;
}

std::vector<std::string> keras3_layer_keys(const std::vector<std::string>& class_names) {
  std::vector<std::string> keys;
  std::set<std::string> used;
  std::map<std::string, int> next;  // per base, the suffix to try next: linear for 10^5 Dense layers
  for (const auto& c : class_names) {
    const std::string base = nn::keras_snake_case(c);
    std::string key = base;
    if (used.count(key)) {
      int& i = next[base];
      if (i < 1) i = 1;
      for (key = base + "_" + std::to_string(i); used.count(key); key = base + "_" + std::to_string(++i)) {
      }
    }
    used.insert(key);
    keys.push_back(key);
  }
  return keys;
}

namespace detail {

nlohmann::json parse_json_text(std::string_view text, const std::string& what) {
  if (text.size() > kMaxJsonBytes)
    fail<FileError>(what, " is ", text.size(), " bytes of JSON, more than the limit of ", kMaxJsonBytes);
  int depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        fail<FileError>(what, " is JSON nested deeper than ", kMaxJsonDepth, " levels (at byte ", i, ")");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    fail<FileError>(what, " is not valid JSON (", e.what(), ")");
  }
}

void check_weight(const std::string& op, const std::string& path, const std::string& layer, const KerasWeight& w) {
  std::uint64_t n = 1;
  std::ostringstream shape;
  shape << "(";
  for (std::size_t i = 0; i < w.shape.size(); ++i) {
    if (w.shape[i] < 0) fail<ShapeError>(op, " ", path, ": layer '", layer, "' weight '", w.name, "' has a negative dimension");
    n *= static_cast<std::uint64_t>(w.shape[i]);
    shape << (i ? ", " : "") << w.shape[i];
  }
  shape << (w.shape.size() == 1 ? ",)" : ")");
  if (n != w.values.size())
    fail<ShapeError>(op, " ", path, ": layer '", layer, "' weight '", w.name, "': shape ", shape.str(), " needs ", n,
                     " values, got ", w.values.size());
}

h5::NumType num_type(const std::string& dtype) {
  if (dtype == "float64") return h5::NumType::float64;
  if (dtype == "float16") return h5::NumType::float16;
  if (dtype.rfind("int", 0) == 0 || dtype.rfind("uint", 0) == 0) return h5::NumType::int64;
  return h5::NumType::float32;
}

}  // namespace detail
}  // namespace tg::io
