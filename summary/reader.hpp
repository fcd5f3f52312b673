#pragma once
/// \file
/// Reads TensorBoard event files back: for tests, and for `tapegrad logs`' digest of a run.
#include <cstdint>
#include <string>
#include <vector>

#include "summary/histogram.hpp"

namespace tg::summary {

/// One summary value of an event.
struct Value {
  enum class Kind { scalar, histogram, text, other };
  std::string tag;
  Kind kind = Kind::other;
  double scalar = 0;      // simple_value, or a rank-0 float/double tensor
  Histogram histogram;    // for Kind::histogram (a HistogramProto)
  std::string text;       // for Kind::text (a string tensor's first element)
  std::string plugin_name;
};

struct Event {
  double wall_time = 0;
  std::int64_t step = 0;
  std::string file_version;  // set only in a file's first event
  std::vector<Value> values;
};

struct EventFile {
  std::string path;
  std::vector<Event> events;  // every whole record, decoded
  bool truncated = false;     // the file ends inside a record (a killed writer, or one still writing)
  std::string error;          // a corrupt record or an undecodable event; reading stopped there
};

/// Reads every whole record of an event file. Throws std::runtime_error only when the file cannot
/// be opened; damage is reported in the result.
EventFile read_event_file(const std::string& path);

/// The event files under `logdir` (recursively), grouped by run: the directory holding them,
/// relative to logdir ("." for logdir itself, "train", "validation"), sorted by run then file name.
struct Run {
  std::string name;
  std::vector<std::string> files;
};
std::vector<Run> find_runs(const std::string& logdir);

}  // namespace tg::summary
