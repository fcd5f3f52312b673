// Readers: legacy HDF5 (full and weights-only), Keras 3 native .weights.h5, .keras zip.
#include <zip.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>

#include "core/error.hpp"
#include "io/keras_internal.hpp"

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

  detail::ParsedConfig parsed;
  if (f.has_attr("model_config")) {
    m.model_config = parse_json_attr(f, "model_config");
    parsed = detail::parse_model_config(m.model_config, f.file_path());
    m.model_name = parsed.model_name;
    m.input_shape = parsed.input_shape;
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

std::vector<KerasWeight> read_vars(const h5::Group& vars, const std::string& snake, const json& config) {
  std::size_t n = 0;
  while (vars.has_dataset(std::to_string(n))) ++n;
  const auto names = detail::native_weight_names(snake, config, n);
  std::vector<KerasWeight> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(read_weight(vars, std::to_string(i), names[i]));
  return out;
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
  // tf.keras 2.13 used `_layer_checkpoint_dependencies`; Keras 3 reads both.
  const std::string container = root.has_group("layers") ? "layers"
                                : root.has_group("_layer_checkpoint_dependencies") ? "_layer_checkpoint_dependencies"
                                                                                   : "";
  std::vector<std::string> file_keys;
  if (!container.empty()) file_keys = root.group(container).children();
  auto vars_of = [&](const std::string& key) { return container + "/" + key + "/vars"; };

  if (config) {
    const ParsedConfig parsed = parse_model_config(*config, where);
    m.model_config = *config;
    if (config->contains("compile_config")) m.training_config = (*config)["compile_config"];
    m.model_name = parsed.model_name;
    m.input_shape = parsed.input_shape;
    m.layers = parsed.layers;
    const auto keys = keras3_layer_keys(m.layers);
    for (std::size_t i = 0; i < m.layers.size(); ++i) {
      KerasLayer& l = m.layers[i];
      if (!container.empty() && root.has_group(vars_of(keys[i])))
        l.weights = read_vars(root.group(vars_of(keys[i])), keras_snake_case(l.class_name), l.config);
      file_keys.erase(std::remove(file_keys.begin(), file_keys.end(), keys[i]), file_keys.end());
    }
    for (const auto& k : file_keys)  // weights the config does not account for: refuse to guess
      if (root.has_group(vars_of(k)) && root.has_dataset(vars_of(k) + "/0"))
        fail<FileError>("Keras 3 weights in ", where, ": group ", container, "/", k,
                        " holds variables but matches no layer of config.json");
  } else {
    std::sort(file_keys.begin(), file_keys.end(), key_less);
    for (const auto& key : file_keys) {
      KerasLayer l;
      l.name = key;
      if (root.has_group(vars_of(key))) {
        const h5::Group vars = root.group(vars_of(key));
        if (vars.has_attr("name")) l.name = vars.read_string_attr("name");  // Keras >= 3.6
        std::string snake = key;
        if (const auto us = key.rfind('_'); us != std::string::npos && key.find_first_not_of("0123456789", us + 1) == std::string::npos)
          snake = key.substr(0, us);
        l.weights = read_vars(vars, snake, json());
      }
      m.layers.push_back(std::move(l));
    }
  }
  if (root.has_group("vars") && root.group("vars").has_attr("name") && m.model_name.empty())
    m.model_name = root.group("vars").read_string_attr("name");  // Keras >= 3.6
  if (root.has_group("optimizer/vars")) {
    const h5::Group ov = root.group("optimizer/vars");
    for (std::size_t i = 0; ov.has_dataset(std::to_string(i)); ++i)
      m.optimizer_weights.push_back(read_weight(ov, std::to_string(i), std::to_string(i)));
  }
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
