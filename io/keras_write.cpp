// Writers: legacy HDF5 (full and weights-only), Keras 3 native .weights.h5, .keras zip.
#include <unistd.h>
#include <zip.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <random>
#include <set>

#include "core/error.hpp"
#include "io/keras_internal.hpp"

namespace tg::io {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kDefaultKerasVersion = "2.10.0";   // the layout written is tf.keras 2.10's
constexpr const char* kDefaultKeras3Version = "3.10.0";  // the .keras layout written is 3.10's
constexpr std::size_t kHeaderLimit = 64512;              // Keras' HDF5_OBJECT_HEADER_LIMIT

// A name list as Keras writes it: split into name0, name1, ... (np.array_split) when the
// fixed-length array would exceed 64512 bytes.
void write_name_list(const h5::Object& obj, const std::string& name, const std::vector<std::string>& values) {
  std::size_t item = 1;
  for (const auto& v : values) item = std::max(item, v.size());
  if (item > kHeaderLimit) obj.fail("name longer than 64512 bytes in '" + name + "'");
  std::size_t chunks = 1;
  auto largest_chunk = [&](std::size_t k) { return (values.size() + k - 1) / k; };
  while (largest_chunk(chunks) * item > kHeaderLimit) ++chunks;
  if (chunks == 1) return obj.write_string_list_attr(name, values);
  const std::size_t base = values.size() / chunks, extra = values.size() % chunks;
  std::size_t at = 0;
  for (std::size_t k = 0; k < chunks; ++k) {
    const std::size_t len = base + (k < extra ? 1 : 0);
    obj.write_string_list_attr(name + std::to_string(k),
                               std::vector<std::string>(values.begin() + static_cast<std::ptrdiff_t>(at),
                                                        values.begin() + static_cast<std::ptrdiff_t>(at + len)));
    at += len;
  }
}

void check_layer_names(const KerasModel& m, const std::string& op, const std::string& path) {
  std::set<std::string> seen;
  for (const auto& l : m.layers) {
    if (l.name.empty() || l.name.find('/') != std::string::npos || l.name == "." || l.name == "top_level_model_weights")
      fail<FileError>(op, " ", path, ": invalid layer name '", l.name, "'");
    if (!seen.insert(l.name).second) fail<FileError>(op, " ", path, ": duplicate layer name '", l.name, "'");
  }
}

void write_weights_group(const h5::Group& wg, const KerasModel& m, const std::string& version,
                         const std::string& backend, const std::string& op, const std::string& path) {
  std::vector<std::string> names;
  for (const auto& l : m.layers) names.push_back(l.name);
  write_name_list(wg, "layer_names", names);
  wg.write_string_attr("backend", backend);
  wg.write_string_attr("keras_version", version);
  for (const auto& l : m.layers) {
    const h5::Group lg = wg.require_group(l.name);
    std::vector<std::string> entries;
    for (const auto& w : l.weights) entries.push_back(w.stored_name.empty() ? l.name + "/" + w.name : w.stored_name);
    write_name_list(lg, "weight_names", entries);
    for (std::size_t i = 0; i < l.weights.size(); ++i) {
      detail::check_weight(op, path, l.name, l.weights[i]);
      lg.write_dataset(entries[i], l.weights[i].shape, l.weights[i].values, detail::num_type(l.weights[i].dtype));
    }
  }
  // tf.keras >= 2.7 and Keras 3 write the model's own (normally no) variables here.
  write_name_list(wg.require_group("top_level_model_weights"), "weight_names", {});
}

std::string now_stamp() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d@%H:%M:%S", &tm);
  return buf;
}

}  // namespace

namespace detail {

void save_atomically(const std::string& path, const std::string& op, const std::function<void(const std::string&)>& write) {
  const fs::path target(path);
  if (target.filename().empty()) fail<FileError>(op, ": cannot save to ", path, ": not a file name");
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail<FileError>(op, ": cannot save ", path, ": directory ", dir.string(), " does not exist");
  if (fs::is_directory(target, ec)) fail<FileError>(op, ": cannot save ", path, ": it is a directory");
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  std::string tmp_name = ".";  // built with += : GCC 12 flags "." + std::string with a bogus -Wrestrict
  tmp_name += target.filename().string();
  tmp_name += ".tmp-";
  tmp_name += std::to_string(::getpid());
  tmp_name += "-";
  tmp_name += std::to_string(counter++);
  tmp_name += "-";
  tmp_name += std::to_string(rd() % 1000000);
  const fs::path tmp = dir / tmp_name;
  try {
    write(tmp.string());
    fs::rename(tmp, target, ec);
    if (ec) fail<FileError>(op, ": cannot rename ", tmp.string(), " to ", path, ": ", ec.message());
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
}

namespace {
void write_native_node(const h5::Group& g, const NativeNode& n, const std::string& op, const std::string& path,
                       const std::string& where) {
  if (n.has_vars || !n.vars.empty() || !n.vars_name.empty()) {
    const h5::Group vars = g.require_group("vars");
    if (!n.vars_name.empty()) vars.write_string_attr("name", n.vars_name, h5::StrType::vlen_utf8);  // as Keras >= 3.6
    for (std::size_t j = 0; j < n.vars.size(); ++j) {
      check_weight(op, path, where, n.vars[j]);
      vars.write_dataset(std::to_string(j), n.vars[j].shape, n.vars[j].values, num_type(n.vars[j].dtype));
    }
  }
  for (const auto& [key, child] : n.children) {
    if (key.empty() || key.find('/') != std::string::npos || key == "vars" || key == "." || key == "..")
      fail<FileError>(op, " ", path, ": invalid group name '", key, "' under ", where.empty() ? "/" : where);
    write_native_node(g.require_group(key), child, op, path, where + "/" + key);
  }
}
}  // namespace

void write_native(const h5::Group& root, const KerasModel& m, const std::string& op, const std::string& path) {
  write_native_node(root, m.native, op, path, "");
}

}  // namespace detail

void write_legacy_h5(const KerasModel& m, const std::string& path, bool weights_only) {
  const std::string op = weights_only ? "write_legacy_h5 (weights only)" : "write_legacy_h5";
  check_layer_names(m, op, path);
  if (!weights_only && !m.model_config.is_object())
    fail<FileError>(op, ": cannot write a full model to ", path, " without a model config; write weights only instead");
  const json& model_config = m.model_config;
  const std::string version = m.keras_version.empty() ? kDefaultKerasVersion : m.keras_version;
  const std::string backend = m.backend.empty() ? "tensorflow" : m.backend;
  detail::save_atomically(path, op, [&](const std::string& tmp) {
    h5::File f = h5::File::create(tmp);
    if (weights_only) {
      write_weights_group(f, m, version, backend, op, path);
    } else {
      f.write_string_attr("keras_version", version);
      f.write_string_attr("backend", backend);
      f.write_string_attr("model_config", model_config.dump());
      if (!m.training_config.is_null()) f.write_string_attr("training_config", m.training_config.dump());
      write_weights_group(f.require_group("model_weights"), m, version, backend, op, path);
      if (!m.optimizer_weights.empty()) {
        const h5::Group og = f.require_group("optimizer_weights");
        std::vector<std::string> names;
        for (const auto& w : m.optimizer_weights) names.push_back(w.stored_name.empty() ? w.name : w.stored_name);
        write_name_list(og, "weight_names", names);
        for (std::size_t i = 0; i < names.size(); ++i) {
          detail::check_weight(op, path, "optimizer", m.optimizer_weights[i]);
          og.write_dataset(names[i], m.optimizer_weights[i].shape, m.optimizer_weights[i].values,
                           detail::num_type(m.optimizer_weights[i].dtype));
        }
      }
    }
    f.close();
  });
}

void write_keras3_weights_h5(const KerasModel& m, const std::string& path) {
  const std::string op = "write_keras3_weights_h5";
  detail::save_atomically(path, op, [&](const std::string& tmp) {
    h5::File f = h5::File::create(tmp);
    detail::write_native(f, m, op, path);
    f.close();
  });
}

void write_keras_zip(const KerasModel& m, const std::string& path) {
  const std::string op = "write_keras_zip";
  if (!m.model_config.is_object()) fail<FileError>(op, ": cannot write ", path, " without a model config");
  json full = m.model_config;
  if (!m.training_config.is_null()) full["compile_config"] = m.training_config;
  const std::string config = full.dump();
  const bool native_version = m.format == "keras-zip" && !m.keras_version.empty();
  const std::string metadata =
      json{{"keras_version", native_version ? m.keras_version : kDefaultKeras3Version}, {"date_saved", now_stamp()}}.dump();
  std::vector<unsigned char> weights;
  {
    h5::File mem = h5::File::create_in_memory(path + "!model.weights.h5");
    detail::write_native(mem, m, op, path);
    weights = mem.image();
    mem.close();
  }
  detail::save_atomically(path, op, [&](const std::string& tmp) {
    int err = 0;
    zip_t* z = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_EXCL, &err);
    if (!z) fail<FileError>(op, ": cannot create zip ", tmp, " (libzip error ", err, ")");
    auto add = [&](const char* name, const void* data, std::size_t size) {
      zip_source_t* src = zip_source_buffer(z, data, size, 0);
      const zip_int64_t idx = src ? zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8) : -1;
      if (idx < 0) {
        if (src) zip_source_free(src);
        const std::string why = zip_strerror(z);
        zip_discard(z);
        fail<FileError>(op, ": cannot add ", name, " to ", path, " (", why, ")");
      }
      zip_set_file_compression(z, static_cast<zip_uint64_t>(idx), ZIP_CM_STORE, 0);  // Keras stores
    };
    add("metadata.json", metadata.data(), metadata.size());
    add("config.json", config.data(), config.size());
    add("model.weights.h5", weights.data(), weights.size());
    if (zip_close(z) != 0) {
      const std::string why = zip_strerror(z);
      zip_discard(z);
      fail<FileError>(op, ": cannot write ", path, " (", why, ")");
    }
  });
}

}  // namespace tg::io
