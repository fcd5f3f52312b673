// Readers: legacy HDF5 (full and weights-only), Keras 3 native .weights.h5, .keras zip.
#include <zip.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "core/allocator.hpp"
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
  return detail::parse_json_text(obj.read_string_attr(name),
                                 "attribute '" + name + "' of " + obj.file_path() + " at " + obj.path());
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
  std::map<std::string, const nn::LayerEntry*> by_name;  // first of a name, as the linear search was
  for (const auto& c : parsed.layers) by_name.emplace(c.name, &c);
  for (const std::string& lname : read_name_list(wg, "layer_names", true)) {
    KerasLayer l;
    l.name = lname;
    if (auto it = by_name.find(lname); it != by_name.end()) {
      l.class_name = it->second->class_name;
      l.config = it->second->config;
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

// `seen` holds every group visited: a group reached twice is a hard- or soft-link cycle (or a
// diamond that would make the walk exponential); Keras never writes either.
void read_native_group(const h5::Group& g, NativeNode& node, int depth, std::set<std::uint64_t>& seen) {
  if (depth > kMaxNativeDepth) g.fail("Keras 3 weights nested deeper than " + std::to_string(kMaxNativeDepth) + " levels");
  if (!seen.insert(g.address()).second) g.fail("group reached twice (a link cycle?)");
  std::map<std::string, std::size_t> index;  // node's children by key: add_child's search is linear
  for (std::size_t i = 0; i < node.children.size(); ++i) index.emplace(node.children[i].first, i);
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
    const auto parts = components(name);
    for (std::size_t p = 0; p < parts.size(); ++p) {
      if (p > 0) {  // "layers\\conv2d" (tf.keras 2.15 on Windows): rare and short
        target = &target->add_child(parts[p]);
        continue;
      }
      auto [it, fresh] = index.emplace(parts[0], node.children.size());
      if (fresh) node.children.emplace_back(parts[0], NativeNode());
      target = &node.children[it->second].second;
    }
    read_native_group(child, *target, depth + 1, seen);
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

// Largest config.json / metadata.json accepted: real configs are kilobytes, a few MB at most.
constexpr std::uint64_t kMaxJsonMember = std::uint64_t{64} << 20;

// One member, whole, checked: its declared size against `limit` and against what deflate can
// produce from its compressed size (a zip bomb declares both), then read to the end so that the
// inflated size must equal the declared one, and its CRC-32 compared with the central directory's
// (libzip only checks it when a read reaches the end of the member, which a read of exactly the
// declared size never does).
std::vector<unsigned char> zip_member(zip_t* z, const std::string& path, const char* member, bool required,
                                      std::uint64_t limit) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(z, member, 0, &st) != 0) {
    if (required) fail<FileError>("not a .keras archive: ", path, " (no ", member, " inside)");
    return {};
  }
  if (!(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE) || !(st.valid & ZIP_STAT_CRC))
    fail<FileError>("corrupt .keras archive: ", path, " (", member, " has no size or CRC in the directory)");
  if (st.size > limit)
    fail<FileError>("refusing .keras archive: ", path, " (", member, " declares ", st.size,
                    " bytes, more than the limit of ", limit, ")");
  // Deflate expands at most ~1032:1; stored members are their own size.
  if (st.size > st.comp_size * 1100 + 1024)
    fail<FileError>("refusing .keras archive: ", path, " (", member, " declares ", st.size, " bytes from ",
                    st.comp_size, " compressed: a zip bomb or a corrupt directory)");
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> zf(zip_fopen_index(z, st.index, 0), zip_fclose);
  if (!zf) fail<FileError>("cannot open ", member, " in ", path, " (", zip_strerror(z), ")");
  auto bad_crc = [&] {
    fail<FileError>("corrupt .keras archive: ", path, " (", member, ": bad CRC-32, the data was altered)");
  };
  auto read_failed = [&](zip_int64_t r, const char* otherwise) {
    if (r < 0 && zip_error_code_zip(zip_file_get_error(zf.get())) == ZIP_ER_CRC) bad_crc();
    fail<FileError>("cannot read ", member, " in ", path, " (corrupt archive: ",
                    r < 0 ? zip_file_strerror(zf.get()) : otherwise, ")");
  };
  std::vector<unsigned char> buf(static_cast<std::size_t>(st.size));
  std::size_t got = 0;
  while (got < buf.size()) {
    const zip_int64_t r = zip_fread(zf.get(), buf.data() + got, buf.size() - got);
    if (r <= 0) read_failed(r, "shorter than declared");
    got += static_cast<std::size_t>(r);
  }
  unsigned char extra = 0;
  const zip_int64_t r = zip_fread(zf.get(), &extra, 1);  // reaching the end makes libzip check the CRC
  if (r != 0) read_failed(r, "longer than declared");
  uLong crc = crc32(0L, Z_NULL, 0);
  for (std::size_t off = 0; off < buf.size();) {  // crc32 takes a uInt length
    const std::size_t n = std::min<std::size_t>(buf.size() - off, 1u << 30);
    crc = crc32(crc, buf.data() + off, static_cast<uInt>(n));
    off += n;
  }
  if (crc != st.crc) bad_crc();
  return buf;
}

json parse_member(const std::vector<unsigned char>& bytes, const std::string& path, const char* member) {
  return detail::parse_json_text(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                                 std::string(member) + " in " + path);
}

[[noreturn]] void zip_open_failed(int err, const std::string& path) {
  if (err == ZIP_ER_EXISTS)  // libzip's "File already exists": two members share a name
    fail<FileError>("corrupt .keras archive: ", path, " (two members have the same name)");
  zip_error_t ze;
  zip_error_init_with_code(&ze, err);
  const std::string why = zip_error_strerror(&ze);
  zip_error_fini(&ze);
  fail<FileError>("not a .keras archive: ", path, " (libzip: ", why, ")");
}

// Reads an open archive (not owned).
KerasModel read_zip_archive(zip_t* archive, const std::string& path);

KerasModel read_zip(const std::string& path) {
  int err = 0;
  std::unique_ptr<zip_t, ZipCloser> z(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err));
  if (!z) zip_open_failed(err, path);
  return read_zip_archive(z.get(), path);
}

KerasModel read_zip_archive(zip_t* archive, const std::string& path) {
  const std::uint64_t weights_limit = alloc::memory_limit();
  const json config = parse_member(zip_member(archive, path, "config.json", true, kMaxJsonMember), path, "config.json");
  const auto meta_bytes = zip_member(archive, path, "metadata.json", false, kMaxJsonMember);
  auto weights = zip_member(archive, path, "model.weights.h5", false, weights_limit);
  if (weights.empty()) {
    if (zip_name_locate(archive, "model.weights.npz", 0) >= 0)
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
  std::set<std::uint64_t> seen;
  read_native_group(root, m.native, 0, seen);
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
    std::map<std::string, const NativeNode*> by_key;  // first of a key, as NativeNode::child
    if (layers)
      for (const auto& [k, n] : layers->children) by_key.emplace(k, &n);
    std::set<std::string> used;
    for (std::size_t i = 0; i < parsed.layers.size(); ++i) {
      KerasLayer l;
      l.class_name = parsed.layers[i].class_name;
      l.name = parsed.layers[i].name;
      l.config = parsed.layers[i].config;
      if (auto it = by_key.find(keys[i]); it != by_key.end()) collect_vars(*it->second, l.weights);
      used.insert(keys[i]);
      m.layers.push_back(std::move(l));
    }
    if (layers)  // weights the config does not account for: refuse to guess
      for (const auto& [k, n] : layers->children)
        if (!used.count(k) && n.param_count() > 0)
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

namespace {
KerasModel read_h5(const h5::File& f, const std::string& path) {
  if (f.has_attr("layer_names") || f.has_attr("layer_names0")) return read_legacy(f, false);
  if (f.has_group("model_weights")) return read_legacy(f, true);
  if (f.has_group("layers") || f.has_group("vars") || f.has_group("_layer_checkpoint_dependencies"))
    return detail::read_native(f, nullptr, path);
  fail<FileError>("not a Keras file: ", path,
                  " (HDF5, but no layer_names attribute, model_weights group or Keras 3 layers group)");
}

KerasModel read_keras_file_unguarded(const std::string& path) {
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
  return read_h5(h5::File::open(path), path);
}

KerasModel read_keras_bytes_unguarded(const std::vector<unsigned char>& bytes, const std::string& name) {
  h5::silence_errors();
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "PK\x03\x04", 4) == 0) {
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &ze);
    if (!src) zip_open_failed(zip_error_code_zip(&ze), name);
    std::unique_ptr<zip_t, ZipCloser> z(zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze));
    if (!z) {
      zip_source_free(src);
      const int err = zip_error_code_zip(&ze);
      zip_error_fini(&ze);
      zip_open_failed(err, name);
    }
    zip_error_fini(&ze);
    return read_zip_archive(z.get(), name);
  }
  return read_h5(h5::File::open_image(bytes, name), name);
}

}  // namespace

KerasModel read_keras_file(const std::string& path) {
  try {
    return read_keras_file_unguarded(path);
  } catch (const std::bad_alloc&) {  // sizes are checked first; this is a machine short of memory
    fail<MemoryError>("reading ", path, ": out of memory (std::bad_alloc)");
  }
}

KerasModel read_keras_bytes(const std::vector<unsigned char>& bytes, const std::string& name) {
  try {
    return read_keras_bytes_unguarded(bytes, name);
  } catch (const std::bad_alloc&) {
    fail<MemoryError>("reading ", name, ": out of memory (std::bad_alloc)");
  }
}

}  // namespace tg::io
