#include "ops/image.hpp"

#include "core/image.hpp"
#include "ops/record.hpp"

namespace tg {

using ops::detail::Grads;

namespace {

void check_image(const char* op, const Tensor& x) {
  if (!x.defined()) fail(op, ": undefined input");
  if (x.rank() != 4) fail(op, ": input must be [batch, height, width, channels], got shape ", x.shape());
  if (x.dtype() != DType::float32 && x.dtype() != DType::float64)
    fail(op, ": expected float32 or float64, got ", dtype_name(x.dtype()), " ", x.shape());
}

void check_amounts(const char* op, const char* what, const Padding2D& p) {
  for (const auto& a : p)
    for (std::int64_t v : a)
      if (v < 0) fail(op, ": ", what, " ((", p[0][0], ", ", p[0][1], "), (", p[1][0], ", ", p[1][1], ")) must be >= 0");
}

Tensor block_sum(const Tensor& g, const std::array<std::int64_t, 2>& size);

Tensor upsample(const Tensor& x, const std::array<std::int64_t, 2>& size) {
  Tensor y = core::upsample_nearest2d(x, size[0], size[1]);
  if (autograd::should_record({&x}))
    autograd::record("upsampling2d", {x}, y, [size](const Tensor& g, const autograd::Needs&) { return Grads{block_sum(g, size)}; });
  return y;
}

Tensor block_sum(const Tensor& g, const std::array<std::int64_t, 2>& size) {
  Tensor y = core::block_sum2d(g, size[0], size[1]);
  if (autograd::should_record({&g}))
    autograd::record("upsampling2d_backward", {g}, y, [size](const Tensor& d, const autograd::Needs&) { return Grads{upsample(d, size)}; });
  return y;
}

Tensor resize_backward(const Tensor& g, std::int64_t h, std::int64_t w);

Tensor resize(const Tensor& x, std::int64_t oh, std::int64_t ow) {
  Tensor y = core::resize_bilinear(x, oh, ow);
  if (autograd::should_record({&x}))
    autograd::record("resize_bilinear", {x}, y, [h = x.dim(1), w = x.dim(2)](const Tensor& g, const autograd::Needs&) {
      return Grads{resize_backward(g, h, w)};
    });
  return y;
}

Tensor resize_backward(const Tensor& g, std::int64_t h, std::int64_t w) {
  Tensor y = core::resize_bilinear_backward(g, h, w);
  if (autograd::should_record({&g}))
    autograd::record("resize_bilinear_backward", {g}, y, [oh = g.dim(1), ow = g.dim(2)](const Tensor& d, const autograd::Needs&) {
      return Grads{resize(d, oh, ow)};
    });
  return y;
}

}  // namespace

Tensor zero_padding2d(const Tensor& x, const Padding2D& p) {
  check_image("zero_padding2d", x);
  check_amounts("zero_padding2d", "padding", p);
  Tensor y = core::pad2d(x, p[0][0], p[0][1], p[1][0], p[1][1]);
  if (autograd::should_record({&x}))
    autograd::record("zero_padding2d", {x}, y, [p](const Tensor& g, const autograd::Needs&) { return Grads{cropping2d(g, p)}; });
  return y;
}

Tensor cropping2d(const Tensor& x, const Padding2D& c) {
  check_image("cropping2d", x);
  check_amounts("cropping2d", "cropping", c);
  if (c[0][0] + c[0][1] > x.dim(1) || c[1][0] + c[1][1] > x.dim(2))
    fail("cropping2d: cropping ((", c[0][0], ", ", c[0][1], "), (", c[1][0], ", ", c[1][1], ")) is larger than input ",
         x.shape());
  Tensor y = core::crop2d(x, c[0][0], c[0][1], c[1][0], c[1][1]);
  if (autograd::should_record({&x}))
    autograd::record("cropping2d", {x}, y, [c](const Tensor& g, const autograd::Needs&) { return Grads{zero_padding2d(g, c)}; });
  return y;
}

Tensor upsampling2d(const Tensor& x, const std::array<std::int64_t, 2>& size) {
  check_image("upsampling2d", x);
  if (size[0] < 1 || size[1] < 1) fail("upsampling2d: size (", size[0], ", ", size[1], ") must be >= 1");
  return upsample(x, size);
}

Tensor resize_bilinear(const Tensor& x, std::int64_t height, std::int64_t width) {
  check_image("resize_bilinear", x);
  if (height < 1 || width < 1) fail("resize_bilinear: size (", height, ", ", width, ") must be >= 1");
  if (x.dim(1) < 1 || x.dim(2) < 1) fail("resize_bilinear: input ", x.shape(), " has no pixels");
  return resize(x, height, width);
}

}  // namespace tg
