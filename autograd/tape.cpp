#include "autograd/tape.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <atomic>
#include <unordered_map>
#include <unordered_set>

#include "autograd/numerics_detail.hpp"
#include "autograd/variable.hpp"
#include "core/elementwise.hpp"

namespace tg {
namespace autograd {

bool Needs::any() const {
  for (bool b : bits_)
    if (b) return true;
  return false;
}

// The version an input (index >= 0) or the output (-1) of a recorded op had when it was recorded;
// the storage is observed, not kept alive, so a tensor the backward rule did not keep costs nothing.
struct SavedVersion {
  int index;
  tg::detail::StorageObserver storage;
  std::uint64_t version;
  Shape shape;
};

// What a recorded op keeps: the ids of its inputs, its output's id, shape and dtype, the rule,
// and the storage versions of its inputs and output at record time.
struct Node {
  const char* op;
  std::vector<std::uint64_t> input_ids;
  std::uint64_t output_id;
  Shape output_shape;
  DType output_dtype;
  BackwardFn backward;
  std::vector<SavedVersion> versions;
  std::shared_ptr<const numerics::Origin> origin;  // only while check_numerics is enabled
};

struct TapeState {
  bool persistent = false;
  bool watch_variables = true;
  bool used = false;    // a non-persistent tape after its gradient call
  bool paused = false;  // stop_recording(), or its own gradient() running
  std::vector<std::shared_ptr<Node>> nodes;
  // Tracked tensor id -> index of the node producing it, or -1 for a watched leaf.
  std::unordered_map<std::uint64_t, std::int64_t> tracked;
  // Leaves kept alive so their ids stay meaningful while the tape lives.
  std::vector<Tensor> watched;

  bool tracks(const Tensor& t) const {
    return (watch_variables && is_trainable_variable(t)) || tracked.count(t.id()) != 0;
  }
};

namespace {

// Per-thread autograd state: the alive tapes and the no-record depth.
struct ThreadTapes {
  std::vector<TapeState*> tapes;
  int no_record = 0;
};
thread_local ThreadTapes thread_tapes;

// Gradient hooks by tensor id; an entry goes when its tensor dies (see delete_meta).
struct HookRegistry {
  std::mutex mu;
  std::unordered_map<std::uint64_t, std::vector<std::function<Tensor(const Tensor&)>>> hooks;
  std::atomic<std::size_t> count{0};
};
HookRegistry& hook_registry() {
  static HookRegistry* r = new HookRegistry;  // outlives static destruction, as tensors may
  return *r;
}

// Per-tensor metadata, hung on TensorImpl's opaque autograd slot.
struct Meta {
  bool trainable_variable = false;
  std::uint64_t hooked_id = 0;  // nonzero when hooks are registered for this tensor
  std::shared_ptr<const std::string> variable_name;  // a Variable's name, for check_numerics' reports
  std::shared_ptr<const numerics::Origin> origin;    // the op that made it, while check_numerics is enabled
};

void delete_meta(void* p) {
  auto* m = static_cast<Meta*>(p);
  if (m->hooked_id) {
    HookRegistry& r = hook_registry();
    std::lock_guard lock(r.mu);
    r.hooks.erase(m->hooked_id);
    r.count.store(r.hooks.size());
  }
  delete m;
}

Meta* meta_of(const Tensor& t) { return static_cast<Meta*>(t.unsafe_impl()->autograd); }

Meta& ensure_meta(const Tensor& t) {
  static std::once_flag once;
  std::call_once(once, [] { tg::detail::set_autograd_deleter(&delete_meta); });
  auto* impl = t.unsafe_impl();
  if (!impl->autograd) impl->autograd = new Meta;
  return *static_cast<Meta*>(impl->autograd);
}

bool any_recording() {
  const ThreadTapes& tt = thread_tapes;
  if (tt.tapes.empty() || tt.no_record > 0) return false;
  for (const TapeState* s : tt.tapes)
    if (!s->paused && !s->used) return true;
  return false;
}

Tensor apply_hooks(std::uint64_t id, Tensor grad) {
  HookRegistry& r = hook_registry();
  if (r.count.load(std::memory_order_relaxed) == 0) return grad;
  std::vector<std::function<Tensor(const Tensor&)>> hs;
  {
    std::lock_guard lock(r.mu);
    auto it = r.hooks.find(id);
    if (it == r.hooks.end()) return grad;
    hs = it->second;
  }
  for (const auto& h : hs) {
    Tensor next = h(grad);
    if (!next.defined() || !(next.shape() == grad.shape()))
      fail("gradient hook: a hook returned ", next.defined() ? next.shape().str() : std::string("an undefined tensor"),
           " for a gradient of shape ", grad.shape());
    grad = next;
  }
  return grad;
}

// Sum of two gradients of one tensor, itself recorded so that outer tapes see it.
Tensor accumulate(const Tensor& a, const Tensor& b) {
  Tensor sum = core::add(a, b);
  if (should_record({&a, &b}))
    record("add_n", {a, b}, sum, [](const Tensor& g, const autograd::Needs&) { return std::vector<Tensor>{g, g}; });
  return sum;
}

// Refuses to run a backward rule whose recorded values were changed in place since (PyTorch's
// version check); TensorFlow keeps the old values instead, which tapegrad's aliasing handles cannot.
void check_versions(const Node& n) {
  for (const SavedVersion& v : n.versions) {
    if (!v.storage.alive() || v.storage.version() == v.version) continue;
    const std::string which = v.index < 0 ? std::string("its output") : "its input " + std::to_string(v.index);
    fail<std::runtime_error>(
        "GradientTape::gradient: the op '", n.op, "' was recorded with ", which, " of shape ", v.shape,
        ", which was modified in place afterwards (version ", v.version, " at record time, ", v.storage.version(),
        " now: Variable::assign, an optimizer step, fill or copy_from); its gradient would use the new values. "
        "Take every gradient you need from the tape before updating the variables it read");
  }
}

}  // namespace

bool is_trainable_variable(const Tensor& t) {
  const Meta* m = meta_of(t);
  return m && m->trainable_variable;
}

void mark_trainable_variable(const Tensor& t, bool trainable) { ensure_meta(t).trainable_variable = trainable; }

void set_variable_name(const Tensor& t, const std::string& name) {
  ensure_meta(t).variable_name = std::make_shared<const std::string>(name);
}

namespace numerics {
std::shared_ptr<const Origin> origin_of(const Tensor& t) {
  const Meta* m = meta_of(t);
  return m ? m->origin : nullptr;
}
std::shared_ptr<const std::string> variable_name_of(const Tensor& t) {
  const Meta* m = meta_of(t);
  return m ? m->variable_name : nullptr;
}
}  // namespace numerics

bool tape_records(std::initializer_list<const Tensor*> inputs) {
  if (!any_recording()) return false;
  for (const TapeState* s : thread_tapes.tapes) {
    if (s->paused || s->used) continue;
    for (const Tensor* t : inputs)
      if (t->defined() && s->tracks(*t)) return true;
  }
  return false;
}

bool tape_records(const std::vector<Tensor>& inputs) {
  if (!any_recording()) return false;
  for (const TapeState* s : thread_tapes.tapes) {
    if (s->paused || s->used) continue;
    for (const Tensor& t : inputs)
      if (t.defined() && s->tracks(t)) return true;
  }
  return false;
}

// check_numerics rides on the op's call to record(): while it is enabled every op calls record(),
// which checks the output and then records only on tapes that track an input.
bool should_record(std::initializer_list<const Tensor*> inputs) { return tape_records(inputs) || numerics::enabled(); }
bool should_record(const std::vector<Tensor>& inputs) { return tape_records(inputs) || numerics::enabled(); }

void record(const char* op, std::vector<Tensor> inputs, const Tensor& output, BackwardFn backward) {
  std::shared_ptr<const numerics::Origin> origin;
  if (numerics::enabled()) {
    origin = numerics::check_forward(op, inputs, output);  // throws on NaN or Inf
    ensure_meta(output).origin = origin;
    if (!any_recording()) return;
  }
  std::shared_ptr<Node> node;
  for (TapeState* s : thread_tapes.tapes) {
    if (s->paused || s->used) continue;
    bool tracked = false;
    for (const Tensor& t : inputs) tracked = tracked || (t.defined() && s->tracks(t));
    if (!tracked) continue;
    if (!node) {
      node = std::make_shared<Node>();
      node->op = op;
      node->input_ids.reserve(inputs.size());
      for (const Tensor& t : inputs) node->input_ids.push_back(t.defined() ? t.id() : 0);
      node->output_id = output.id();
      node->output_shape = output.shape();
      node->output_dtype = output.dtype();
      node->backward = std::move(backward);
      for (std::size_t i = 0; i < inputs.size(); ++i)
        if (inputs[i].defined())
          node->versions.push_back({static_cast<int>(i), inputs[i].observe_storage(), inputs[i].version(), inputs[i].shape()});
      node->versions.push_back({-1, output.observe_storage(), output.version(), output.shape()});
      node->origin = origin;
    }
    // Variables read by this op become leaves of this tape.
    for (const Tensor& t : inputs)
      if (t.defined() && s->watch_variables && is_trainable_variable(t) && !s->tracked.count(t.id())) {
        s->tracked.emplace(t.id(), -1);
        s->watched.push_back(t);
      }
    s->tracked[output.id()] = static_cast<std::int64_t>(s->nodes.size());
    s->nodes.push_back(node);
  }
}

}  // namespace autograd

using autograd::TapeState;

void register_hook(const Tensor& t, std::function<Tensor(const Tensor& grad)> fn) {
  if (!t.defined()) throw std::invalid_argument("register_hook: the tensor is undefined");
  autograd::ensure_meta(t).hooked_id = t.id();
  auto& r = autograd::hook_registry();
  std::lock_guard lock(r.mu);
  r.hooks[t.id()].push_back(std::move(fn));
  r.count.store(r.hooks.size());
}

GradientTape::GradientTape(bool persistent, bool watch_accessed_variables) : state_(std::make_unique<TapeState>()) {
  state_->persistent = persistent;
  state_->watch_variables = watch_accessed_variables;
  autograd::thread_tapes.tapes.push_back(state_.get());
}

GradientTape::~GradientTape() {
  auto& tapes = autograd::thread_tapes.tapes;
  tapes.erase(std::remove(tapes.begin(), tapes.end(), state_.get()), tapes.end());
}

void GradientTape::watch(const Tensor& t) {
  if (!t.defined()) throw std::invalid_argument("GradientTape::watch: the tensor is undefined");
  if (!is_floating(t.dtype()))
    fail("GradientTape::watch: only float32 and float64 tensors can be watched, got ", dtype_name(t.dtype()), " ",
         t.shape());
  if (state_->tracked.emplace(t.id(), -1).second) state_->watched.push_back(t);
}

void GradientTape::watch(const Variable& v) { watch(v.value()); }

void GradientTape::stop_recording() { state_->paused = true; }
void GradientTape::resume_recording() { state_->paused = false; }
bool GradientTape::persistent() const { return state_->persistent; }
std::size_t GradientTape::size() const { return state_->nodes.size(); }

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Variable>& sources,
                                           const Tensor& output_gradients) {
  std::vector<Tensor> ts;
  ts.reserve(sources.size());
  for (const Variable& v : sources) ts.push_back(v.value());
  return gradient(target, ts, output_gradients);
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                           const Tensor& output_gradients) {
  TapeState& s = *state_;
  if (s.used)
    throw std::runtime_error(
        "GradientTape::gradient: this non-persistent tape was already used; a non-persistent tape allows one "
        "gradient call (construct GradientTape(/*persistent=*/true) for several)");
  if (!target.defined()) throw std::invalid_argument("GradientTape::gradient: the target is undefined");
  for (std::size_t i = 0; i < sources.size(); ++i)
    if (!sources[i].defined()) fail("GradientTape::gradient: source ", i, " is an undefined tensor");
  if (output_gradients.defined() && !(output_gradients.shape() == target.shape()))
    fail("GradientTape::gradient: output_gradients has shape ", output_gradients.shape(), ", the target has shape ",
         target.shape());
  if (!is_floating(target.dtype()))
    fail("GradientTape::gradient: the target must be float32 or float64, got ", dtype_name(target.dtype()));

  // While this tape differentiates, it does not record its own backward ops; other tapes do.
  const bool was_paused = s.paused;
  s.paused = true;
  struct Restore {
    TapeState& s;
    bool was;
    ~Restore() { s.paused = was; }
  } restore{s, was_paused};

  // Which tensors lie on a path from a source: walk the record forward once.
  std::unordered_map<std::uint64_t, bool> relevant;
  for (const Tensor& src : sources)  // an unwatched source gets no gradient, as in TensorFlow
    if (s.tracked.count(src.id())) relevant[src.id()] = true;
  std::int64_t last = -1;
  if (auto it = s.tracked.find(target.id()); it != s.tracked.end()) last = it->second;
  for (std::int64_t i = 0; i <= last; ++i) {
    const auto& n = *s.nodes[static_cast<std::size_t>(i)];
    for (std::uint64_t id : n.input_ids)
      if (relevant.count(id)) {
        relevant[n.output_id] = true;
        break;
      }
  }

  std::unordered_map<std::uint64_t, Tensor> grads;
  std::unordered_set<std::uint64_t> hooked;
  const bool target_relevant = relevant.count(target.id()) != 0;
  if (target_relevant)
    grads[target.id()] = output_gradients.defined() ? core::convert(output_gradients, target.dtype())
                                                    : Tensor::ones(target.shape(), target.dtype());

  for (std::int64_t i = last; i >= 0 && target_relevant; --i) {
    const auto& n = *s.nodes[static_cast<std::size_t>(i)];
    if (!relevant.count(n.output_id)) continue;
    auto git = grads.find(n.output_id);
    if (git == grads.end()) continue;
    // Every consumer of this output came later in the record, so its gradient is complete.
    const Tensor g = git->second = autograd::apply_hooks(n.output_id, git->second);
    hooked.insert(n.output_id);
    autograd::Needs needs(n.input_ids.size());
    for (std::size_t k = 0; k < n.input_ids.size(); ++k)
      if (relevant.count(n.input_ids[k])) needs.set(k);
    if (!needs.any()) continue;
    autograd::check_versions(n);
    std::vector<Tensor> in_grads;
    if (autograd::numerics::enabled()) {
      autograd::numerics::BackwardScope in_rule(n.op);
      in_grads = n.backward(g, needs);
      autograd::numerics::check_backward(n.op, n.origin.get(), g, needs, in_grads);
    } else {
      in_grads = n.backward(g, needs);
    }
    for (std::size_t k = 0; k < n.input_ids.size() && k < in_grads.size(); ++k) {
      if (!needs[k] || !in_grads[k].defined()) continue;
      auto [slot, fresh] = grads.try_emplace(n.input_ids[k], in_grads[k]);
      if (!fresh) slot->second = autograd::accumulate(slot->second, in_grads[k]);
    }
  }

  std::vector<Tensor> out;
  out.reserve(sources.size());
  for (const Tensor& src : sources) {
    auto it = grads.find(src.id());
    if (it == grads.end()) out.emplace_back();
    else out.push_back(hooked.count(src.id()) ? it->second : autograd::apply_hooks(src.id(), it->second));
  }
  if (!s.persistent) {
    s.used = true;
    s.nodes.clear();
    s.tracked.clear();
    s.watched.clear();
  }
  return out;
}

NoRecordScope::NoRecordScope() { ++autograd::thread_tapes.no_record; }
NoRecordScope::~NoRecordScope() { --autograd::thread_tapes.no_record; }

Tensor stop_gradient(const Tensor& t) {
  // A new handle over the same storage: a fresh id that no tape tracks.
  return core::view(t, std::span<const std::int64_t>(t.shape().begin(), static_cast<std::size_t>(t.rank())));
}

}  // namespace tg
