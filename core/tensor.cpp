#include "core/tensor.hpp"

#include <cmath>
#include <cstring>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "core/allocator.hpp"
#include "core/random.hpp"

namespace tg {
namespace detail {
namespace {
std::atomic<std::uint64_t> next_id{1};
std::atomic<AutogradDeleter> autograd_deleter{nullptr};
}  // namespace

Storage::Storage(std::size_t nbytes) : data(alloc::allocate(nbytes)), bytes(nbytes) {}
Storage::~Storage() {
  if (data) alloc::deallocate(data, bytes);
}

namespace {
void release_block(Storage* s) noexcept {
  if (s->weak.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
}
}  // namespace

void release_storage(Storage* s) noexcept {
  if (s->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  alloc::deallocate(s->data, s->bytes);
  s->data = nullptr;
  release_block(s);
}

StorageObserver::StorageObserver(Storage* s) noexcept : s_(s) {
  if (s_) s_->weak.fetch_add(1, std::memory_order_relaxed);
}
StorageObserver::StorageObserver(const StorageObserver& o) noexcept : StorageObserver(o.s_) {}
StorageObserver& StorageObserver::operator=(const StorageObserver& o) noexcept {
  if (o.s_) o.s_->weak.fetch_add(1, std::memory_order_relaxed);
  if (s_) release_block(s_);
  s_ = o.s_;
  return *this;
}
StorageObserver::~StorageObserver() {
  if (s_) release_block(s_);
}

TensorImpl::TensorImpl() : id(next_id.fetch_add(1, std::memory_order_relaxed)) {}
TensorImpl::~TensorImpl() {
  if (autograd) autograd_deleter.load(std::memory_order_relaxed)(autograd);
  if (storage) release_storage(storage);
  for (TensorImpl* c : companions)
    if (c && c->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete c;
}

void set_autograd_deleter(AutogradDeleter d) { autograd_deleter.store(d); }
}  // namespace detail

using detail::TensorImpl;

Tensor::Tensor(const Shape& shape, DType dtype) : impl_(new TensorImpl) {
  impl_->shape = shape;
  impl_->dtype = dtype;
  try {
    const std::size_t bytes = shape.nbytes(dtype_size(dtype));  // throws naming the shape on overflow
    if (bytes > alloc::memory_limit())
      fail<MemoryError>("Tensor: a ", dtype_name(dtype), " tensor of shape ", shape, " needs ", bytes,
                        " bytes, more than the memory limit of ", alloc::memory_limit(),
                        " bytes (tg::alloc::set_memory_limit)");
    try {
      impl_->storage = new detail::Storage(bytes);
    } catch (const std::bad_alloc&) {
      fail<MemoryError>("Tensor: cannot allocate ", bytes, " bytes for a ", dtype_name(dtype), " tensor of shape ",
                        shape);
    }
  } catch (...) {
    delete impl_;
    throw;
  }
}

Tensor::Tensor(const Tensor& o) noexcept : impl_(o.impl_) {
  if (impl_) impl_->refs.fetch_add(1, std::memory_order_relaxed);
}

Tensor& Tensor::operator=(const Tensor& o) noexcept {
  if (o.impl_) o.impl_->refs.fetch_add(1, std::memory_order_relaxed);
  this->~Tensor();
  impl_ = o.impl_;
  return *this;
}

Tensor& Tensor::operator=(Tensor&& o) noexcept {
  if (this != &o) {
    this->~Tensor();
    impl_ = o.impl_;
    o.impl_ = nullptr;
  }
  return *this;
}

Tensor::~Tensor() {
  if (impl_ && impl_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete impl_;
  impl_ = nullptr;
}

const TensorImpl& Tensor::impl() const {
  if (!impl_) throw std::logic_error("tapegrad: use of an undefined Tensor");
  return *impl_;
}

void Tensor::check_dtype(DType want, const char* op) const {
  if (dtype() != want) fail(op, ": tensor has dtype ", dtype_name(dtype()), ", expected ", dtype_name(want));
}

std::int64_t Tensor::dim(std::int64_t axis) const { return shape()[normalize_axis(axis, rank(), "dim")]; }

void* Tensor::raw_data() const {
  const TensorImpl& t = impl();
  return static_cast<char*>(t.storage->data) + t.offset * static_cast<std::int64_t>(dtype_size(t.dtype));
}

bool Tensor::shares_storage(const Tensor& o) const {
  return impl_ && o.impl_ && impl_->storage == o.impl_->storage;
}

namespace {
double load(const void* p, DType dt, std::int64_t i) {
  return visit_dtype(dt, [&](auto t) { return static_cast<double>(static_cast<const decltype(t)*>(p)[i]); });
}
void store(void* p, DType dt, std::int64_t i, double v) {
  visit_dtype(dt, [&](auto t) { static_cast<decltype(t)*>(p)[i] = static_cast<decltype(t)>(v); });
}
}  // namespace

double Tensor::at(std::initializer_list<std::int64_t> index) const {
  if (static_cast<int>(index.size()) != rank())
    fail("Tensor::at: index has ", index.size(), " entries, tensor ", shape(), " has rank ", rank());
  std::int64_t flat = 0;
  int axis = 0;
  for (std::int64_t i : index) {
    const std::int64_t d = shape()[axis];
    if (i < -d || i >= d) fail("Tensor::at: index ", i, " is out of range for axis ", axis, " of ", shape());
    flat = flat * d + (i < 0 ? i + d : i);
    ++axis;
  }
  return load(raw_data(), dtype(), flat);
}

double Tensor::item() const {
  if (numel() != 1) fail("Tensor::item: tensor of shape ", shape(), " has ", numel(), " elements, expected 1");
  return load(raw_data(), dtype(), 0);
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  std::vector<T> out(static_cast<std::size_t>(numel()));
  const void* p = raw_data();
  visit_dtype(dtype(), [&](auto t) {
    using S = decltype(t);
    const S* s = static_cast<const S*>(p);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(s[i]);
  });
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int32_t> Tensor::to_vector<std::int32_t>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;

void Tensor::set_companion(const Tensor& t, int tag) const {
  impl();  // throws for an undefined tensor
  if (tag == 0) fail("set_companion: tag 0 is reserved for a free slot");
  if (t.impl_ == impl_) fail("set_companion: a tensor cannot be its own companion");
  TensorImpl& self = *impl_;
  int slot = -1;
  for (int i = 0; i < TensorImpl::kCompanions; ++i)
    if (self.companion_tags[i] == tag) slot = i;
  for (int i = 0; slot < 0 && i < TensorImpl::kCompanions; ++i)
    if (self.companion_tags[i] == 0) slot = i;
  if (slot < 0) fail("set_companion: a tensor holds at most ", TensorImpl::kCompanions, " companions");
  if (t.impl_) t.impl_->refs.fetch_add(1, std::memory_order_relaxed);
  TensorImpl* old = self.companions[slot];
  self.companions[slot] = t.impl_;
  self.companion_tags[slot] = t.impl_ ? tag : 0;
  if (old && old->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete old;
}

Tensor Tensor::companion(int tag) const {
  const TensorImpl& self = impl();
  for (int i = 0; i < TensorImpl::kCompanions; ++i)
    if (self.companion_tags[i] == tag && self.companions[i]) {
      self.companions[i]->refs.fetch_add(1, std::memory_order_relaxed);
      return Tensor(self.companions[i]);
    }
  return Tensor();
}

void Tensor::mark_modified() const { impl().storage->version.fetch_add(1, std::memory_order_acq_rel); }
std::uint64_t Tensor::version() const { return impl().storage->version.load(std::memory_order_acquire); }

// A new tensor over x's storage (a view): its own id, the given offset and shape.
Tensor Tensor::view_of(const Tensor& x, std::int64_t offset, const Shape& shape) {
  const TensorImpl& in = x.impl();
  Tensor out(new TensorImpl);
  out.impl_->storage = in.storage;
  in.storage->refs.fetch_add(1, std::memory_order_relaxed);
  out.impl_->offset = in.offset + offset;
  out.impl_->shape = shape;
  out.impl_->dtype = in.dtype;
  return out;
}

namespace core {

Tensor copy(const Tensor& x) {
  Tensor out(x.shape(), x.dtype());
  std::memcpy(out.raw_data(), x.raw_data(), static_cast<std::size_t>(x.numel()) * dtype_size(x.dtype()));
  return out;
}

Tensor view(const Tensor& x, std::span<const std::int64_t> dims) {
  const std::int64_t n = x.numel();
  Shape s;
  int infer = -1;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      if (infer >= 0) fail("reshape: more than one -1 in the target shape for a tensor of shape ", x.shape());
      infer = static_cast<int>(i);
      s.push_back(1);
    } else {
      if (dims[i] < 0) fail("reshape: negative dimension ", dims[i], " in the target shape");
      s.push_back(dims[i]);
      known *= dims[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || n % known != 0) {
      std::ostringstream os;
      for (std::size_t i = 0; i < dims.size(); ++i) os << (i ? ", " : "(") << dims[i];
      fail("reshape: cannot reshape a tensor of shape ", x.shape(), " (", n, " elements) into ", os.str(), ")");
    }
    s[infer] = n / known;
  }
  if (s.numel() != n)
    fail("reshape: cannot reshape a tensor of shape ", x.shape(), " (", n, " elements) into ", s, " (", s.numel(),
         " elements)");
  return Tensor::view_of(x, 0, s);
}

Tensor rows_view(const Tensor& x, std::int64_t begin, std::int64_t end) {
  if (x.rank() == 0) fail("slice_rows: cannot slice a scalar");
  const std::int64_t n = x.shape()[0];
  if (begin < 0 || end > n || begin > end)
    fail("slice_rows: rows [", begin, ", ", end, ") are out of range for a tensor of shape ", x.shape());
  const std::int64_t row = n ? x.numel() / n : 0;
  Shape s = x.shape();
  s[0] = end - begin;
  return Tensor::view_of(x, begin * row, s);
}

Tensor convert(const Tensor& x, DType dt) {
  if (dt == x.dtype()) return x;
  Tensor out(x.shape(), dt);
  out.copy_from(x);
  return out;
}

}  // namespace core

void Tensor::copy_from(const Tensor& src) {
  if (!(src.shape() == shape()))
    fail("copy_from: source shape ", src.shape(), " differs from destination shape ", shape());
  mark_modified();
  const std::int64_t n = numel();
  if (src.dtype() == dtype()) {
    std::memmove(raw_data(), src.raw_data(), static_cast<std::size_t>(n) * dtype_size(dtype()));
    return;
  }
  void* d = raw_data();
  const void* s = src.raw_data();
  visit_dtype(dtype(), [&](auto dt) {
    using D = decltype(dt);
    visit_dtype(src.dtype(), [&](auto st) {
      using S = decltype(st);
      for (std::int64_t i = 0; i < n; ++i) static_cast<D*>(d)[i] = static_cast<D>(static_cast<const S*>(s)[i]);
    });
  });
}

void Tensor::fill(double value) {
  mark_modified();
  void* p = raw_data();
  const std::int64_t n = numel();
  visit_dtype(dtype(), [&](auto t) {
    using T = decltype(t);
    const T v = static_cast<T>(value);
    for (std::int64_t i = 0; i < n; ++i) static_cast<T*>(p)[i] = v;
  });
}

Tensor Tensor::zeros(const Shape& s, DType dt) { return full(s, 0.0, dt); }
Tensor Tensor::ones(const Shape& s, DType dt) { return full(s, 1.0, dt); }
Tensor Tensor::full(const Shape& s, double value, DType dt) {
  Tensor t(s, dt);
  t.fill(value);
  return t;
}
Tensor Tensor::scalar(double value, DType dt) { return full(Shape{}, value, dt); }

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& s) {
  if (static_cast<std::int64_t>(values.size()) != s.numel())
    fail("from_vector: ", values.size(), " values do not fill shape ", s, " (", s.numel(), " elements)");
  Tensor t(s, dtype_of<T>::value);
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
  return t;
}
template Tensor Tensor::from_vector(const std::vector<float>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<double>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<std::int32_t>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<std::int64_t>&, const Shape&);

Tensor Tensor::from_values(std::initializer_list<double> values, const Shape& s, DType dt) {
  if (static_cast<std::int64_t>(values.size()) != s.numel())
    fail("from_values: ", values.size(), " values do not fill shape ", s, " (", s.numel(), " elements)");
  Tensor t(s, dt);
  std::int64_t i = 0;
  for (double v : values) store(t.raw_data(), dt, i++, v);
  return t;
}

Tensor Tensor::arange(double start, double stop, double step, DType dt) {
  if (step == 0 || !std::isfinite(start) || !std::isfinite(stop) || !std::isfinite(step))
    fail("arange: invalid range start=", start, " stop=", stop, " step=", step);
  const auto n = static_cast<std::int64_t>(std::max(0.0, std::ceil((stop - start) / step)));
  Tensor t(Shape{n}, dt);
  for (std::int64_t i = 0; i < n; ++i) store(t.raw_data(), dt, i, start + static_cast<double>(i) * step);
  return t;
}

Tensor Tensor::uniform(const Shape& s, double low, double high, Generator& gen, DType dt) {
  if (!is_floating(dt)) fail("uniform: dtype must be float32 or float64, got ", dtype_name(dt));
  Tensor t(s, dt);
  const std::int64_t n = t.numel();
  visit_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    T* p = static_cast<T*>(t.raw_data());
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(low + (high - low) * gen.next_double());
  });
  return t;
}

Tensor Tensor::normal(const Shape& s, double mean, double stddev, Generator& gen, DType dt) {
  if (!is_floating(dt)) fail("normal: dtype must be float32 or float64, got ", dtype_name(dt));
  Tensor t(s, dt);
  const std::int64_t n = t.numel();
  visit_dtype(dt, [&](auto tag) {
    using T = decltype(tag);
    T* p = static_cast<T*>(t.raw_data());
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(mean + stddev * gen.next_normal());
  });
  return t;
}

double Generator::next_normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = next_double();
  while (u1 <= 0.0) u1 = next_double();
  const double u2 = next_double();
  const double r = std::sqrt(-2.0 * std::log(u1));
  spare_ = r * std::sin(2.0 * M_PI * u2);
  has_spare_ = true;
  return r * std::cos(2.0 * M_PI * u2);
}

std::uint64_t Generator::next_below(std::uint64_t n) {
  // Rejection sampling keeps the draw unbiased.
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
  std::uint64_t x;
  do x = next_u64();
  while (x >= limit);
  return x % n;
}

namespace {
void print_rec(std::ostream& os, const Tensor& t, const void* p, int axis, std::int64_t& flat, int indent) {
  const Shape& s = t.shape();
  if (axis == s.rank()) {
    const double v = load(p, t.dtype(), flat++);
    if (is_floating(t.dtype())) os << std::setprecision(t.dtype() == DType::float32 ? 7 : 15) << v;
    else os << static_cast<std::int64_t>(v);
    return;
  }
  os << '[';
  const std::int64_t n = s[axis];
  const bool elide = n > 6;
  for (std::int64_t i = 0; i < n; ++i) {
    if (elide && i == 3) {
      os << (axis + 1 == s.rank() ? ", ..." : ",\n" + std::string(static_cast<std::size_t>(indent + 1), ' ') + "...");
      std::int64_t inner = 1;
      for (int a = axis + 1; a < s.rank(); ++a) inner *= s[a];
      const std::int64_t skip = (n - 6) * inner;
      flat += skip;
      i = n - 3;
    }
    if (i) os << (axis + 1 == s.rank() ? ", " : ",\n" + std::string(static_cast<std::size_t>(indent + 1), ' '));
    print_rec(os, t, p, axis + 1, flat, indent + 1);
  }
  os << ']';
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  os << "tensor(";
  std::int64_t flat = 0;
  print_rec(os, t, t.raw_data(), 0, flat, 7);
  return os << ", shape=" << t.shape() << ", dtype=" << dtype_name(t.dtype()) << ')';
}

std::string to_string(const Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

}  // namespace tg
