#pragma once
/// \file
/// TensorBoard summaries from a GradientTape loop, through a per-thread default writer (TensorFlow's
/// `with writer.as_default(): tf.summary.scalar(...)`).
///
///     auto writer = std::make_shared<tg::summary::Writer>("logs/custom");
///     tg::summary::DefaultWriter scope(writer);
///     for (std::int64_t step = 0; ...; ++step) {
///       tg::GradientTape tape;
///       const tg::Tensor loss = ...;
///       const auto grads = tape.gradient(loss, model.trainable_variables());
///       tg::summary::scalar("loss", loss.item(), step);
///       tg::summary::gradients(model.trainable_variables(), grads, step);   // norms and histograms
///       optimizer.apply_gradients(grads, model.trainable_variables());
///     }
///
/// As in TensorFlow, the functions do nothing and return false when this thread has no default writer.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autograd/variable.hpp"
#include "summary/writer.hpp"

namespace tg::summary {

/// Sets this thread's default writer (null clears it) and returns the previous one.
std::shared_ptr<Writer> set_default_writer(std::shared_ptr<Writer> writer);
/// This thread's default writer, or null.
const std::shared_ptr<Writer>& default_writer();

/// Makes `writer` this thread's default while the scope lives, then restores the previous one.
class DefaultWriter {
 public:
  explicit DefaultWriter(std::shared_ptr<Writer> writer) : previous_(set_default_writer(std::move(writer))) {}
  ~DefaultWriter() { set_default_writer(std::move(previous_)); }
  DefaultWriter(const DefaultWriter&) = delete;
  DefaultWriter& operator=(const DefaultWriter&) = delete;

 private:
  std::shared_ptr<Writer> previous_;
};

/// Writes to the default writer; false (nothing written) when there is none.
bool scalar(const std::string& tag, double value, std::int64_t step);
bool histogram(const std::string& tag, const Tensor& values, std::int64_t step);
bool text(const std::string& tag, const std::string& text, std::int64_t step);

struct GradientSummaryOptions {
  bool weight_histograms = true;    // <var>/histogram
  bool gradient_histograms = true;  // <var>/gradient_histogram
  bool norms = true;                // <var>/gradient_norm and gradients/global_norm
  /// The variables' values before the optimizer step, in the order of `vars`: when given, logs
  /// <var>/update_ratio = ||w_now - w_before|| / ||w_before|| (call after apply_gradients).
  std::vector<Tensor> weights_before{};
};

/// One step's view of training for TensorBoard, per variable v (tag prefix: v's name, e.g.
/// "dense/kernel", so TensorBoard groups the tags by layer; characters a tag cannot hold become '_'):
///   <v>/histogram            histogram of the weight (Keras' TensorBoard tag, with the layer's name)
///   <v>/gradient_histogram   histogram of its gradient
///   <v>/gradient_norm        L2 norm of its gradient
///   <v>/update_ratio         ||update|| / ||weight before|| (only with options.weights_before,
///                            and not for a weight that was all zeros)
/// and gradients/global_norm, the L2 norm of all gradients together. An undefined gradient (a
/// variable the loss does not depend on) is skipped. Throws std::invalid_argument when the counts
/// differ or a gradient's shape is not its variable's.
void gradients(Writer& writer, const std::vector<Variable>& vars, const std::vector<Tensor>& grads, std::int64_t step,
               const GradientSummaryOptions& options = {});
/// The same, to the default writer; false when there is none.
bool gradients(const std::vector<Variable>& vars, const std::vector<Tensor>& grads, std::int64_t step,
               const GradientSummaryOptions& options = {});

/// `name` with every character a tag cannot hold replaced by '_' and leading '/' removed
/// (TensorFlow's clean_tag): "dense/kernel:0" -> "dense/kernel_0".
std::string clean_tag(const std::string& name);

}  // namespace tg::summary
