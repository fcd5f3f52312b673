#include "summary/reader.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "summary/record.hpp"
#include "summary/tapegrad_event.pb.h"

namespace tg::summary {

namespace pb = tapegrad::tensorboard;

namespace {

Value decode_value(const pb::Summary::Value& v) {
  Value out;
  out.tag = v.tag();
  out.plugin_name = v.metadata().plugin_data().plugin_name();
  switch (v.value_case()) {
    case pb::Summary::Value::kSimpleValue:
      out.kind = Value::Kind::scalar;
      out.scalar = v.simple_value();
      break;
    case pb::Summary::Value::kHisto: {
      const pb::HistogramProto& h = v.histo();
      out.kind = Value::Kind::histogram;
      out.histogram = {h.min(), h.max(), h.num(), h.sum(), h.sum_squares(),
                       {h.bucket_limit().begin(), h.bucket_limit().end()}, {h.bucket().begin(), h.bucket().end()}};
      break;
    }
    case pb::Summary::Value::kTensor: {
      const pb::TensorProto& t = v.tensor();
      if (t.dtype() == pb::DT_STRING && t.string_val_size() > 0) {
        out.kind = Value::Kind::text;
        out.text = t.string_val(0);
      } else if (t.tensor_shape().dim_size() == 0 && t.float_val_size() == 1) {
        out.kind = Value::Kind::scalar;  // tf.summary.scalar's tensor form
        out.scalar = t.float_val(0);
      } else if (t.tensor_shape().dim_size() == 0 && t.double_val_size() == 1) {
        out.kind = Value::Kind::scalar;
        out.scalar = t.double_val(0);
      }
      break;
    }
    default:
      break;
  }
  return out;
}

}  // namespace

EventFile read_event_file(const std::string& path) {
  EventFile file;
  file.path = path;
  const RecordScan scan = read_records(path);
  file.truncated = scan.truncated;
  file.error = scan.error;
  for (std::size_t i = 0; i < scan.records.size(); ++i) {
    pb::Event e;
    if (!e.ParseFromString(scan.records[i])) {
      file.error = "record " + std::to_string(i) + " is not an Event message";
      break;
    }
    Event out;
    out.wall_time = e.wall_time();
    out.step = e.step();
    if (e.what_case() == pb::Event::kFileVersion) out.file_version = e.file_version();
    for (const auto& v : e.summary().value()) out.values.push_back(decode_value(v));
    file.events.push_back(std::move(out));
  }
  return file;
}

std::vector<Run> find_runs(const std::string& logdir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(logdir, ec)) throw std::runtime_error("summary: '" + logdir + "' is not a directory");
  std::map<std::string, std::vector<std::string>> runs;
  for (auto it = fs::recursive_directory_iterator(logdir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    if (it->path().filename().string().find("tfevents") == std::string::npos) continue;  // TensorBoard's own rule
    const std::string run = fs::relative(it->path().parent_path(), logdir, ec).string();
    runs[run.empty() ? "." : run].push_back(it->path().string());
  }
  std::vector<Run> out;
  for (auto& [name, files] : runs) {
    std::sort(files.begin(), files.end());
    out.push_back({name, files});
  }
  return out;
}

}  // namespace tg::summary
