#pragma once
// Pieces shared by the Keras file readers and writers; not part of the public API.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "io/h5.hpp"
#include "io/keras_model.hpp"

namespace tg::io::detail {

// Largest JSON text read from a file, and its deepest nesting: far above any real Keras config,
// low enough that the recursive walks over it (copies, dumps, deserialisation) stay within the stack.
inline constexpr std::size_t kMaxJsonBytes = std::size_t{64} << 20;
inline constexpr int kMaxJsonDepth = 512;
// Parses JSON from a file after checking its size and nesting over the raw text (before
// nlohmann builds anything); throws FileError "<what> ...: nested deeper than 512 levels".
nlohmann::json parse_json_text(std::string_view text, const std::string& what);

// Throws tg::ShapeError when a weight's value count does not match its shape.
void check_weight(const std::string& op, const std::string& path, const std::string& layer, const KerasWeight& w);
h5::NumType num_type(const std::string& dtype);

// Runs write(tmp) with a fresh temporary path beside `path`, then renames it over `path`; on
// any failure the temporary is removed and `path` is untouched.
void save_atomically(const std::string& path, const std::string& op, const std::function<void(const std::string&)>& write);

// Keras 3 native layout under `root` (the file root or an in-memory image).
void write_native(const h5::Group& root, const KerasModel& m, const std::string& op, const std::string& path);
// `config` is config.json of a .keras archive (null for a bare .weights.h5).
KerasModel read_native(const h5::Group& root, const nlohmann::json* config, const std::string& where);

}  // namespace tg::io::detail
