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

#include "io/h5.hpp"

namespace tg::io {

struct KerasWeight {
  /// As Keras names the variable: "kernel:0" (Keras 2), "kernel" (Keras 3), "dense_1_W" (Keras 1).
  /// For Keras 3 native files, which store no names, it is derived from the layer class
  /// (Dense: kernel, bias; BatchNormalization: gamma, beta, moving_mean, moving_variance) or is
  /// the index "0", "1", ... for classes not known here.
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

struct KerasLayer {
  /// "Dense", "Flatten", "InputLayer", "Activation", "Dropout", "Conv2D", ...; empty when the
  /// file holds no architecture (weights-only files).
  std::string class_name;
  std::string name;  ///< layer.name, e.g. "dense_1"
  nlohmann::json config;  ///< the layer's config dict as in the file (null when unknown)
  /// In Keras' legacy order: trainable then non-trainable (Dense: kernel (in, units), bias).
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
  /// model.layers in order. For a Sequential model this excludes the implicit InputLayer (its
  /// shape is in input_shape), exactly like the `layer_names` of legacy files; functional models
  /// keep their InputLayers. Weights-only files: the layers the file lists, in file order, with
  /// empty class_name and config.
  std::vector<KerasLayer> layers;
  /// Raw {"class_name", "config"} of a legacy file, or the whole config.json of a .keras file.
  nlohmann::json model_config;
  /// Raw training_config of a legacy file, or compile_config of a .keras file.
  nlohmann::json training_config;
  /// Raw optimizer state in file order (legacy `optimizer_weights`, native `optimizer/vars`).
  std::vector<KerasWeight> optimizer_weights;

  std::int64_t param_count() const;  ///< sum of the layers' weight sizes (not the optimizer's)
  /// The layer named `name`, or nullptr.
  const KerasLayer* find_layer(const std::string& name) const;
};

/// Reads any Keras model or weights file, choosing the layout from the contents: a zip is a
/// .keras archive; an HDF5 file with a `layer_names` attribute at the root is a legacy
/// weights-only file, with a `model_weights` group a legacy full model, with a `layers` group a
/// Keras 3 native weights file.
KerasModel read_keras_file(const std::string& path);

/// What Keras' model.save("x.h5") (weights_only=false) or save_weights("x.h5") (true) write,
/// laid out like tf.keras 2.10 but with fixed-length ASCII strings, which every Keras from 2.0
/// to 3.x reads. A full model needs every layer's class_name and config. The file appears
/// atomically: written beside `path` under a temporary name and renamed over it at the end.
void write_legacy_h5(const KerasModel& m, const std::string& path, bool weights_only);
/// Keras 3 native `.weights.h5`: /vars, layers/<key>/vars/<i>, keys from keras3_layer_keys().
void write_keras3_weights_h5(const KerasModel& m, const std::string& path);
/// Keras 3 `.keras` archive (stored zip): metadata.json, config.json, model.weights.h5.
void write_keras_zip(const KerasModel& m, const std::string& path);

// ------------------------------------------------------------------------------------------
// Helpers for code that maps a KerasModel onto real layers.

/// Keras 3's to_snake_case: "Dense" -> "dense", "MaxPooling2D" -> "max_pooling2d",
/// "BatchNormalization" -> "batch_normalization".
std::string keras_snake_case(const std::string& class_name);
/// The keys Keras 3 gives `layers` in native files: snake_case(class) made unique in list order
/// ([Dense, Dropout, Dense] -> dense, dropout, dense_1). A layer without class_name uses the key
/// recorded in its weights' h5_path, else its name minus a trailing "_<n>".
std::vector<std::string> keras3_layer_keys(const std::vector<KerasLayer>& layers);
/// A layer dtype: the plain string ("float32") or the name inside a Keras 3 DTypePolicy dict;
/// "float32" when absent.
std::string keras_dtype_name(const nlohmann::json& dtype);
/// An activation as a string ("relu", "linear"): plain string or a serialized-function dict.
std::string keras_activation_name(const nlohmann::json& activation);

}  // namespace tg::io
