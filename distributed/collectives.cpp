#include "distributed/collectives.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "distributed/comm.hpp"
#include "distributed/environment.hpp"
#include "nn/optimizers.hpp"

namespace tg::distributed {

namespace {

// One dtype's stream of values summed over the ranks through a fusion buffer: pieces are copied
// in (scaled), a full buffer is reduced in one in-place call, then copied out to their targets.
template <class T>
class Fusion {
 public:
  Fusion(std::int64_t total, std::int64_t fusion_bytes)
      : cap_(std::max<std::int64_t>(1, std::min<std::int64_t>(total, fusion_bytes / static_cast<std::int64_t>(sizeof(T))))),
        buf_(storage()) {
    if (buf_.size() < static_cast<std::size_t>(cap_)) buf_.resize(static_cast<std::size_t>(cap_));
  }
  // dst[0, n) will hold the sum over ranks of scale * src[0, n) (src null: zeros).
  void add(const T* src, T* dst, std::int64_t n, T scale) {
    while (n > 0) {
      const std::int64_t k = std::min(n, cap_ - used_);
      T* b = buf_.data() + used_;
      if (src)
        for (std::int64_t i = 0; i < k; ++i) b[i] = src[i] * scale;
      else
        std::fill(b, b + k, T(0));
      pieces_.push_back({dst, used_, k});
      used_ += k, n -= k, dst += k;
      if (src) src += k;
      if (used_ == cap_) flush();
    }
  }
  void flush() {
    if (used_ == 0) return;
    comm::allreduce_sum(buf_.data(), used_, dtype_of<T>::value);
    for (const Piece& p : pieces_) std::memcpy(p.dst, buf_.data() + p.offset, static_cast<std::size_t>(p.n) * sizeof(T));
    pieces_.clear();
    used_ = 0;
  }

 private:
  struct Piece {
    T* dst;
    std::int64_t offset, n;
  };
  // One buffer per dtype for the life of the process (as Horovod's fusion buffer): a fresh 400 KB
  // vector each step cost an mmap, page faults and zeroing on every step of the seed model.
  static std::vector<T>& storage() {
    static std::vector<T> b;
    return b;
  }
  std::int64_t cap_, used_ = 0;
  std::vector<T>& buf_;
  std::vector<Piece> pieces_;
};

void check_float(const Tensor& t, const char* op, std::size_t i) {
  if (!is_floating(t.dtype()))
    throw std::invalid_argument(std::string("tg::distributed::") + op + ": tensor " + std::to_string(i) + " has dtype " +
                                dtype_name(t.dtype()) + "; only float32 and float64 are reduced");
}

// The sum over ranks of scale[i] * srcs[i] (undefined src: zeros) into fresh tensors of like[i]'s
// shape and dtype, plus the sum of `header` (float64, travels in the float64 stream).
std::vector<Tensor> fused_sum(const std::vector<Tensor>& srcs, const std::vector<Tensor>& like, double scale,
                              std::vector<double>& header) {
  std::int64_t n32 = 0, n64 = 0;
  for (const Tensor& t : like) (t.dtype() == DType::float32 ? n32 : n64) += t.numel();
  // The header rides with the float64 values, or with the float32 ones when there are no others
  // (its sample counts and flags are exact in float32), so that it costs no call of its own.
  const auto nh = static_cast<std::int64_t>(header.size());
  const bool header32 = n64 == 0 && n32 > 0;
  std::vector<float> header_f(header.begin(), header.end());
  const std::int64_t fb = fusion_bytes();
  std::vector<Tensor> out(like.size());
  const bool zero = scale == 0;  // a rank with nothing to add sends zeros (NaN * 0 would not be)
  if (n32 > 0) {
    Fusion<float> f32(n32 + (header32 ? nh : 0), fb);
    if (header32) f32.add(header_f.data(), header_f.data(), nh, 1.0f);
    for (std::size_t i = 0; i < like.size(); ++i)
      if (like[i].dtype() == DType::float32) {
        out[i] = Tensor(like[i].shape(), DType::float32);
        f32.add(srcs[i].defined() && !zero ? srcs[i].data<float>() : nullptr, out[i].data<float>(), out[i].numel(),
                static_cast<float>(scale));
      }
    f32.flush();
  }
  if (n64 > 0 || (!header32 && nh > 0)) {
    Fusion<double> f64(n64 + (header32 ? 0 : nh), fb);
    if (!header32) f64.add(header.data(), header.data(), nh, 1.0);
    for (std::size_t i = 0; i < like.size(); ++i)
      if (like[i].dtype() == DType::float64) {
        out[i] = Tensor(like[i].shape(), DType::float64);
        f64.add(srcs[i].defined() && !zero ? srcs[i].data<double>() : nullptr, out[i].data<double>(), out[i].numel(), scale);
      }
    f64.flush();
  }
  if (header32) std::copy(header_f.begin(), header_f.end(), header.begin());
  return out;
}

void divide(Tensor& t, double d) {
  const std::int64_t n = t.numel();  // hoisted: a call per element kept the loop scalar
  if (t.dtype() == DType::float32) {
    float* p = t.data<float>();
    const auto f = static_cast<float>(d);
    for (std::int64_t i = 0; i < n; ++i) p[i] /= f;
  } else {
    double* p = t.data<double>();
    for (std::int64_t i = 0; i < n; ++i) p[i] /= d;
  }
}

std::string shape_str(const std::vector<std::int64_t>& d, std::size_t at, std::size_t rank) {
  std::ostringstream os;
  os << "(";
  for (std::size_t k = 0; k < rank; ++k) os << (k ? ", " : "") << d[at + k];
  os << (rank == 1 ? ",)" : ")");
  return os.str();
}

// Every rank checks its own description (count, then dtype, rank, dims per tensor) against the
// root's; the first rank that differs sends its message to all, and every rank throws it, so no
// rank goes on to a broadcast the others will not join.
void check_agree(const std::vector<Tensor>& ts, const std::vector<std::string>& names, int root, const char* what) {
  std::vector<std::int64_t> mine{static_cast<std::int64_t>(ts.size())};
  for (const Tensor& t : ts) {
    mine.push_back(static_cast<std::int64_t>(t.dtype()));
    mine.push_back(t.rank());
    for (std::int64_t d : t.shape()) mine.push_back(d);
  }
  std::int64_t len = static_cast<std::int64_t>(mine.size());
  comm::broadcast(&len, sizeof len, root);
  std::vector<std::int64_t> theirs = mine;
  theirs.resize(static_cast<std::size_t>(len));
  comm::broadcast(theirs.data(), len * static_cast<std::int64_t>(sizeof(std::int64_t)), root);

  const int me = comm::rank();
  std::string diff;
  auto name = [&](std::size_t i) { return std::string(what) + " " + std::to_string(i) + (names.empty() ? "" : " ('" + names[i] + "')"); };
  if (theirs[0] != mine[0]) {
    diff = "it has " + std::to_string(mine[0]) + " " + what + "s, rank " + std::to_string(root) + " has " + std::to_string(theirs[0]);
  } else {
    for (std::size_t i = 0, a = 1; i < ts.size() && diff.empty(); ++i) {
      const auto dt = static_cast<DType>(theirs[a]);
      const auto rk = static_cast<std::size_t>(theirs[a + 1]);
      const std::string their_shape = shape_str(theirs, a + 2, rk), my_shape = shape_str(mine, a + 2, static_cast<std::size_t>(ts[i].rank()));
      if (dt != ts[i].dtype())
        diff = name(i) + " has dtype " + dtype_name(ts[i].dtype()) + ", on rank " + std::to_string(root) + " " + dtype_name(dt);
      else if (their_shape != my_shape)
        diff = name(i) + " has shape " + my_shape + ", on rank " + std::to_string(root) + " " + their_shape;
      a += 2 + rk;
    }
  }
  std::int64_t first = diff.empty() ? comm::size() : me;
  comm::allreduce_min(&first, 1);
  if (first == comm::size()) return;
  std::string msg = "tg::distributed::broadcast from rank " + std::to_string(root) + ": the ranks' models differ: rank " +
                    std::to_string(first) + ": " + diff;
  std::int64_t n = static_cast<std::int64_t>(msg.size());
  comm::broadcast(&n, sizeof n, static_cast<int>(first));
  msg.resize(static_cast<std::size_t>(n));
  comm::broadcast(msg.data(), n, static_cast<int>(first));
  throw std::invalid_argument(msg);
}

void check_root(int root) {
  if (root < 0 || root >= comm::size())
    throw std::invalid_argument("tg::distributed::broadcast: root " + std::to_string(root) + " is not a rank of the " +
                                std::to_string(comm::size()) + " in the job");
}

}  // namespace

std::vector<Tensor> allreduce(const std::vector<Tensor>& tensors, bool average) {
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].defined()) throw std::invalid_argument("tg::distributed::allreduce: tensor " + std::to_string(i) + " is undefined");
    check_float(tensors[i], "allreduce", i);
  }
  std::vector<double> none;
  std::vector<Tensor> out = fused_sum(tensors, tensors, 1.0, none);
  if (average && comm::size() > 1)
    for (Tensor& t : out) divide(t, comm::size());
  return out;
}

std::vector<Tensor> weighted_average(const std::vector<Tensor>& tensors, const std::vector<Variable>& like, double weight,
                                     std::vector<double>* sums) {
  if (tensors.size() != like.size())
    throw std::invalid_argument("tg::distributed::weighted_average: " + std::to_string(tensors.size()) + " tensors for " +
                                std::to_string(like.size()) + " variables");
  if (!(weight >= 0)) throw std::invalid_argument("tg::distributed::weighted_average: weight must be >= 0, got " + std::to_string(weight));
  std::vector<Tensor> shapes;
  for (std::size_t i = 0; i < like.size(); ++i) {
    shapes.push_back(like[i].value());
    check_float(shapes.back(), "weighted_average", i);
    const Tensor& t = tensors[i];
    if (t.defined() && (t.shape() != shapes.back().shape() || t.dtype() != shapes.back().dtype()))
      throw std::invalid_argument("tg::distributed::weighted_average: tensor " + std::to_string(i) + " has shape " + t.shape().str() +
                                  " " + dtype_name(t.dtype()) + ", variable '" + like[i].name() + "' " + shapes.back().shape().str() +
                                  " " + dtype_name(shapes.back().dtype()));
  }
  // Header: the weights' sum, how many ranks had each tensor (0: stays undefined), then `sums`.
  std::vector<double> header{weight};
  for (const Tensor& t : tensors) header.push_back(t.defined() && weight > 0 ? 1.0 : 0.0);
  if (sums) header.insert(header.end(), sums->begin(), sums->end());
  std::vector<Tensor> out = fused_sum(tensors, shapes, weight, header);
  if (sums) std::copy(header.end() - static_cast<std::ptrdiff_t>(sums->size()), header.end(), sums->begin());
  if (!(header[0] > 0)) throw std::invalid_argument("tg::distributed::weighted_average: the weights sum to 0 over the ranks");
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (header[i + 1] == 0) out[i] = Tensor();
    else divide(out[i], header[0]);
  }
  return out;
}

void broadcast(const std::vector<Tensor>& tensors, int root) {
  check_root(root);
  if (comm::size() == 1) return;
  for (std::size_t i = 0; i < tensors.size(); ++i)
    if (!tensors[i].defined()) throw std::invalid_argument("tg::distributed::broadcast: tensor " + std::to_string(i) + " is undefined");
  check_agree(tensors, {}, root, "tensor");
  for (const Tensor& t : tensors) {
    comm::broadcast(t.raw_data(), t.numel() * static_cast<std::int64_t>(dtype_size(t.dtype())), root);
    t.mark_modified();
  }
}

void broadcast(const std::vector<Variable>& vars, int root) {
  check_root(root);
  if (comm::size() == 1) return;
  std::vector<Tensor> ts;
  std::vector<std::string> names;
  for (const Variable& v : vars) ts.push_back(v.value()), names.push_back(v.name());
  check_agree(ts, names, root, "variable");
  for (const Tensor& t : ts) {
    comm::broadcast(t.raw_data(), t.numel() * static_cast<std::int64_t>(dtype_size(t.dtype())), root);
    t.mark_modified();
  }
}

void broadcast(nn::Optimizer& optimizer, const std::vector<Variable>& vars, int root) {
  check_root(root);
  if (comm::size() == 1) return;
  std::vector<nn::Optimizer::Slot> slots = optimizer.state(vars);
  std::vector<Tensor> ts;
  for (const auto& s : slots) ts.push_back(s.value);
  broadcast(ts, root);
  optimizer.load_state(vars, slots);
}

std::int64_t allreduce_calls() { return comm::allreduce_calls(); }

}  // namespace tg::distributed
