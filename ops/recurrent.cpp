#include "ops/recurrent.hpp"

#include <string>

#include "core/recurrent.hpp"
#include "core/transform.hpp"
#include "ops/activation.hpp"
#include "ops/arithmetic.hpp"
#include "ops/inspect.hpp"
#include "ops/linalg.hpp"
#include "ops/record.hpp"
#include "ops/shape.hpp"

namespace tg {

using ops::detail::Grads;
using core::rnn::Cell;

RnnActivation rnn_activation(std::string_view name, int keras_major) {
  if (name == "tanh") return RnnActivation::tanh;
  if (name == "sigmoid") return RnnActivation::sigmoid;
  if (name == "hard_sigmoid") return keras_major < 3 ? RnnActivation::hard_sigmoid : RnnActivation::hard_sigmoid_keras3;
  if (name == "relu") return RnnActivation::relu;
  if (name == "linear" || name.empty()) return RnnActivation::linear;
  fail<std::invalid_argument>("recurrent layer: activation '", std::string(name),
                              "' is not supported; expected tanh, sigmoid, hard_sigmoid, relu or linear");
}

const char* rnn_activation_name(RnnActivation a) {
  switch (a) {
    case RnnActivation::tanh: return "tanh";
    case RnnActivation::sigmoid: return "sigmoid";
    case RnnActivation::hard_sigmoid:
    case RnnActivation::hard_sigmoid_keras3: return "hard_sigmoid";
    case RnnActivation::relu: return "relu";
    case RnnActivation::linear:
    case RnnActivation::count: break;
  }
  return "linear";
}

namespace {

struct Inputs {
  const Tensor &x, &kernel, &recurrent_kernel, &bias, &h0, &c0;
};

void check_shape(const char* op, const char* what, const Tensor& t, const Shape& want, DType dt) {
  if (!(t.shape() == want))
    fail(op, ": ", what, " has shape ", t.shape(), ", expected ", want);
  if (t.dtype() != dt)
    fail(op, ": ", what, " ", t.shape(), " is ", dtype_name(t.dtype()), ", expected ", dtype_name(dt), " like the input");
}

void validate(const char* op, Cell cell, const Inputs& in, const RecurrentOptions& o) {
  const Tensor& x = in.x;
  if (!x.defined() || x.rank() != 3) fail(op, ": input must have shape [batch, timesteps, features], got ", x.defined() ? x.shape().str() : "an undefined tensor");
  if (!is_floating(x.dtype())) fail(op, ": input must be float32 or float64, got ", dtype_name(x.dtype()));
  if (x.dim(1) < 1) fail(op, ": input ", x.shape(), " has no time steps");
  if (!in.kernel.defined() || !in.recurrent_kernel.defined()) fail(op, ": kernel and recurrent_kernel must be defined");
  const Tensor& rk = in.recurrent_kernel;
  if (rk.rank() != 2 || rk.dim(0) < 1) fail(op, ": recurrent_kernel must have shape (units, gates * units), got ", rk.shape());
  const std::int64_t n = x.dim(0), t = x.dim(1), f = x.dim(2), u = rk.dim(0);
  const std::int64_t g = core::rnn::gate_width(cell, u);
  const DType dt = x.dtype();
  check_shape(op, "kernel", in.kernel, Shape{f, g}, dt);
  check_shape(op, "recurrent_kernel", rk, Shape{u, g}, dt);
  if (in.bias.defined()) check_shape(op, "bias", in.bias, cell == Cell::gru ? Shape{2, g} : Shape{g}, dt);
  if (in.h0.defined()) check_shape(op, "initial state h", in.h0, Shape{n, u}, dt);
  if (in.c0.defined()) check_shape(op, "initial carry c", in.c0, Shape{n, u}, dt);
  if (o.mask.defined() && !(o.mask.shape() == Shape{n, t}))
    fail(op, ": mask has shape ", o.mask.shape(), ", expected ", Shape{n, t}, " for input ", x.shape());
  if (o.dropout_mask.defined()) check_shape(op, "dropout_mask", o.dropout_mask, Shape{n, f}, dt);
  if (o.recurrent_dropout_mask.defined()) check_shape(op, "recurrent_dropout_mask", o.recurrent_dropout_mask, Shape{n, u}, dt);
}

// ---- The same cells in differentiable ops, unrolled over time (the second-order path) ---------

Tensor activate(RnnActivation a, const Tensor& x) {
  switch (a) {
    case RnnActivation::tanh: return tanh(x);
    case RnnActivation::sigmoid: return sigmoid(x);
    case RnnActivation::hard_sigmoid: return clip_by_value(x * 0.2 + 0.5, 0, 1);
    case RnnActivation::hard_sigmoid_keras3: return clip_by_value(x + 3.0, 0, 6) / 6.0;
    case RnnActivation::relu: return relu(x);
    case RnnActivation::linear:
    case RnnActivation::count: break;
  }
  return x;
}

Tensor cols(const Tensor& m, std::int64_t begin, std::int64_t end) { return slice(m, 1, begin, end); }

// The packed result of core::rnn::forward ([outputs; h; c] rows), step by step on the tape.
Tensor unrolled(const core::rnn::Spec& sp, const Inputs& in, const RecurrentOptions& o) {
  const Tensor& x = in.x;
  const std::int64_t n = x.dim(0), steps = x.dim(1), f = x.dim(2), u = in.recurrent_kernel.dim(0);
  const std::int64_t g = core::rnn::gate_width(sp.cell, u);
  const Tensor& rk = in.recurrent_kernel;
  Tensor b_in = in.bias, b_rec;
  if (sp.cell == Cell::gru && in.bias.defined()) {
    b_in = reshape(slice_rows(in.bias, 0, 1), {g});
    b_rec = reshape(slice_rows(in.bias, 1, 2), {g});
  }
  Tensor xin = o.dropout_mask.defined() ? mul(x, reshape(o.dropout_mask, {n, 1, f})) : x;
  Tensor proj = matmul(reshape(xin, {n * steps, f}), in.kernel);
  if (b_in.defined()) proj = add(proj, b_in);
  proj = reshape(proj, {n, steps, g});
  Tensor h = in.h0.defined() ? in.h0 : Tensor::zeros(Shape{n, u}, x.dtype());
  Tensor c = in.c0.defined() ? in.c0 : Tensor::zeros(Shape{n, u}, x.dtype());
  Tensor out = Tensor::zeros(Shape{n, u}, x.dtype());
  const Tensor mask = o.mask.defined() ? core::convert(o.mask, DType::float64) : Tensor();
  std::vector<Tensor> outs;
  const RnnActivation act = sp.activation, rec = sp.recurrent_activation;
  for (std::int64_t s = 0; s < steps; ++s) {
    const std::int64_t t = sp.go_backwards ? steps - 1 - s : s;
    const Tensor xz = reshape(slice(proj, 1, t, t + 1), {n, g});
    const Tensor a = o.recurrent_dropout_mask.defined() ? mul(h, o.recurrent_dropout_mask) : h;
    Tensor h_new, c_new;
    switch (sp.cell) {
      case Cell::simple_rnn: h_new = activate(act, add(xz, matmul(a, rk))); break;
      case Cell::lstm: {
        const Tensor z = add(xz, matmul(a, rk));
        c_new = add(mul(activate(rec, cols(z, u, 2 * u)), c),
                    mul(activate(rec, cols(z, 0, u)), activate(act, cols(z, 2 * u, 3 * u))));
        h_new = mul(activate(rec, cols(z, 3 * u, 4 * u)), activate(act, c_new));
        break;
      }
      case Cell::gru: {
        Tensor inner = matmul(a, rk);
        if (b_rec.defined()) inner = add(inner, b_rec);
        const Tensor zg = activate(rec, add(cols(xz, 0, u), cols(inner, 0, u)));
        const Tensor r = activate(rec, add(cols(xz, u, 2 * u), cols(inner, u, 2 * u)));
        const Tensor hh = activate(act, add(cols(xz, 2 * u, 3 * u), mul(r, cols(inner, 2 * u, 3 * u))));
        h_new = add(mul(zg, h), mul(1.0 - zg, hh));
        break;
      }
      case Cell::gru_reset_before: {
        const Tensor zr = add(cols(xz, 0, 2 * u), matmul(a, cols(rk, 0, 2 * u)));
        const Tensor zg = activate(rec, cols(zr, 0, u)), r = activate(rec, cols(zr, u, 2 * u));
        const Tensor hh = activate(act, add(cols(xz, 2 * u, 3 * u), matmul(mul(r, a), cols(rk, 2 * u, 3 * u))));
        h_new = add(mul(zg, h), mul(1.0 - zg, hh));
        break;
      }
    }
    if (mask.defined()) {
      const Tensor m = core::convert(core::view(core::slice(mask, 1, t, t + 1), {n, 1}), x.dtype());
      const Tensor keep_old = 1.0 - m;
      out = sp.zero_output_for_mask ? mul(m, h_new) : add(mul(m, h_new), mul(keep_old, out));
      h = add(mul(m, h_new), mul(keep_old, h));
      if (c_new.defined()) c = add(mul(m, c_new), mul(keep_old, c));
    } else {
      out = h = h_new;
      if (c_new.defined()) c = c_new;
    }
    if (sp.return_sequences) outs.push_back(reshape(out, {n, 1, u}));
  }
  std::vector<Tensor> parts{sp.return_sequences ? reshape(concat(outs, 1), {n * steps, u}) : out, h};
  if (sp.cell == Cell::lstm) parts.push_back(c);
  return concat(parts, 0);
}

// ---- The op --------------------------------------------------------------------------------

RecurrentResult run(const char* op, Cell cell, const Inputs& in, const RecurrentOptions& o) {
  validate(op, cell, in, o);
  core::rnn::Spec sp;
  sp.cell = cell;
  sp.activation = o.activation;
  sp.recurrent_activation = o.recurrent_activation;
  sp.go_backwards = o.go_backwards;
  sp.return_sequences = o.return_sequences;
  sp.zero_output_for_mask = o.zero_output_for_mask;
  core::rnn::Forward fwd = core::rnn::forward(sp, in.x, in.kernel, in.recurrent_kernel, in.bias, in.h0, in.c0, o.mask,
                                              o.dropout_mask, o.recurrent_dropout_mask);
  const Tensor& packed = fwd.packed;
  if (autograd::should_record({&in.x, &in.kernel, &in.recurrent_kernel, &in.bias, &in.h0, &in.c0})) {
    const int bias_rank = in.bias.defined() ? in.bias.rank() : 1;
    autograd::record(op, {in.x, in.kernel, in.recurrent_kernel, in.bias, in.h0, in.c0}, packed,
                     [saved = fwd.saved, sp, o, bias_rank, x = in.x, k = in.kernel, rk = in.recurrent_kernel,
                      b = in.bias, h0 = in.h0, c0 = in.c0](const Tensor& g, const autograd::Needs& m) {
                       const std::vector<Tensor> inputs{x, k, rk, b, h0, c0};
                       if (autograd::should_record({&g, &x, &k, &rk, &b, &h0, &c0})) {
                         // An outer tape records this backward pass: differentiate the unrolled
                         // cell with a tape of our own, so the outer tape sees every op.
                         GradientTape tape;
                         std::vector<Tensor> sources;
                         for (std::size_t i = 0; i < inputs.size(); ++i)
                           if (m[i] && inputs[i].defined()) {
                             tape.watch(inputs[i]);
                             sources.push_back(inputs[i]);
                           }
                         const Tensor p = unrolled(sp, Inputs{x, k, rk, b, h0, c0}, o);
                         const std::vector<Tensor> gs = tape.gradient(p, sources, g);
                         Grads out(inputs.size());
                         for (std::size_t i = 0, j = 0; i < inputs.size(); ++i)
                           if (m[i] && inputs[i].defined()) out[i] = gs[j++];
                         return out;
                       }
                       core::rnn::Wanted w;
                       w.x = m[0];
                       w.kernel = m[1];
                       w.recurrent_kernel = m[2];
                       w.bias = m[3] && b.defined();
                       w.h0 = m[4];
                       w.c0 = m[5];
                       const core::rnn::Gradients r = core::rnn::backward(*saved, g, w, bias_rank);
                       return Grads{r.x, r.kernel, r.recurrent_kernel, r.bias, r.h0, r.c0};
                     });
  }
  const std::int64_t n = in.x.dim(0), steps = in.x.dim(1), u = in.recurrent_kernel.dim(0);
  const std::int64_t out_rows = o.return_sequences ? n * steps : n;
  RecurrentResult r;
  r.outputs = slice_rows(packed, 0, out_rows);
  if (o.return_sequences) r.outputs = reshape(r.outputs, {n, steps, u});
  r.h = slice_rows(packed, out_rows, out_rows + n);
  if (cell == Cell::lstm) r.c = slice_rows(packed, out_rows + n, out_rows + 2 * n);
  return r;
}

}  // namespace

RecurrentResult lstm(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
                     const Tensor& h0, const Tensor& c0, const RecurrentOptions& options) {
  return run("lstm", Cell::lstm, Inputs{x, kernel, recurrent_kernel, bias, h0, c0}, options);
}

RecurrentResult gru(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
                    const Tensor& h0, const RecurrentOptions& options) {
  const Tensor none;
  return run(options.reset_after ? "gru" : "gru(reset_after=false)",
             options.reset_after ? Cell::gru : Cell::gru_reset_before,
             Inputs{x, kernel, recurrent_kernel, bias, h0, none}, options);
}

RecurrentResult simple_rnn(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
                           const Tensor& h0, const RecurrentOptions& options) {
  const Tensor none;
  return run("simple_rnn", Cell::simple_rnn, Inputs{x, kernel, recurrent_kernel, bias, h0, none}, options);
}

}  // namespace tg
