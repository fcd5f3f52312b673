#pragma once
/// \file
/// Keras' progress bar. On a terminal: `469/469 [==============================] - 2s 4ms/step -
/// loss: 0.4982 - accuracy: 0.8254`, redrawn in place. Otherwise one line per epoch:
/// `Epoch 1/5 - 0.183s - loss: 0.4982 - accuracy: 0.8254`.
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace tg::nn {

using LogItems = std::vector<std::pair<std::string, double>>;

class Progbar {
 public:
  /// `interactive` defaults to whether stdout is a terminal.
  Progbar(std::ostream& os, int epoch, int epochs, std::int64_t steps, int verbose, int interactive = -1);
  void update(std::int64_t step, const LogItems& logs);
  /// Whether update(step, ...) would draw: lets a caller skip formatting logs nobody sees.
  bool wants_update(std::int64_t step) const;
  /// Ends the epoch's line with the final logs (validation included).
  void finish(const LogItems& logs);
  double elapsed_seconds() const;

 private:
  std::ostream& os_;
  int epoch_, epochs_;
  std::int64_t steps_;
  int verbose_;
  bool interactive_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::size_t last_width_ = 0;
  void draw(std::int64_t step, const LogItems& logs, bool final);
};

/// "loss: 0.4982 - accuracy: 0.8254"
std::string format_logs(const LogItems& logs);

}  // namespace tg::nn
