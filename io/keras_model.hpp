#pragma once
/// @file
/// Keras model files, independent of tapegrad's nn classes: a plain representation of what a
/// Keras file holds, plus readers and writers for every layout Keras has used
/// (see /work/shared/keras-h5-format.md):
///   * legacy HDF5, full model (`model.save("x.h5")`) and weights-only (`save_weights("x.h5")`),
///     from Keras 2.0 to Keras 3's legacy writer;
///   * Keras 3 native `.weights.h5` (`layers/<key>/vars/<i>`);
///   * Keras 3 `.keras` zip (config.json + model.weights.h5 + metadata.json).
/// Failures are tg::io::FileError (io/h5.hpp) naming the file and the object in it; a weight
/// whose value count does not match its shape is a tg::ShapeError at write time.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "io/file_error.hpp"

namespace tg::io {

struct KerasWeight {
  /// As Keras names the variable: "kernel:0" (Keras 2), "kernel" (Keras 3), "dense_1_W" (Keras 1).
  /// Keras 3 native files store no names: there it is the index "0", "1", ...
  std::string name;
  std::vector<std::int64_t> shape;  ///< [] for a scalar
  std::vector<double> values;       ///< row-major (C order), as stored
  /// Where the dataset is in the file that was read, e.g. "/model_weights/dense/dense/kernel:0".
  std::string h5_path;
  /// The full `weight_names` entry of a legacy file ("dense/kernel:0", "sequential/dense/kernel");
  /// empty for native files. Legacy writers use it when set, otherwise "<layer>/<name>".
  std::string stored_name;
  /// Element type in the file: "float32" (default), "float16", "float64", "int64" (optimizer
  /// iteration counters). Writers keep it.
  std::string dtype = "float32";

  std::int64_t numel() const;
};

/// One saveable object of a Keras 3 native weights file (`.weights.h5`, inside `.keras`): its own
/// variables (`<path>/vars/0`, `1`, ...) and its children by key (`layers` -> `dense` -> ...).
struct NativeNode {
  // Declared here, defined in the .cpp: clang 14 with libstdc++ 12 cannot decide pair<string,
  // NativeNode>'s conditionally explicit constructors while NativeNode's own are implicit.
  NativeNode();
  ~NativeNode();
  NativeNode(const NativeNode&);
  NativeNode(NativeNode&&) noexcept;
  NativeNode& operator=(const NativeNode&);
  NativeNode& operator=(NativeNode&&) noexcept;

  std::vector<KerasWeight> vars;
  std::string vars_name;  ///< the `name` attribute of its `vars` group (Keras >= 3.6), or ""
  bool has_vars = false;  ///< a `vars` group exists
  std::vector<std::pair<std::string, NativeNode>> children;  ///< in file (name) order
  const NativeNode* child(const std::string& key) const;
  NativeNode& add_child(const std::string& key);
  std::int64_t param_count() const;  ///< every variable below, this node's included
};

struct KerasLayer {
  /// "Dense", "Flatten", "InputLayer", "Conv2D", ...; empty when the file holds no architecture
  /// (weights-only files).
  std::string class_name;
  std::string name;  ///< layer.name, e.g. "dense_1"
  nlohmann::json config;  ///< the layer's config dict as in the file (null when unknown)
  /// Legacy files: every weight of the layer's group in Keras' legacy order (trainable then
  /// non-trainable; a nested model's: all of its layers'). Native files: the variables below
  /// the layer's group, in file order.
  std::vector<KerasWeight> weights;
};

struct KerasModel {
  /// "legacy-h5-full", "legacy-h5-weights", "keras3-weights-h5" or "keras-zip".
  std::string format;
  std::string keras_version;  ///< "" when the file does not say (native .weights.h5, Keras 1)
  std::string backend;        ///< "" when the file does not say
  std::string model_name;     ///< from the model config ("sequential", "MLP_MNIST"), else ""
  /// Input shape without the batch dimension, when the config states it; unknown dims are -1.
  std::vector<std::int64_t> input_shape;
  /// The model's top-level layers. Legacy files: the `layer_names` entries (model.layers: a
  /// Sequential's without its InputLayer, a Functional's with them), with the config's class and
  /// config where it has them. Native files with a config: the config's top-level layers (an
  /// InputLayer of a Sequential left out) with the variables under their `layers/<key>` group.
  /// Weights-only files: the layers the file lists, with empty class_name and config.
  std::vector<KerasLayer> layers;
  /// The complete model config: {"class_name", "config"} of a legacy file (plus "module" & co.
  /// in config.json of a .keras archive). Writers write it as given.
  nlohmann::json model_config;
  /// Raw training_config of a legacy file, or compile_config of a .keras file.
  nlohmann::json training_config;
  /// Raw optimizer state in file order (legacy `optimizer_weights`, native `optimizer/vars`).
  std::vector<KerasWeight> optimizer_weights;
  /// Native files: the whole object tree (the root's children are `layers`, `optimizer`, ...).
  NativeNode native;

  std::int64_t param_count() const;  ///< sum of the layers' weight sizes (not the optimizer's)
  /// The layer named `name`, or nullptr.
  const KerasLayer* find_layer(const std::string& name) const;
};

/// Reads any Keras model or weights file, choosing the layout from the contents: a zip is a
/// .keras archive; an HDF5 file with a `layer_names` attribute at the root is a legacy
/// weights-only file, with a `model_weights` group a legacy full model, with a `layers` group a
/// Keras 3 native weights file.
KerasModel read_keras_file(const std::string& path);

/// read_keras_file for a file already in memory (a .keras zip or an HDF5 image); `name` is used
/// in messages. For archives held in memory, and for fuzzing.
KerasModel read_keras_bytes(const std::vector<unsigned char>& bytes, const std::string& name);

/// Limits of the child process of read_keras_file_isolated.
struct IsolationLimits {
  /// Memory the child may use (address space, and tg::alloc's limit inside it); 0: the memory
  /// limit of this process (tg::alloc::memory_limit(), by default the physical memory).
  std::uint64_t memory_bytes = 0;
  int cpu_seconds = 60;  ///< CPU time; the wall clock allows 4 times that plus 10 s
};

/// read_keras_file in a forked child process with limits on memory, CPU time and file writes, for
/// files from strangers: libhdf5 and libzip are not hardened against every corrupt input, and a
/// crash, endless loop or memory blow-up there kills only the child. The parent gets plain data
/// back over a pipe and checks it again (counts, JSON depth and size, every weight's shape); a
/// crash becomes a FileError naming the file and the signal. Errors of the reader keep their
/// type (FileError, ShapeError, MemoryError). Costs a fork and a copy of the weights.
KerasModel read_keras_file_isolated(const std::string& path, const IsolationLimits& limits = {});

/// What Keras' model.save("x.h5") (weights_only=false) or save_weights("x.h5") (true) write,
/// laid out like tf.keras 2.10 but with fixed-length ASCII strings, which every Keras from 2.0
/// to 3.x reads: `layer_names` from m.layers, each layer's weights, and for a full model
/// m.model_config (required) and, when set, m.training_config and m.optimizer_weights. The file
/// appears atomically: written beside `path` under a temporary name and renamed over it.
void write_legacy_h5(const KerasModel& m, const std::string& path, bool weights_only);
/// Keras 3 native `.weights.h5`: the tree m.native.
void write_keras3_weights_h5(const KerasModel& m, const std::string& path);
/// Keras 3 `.keras` archive (stored zip): metadata.json, config.json (m.model_config, with
/// m.training_config as its compile_config), model.weights.h5 (m.native).
void write_keras_zip(const KerasModel& m, const std::string& path);

/// The keys Keras 3 gives a list of layers in native files: snake_case(class) made unique in list
/// order ([Dense, Dropout, Dense] -> dense, dropout, dense_1).
std::vector<std::string> keras3_layer_keys(const std::vector<std::string>& class_names);

}  // namespace tg::io
