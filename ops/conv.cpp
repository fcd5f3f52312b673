#include "ops/conv.hpp"

#include <algorithm>
#include <cctype>

#include "core/conv.hpp"
#include "core/elementwise.hpp"
#include "ops/arithmetic.hpp"
#include "ops/record.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"

namespace tg {

using ops::detail::Grads;

namespace ops::detail {

AxisPadding tf_padding(const char* op, const std::string& padding, std::int64_t in, std::int64_t kernel,
                       std::int64_t stride, std::int64_t dilation) {
  std::string p = padding;
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  const std::int64_t eff = (kernel - 1) * dilation + 1;
  if (p == "valid") {
    if (in < eff)
      fail(op, ": a window of ", eff, " (size ", kernel, ", dilation ", dilation, ") does not fit an input of ", in,
           " with padding 'valid'");
    return {(in - eff) / stride + 1, 0};
  }
  if (p == "same") {
    const std::int64_t out = (in + stride - 1) / stride;
    return {out, std::max<std::int64_t>((out - 1) * stride + eff - in, 0) / 2};
  }
  fail(op, ": padding '", padding, "' is not 'valid' or 'same'");
}

}  // namespace ops::detail

namespace {

using core::Window2D;

// The three primitives of a convolution. Each records its gradients as the other two, so
// gradients of gradients are convolutions too (see ops/conv.hpp).
Tensor conv_input_grad(const Tensor& dy, const Tensor& w, const Window2D& g);
Tensor conv_kernel_grad(const Tensor& x, const Tensor& dy, const Window2D& g);

// [n, h, w, c] x [kh, kw, c, out] (+ [out]) -> [n, oh, ow, out]
Tensor conv_forward(const Tensor& x, const Tensor& w, const Tensor& bias, const Window2D& g, bool relu) {
  Tensor y = core::conv2d(x, w, bias, g, relu);
  const bool has_bias = bias.defined();
  if (autograd::should_record({&x, &w, &bias}))
    autograd::record("conv2d", {x, w, bias}, y, [x, w, y, g, relu, has_bias](const Tensor& gy, const autograd::Needs& m) {
      // relu's mask is read from the output: y > 0 exactly where the pre-activation was.
      Tensor gz, db;
      if (autograd::should_record({&gy, &x, &w, &y})) {
        // An outer tape records: differentiable ops.
        gz = relu ? mul(gy, core::greater(y, core::scalar_like(y, 0))) : gy;
        if (has_bias && m[2]) db = sum(gz, {0, 1, 2});
      } else if (!m[0] && m[1]) {
        // First order, no input gradient (a first layer): mask and bias inside the kernel-gradient
        // product, the masked gradient never stored.
        Tensor dw;
        core::conv2d_backward_kernel_fused(x, gy, relu ? y : Tensor(), has_bias && m[2], g, dw, db);
        return Grads{Tensor(), dw, db};
      } else {
        // First order: mask and bias sum in one pass over the output.
        core::conv2d_output_grad(gy, relu ? y : Tensor(), has_bias && m[2], gz, db);
      }
      return Grads{m[0] ? conv_input_grad(gz, w, g) : Tensor(), m[1] ? conv_kernel_grad(x, gz, g) : Tensor(), db};
    });
  return y;
}

// dy [n, oh, ow, out], w [kh, kw, c, out] -> [n, h, w, c]
Tensor conv_input_grad(const Tensor& dy, const Tensor& w, const Window2D& g) {
  Tensor y = core::conv2d_backward_input(dy, w, g);
  if (autograd::should_record({&dy, &w}))
    autograd::record("conv2d_backward_input", {dy, w}, y, [dy, w, g](const Tensor& d, const autograd::Needs& m) {
      return Grads{m[0] ? conv_forward(d, w, Tensor(), g, false) : Tensor(), m[1] ? conv_kernel_grad(d, dy, g) : Tensor()};
    });
  return y;
}

// x [n, h, w, c], dy [n, oh, ow, out] -> [kh, kw, c, out]
Tensor conv_kernel_grad(const Tensor& x, const Tensor& dy, const Window2D& g) {
  Tensor y = core::conv2d_backward_kernel(x, dy, g);
  if (autograd::should_record({&x, &dy}))
    autograd::record("conv2d_backward_kernel", {x, dy}, y, [x, dy, g](const Tensor& d, const autograd::Needs& m) {
      return Grads{m[0] ? conv_input_grad(dy, d, g) : Tensor(), m[1] ? conv_forward(x, d, Tensor(), g, false) : Tensor()};
    });
  return y;
}

// The same three for depthwise convolution, multiplier m = w.dim(3).
Tensor depthwise_input_grad(const Tensor& dy, const Tensor& w, const Window2D& g);
Tensor depthwise_kernel_grad(const Tensor& x, const Tensor& dy, const Window2D& g, std::int64_t mult);

Tensor depthwise_forward(const Tensor& x, const Tensor& w, const Tensor& bias, const Window2D& g) {
  Tensor y = core::depthwise_conv2d(x, w, bias, g);
  const bool has_bias = bias.defined();
  if (autograd::should_record({&x, &w, &bias}))
    autograd::record("depthwise_conv2d", {x, w, bias}, y, [x, w, g, has_bias](const Tensor& gy, const autograd::Needs& m) {
      return Grads{m[0] ? depthwise_input_grad(gy, w, g) : Tensor(),
                   m[1] ? depthwise_kernel_grad(x, gy, g, w.dim(3)) : Tensor(),
                   has_bias && m[2] ? sum(gy, {0, 1, 2}) : Tensor()};
    });
  return y;
}

Tensor depthwise_input_grad(const Tensor& dy, const Tensor& w, const Window2D& g) {
  Tensor y = core::depthwise_conv2d_backward_input(dy, w, g);
  if (autograd::should_record({&dy, &w}))
    autograd::record("depthwise_conv2d_backward_input", {dy, w}, y, [dy, w, g](const Tensor& d, const autograd::Needs& m) {
      return Grads{m[0] ? depthwise_forward(d, w, Tensor(), g) : Tensor(),
                   m[1] ? depthwise_kernel_grad(d, dy, g, w.dim(3)) : Tensor()};
    });
  return y;
}

Tensor depthwise_kernel_grad(const Tensor& x, const Tensor& dy, const Window2D& g, std::int64_t mult) {
  Tensor y = core::depthwise_conv2d_backward_kernel(x, dy, g, mult);
  if (autograd::should_record({&x, &dy}))
    autograd::record("depthwise_conv2d_backward_kernel", {x, dy}, y, [x, dy, g](const Tensor& d, const autograd::Needs& m) {
      return Grads{m[0] ? depthwise_input_grad(dy, d, g) : Tensor(), m[1] ? depthwise_forward(x, d, Tensor(), g) : Tensor()};
    });
  return y;
}

void check_strides(const char* op, std::int64_t sh, std::int64_t sw, std::int64_t dh, std::int64_t dw) {
  if (sh < 1 || sw < 1) fail(op, ": strides must be >= 1, got (", sh, ", ", sw, ")");
  if (dh < 1 || dw < 1) fail(op, ": dilation_rate must be >= 1, got (", dh, ", ", dw, ")");
}

// Shapes and dtypes of input, kernel and bias. `in_axis`/`bias_len`: where the kernel's input
// channel count is and how long the bias must be.
void check_operands(const char* op, const Tensor& x, int x_rank, const char* x_layout, const Tensor& kernel,
                    const char* k_layout, std::int64_t in_axis, const Tensor& bias, std::int64_t bias_len) {
  if (!x.defined() || !kernel.defined()) fail(op, ": undefined input or kernel");
  if (x.rank() != x_rank) fail(op, ": input must be ", x_layout, ", got shape ", x.shape());
  if (kernel.rank() != x_rank) fail(op, ": kernel must be ", k_layout, ", got shape ", kernel.shape());
  if (x.dtype() != DType::float32 && x.dtype() != DType::float64)
    fail(op, ": expected float32 or float64, got ", dtype_name(x.dtype()), " input ", x.shape());
  if (kernel.dtype() != x.dtype())
    fail(op, ": kernel dtype ", dtype_name(kernel.dtype()), " differs from input dtype ", dtype_name(x.dtype()));
  if (x.dim(x_rank - 1) != kernel.dim(in_axis))
    fail(op, ": input ", x.shape(), " has ", x.dim(x_rank - 1), " channels, kernel ", kernel.shape(), " (", k_layout,
         ") expects ", kernel.dim(in_axis));
  if (bias.defined() && (bias.rank() != 1 || bias.dim(0) != bias_len || bias.dtype() != x.dtype()))
    fail(op, ": bias ", bias.shape(), " ", dtype_name(bias.dtype()), " does not fit kernel ", kernel.shape(),
         "; expected (", bias_len, ",) ", dtype_name(x.dtype()));
}

// The window of a conv2d-like op on x [n, h, w, c] with a kh x kw kernel.
Window2D window(const char* op, const Tensor& x, std::int64_t kh, std::int64_t kw, const Conv2DOptions& o) {
  check_strides(op, o.strides[0], o.strides[1], o.dilation_rate[0], o.dilation_rate[1]);
  Window2D g;
  g.n = x.dim(0), g.h = x.dim(1), g.w = x.dim(2), g.c = x.dim(3);
  g.kh = kh, g.kw = kw;
  g.sh = o.strides[0], g.sw = o.strides[1];
  g.dh = o.dilation_rate[0], g.dw = o.dilation_rate[1];
  const auto ph = ops::detail::tf_padding(op, o.padding, g.h, kh, g.sh, g.dh);
  const auto pw = ops::detail::tf_padding(op, o.padding, g.w, kw, g.sw, g.dw);
  g.oh = ph.out, g.pt = ph.before, g.ow = pw.out, g.pl = pw.before;
  return g;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DOptions& options, bool relu) {
  const char* op = "conv2d";
  check_operands(op, x, 4, "[batch, height, width, channels]", kernel, "[kh, kw, in, out]", 2, bias,
                 kernel.defined() && kernel.rank() == 4 ? kernel.dim(3) : 0);
  return conv_forward(x, kernel, bias, window(op, x, kernel.dim(0), kernel.dim(1), options), relu);
}

Tensor depthwise_conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DOptions& options) {
  const char* op = "depthwise_conv2d";
  check_operands(op, x, 4, "[batch, height, width, channels]", kernel, "[kh, kw, in, depth_multiplier]", 2, bias,
                 kernel.defined() && kernel.rank() == 4 ? kernel.dim(2) * kernel.dim(3) : 0);
  return depthwise_forward(x, kernel, bias, window(op, x, kernel.dim(0), kernel.dim(1), options));
}

Tensor conv1d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv1DOptions& options, bool relu) {
  const char* op = "conv1d";
  check_operands(op, x, 3, "[batch, steps, channels]", kernel, "[k, in, out]", 1, bias,
                 kernel.defined() && kernel.rank() == 3 ? kernel.dim(2) : 0);
  check_strides(op, 1, options.strides, 1, options.dilation_rate);
  std::string p = options.padding;
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  const std::int64_t n = x.dim(0), len = x.dim(1), c = x.dim(2), k = kernel.dim(0), out = kernel.dim(2);
  Window2D g;
  g.n = n, g.h = 1, g.w = len, g.c = c, g.kh = 1, g.kw = k;
  g.sw = options.strides, g.dw = options.dilation_rate;
  g.oh = 1;
  if (p == "causal") {
    // Keras pads dilation * (k - 1) steps at the start, then runs a "valid" convolution.
    g.pl = options.dilation_rate * (k - 1);
    g.ow = (len - 1) / options.strides + 1;
  } else {
    const auto pw = ops::detail::tf_padding(op, options.padding, len, k, options.strides, options.dilation_rate);
    g.ow = pw.out, g.pl = pw.before;
  }
  const Tensor y = conv_forward(reshape(x, {n, 1, len, c}), reshape(kernel, {1, k, c, out}), bias, g, relu);
  return reshape(y, {n, g.ow, out});
}

Tensor conv2d_transpose(const Tensor& x, const Tensor& kernel, const Tensor& bias,
                        const Conv2DTransposeOptions& options) {
  const char* op = "conv2d_transpose";
  check_operands(op, x, 4, "[batch, height, width, channels]", kernel, "[kh, kw, out, in]", 3, bias,
                 kernel.defined() && kernel.rank() == 4 ? kernel.dim(2) : 0);
  check_strides(op, options.strides[0], options.strides[1], options.dilation_rate[0], options.dilation_rate[1]);
  std::string p = options.padding;
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (p != "valid" && p != "same") fail(op, ": padding '", options.padding, "' is not 'valid' or 'same'");
  // Keras' deconv_output_length per axis.
  std::int64_t size[2];
  for (int a = 0; a < 2; ++a) {
    const std::int64_t in = x.dim(1 + a), s = options.strides[static_cast<std::size_t>(a)];
    const std::int64_t eff = (kernel.dim(a) - 1) * options.dilation_rate[static_cast<std::size_t>(a)] + 1;
    if (!options.output_padding) {
      size[a] = p == "valid" ? in * s + std::max<std::int64_t>(eff - s, 0) : in * s;
    } else {
      const std::int64_t op_a = (*options.output_padding)[static_cast<std::size_t>(a)];
      if (op_a < 0 || op_a >= s)
        fail(op, ": output_padding (", (*options.output_padding)[0], ", ", (*options.output_padding)[1],
             ") must be >= 0 and below the strides (", options.strides[0], ", ", options.strides[1], ")");
      size[a] = (in - 1) * s + eff - 2 * (p == "same" ? eff / 2 : 0) + op_a;
    }
  }
  // The convolution whose input gradient this is: its input is our output, its output our input.
  Window2D g;
  g.n = x.dim(0), g.h = size[0], g.w = size[1], g.c = kernel.dim(2);
  g.kh = kernel.dim(0), g.kw = kernel.dim(1);
  g.sh = options.strides[0], g.sw = options.strides[1];
  g.dh = options.dilation_rate[0], g.dw = options.dilation_rate[1];
  const auto ph = ops::detail::tf_padding(op, p, g.h, g.kh, g.sh, g.dh);
  const auto pw = ops::detail::tf_padding(op, p, g.w, g.kw, g.sw, g.dw);
  if (ph.out != x.dim(1) || pw.out != x.dim(2))
    fail(op, ": output size (", g.h, ", ", g.w, ") does not give back input ", x.shape(), " under padding '", p, "'");
  g.oh = ph.out, g.pt = ph.before, g.ow = pw.out, g.pl = pw.before;
  const Tensor y = conv_input_grad(x, kernel, g);
  return bias.defined() ? add(y, bias) : y;
}

}  // namespace tg
