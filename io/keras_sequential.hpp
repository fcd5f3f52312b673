#pragma once
/// \file
/// Keras files <-> Sequential models. The formats themselves are in io/keras_model.hpp; this maps
/// them onto tapegrad's layers. Sequential::save / save_weights / load_weights are defined here
/// (the file formats live in io/, above nn/).
#include <string>

#include "nn/sequential.hpp"

namespace tg {

namespace io {
struct KerasModel;  // io/keras_model.hpp (kept out of this header: it needs nlohmann/json)
}

/// The layer classes load_model can build.
inline constexpr const char* supported_layer_classes = "InputLayer, Dense, Flatten, Activation, ReLU, Softmax, Dropout";

/// Builds a Sequential from a legacy full-model .h5 or a .keras archive and loads its weights;
/// compiles it with the file's optimizer (and the hyper-parameters tapegrad has), loss and metrics
/// when the file records them, and restores the optimizer state when its names map onto the
/// model's variables (tapegrad's files, tf.keras 2.x Adam/SGD/RMSprop files, Keras 3 files).
/// Unsupported metrics are left out and an unmappable optimizer state starts fresh, each with a
/// note on stderr. Throws naming the file, and for an
/// unsupported layer its class, its name and the supported list.
nn::Sequential load_model(const std::string& path);

/// Which Keras a representation's compile config and optimizer state are written for: the legacy
/// `.h5` layout claims tf.keras 2.10 (OptimizerV2 configs, "Adam/iter:0", "Adam/<var>/m:0", ...),
/// `.keras` and `.weights.h5` are Keras 3 layouts (Keras 3 configs, variables by position).
enum class KerasFlavor { tf_keras_2_10, keras3 };

/// The Keras representation of a model (architecture, weights, and with `include_optimizer` the
/// compile config and optimizer state in `flavor`'s form).
io::KerasModel to_keras_model(const nn::Sequential& model, bool include_optimizer,
                              KerasFlavor flavor = KerasFlavor::tf_keras_2_10);
/// A built Sequential from a representation with an architecture (weights loaded).
nn::Sequential sequential_from_keras(const io::KerasModel& km, const std::string& where);
/// The same, with freshly initialised weights.
nn::Sequential build_sequential(const io::KerasModel& km, const std::string& where);
/// A built, untrained Sequential from a Keras architecture: a model.to_json() file (`.json`) or
/// any Keras model file (`.h5`, `.keras`); pair it with load_weights for weights-only files.
nn::Sequential load_architecture(const std::string& path);

/// Loads weights from a representation: by order of the layers that have weights (default) or by
/// layer name; mismatching layers are skipped when skip_mismatch, else an error. Validates every
/// weight first and assigns only when all are good.
void load_weights_from(nn::Sequential& model, const io::KerasModel& km, const std::string& where,
                       const nn::LoadWeightsOptions& options);

}  // namespace tg
