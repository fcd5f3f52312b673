#include "summary/writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "summary/record.hpp"
#include "summary/tapegrad_event.pb.h"

namespace tg::summary {

namespace pb = tapegrad::tensorboard;

namespace {

std::string system_error(const std::string& what, int err) { return what + ": " + std::strerror(err); }

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "localhost";
  return buf;
}

// The serialized event carrying one summary value.
std::string value_event(double wall_time, std::int64_t step, const pb::Summary::Value& value) {
  pb::Event e;
  e.set_wall_time(wall_time);
  e.set_step(step);
  *e.mutable_summary()->add_value() = value;
  return e.SerializeAsString();
}

}  // namespace

void check_tag(const std::string& tag, const char* what) {
  // TensorFlow's summary ops accept [-/\w.] and strip leading slashes (summary_op_util.clean_tag).
  if (tag.empty()) fail(what, ": the tag is empty");
  if (tag.front() == '/') fail(what, ": tag '", tag, "' starts with '/'; TensorBoard tags cannot");
  for (std::size_t i = 0; i < tag.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(tag[i]);
    if (std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '/') continue;
    std::string shown = std::isprint(c) ? std::string(1, static_cast<char>(c)) : "\\x" + std::to_string(c);
    fail(what, ": tag '", tag, "' holds '", shown, "' at position ", i,
         "; TensorBoard tags may hold letters, digits, '_', '-', '.' and '/'");
  }
}

Writer::Writer(const std::string& logdir, WriterOptions options) : logdir_(logdir), options_(std::move(options)) {
  if (logdir.empty()) throw std::invalid_argument("summary::Writer: the log directory is empty");
  if (!(options_.flush_secs >= 0)) fail("summary::Writer: flush_secs must be >= 0, got ", options_.flush_secs);
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(logdir, ec) && !fs::is_directory(logdir, ec))
    throw std::runtime_error("summary::Writer: cannot create the log directory '" + logdir + "': a file of that name exists");
  fs::create_directories(logdir, ec);
  if (ec || !fs::is_directory(logdir))
    throw std::runtime_error("summary::Writer: cannot create the log directory '" + logdir + "': " +
                             (ec ? ec.message() : std::string("it is not a directory")));
  const double t0 = now();
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%010lld", static_cast<long long>(std::floor(t0)));
  const std::string base = (fs::path(logdir) / ("events.out.tfevents." + std::string(stamp) + "." + hostname())).string();
  for (int k = 0; fd_ < 0; ++k) {
    path_ = base + (k ? "." + std::to_string(k) : std::string()) + options_.filename_suffix;
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0 && (errno != EEXIST || k > 1000))
      throw std::runtime_error(system_error("summary::Writer: cannot create the event file '" + path_ + "'", errno));
  }
  last_flush_ = std::chrono::steady_clock::now();
  pb::Event first;
  first.set_wall_time(t0);
  first.set_step(0);
  first.set_file_version("brain.Event:2");
  buffer_ = frame_record(first.SerializeAsString());
  // The header reaches the disk now, so a bad directory shows here rather than at a later write.
  std::lock_guard lock(mu_);
  write_out();
}

Writer::~Writer() {
  try {
    close();
  } catch (const std::exception& e) {
    std::cerr << "tapegrad: " << e.what() << "\n";
  }
}

double Writer::now() const {
  if (options_.clock) return options_.clock();
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

void Writer::check_usable(const char* what) const {
  if (!failure_.empty())
    throw std::runtime_error(std::string("summary::Writer::") + what + ": the writer of '" + path_ +
                             "' failed earlier and writes nothing more (" + failure_ + ")");
  if (fd_ < 0) throw std::runtime_error(std::string("summary::Writer::") + what + ": '" + path_ + "' is closed");
}

void Writer::write_out() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      failure_ = system_error("writing '" + path_ + "' failed", err);
      buffer_.clear();
      // The file keeps every whole record written before; a partial record at its end is skipped by readers.
      throw std::runtime_error("summary::Writer: " + failure_ +
                               (err == ENOSPC ? " (the disk is full); the events since the last flush are lost" : ""));
    }
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
  last_flush_ = std::chrono::steady_clock::now();
}

void Writer::add_event(const std::string& serialized_event) {
  buffer_ += frame_record(serialized_event);
  const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_flush_).count();
  if (since >= options_.flush_secs || buffer_.size() >= (std::size_t{1} << 20)) write_out();
}

void Writer::scalar(const std::string& tag, double value, std::int64_t step) {
  check_tag(tag, "summary::scalar");
  std::lock_guard lock(mu_);
  check_usable("scalar");
  pb::Summary::Value v;
  v.set_tag(tag);
  v.set_simple_value(static_cast<float>(value));
  add_event(value_event(now(), step, v));
}

void Writer::histogram(const std::string& tag, const Tensor& values, std::int64_t step) {
  check_tag(tag, "summary::histogram");
  histogram(tag, make_histogram(values, tag), step);
}

void Writer::histogram(const std::string& tag, const Histogram& h, std::int64_t step) {
  check_tag(tag, "summary::histogram");
  if (h.bucket.size() != h.bucket_limit.size() || h.bucket.empty())
    fail("summary::histogram '", tag, "': ", h.bucket_limit.size(), " bucket limits for ", h.bucket.size(),
         " buckets; expected the same positive number");
  std::lock_guard lock(mu_);
  check_usable("histogram");
  pb::Summary::Value v;
  v.set_tag(tag);
  pb::HistogramProto* p = v.mutable_histo();
  p->set_min(h.min);
  p->set_max(h.max);
  p->set_num(h.num);
  p->set_sum(h.sum);
  p->set_sum_squares(h.sum_squares);
  p->mutable_bucket_limit()->Add(h.bucket_limit.begin(), h.bucket_limit.end());
  p->mutable_bucket()->Add(h.bucket.begin(), h.bucket.end());
  add_event(value_event(now(), step, v));
}

void Writer::text(const std::string& tag, const std::string& text, std::int64_t step) {
  check_tag(tag, "summary::text");
  std::lock_guard lock(mu_);
  check_usable("text");
  // As tensorboard/plugins/text/summary_v2.py writes it: a scalar DT_STRING tensor, the "text"
  // plugin with an empty TextPluginData (version 0), data class TENSOR.
  pb::Summary::Value v;
  v.set_tag(tag);
  pb::SummaryMetadata* m = v.mutable_metadata();
  m->mutable_plugin_data()->set_plugin_name("text");
  m->set_data_class(pb::DATA_CLASS_TENSOR);
  pb::TensorProto* t = v.mutable_tensor();
  t->set_dtype(pb::DT_STRING);
  t->mutable_tensor_shape();
  t->add_string_val(text);
  add_event(value_event(now(), step, v));
}

void Writer::flush() {
  std::lock_guard lock(mu_);
  check_usable("flush");
  write_out();
}

void Writer::close() {
  std::lock_guard lock(mu_);
  if (fd_ < 0) return;
  struct Closer {
    int& fd;
    ~Closer() {
      ::close(fd);
      fd = -1;
    }
  } closer{fd_};
  if (!failure_.empty()) return;
  write_out();
  if (::fsync(fd_) != 0 && errno != EINVAL && errno != EROFS)
    throw std::runtime_error("summary::Writer: " + system_error("syncing '" + path_ + "' failed", errno));
}

}  // namespace tg::summary
