#include "nn/progbar.hpp"

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <unistd.h>

namespace tg::nn {

std::string format_logs(const LogItems& logs) {
  std::ostringstream os;
  for (std::size_t i = 0; i < logs.size(); ++i) {
    os << (i ? " - " : "") << logs[i].first << ": ";
    const double v = logs[i].second;
    if (std::fabs(v) >= 1e-3 || v == 0) os << std::fixed << std::setprecision(4) << v;
    else os << std::scientific << std::setprecision(4) << v;
  }
  return os.str();
}

Progbar::Progbar(std::ostream& os, int epoch, int epochs, std::int64_t steps, int verbose, int interactive)
    : os_(os), epoch_(epoch), epochs_(epochs), steps_(steps), verbose_(verbose),
      interactive_(interactive < 0 ? isatty(fileno(stdout)) != 0 : interactive != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {
  if (verbose_ && interactive_) os_ << "Epoch " << epoch_ << "/" << epochs_ << "\n" << std::flush;
}

double Progbar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

bool Progbar::wants_update(std::int64_t step) const {
  if (!verbose_ || !interactive_) return false;
  // Redraw at most every 50 ms: printing every step would cost more than a small model's step.
  return step >= steps_ || std::chrono::steady_clock::now() - last_draw_ >= std::chrono::milliseconds(50);
}

void Progbar::update(std::int64_t step, const LogItems& logs) {
  if (!wants_update(step)) return;
  last_draw_ = std::chrono::steady_clock::now();
  draw(step, logs, false);
}

void Progbar::draw(std::int64_t step, const LogItems& logs, bool final) {
  std::ostringstream line;
  const int digits = static_cast<int>(std::to_string(steps_).size());
  line << std::setw(digits) << step << "/" << steps_ << " [";
  const int width = 30;
  const int done = steps_ ? static_cast<int>(width * step / steps_) : width;
  if (done > 0) line << std::string(static_cast<std::size_t>(done - (step < steps_ ? 1 : 0)), '=') << (step < steps_ ? ">" : "");
  line << std::string(static_cast<std::size_t>(width - done), '.') << "]";
  const double t = elapsed_seconds();
  if (final) {
    const double per_step = step ? t / static_cast<double>(step) : 0;
    line << " - " << static_cast<long>(std::lround(t)) << "s ";
    if (per_step >= 1) line << static_cast<long>(std::lround(per_step)) << "s/step";
    else if (per_step >= 1e-3) line << static_cast<long>(std::lround(per_step * 1e3)) << "ms/step";
    else line << static_cast<long>(std::lround(per_step * 1e6)) << "us/step";
  } else {
    const double eta = step ? t / static_cast<double>(step) * static_cast<double>(steps_ - step) : 0;
    line << " - ETA: " << static_cast<long>(std::lround(eta)) << "s";
  }
  if (!logs.empty()) line << " - " << format_logs(logs);
  std::string s = line.str();
  const std::size_t w = s.size();
  if (w < last_width_) s += std::string(last_width_ - w, ' ');
  last_width_ = w;
  os_ << "\r" << s << std::flush;
}

void Progbar::finish(const LogItems& logs) {
  if (!verbose_) return;
  if (interactive_) {
    draw(steps_, logs, true);
    os_ << "\n" << std::flush;
    return;
  }
  os_ << "Epoch " << epoch_ << "/" << epochs_ << " - " << std::fixed << std::setprecision(3) << elapsed_seconds() << "s";
  if (!logs.empty()) os_ << " - " << format_logs(logs);
  os_ << "\n" << std::flush;
}

}  // namespace tg::nn
