// The registries and the one list of tapegrad's own Keras classes: each family registers itself
// (the class describes its config where it is defined); a new family adds one line here.
#include "nn/registry.hpp"

#include "nn/activation_layers.hpp"
#include "nn/augmentation_layers.hpp"
#include "nn/bidirectional.hpp"
#include "nn/conv_layers.hpp"
#include "nn/embedding.hpp"
#include "nn/initializers.hpp"
#include "nn/layers.hpp"
#include "nn/losses.hpp"
#include "nn/merge.hpp"
#include "nn/metrics.hpp"
#include "nn/model.hpp"
#include "nn/normalization_layers.hpp"
#include "nn/optimizers.hpp"
#include "nn/pooling_layers.hpp"
#include "nn/preprocessing_layers.hpp"
#include "nn/recurrent_layers.hpp"
#include "nn/reshaping_layers.hpp"
#include "nn/schedules.hpp"
#include "nn/sequence_layers.hpp"

namespace tg::nn {

Registry<Layer>& layer_registry() {
  static Registry<Layer> r("layer");
  static std::once_flag once;
  std::call_once(once, [&] {
    register_core_layers(r);
    register_activation_layers(r);
    register_merge_layers(r);
    register_conv_layers(r);
    register_pooling_layers(r);
    register_normalization_layers(r);
    register_reshaping_layers(r);
    register_preprocessing_layers(r);
    register_embedding_layers(r);
    register_recurrent_layers(r);
    register_bidirectional(r);
    register_sequence_layers(r);
    register_augmentation_layers(r);
    register_models(r);
  });
  return r;
}

Registry<Optimizer>& optimizer_registry() {
  static Registry<Optimizer> r("optimizer");
  static std::once_flag once;
  std::call_once(once, [&] { register_optimizers(r); });
  return r;
}

Registry<Loss>& loss_registry() {
  static Registry<Loss> r("loss");
  static std::once_flag once;
  std::call_once(once, [&] { register_losses(r); });
  return r;
}

Registry<Metric>& metric_registry() {
  static Registry<Metric> r("metric");
  static std::once_flag once;
  std::call_once(once, [&] { register_metrics(r); });
  return r;
}

Registry<Initializer>& initializer_registry() {
  static Registry<Initializer> r("initializer");
  static std::once_flag once;
  std::call_once(once, [&] { register_initializers(r); });
  return r;
}

Registry<LearningRateSchedule>& schedule_registry() {
  static Registry<LearningRateSchedule> r("learning-rate schedule");
  static std::once_flag once;
  std::call_once(once, [&] { register_schedules(r); });
  return r;
}

}  // namespace tg::nn
