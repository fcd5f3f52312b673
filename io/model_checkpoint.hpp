#pragma once
/// \file
/// Keras' ModelCheckpoint callback: it writes files, so it lives with the file formats.
#include <string>
#include <vector>

#include "nn/callbacks.hpp"

namespace tg::nn {

/// Saves the model (or its weights) at the end of epochs, as Keras' ModelCheckpoint. `filepath`
/// is a Keras template ("ckpt_{epoch:02d}_{val_loss:.2f}.keras": see nn::format_filepath); the
/// suffix picks the format (tg::save_model / tg::save_weights). With save_best_only, saves only
/// when `monitor` improves.
class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(std::string filepath, std::string monitor = "val_loss", bool save_best_only = false,
                           bool save_weights_only = false, std::string mode = "auto");
  void on_train_begin(const Logs&) override;
  bool writes_files() const override { return true; }
  void on_epoch_end(int epoch, const Logs& logs) override;
  /// The paths written so far.
  const std::vector<std::string>& saved() const { return saved_; }

 private:
  std::string filepath_, monitor_;
  bool best_only_, weights_only_, maximize_;
  double best_ = 0;
  std::vector<std::string> saved_;
};

}  // namespace tg::nn
