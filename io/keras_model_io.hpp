#pragma once
/// \file
/// Keras files <-> models: Keras' model.save, load_model, save_weights and load_weights for any
/// nn::Model (Sequential, Functional, nested, with layers registered by the user). The file
/// formats themselves are io/keras_model.hpp; this walks models through the Layer interface and
/// the registry (nn/registry.hpp) and names no layer class.
///
///     tg::save_model(model, "model.keras");            // or .h5 (legacy), .weights.h5 via save_weights
///     std::shared_ptr<tg::nn::Model> m = tg::load_model("model.keras");
#include <memory>
#include <string>

#include "nn/model.hpp"

namespace tg {

namespace io {
struct KerasModel;  // io/keras_model.hpp (kept out of this header: it needs nlohmann/json)
}

/// How load_weights matches the file's layers to the model's (Keras' by_name / skip_mismatch).
struct LoadWeightsOptions {
  bool by_name = false;        // match by layer name instead of by order of layers with weights
  bool skip_mismatch = false;  // skip layers whose weight count or shapes differ
  /// Parse the file in a child process with memory and CPU limits (io::read_keras_file_isolated):
  /// for files from strangers. Costs a fork and a copy of the weights.
  bool isolated = false;
};

/// How load_model reads a file.
struct LoadModelOptions {
  bool compile = true;    ///< compile as the file says, when tapegrad has the pieces
  bool isolated = false;  ///< parse in a child process with limits (see LoadWeightsOptions::isolated)
};

/// Keras' model.save: `.keras` (Keras 3 archive) or `.h5`/`.hdf5` (the legacy layout, as tf.keras
/// 2.10 writes it). Includes the compile config and optimizer state when the model is compiled
/// and `include_optimizer`. Written to a temporary file and renamed: a failure leaves no partial file.
void save_model(const nn::Model& model, const std::string& path, bool include_optimizer = true);
/// Keras' model.save_weights: `*.weights.h5` (Keras 3's native layout, with the optimizer's
/// variables as Keras 3 keeps them) or any other `.h5`/`.hdf5` (legacy layout).
void save_weights(const nn::Model& model, const std::string& path);
/// Keras' model.load_weights from any Keras weights or model file; all or nothing.
void load_weights(nn::Model& model, const std::string& path, const LoadWeightsOptions& options = {});

/// Keras' load_model for a legacy full-model `.h5` or a `.keras` archive: the model built through
/// the registry from the file's config, its weights loaded; compiled as the file says when
/// tapegrad has the pieces, with the optimizer state restored when it maps onto the variables
/// (unsupported metrics and unmappable states are left out with a note on stderr). Throws naming
/// the file, and for an unknown class the class, the layer and every class the registry holds.
std::shared_ptr<nn::Model> load_model(const std::string& path, bool compile = true);
std::shared_ptr<nn::Model> load_model(const std::string& path, const LoadModelOptions& options);
/// A built, untrained model from a Keras architecture: a model.to_json() file (`.json`) or any
/// Keras model file; pair it with load_weights for weights-only files.
std::shared_ptr<nn::Model> load_architecture(const std::string& path);

/// The Keras representation of a model in `format`'s layout (keras2: legacy `.h5`; keras3:
/// `.keras` and `.weights.h5`): config, weights, and with `include_optimizer` the compile config
/// and optimizer state.
io::KerasModel to_keras_model(const nn::Model& model, nn::KerasFormat format, bool include_optimizer);
/// A built model from a representation with an architecture, weights loaded (not compiled).
std::shared_ptr<nn::Model> model_from_keras(const io::KerasModel& km, const std::string& where);
/// Loads weights from a representation (see load_weights); validates every weight first and
/// assigns only when all are good.
void load_weights_from(nn::Model& model, const io::KerasModel& km, const std::string& where,
                       const LoadWeightsOptions& options);

}  // namespace tg
