#include "io/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <sstream>

#include "core/allocator.hpp"

namespace tg::io {

namespace {

template <class... Args>
[[noreturn]] void data_error(const Args&... args) {
  tg::fail<DataError>(args...);
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Owns a zlib file handle. zlib reads raw files transparently, so one path serves .gz and raw.
class GzFile {
 public:
  GzFile(const std::string& path, const char* mode, const char* op) : path_(path) {
    errno = 0;
    f_ = gzopen(path.c_str(), mode);
    if (!f_)
      data_error(op, ": cannot open '", path, "': ", errno ? std::strerror(errno) : "zlib could not allocate");
  }
  ~GzFile() {
    if (f_) gzclose(f_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads up to n bytes, appending them to out; returns how many were read (fewer only at the end
  // of the data, including a gzip stream cut short). Throws on a read or decompression error.
  std::size_t read_into(std::vector<std::uint8_t>& out, std::size_t n, const char* op) {
    std::size_t total = 0;
    constexpr std::size_t chunk = std::size_t{1} << 24;
    while (total < n) {
      const std::size_t want = std::min(chunk, n - total);
      const std::size_t old = out.size();
      out.resize(old + want);
      const int got = gzread(f_, out.data() + old, static_cast<unsigned>(want));
      if (got < 0) {
        out.resize(old);
        data_error(op, ": cannot read '", path_, "': ", error_text());
      }
      out.resize(old + static_cast<std::size_t>(got));
      total += static_cast<std::size_t>(got);
      if (static_cast<std::size_t>(got) < want) break;
    }
    return total;
  }

  // zlib's note on why a read stopped early ("unexpected end of file" for a cut gzip stream), or "".
  std::string stop_reason() const {
    int errnum = Z_OK;
    const char* msg = gzerror(f_, &errnum);
    return errnum == Z_OK ? std::string() : without_path(msg);
  }

  void write(const void* data, std::size_t n, const char* op) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    constexpr std::size_t chunk = std::size_t{1} << 24;
    for (std::size_t done = 0; done < n;) {
      const std::size_t len = std::min(chunk, n - done);
      if (gzwrite(f_, p + done, static_cast<unsigned>(len)) != static_cast<int>(len))
        data_error(op, ": cannot write '", path_, "': ", error_text());
      done += len;
    }
  }

  void close(const char* op) {
    const int rc = gzclose(f_);
    f_ = nullptr;
    if (rc != Z_OK) data_error(op, ": cannot finish writing '", path_, "' (zlib error ", rc, ")");
  }

 private:
  std::string error_text() const {
    int errnum = Z_OK;
    const char* msg = gzerror(f_, &errnum);
    if (errnum == Z_ERRNO) return std::strerror(errno);
    return without_path(msg);
  }

  // zlib prefixes its messages with "<path>: "; ours name the path already.
  std::string without_path(const char* msg) const {
    std::string m(msg);
    const std::string prefix = path_ + ": ";
    return m.rfind(prefix, 0) == 0 ? m.substr(prefix.size()) : m;
  }

  gzFile f_ = nullptr;
  std::string path_;
};

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

std::string truncated(const std::string& path, const char* what, std::uint64_t expected, std::uint64_t found,
                      const std::string& reason) {
  std::ostringstream os;
  os << "read_idx: '" << path << "' is truncated: " << what << " needs " << expected << " bytes, found "
     << found;
  if (!reason.empty()) os << " (" << reason << ")";
  return os.str();
}

}  // namespace

IdxData read_idx(const std::string& path, int expected_rank) {
  GzFile f(path, "rb", "read_idx");
  std::vector<std::uint8_t> head;
  if (f.read_into(head, 4, "read_idx") < 4)
    throw DataError(truncated(path, "the magic number", 4, head.size(), f.stop_reason()));

  const std::uint32_t magic = be32(head.data());
  const int rank = static_cast<int>(magic & 0xffu);
  const bool is_uint8_idx = (magic >> 8) == 0x08u && rank > 0;
  if (!is_uint8_idx || (expected_rank > 0 && rank != expected_rank)) {
    if (expected_rank > 0)
      data_error("read_idx: '", path, "' has magic ", hex32(magic), ", expected ",
                 hex32(0x800u | static_cast<std::uint32_t>(expected_rank)), " (uint8 IDX with ", expected_rank,
                 expected_rank == 1 ? " dimension)" : " dimensions)");
    data_error("read_idx: '", path, "' has magic ", hex32(magic), ", expected 0x000008NN (uint8 IDX, NN dimensions)");
  }

  const auto header_bytes = static_cast<std::size_t>(4 * rank);
  if (f.read_into(head, header_bytes, "read_idx") < header_bytes)
    throw DataError(truncated(path, "the header", 4 + header_bytes, head.size(), f.stop_reason()));

  IdxData out;
  std::uint64_t count = 1;
  // Beyond 2^40 bytes the header is garbage, not a data set; refuse it before multiplying further.
  constexpr std::uint64_t max_bytes = std::uint64_t{1} << 40;
  for (int i = 0; i < rank; ++i) {
    const std::uint32_t d = be32(head.data() + 4 + 4 * i);
    out.dims.push_back(d);
    if (d != 0 && count > max_bytes / d)
      data_error("read_idx: '", path, "' declares an implausible size (dimension ", i, " is ", d, ")");
    count *= d;
  }

  // A gzip bomb declares what it inflates to: refuse more than the memory limit before inflating
  // (the float32 images read_idx_images makes take 4 bytes per value).
  if (count > alloc::memory_limit() / 4) {
    std::ostringstream shape;
    for (std::size_t i = 0; i < out.dims.size(); ++i) shape << (i ? ", " : "") << out.dims[i];
    data_error("read_idx: '", path, "' declares shape (", shape.str(), out.dims.size() == 1 ? ",)" : ")", ", ", count,
               " values, more than a quarter of the memory limit of ", alloc::memory_limit(), " bytes");
  }
  // Grow as data arrives rather than trusting the header with one big allocation.
  out.bytes.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, std::uint64_t{1} << 26)));
  const std::size_t got = f.read_into(out.bytes, static_cast<std::size_t>(count), "read_idx");
  if (got < count) {
    std::ostringstream what;
    what << "the data of shape (";
    for (std::size_t i = 0; i < out.dims.size(); ++i) what << (i ? ", " : "") << out.dims[i];
    what << (out.dims.size() == 1 ? ",)" : ")");
    throw DataError(truncated(path, what.str().c_str(), 4 + header_bytes + count, 4 + header_bytes + got,
                              f.stop_reason()));
  }
  // A file longer than its header says, or a gzip stream cut after the data but before its
  // checksum, is as suspect as a short one: one more read surfaces both.
  std::vector<std::uint8_t> extra;
  if (f.read_into(extra, 1, "read_idx") > 0)
    data_error("read_idx: '", path, "' holds more than the ", 4 + header_bytes + count,
               " bytes its header declares");
  if (const std::string reason = f.stop_reason(); !reason.empty())
    data_error("read_idx: '", path, "' is truncated: the gzip stream ends early (", reason, ")");
  return out;
}

Tensor read_idx_images(const std::string& path, double divisor) {
  if (!(divisor > 0) || !std::isfinite(divisor))
    tg::fail<std::invalid_argument>("read_idx_images: divisor must be positive and finite, got ", divisor);
  IdxData d = read_idx(path, 3);
  Tensor t(Shape(d.dims), DType::float32);
  float* dst = t.data<float>();
  // x / divisor in double, rounded once to float: the same float numpy gives for (x / 255.0).astype(float32).
  for (std::size_t i = 0; i < d.bytes.size(); ++i) dst[i] = static_cast<float>(d.bytes[i] / divisor);
  return t;
}

Tensor read_idx_labels(const std::string& path) {
  IdxData d = read_idx(path, 1);
  Tensor t(Shape(d.dims), DType::int64);
  std::int64_t* dst = t.data<std::int64_t>();
  for (std::size_t i = 0; i < d.bytes.size(); ++i) dst[i] = d.bytes[i];
  return t;
}

void write_idx(const std::string& path, std::span<const std::int64_t> dims, std::span<const std::uint8_t> bytes) {
  if (dims.empty() || dims.size() > 255)
    tg::fail<std::invalid_argument>("write_idx: '", path, "': rank must be 1..255, got ", dims.size());
  std::uint64_t count = 1;
  for (std::int64_t d : dims) {
    if (d < 0 || d > std::numeric_limits<std::uint32_t>::max())
      tg::fail<std::invalid_argument>("write_idx: '", path, "': dimension ", d, " does not fit in uint32");
    count *= static_cast<std::uint64_t>(d);
  }
  if (count != bytes.size())
    tg::fail<std::invalid_argument>("write_idx: '", path, "': dims hold ", count, " values, got ", bytes.size());

  const bool gz = path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  GzFile f(path, gz ? "wb" : "wbT", "write_idx");  // "T": zlib writes the bytes as they are
  std::vector<std::uint8_t> head;
  auto put32 = [&head](std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) head.push_back(static_cast<std::uint8_t>(v >> s));
  };
  put32(0x800u | static_cast<std::uint32_t>(dims.size()));
  for (std::int64_t d : dims) put32(static_cast<std::uint32_t>(d));
  f.write(head.data(), head.size(), "write_idx");
  f.write(bytes.data(), bytes.size(), "write_idx");
  f.close("write_idx");
}

}  // namespace tg::io
