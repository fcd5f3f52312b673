// Readers: legacy HDF5 (full and weights-only), Keras 3 native .weights.h5, .keras zip.
#include <zip.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>

#include "core/error.hpp"
#include "io/keras_internal.hpp"
#include "nn/model_config.hpp"

namespace tg::io {

using nlohmann::json;

namespace {

// A name list attribute, concatenating the `name0, name1, ...` chunks Keras writes for lists
// over 64512 bytes.
std::vector<std::string> read_name_list(const h5::Object& obj, const std::string& name, bool required) {
  if (obj.has_attr(name)) return obj.read_string_list_attr(name);
  std::vector<std::string> all;
  int k = 0;
  for (; obj.has_attr(name + std::to_string(k)); ++k) {
    auto part = obj.read_string_list_attr(name + std::to_string(k));
    all.insert(all.end(), part.begin(), part.end());
  }
  if (k == 0 && required) obj.fail("missing attribute '" + name + "'");
  return all;
}

std::string optional_string_attr(const h5::Object& obj, const std::string& name) {
  return obj.has_attr(name) ? obj.read_string_attr(name) : std::string();
}

json parse_json_attr(const h5::Object& obj, const std::string& name) {
  const std::string text = obj.read_string_attr(name);
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    obj.fail("attribute '" + name + "' is not valid JSON (" + e.what() + ")");
  }
}

KerasWeight read_weight(const h5::Group& g, const std::string& rel, std::string name) {
  const h5::Dataset ds = g.dataset(rel);
  KerasWeight w;
  w.name = std::move(name);
  w.shape = ds.shape();
  w.values = ds.read_double();
  w.h5_path = ds.path();
  w.dtype = ds.dtype_name();
  return w;
}

std::string last_component(const std::string& s) {
  const auto slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

KerasModel read_legacy(const h5::File& f, bool full) {
  KerasModel m;
  m.format = full ? "legacy-h5-full" : "legacy-h5-weights";
  const h5::Group wg = full ? f.group("model_weights") : f.group("/");
  m.keras_version = optional_string_attr(f, "keras_version");
  if (m.keras_version.empty()) m.keras_version = optional_string_attr(wg, "keras_version");
  m.backend = optional_string_attr(f, "backend");
  if (m.backend.empty()) m.backend = optional_string_attr(wg, "backend");

  nn::ModelConfigInfo parsed;
  if (f.has_attr("model_config")) {
    m.model_config = parse_json_attr(f, "model_config");
    try {
      parsed = nn::describe_model_config(m.model_config, f.file_path());
    } catch (const std::invalid_argument& e) {
      throw FileError(e.what());
    }
    m.model_name = parsed.model_name;
    if (parsed.has_input_shape) m.input_shape = parsed.input_shape.to_vector();
  }
  if (f.has_attr("training_config")) m.training_config = parse_json_attr(f, "training_config");

  // layer_names is the authority for order and membership; the config supplies class and config.
  for (const std::string& lname : read_name_list(wg, "layer_names", true)) {
    KerasLayer l;
    l.name = lname;
    for (const auto& c : parsed.layers)
      if (c.name == lname) {
        l.class_name = c.class_name;
        l.config = c.config;
        break;
      }
    if (!wg.has_group(lname)) wg.fail("layer '" + lname + "' is listed in layer_names but has no group");
    const h5::Group lg = wg.group(lname);
    for (const std::string& entry : read_name_list(lg, "weight_names", false)) {
      KerasWeight w = read_weight(lg, entry, last_component(entry));
      w.stored_name = entry;
      l.weights.push_back(std::move(w));
    }
    m.layers.push_back(std::move(l));
  }
  if (full && f.has_group("optimizer_weights")) {
    const h5::Group og = f.group("optimizer_weights");
    for (const std::string& entry : read_name_list(og, "weight_names", false)) {
      KerasWeight w = read_weight(og, entry, entry);
      w.stored_name = entry;
      m.optimizer_weights.push_back(std::move(w));
    }
  }
  return m;
}

// Sorts native keys as Keras numbers them: dense, dense_1, dense_2, ..., dense_10.
bool key_less(const std::string& a, const std::string& b) {
  auto split = [](const std::string& k) {
    const auto us = k.rfind('_');
    if (us != std::string::npos && us + 1 < k.size() &&
        std::all_of(k.begin() + static_cast<std::ptrdiff_t>(us) + 1, k.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        k.size() - us < 12)
      return std::make_pair(k.substr(0, us), std::stol(k.substr(us + 1)));
    return std::make_pair(k, 0L);
  };
  return split(a) < split(b);
}

constexpr int kMaxNativeDepth = 64;  // far beyond any real model's nesting

// A group's name as path components: tf.keras 2.15 on Windows wrote "layers\conv2d" as one name,
// and tf.keras 2.13 called the layer list "_layer_checkpoint_dependencies".
std::vector<std::string> components(const std::string& name) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : name) {
    if (c == '\\') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  for (auto& p : out)
    if (p == "_layer_checkpoint_dependencies") p = "layers";
  return out;
}

void read_native_group(const h5::Group& g, NativeNode& node, int depth) {
  if (depth > kMaxNativeDepth) g.fail("Keras 3 weights nested deeper than " + std::to_string(kMaxNativeDepth) + " levels");
  for (const std::string& name : g.children()) {
    if (!g.has_group(name)) continue;
    const h5::Group child = g.group(name);
    if (name == "vars") {
      node.has_vars = true;
      if (child.has_attr("name")) node.vars_name = child.read_string_attr("name");  // Keras >= 3.6
      for (std::size_t i = 0; child.has_dataset(std::to_string(i)); ++i)
        node.vars.push_back(read_weight(child, std::to_string(i), std::to_string(i)));
      continue;
    }
    NativeNode* target = &node;
    for (const std::string& part : components(name)) target = &target->add_child(part);
    read_native_group(child, *target, depth + 1);
  }
}

// Every variable below a node: its own, then its children's in name order.
void collect_vars(const NativeNode& n, std::vector<KerasWeight>& out) {
  for (const auto& w : n.vars) out.push_back(w);
  for (const auto& [k, c] : n.children) collect_vars(c, out);
}

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};

std::vector<unsigned char> zip_member(zip_t* z, const std::string& path, const char* member, bool required) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(z, member, 0, &st) != 0) {
    if (required) fail<FileError>("not a .keras archive: ", path, " (no ", member, " inside)");
    return {};
  }
  if (!(st.valid & ZIP_STAT_SIZE) || st.size > (std::uint64_t{1} << 34))
    fail<FileError>("corrupt .keras archive: ", path, " (", member, " has no plausible size)");
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> zf(zip_fopen(z, member, 0), zip_fclose);
  if (!zf) fail<FileError>("cannot open ", member, " in ", path, " (", zip_strerror(z), ")");
  std::vector<unsigned char> buf(static_cast<std::size_t>(st.size));
  std::size_t got = 0;
  while (got < buf.size()) {
    const zip_int64_t r = zip_fread(zf.get(), buf.data() + got, buf.size() - got);
    if (r <= 0) fail<FileError>("cannot read ", member, " in ", path, " (corrupt archive?)");
    got += static_cast<std::size_t>(r);
  }
  return buf;
}

json parse_member(const std::vector<unsigned char>& bytes, const std::string& path, const char* member) {
  try {
    return json::parse(bytes.begin(), bytes.end());
  } catch (const json::exception& e) {
    fail<FileError>(member, " in ", path, " is not valid JSON (", e.what(), ")");
  }
}

KerasModel read_zip(const std::string& path) {
  int err = 0;
  std::unique_ptr<zip_t, ZipCloser> z(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err));
  if (!z) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    const std::string why = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    fail<FileError>("not a .keras archive: ", path, " (libzip: ", why, ")");
  }
  const json config = parse_member(zip_member(z.get(), path, "config.json", true), path, "config.json");
  const auto meta_bytes = zip_member(z.get(), path, "metadata.json", false);
  auto weights = zip_member(z.get(), path, "model.weights.h5", false);
  if (weights.empty()) {
    if (!zip_member(z.get(), path, "model.weights.npz", false).empty())
      fail<FileError>("unsupported .keras archive: ", path, " (weights saved as model.weights.npz)");
    fail<FileError>("not a .keras archive: ", path, " (no model.weights.h5 inside)");
  }
  const std::string inner = path + "!model.weights.h5";
  h5::File f = h5::File::open_image(weights, inner);
  KerasModel m = detail::read_native(f, &config, inner);
  m.format = "keras-zip";
  if (!meta_bytes.empty()) {
    const json meta = parse_member(meta_bytes, path, "metadata.json");
    if (meta.contains("keras_version") && meta["keras_version"].is_string())
      m.keras_version = meta["keras_version"].get<std::string>();
  }
  return m;
}

}  // namespace

namespace detail {

KerasModel read_native(const h5::Group& root, const json* config, const std::string& where) {
  KerasModel m;
  m.format = "keras3-weights-h5";
  read_native_group(root, m.native, 0);
  const NativeNode* layers = m.native.child("layers");
  if (config) {
    m.model_config = *config;
    if (config->contains("compile_config")) m.training_config = (*config)["compile_config"];
    nn::ModelConfigInfo parsed;
    try {
      parsed = nn::describe_model_config(*config, where);
    } catch (const std::invalid_argument& e) {
      throw FileError(e.what());
    }
    m.model_name = parsed.model_name;
    if (parsed.has_input_shape) m.input_shape = parsed.input_shape.to_vector();
    std::vector<std::string> classes;
    for (const auto& e : parsed.layers) classes.push_back(e.class_name);
    const auto keys = keras3_layer_keys(classes);
    std::vector<std::string> used;
    for (std::size_t i = 0; i < parsed.layers.size(); ++i) {
      KerasLayer l;
      l.class_name = parsed.layers[i].class_name;
      l.name = parsed.layers[i].name;
      l.config = parsed.layers[i].config;
      if (const NativeNode* n = layers ? layers->child(keys[i]) : nullptr) collect_vars(*n, l.weights);
      used.push_back(keys[i]);
      m.layers.push_back(std::move(l));
    }
    if (layers)  // weights the config does not account for: refuse to guess
      for (const auto& [k, n] : layers->children)
        if (std::find(used.begin(), used.end(), k) == used.end() && n.param_count() > 0)
          fail<FileError>("Keras 3 weights in ", where, ": group layers/", k,
                          " holds variables but matches no layer of config.json");
  } else if (layers) {
    std::vector<std::string> keys;
    for (const auto& [k, n] : layers->children) keys.push_back(k);
    std::sort(keys.begin(), keys.end(), key_less);
    for (const auto& key : keys) {
      const NativeNode& n = *layers->child(key);
      KerasLayer l;
      l.name = n.vars_name.empty() ? key : n.vars_name;
      collect_vars(n, l.weights);
      m.layers.push_back(std::move(l));
    }
  }
  if (const NativeNode* v = m.native.child("vars"); v && m.model_name.empty()) m.model_name = v->vars_name;
  if (m.model_name.empty() && m.native.has_vars) m.model_name = m.native.vars_name;
  if (const NativeNode* opt = m.native.child("optimizer")) m.optimizer_weights = opt->vars;
  return m;
}

}  // namespace detail

KerasModel read_keras_file(const std::string& path) {
  h5::silence_errors();
  std::string why;
  if (!h5::has_hdf5_signature(path, &why)) {
    if (why == "no HDF5 signature") {
      char head[4] = {};
      std::ifstream in(path, std::ios::binary);
      if (in.read(head, 4) && std::memcmp(head, "PK\x03\x04", 4) == 0) return read_zip(path);
    }
    fail<FileError>("not an HDF5 file (nor a .keras zip): ", path, " (", why, ")");
  }
  const h5::File f = h5::File::open(path);
  if (f.has_attr("layer_names") || f.has_attr("layer_names0")) return read_legacy(f, false);
  if (f.has_group("model_weights")) return read_legacy(f, true);
  if (f.has_group("layers") || f.has_group("vars") || f.has_group("_layer_checkpoint_dependencies"))
    return detail::read_native(f, nullptr, path);
  fail<FileError>("not a Keras file: ", path,
                  " (HDF5, but no layer_names attribute, model_weights group or Keras 3 layers group)");
}

}  // namespace tg::io
