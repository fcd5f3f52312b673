// read_keras_file in a child process: a file that crashes libhdf5 or libzip, loops, or asks for
// too much memory can at most kill the child. The child sends back plain data (strings, shapes,
// doubles, JSON text) over a pipe; the parent re-checks every count against the bytes it received,
// re-parses the JSON with the depth and size limits and re-checks every weight's shape.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "core/allocator.hpp"
#include "core/error.hpp"
#include "io/keras_internal.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define TG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TG_ASAN 1
#endif
#endif
#ifndef TG_ASAN
#define TG_ASAN 0
#endif

namespace tg::io {
namespace {

// ---- child -> parent encoding -------------------------------------------------------------

struct Out {
  std::string buf;
  void u64(std::uint64_t v) { buf.append(reinterpret_cast<const char*>(&v), 8); }
  void str(const std::string& s) {
    u64(s.size());
    buf += s;
  }
  void ints(const std::vector<std::int64_t>& v) {
    u64(v.size());
    buf.append(reinterpret_cast<const char*>(v.data()), v.size() * 8);
  }
  void doubles(const std::vector<double>& v) {
    u64(v.size());
    buf.append(reinterpret_cast<const char*>(v.data()), v.size() * 8);
  }
  void json(const nlohmann::json& j) { str(j.dump()); }
  void weight(const KerasWeight& w) {
    str(w.name);
    ints(w.shape);
    doubles(w.values);
    str(w.h5_path);
    str(w.stored_name);
    str(w.dtype);
  }
  void weights(const std::vector<KerasWeight>& ws) {
    u64(ws.size());
    for (const auto& w : ws) weight(w);
  }
  void node(const NativeNode& n) {
    weights(n.vars);
    str(n.vars_name);
    u64(n.has_vars);
    u64(n.children.size());
    for (const auto& [k, c] : n.children) {
      str(k);
      node(c);
    }
  }
  void model(const KerasModel& m) {
    str(m.format);
    str(m.keras_version);
    str(m.backend);
    str(m.model_name);
    ints(m.input_shape);
    u64(m.layers.size());
    for (const auto& l : m.layers) {
      str(l.class_name);
      str(l.name);
      json(l.config);
      weights(l.weights);
    }
    json(m.model_config);
    json(m.training_config);
    weights(m.optimizer_weights);
    node(m.native);
  }
};

// Reads what Out wrote, trusting nothing: every count is checked against the bytes left.
struct In {
  const std::string& buf;
  std::size_t pos = 0;
  const std::string& path;

  [[noreturn]] void corrupt() const {
    fail<FileError>("reading ", path, " in an isolated process: its answer is malformed (at byte ", pos, ")");
  }
  std::uint64_t u64() {
    if (buf.size() - pos < 8) corrupt();
    std::uint64_t v;
    std::memcpy(&v, buf.data() + pos, 8);
    pos += 8;
    return v;
  }
  std::uint64_t count(std::size_t elem) {
    const std::uint64_t n = u64();
    if (n > (buf.size() - pos) / elem) corrupt();
    return n;
  }
  std::string str() {
    const std::uint64_t n = count(1);
    std::string s = buf.substr(pos, n);
    pos += n;
    return s;
  }
  std::vector<std::int64_t> ints() {
    std::vector<std::int64_t> v(count(8));
    if (!v.empty()) std::memcpy(v.data(), buf.data() + pos, v.size() * 8);
    pos += v.size() * 8;
    return v;
  }
  std::vector<double> doubles() {
    std::vector<double> v(count(8));
    if (!v.empty()) std::memcpy(v.data(), buf.data() + pos, v.size() * 8);
    pos += v.size() * 8;
    return v;
  }
  nlohmann::json json(const std::string& what) { return detail::parse_json_text(str(), what + " of " + path); }
  KerasWeight weight(const std::string& layer) {
    KerasWeight w;
    w.name = str();
    w.shape = ints();
    w.values = doubles();
    w.h5_path = str();
    w.stored_name = str();
    w.dtype = str();
    detail::check_weight("isolated read", path, layer, w);  // shape against value count, overflow-safe
    return w;
  }
  std::vector<KerasWeight> weights(const std::string& layer) {
    const std::uint64_t n = count(6 * 8);
    std::vector<KerasWeight> ws;
    for (std::uint64_t i = 0; i < n; ++i) ws.push_back(weight(layer));
    return ws;
  }
  void node(NativeNode& n, int depth) {
    if (depth > 64) corrupt();
    n.vars = weights("native");
    n.vars_name = str();
    n.has_vars = u64() != 0;
    const std::uint64_t k = count(8 * 10);
    for (std::uint64_t i = 0; i < k; ++i) {
      std::string key = str();
      n.children.emplace_back(std::move(key), NativeNode());
      node(n.children.back().second, depth + 1);
    }
  }
  KerasModel model() {
    KerasModel m;
    m.format = str();
    m.keras_version = str();
    m.backend = str();
    m.model_name = str();
    m.input_shape = ints();
    const std::uint64_t n = count(8 * 4);
    for (std::uint64_t i = 0; i < n; ++i) {
      KerasLayer l;
      l.class_name = str();
      l.name = str();
      l.config = json("layer config");
      l.weights = weights(l.name);
      m.layers.push_back(std::move(l));
    }
    m.model_config = json("model config");
    m.training_config = json("training config");
    m.optimizer_weights = weights("optimizer");
    node(m.native, 0);
    if (pos != buf.size()) corrupt();
    return m;
  }
};

// ---- child ----------------------------------------------------------------------------------

// Virtual memory in use now: RLIMIT_AS counts it, and a process that has run threads (oneTBB)
// already holds far more address space than it touches. (Unused under ASan, which sets no limit.)
[[maybe_unused]] std::uint64_t current_vm_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0;
  statm >> pages;
  return pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

void write_all(int fd, const std::string& data) {
  for (std::size_t done = 0; done < data.size();) {
    const ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(3);
    done += static_cast<std::size_t>(w);
  }
}

[[noreturn]] void child(int fd, const std::string& path, const IsolationLimits& limits, std::uint64_t memory) {
  // A crash handler of the parent (a test framework's, which longjmps back into its own loop)
  // must not run here: a fault ends the child, and the parent reports it.
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGXCPU, SIGTERM, SIGPIPE}) signal(sig, SIG_DFL);
  rlimit core{0, 0};
  setrlimit(RLIMIT_CORE, &core);
  rlimit fsize{0, 0};  // the reader never writes a file
  setrlimit(RLIMIT_FSIZE, &fsize);
  const auto cpu = static_cast<rlim_t>(limits.cpu_seconds);
  rlimit cpu_limit{cpu, cpu + 1};
  setrlimit(RLIMIT_CPU, &cpu_limit);
#if !TG_ASAN
  // (AddressSanitizer reserves terabytes of shadow address space: no address-space limit there.)
  const rlim_t as = static_cast<rlim_t>(current_vm_bytes() + memory + (std::uint64_t{256} << 20));
  rlimit as_limit{as, as};
  setrlimit(RLIMIT_AS, &as_limit);
#endif
  alloc::set_memory_limit(static_cast<std::size_t>(memory));
  Out out;
  char tag = 'O';
  try {
    out.model(read_keras_file(path));
  } catch (const std::exception& e) {
    out.buf.clear();
    tag = dynamic_cast<const ShapeError*>(&e) ? 'S' : dynamic_cast<const MemoryError*>(&e) ? 'M' : 'F';
    out.buf = e.what();
  }
  write_all(fd, std::string(1, tag) + out.buf);
  ::close(fd);
  _exit(0);  // no atexit handlers, no flushing of the parent's stdio buffers
}

std::string signal_text(int sig) {
  const char* name = sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGABRT ? "SIGABRT"
                   : sig == SIGKILL ? "SIGKILL" : sig == SIGXCPU ? "SIGXCPU" : sig == SIGFPE ? "SIGFPE" : sig == SIGILL ? "SIGILL" : "";
  return "signal " + std::to_string(sig) + (*name ? std::string(" ") + name : std::string());
}

}  // namespace

KerasModel read_keras_file_isolated(const std::string& path, const IsolationLimits& limits) {
  if (limits.cpu_seconds <= 0) fail<std::invalid_argument>("read_keras_file_isolated: cpu_seconds must be positive");
  const std::uint64_t memory = limits.memory_bytes ? limits.memory_bytes : alloc::memory_limit();
  int fds[2];
  if (pipe(fds) != 0) fail<FileError>("reading ", path, " in an isolated process: pipe failed: ", std::strerror(errno));
  std::fflush(nullptr);  // the child must not inherit unflushed output (it leaves with _exit anyway)
  std::cout.flush();
  const pid_t pid = fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    fail<FileError>("reading ", path, " in an isolated process: fork failed: ", std::strerror(errno));
  }
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1], path, limits, memory);
  }
  ::close(fds[1]);
  // Read everything while the child runs; a child that is stuck (a FIFO, a hung file system)
  // without using CPU is killed after a wall-clock allowance.
  std::string answer;
  bool timed_out = false, too_big = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4 * limits.cpu_seconds + 10);
  char chunk[1 << 16];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int r = poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(chunk, static_cast<std::size_t>(n));
    if (answer.size() > 2 * memory + (std::uint64_t{1} << 20)) {
      too_big = true;
      break;
    }
  }
  ::close(fds[0]);
  if (timed_out || too_big) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string who = "reading " + path + " in an isolated process";
  if (timed_out) fail<FileError>(who, ": no answer after ", 4 * limits.cpu_seconds + 10, " s; stopped");
  if (too_big) fail<FileError>(who, ": its answer exceeds the memory limit; stopped");
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    if (sig == SIGXCPU)
      fail<FileError>(who, ": it used more than ", limits.cpu_seconds, " s of CPU (a hostile or corrupt file?)");
    fail<FileError>(who, ": the reader crashed (", signal_text(sig), "; a hostile or corrupt file? libhdf5 "
                    "and libzip are not hardened against every corrupt input)");
  }
  // A non-zero exit is a sanitizer's report (it exits 1) or an allocation past the address-space limit.
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || answer.empty())
    fail<FileError>(who, ": the reader crashed (exit status ", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                    "; a hostile or corrupt file, or out of memory under the limit of ", memory, " bytes)");
  const std::string body = answer.substr(1);
  switch (answer[0]) {
    case 'O': {
      In in{body, 0, path};
      return in.model();
    }
    case 'S': throw ShapeError(body);
    case 'M': throw MemoryError(body);
    case 'F': throw FileError(body);
    default: fail<FileError>(who, ": its answer is malformed");
  }
}

}  // namespace tg::io
