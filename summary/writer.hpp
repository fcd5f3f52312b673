#pragma once
/// \file
/// Writes TensorBoard event files: scalars, histograms and text, readable by TensorBoard and by
/// TensorFlow's summary_iterator.
///
///     tg::summary::Writer writer("logs/run1");          // creates the directory if needed
///     writer.scalar("loss", 0.25, /*step=*/1);
///     writer.histogram("dense/kernel/histogram", w, 1);
///
/// The file is `<logdir>/events.out.tfevents.<seconds>.<host>` (with `.1`, `.2`, ... appended when
/// that name is taken): a first event holding the file version "brain.Event:2", then one event per
/// value with its wall time and step, each framed as a TFRecord. Events are buffered and reach the
/// file when a write finds the last flush `flush_secs` old, on flush() and on close(), so a killed
/// run keeps what was flushed and the file reads back up to its last whole record.
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "core/tensor.hpp"
#include "summary/histogram.hpp"

namespace tg::summary {

struct WriterOptions {
  /// Seconds between automatic flushes (checked at each write).
  double flush_secs = 2.0;
  /// Appended to the file name (TensorFlow's filename_suffix), e.g. ".v2".
  std::string filename_suffix{};
  /// Wall time in seconds since the Unix epoch, read once per event and for the file name; the
  /// system clock when unset (tests fix it to compare bytes).
  std::function<double()> clock;
};

class Writer {
 public:
  /// Creates `logdir` (and its parents) when missing and a new event file in it. Throws
  /// std::runtime_error naming the path and the system's reason when either cannot be created.
  explicit Writer(const std::string& logdir, WriterOptions options = {});
  /// Closes the file; an error at this point is printed to stderr (a destructor cannot throw).
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Every write throws std::invalid_argument for a tag TensorBoard would not accept (empty, a
  // leading '/', or a character other than letters, digits, '_', '-', '.' and '/'), and
  // std::runtime_error when the file cannot be written (a full disk), closed or broken before.
  /// A scalar (Summary.Value.simple_value, float32 as TensorBoard stores it).
  void scalar(const std::string& tag, double value, std::int64_t step);
  /// A histogram of every element of `values` (see make_histogram: NaN and Inf are refused).
  void histogram(const std::string& tag, const Tensor& values, std::int64_t step);
  void histogram(const std::string& tag, const Histogram& histogram, std::int64_t step);
  /// Text (Markdown in TensorBoard's text dashboard): a string tensor with the text plugin's metadata.
  void text(const std::string& tag, const std::string& text, std::int64_t step);

  /// Writes the buffered events to the file.
  void flush();
  /// Flushes, syncs and closes; later writes throw. Called by the destructor.
  void close();

  const std::string& logdir() const { return logdir_; }
  /// The event file's path.
  const std::string& path() const { return path_; }

 private:
  void add_event(const std::string& serialized_event);
  void write_out();
  void check_usable(const char* what) const;
  double now() const;

  std::string logdir_, path_;
  WriterOptions options_;
  int fd_ = -1;
  std::string buffer_;
  std::string failure_;  // why the writer broke; it then refuses every call
  std::chrono::steady_clock::time_point last_flush_;
  mutable std::mutex mu_;
};

/// Throws std::invalid_argument naming `what` and the offending character when `tag` is not a tag
/// TensorBoard accepts (see Writer).
void check_tag(const std::string& tag, const char* what);

}  // namespace tg::summary
