#!/usr/bin/python3
"""Float64 golden numbers for convolution, pooling, batch normalization and image ops, from PyTorch.

Run: cd tests/golden && /usr/bin/python3 gen_torch_conv.py   (writes torch_{conv,pooling,normalization,image}.json)

tapegrad is channels-last with Keras' kernel layouts and TensorFlow's padding; torch is NCHW with
symmetric padding. Each case maps one to the other explicitly:
  x [N, H, W, C]            -> x.permute(0, 3, 1, 2)
  Conv2D kernel (kh, kw, in, out)          -> weight.permute(3, 2, 0, 1)  (out, in, kh, kw)
  DepthwiseConv2D kernel (kh, kw, in, m)   -> weight (in*m, 1, kh, kw), groups=in, channel ci*m + j
  Conv2DTranspose kernel (kh, kw, out, in) -> conv_transpose2d weight (in, out, kh, kw)
  padding "same"            -> TensorFlow's amounts, F.pad(x, (left, right, top, bottom)) (the odd
                               pixel at the bottom/right), then padding=0
  Conv1D "causal"           -> F.pad(x, (dilation * (k - 1), 0))
  Conv2DTranspose           -> TensorFlow's definition: the input gradient of the conv2d whose
                               input has Keras' output size: conv_transpose2d, then cropped by the
                               conv's padding before (F.pad with negative amounts)
  max pool "same"           -> F.pad with -inf; ties go to the first maximum in both
  avg pool                  -> sum over the window of the zero-padded input / number of taps
                               inside the input (TensorFlow excludes padding)
  batch norm                -> F.batch_norm(training=True) with biased variance; Keras 3's moving
                               update written out: moving * 0.99 + batch * (1 - 0.99)
  resize bilinear           -> F.interpolate(mode="bilinear", align_corners=False, antialias=False)
Gradients are vector-Jacobian products with a random dy (torch.autograd.grad).
"""
import math

import torch
import torch.nn.functional as F

from gen_torch import Lcg, tensor_json, write_json

torch.set_default_dtype(torch.float64)


def header(what):
    return {"generator": "tests/golden/gen_torch_conv.py", "what": what, "torch_version": torch.__version__,
            "dtype": "float64"}


def rand(g, shape, lo=-2, hi=2):
    return torch.tensor(g.uniform(math.prod(shape), lo, hi)).reshape(shape)


def tf_pad(size, k, s, d, padding):
    """TensorFlow's output size and (before, after) padding for one axis."""
    eff = (k - 1) * d + 1
    if padding == "valid":
        return (size - eff) // s + 1, 0, 0
    out = (size + s - 1) // s
    total = max((out - 1) * s + eff - size, 0)
    return out, total // 2, total - total // 2


def nchw(x):
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def vjp(f, inputs, g):
    """Output of f and the gradients of sum(f * dy) for every input; dy from g."""
    xs = [t.clone().requires_grad_(True) for t in inputs]
    y = f(*xs)
    dy = rand(g, tuple(y.shape), -1, 1)
    grads = torch.autograd.grad(y, xs, dy)
    return y.detach(), dy, grads


# ---- convolutions ------------------------------------------------------------------------------
def conv2d_nhwc(x, k, b, strides, padding, dilation):
    kh, kw = k.shape[0], k.shape[1]
    _, pt, pb = tf_pad(x.shape[1], kh, strides[0], dilation[0], padding)
    _, pl, pr = tf_pad(x.shape[2], kw, strides[1], dilation[1], padding)
    xp = F.pad(nchw(x), (pl, pr, pt, pb))
    return nhwc(F.conv2d(xp, k.permute(3, 2, 0, 1), b, stride=strides, dilation=dilation))


def depthwise_nhwc(x, k, b, strides, padding, dilation):
    kh, kw, cin, m = k.shape
    _, pt, pb = tf_pad(x.shape[1], kh, strides[0], dilation[0], padding)
    _, pl, pr = tf_pad(x.shape[2], kw, strides[1], dilation[1], padding)
    xp = F.pad(nchw(x), (pl, pr, pt, pb))
    w = k.permute(2, 3, 0, 1).reshape(cin * m, 1, kh, kw)
    return nhwc(F.conv2d(xp, w, b, stride=strides, dilation=dilation, groups=cin))


def conv1d_nlc(x, k, b, stride, padding, dilation):
    kk = k.shape[0]
    if padding == "causal":
        left, right = dilation * (kk - 1), 0
    else:
        _, left, right = tf_pad(x.shape[1], kk, stride, dilation, padding)
    xp = F.pad(x.permute(0, 2, 1), (left, right))
    return F.conv1d(xp, k.permute(2, 1, 0), b, stride=stride, dilation=dilation).permute(0, 2, 1)


def conv2d_transpose_nhwc(x, k, b, strides, padding, dilation):
    size = []
    for a in range(2):
        eff = (k.shape[a] - 1) * dilation[a] + 1
        i, s = x.shape[1 + a], strides[a]
        size.append(i * s + max(eff - s, 0) if padding == "valid" else i * s)
    _, pt, _ = tf_pad(size[0], k.shape[0], strides[0], dilation[0], padding)
    _, pl, _ = tf_pad(size[1], k.shape[1], strides[1], dilation[1], padding)
    full = F.conv_transpose2d(nchw(x), k.permute(3, 2, 0, 1), None, stride=strides, dilation=dilation)
    y = F.pad(full, (-pl, size[1] + pl - full.shape[3], -pt, size[0] + pt - full.shape[2]))
    return nhwc(y) + (b if b is not None else 0)


def conv_cases():
    g = Lcg(101)
    out = {"conv2d": [], "depthwise_conv2d": [], "conv1d": [], "conv2d_transpose": []}
    for name, xs, ks, strides, padding, dil in [
        ("valid_3x3_c3", (2, 5, 6, 3), (3, 3, 3, 4), (1, 1), "valid", (1, 1)),
        ("same_stride2_even", (1, 6, 6, 2), (3, 3, 2, 3), (2, 2), "same", (1, 1)),
        ("same_stride2_odd_2x4", (2, 7, 5, 3), (2, 4, 3, 2), (2, 2), "same", (1, 1)),
        ("same_dilation2", (1, 7, 6, 2), (3, 2, 2, 3), (1, 1), "same", (2, 2)),
        ("valid_stride_1x3_c1", (3, 5, 9, 1), (2, 3, 1, 5), (1, 3), "valid", (1, 1)),
        ("same_1x1_stride2", (1, 5, 5, 3), (1, 1, 3, 2), (2, 2), "same", (1, 1)),
    ]:
        x, k, b = rand(g, xs), rand(g, ks, -1, 1), rand(g, (ks[3],), -1, 1)
        y, dy, (dx, dk, db) = vjp(lambda x, k, b: conv2d_nhwc(x, k, b, strides, padding, dil), [x, k, b], g)
        out["conv2d"].append({"name": name, "strides": list(strides), "padding": padding, "dilation_rate": list(dil),
                              "x": tensor_json(x), "kernel": tensor_json(k), "bias": tensor_json(b), "dy": tensor_json(dy),
                              "y": tensor_json(y), "dx": tensor_json(dx), "dkernel": tensor_json(dk), "dbias": tensor_json(db)})
    for name, xs, ks, strides, padding, dil in [
        ("valid_m1", (2, 4, 5, 3), (3, 3, 3, 1), (1, 1), "valid", (1, 1)),
        ("same_m2_stride2", (1, 5, 6, 3), (3, 3, 3, 2), (2, 2), "same", (1, 1)),
        ("same_m2_dilation2_c17", (1, 3, 4, 17), (2, 2, 17, 2), (1, 1), "same", (2, 2)),
    ]:
        x, k, b = rand(g, xs), rand(g, ks, -1, 1), rand(g, (ks[2] * ks[3],), -1, 1)
        y, dy, (dx, dk, db) = vjp(lambda x, k, b: depthwise_nhwc(x, k, b, strides, padding, dil), [x, k, b], g)
        out["depthwise_conv2d"].append({"name": name, "strides": list(strides), "padding": padding,
                                        "dilation_rate": list(dil), "x": tensor_json(x), "kernel": tensor_json(k),
                                        "bias": tensor_json(b), "dy": tensor_json(dy), "y": tensor_json(y),
                                        "dx": tensor_json(dx), "dkernel": tensor_json(dk), "dbias": tensor_json(db)})
    for name, xs, ks, stride, padding, dil in [
        ("valid", (2, 7, 3), (3, 3, 4), 1, "valid", 1),
        ("same_stride2", (1, 8, 2), (4, 2, 3), 2, "same", 1),
        ("causal_dilation2", (2, 6, 2), (3, 2, 2), 1, "causal", 2),
    ]:
        x, k, b = rand(g, xs), rand(g, ks, -1, 1), rand(g, (ks[2],), -1, 1)
        y, dy, (dx, dk, db) = vjp(lambda x, k, b: conv1d_nlc(x, k, b, stride, padding, dil), [x, k, b], g)
        out["conv1d"].append({"name": name, "strides": stride, "padding": padding, "dilation_rate": dil,
                              "x": tensor_json(x), "kernel": tensor_json(k), "bias": tensor_json(b), "dy": tensor_json(dy),
                              "y": tensor_json(y), "dx": tensor_json(dx), "dkernel": tensor_json(dk), "dbias": tensor_json(db)})
    for name, xs, ks, strides, padding, dil in [
        ("valid_stride2", (2, 3, 4, 3), (3, 3, 2, 3), (2, 2), "valid", (1, 1)),
        ("same_stride2", (1, 3, 3, 2), (3, 3, 3, 2), (2, 2), "same", (1, 1)),
        ("valid_kernel_below_stride", (1, 3, 2, 2), (2, 2, 2, 2), (3, 3), "valid", (1, 1)),
        ("same_stride1_dilation2", (1, 4, 4, 2), (3, 2, 2, 2), (1, 1), "same", (2, 2)),
    ]:
        x, k, b = rand(g, xs), rand(g, ks, -1, 1), rand(g, (ks[2],), -1, 1)
        y, dy, (dx, dk, db) = vjp(lambda x, k, b: conv2d_transpose_nhwc(x, k, b, strides, padding, dil), [x, k, b], g)
        out["conv2d_transpose"].append({"name": name, "strides": list(strides), "padding": padding,
                                        "dilation_rate": list(dil), "x": tensor_json(x), "kernel": tensor_json(k),
                                        "bias": tensor_json(b), "dy": tensor_json(dy), "y": tensor_json(y),
                                        "dx": tensor_json(dx), "dkernel": tensor_json(dk), "dbias": tensor_json(db)})
    return out


# ---- pooling -----------------------------------------------------------------------------------
def max_pool_nhwc(x, pool, strides, padding):
    _, pt, pb = tf_pad(x.shape[1], pool[0], strides[0], 1, padding)
    _, pl, pr = tf_pad(x.shape[2], pool[1], strides[1], 1, padding)
    xp = F.pad(nchw(x), (pl, pr, pt, pb), value=-math.inf)
    return nhwc(F.max_pool2d(xp, pool, strides))


def avg_pool_nhwc(x, pool, strides, padding):
    _, pt, pb = tf_pad(x.shape[1], pool[0], strides[0], 1, padding)
    _, pl, pr = tf_pad(x.shape[2], pool[1], strides[1], 1, padding)
    s = F.avg_pool2d(F.pad(nchw(x), (pl, pr, pt, pb)), pool, strides, divisor_override=1)
    ones = torch.ones(1, 1, x.shape[1], x.shape[2])
    count = F.avg_pool2d(F.pad(ones, (pl, pr, pt, pb)), pool, strides, divisor_override=1)
    return nhwc(s / count)


def pooling_cases():
    g = Lcg(202)
    out = {"max_pool2d": [], "avg_pool2d": [], "max_pool1d": []}
    for name, xs, pool, strides, padding in [
        ("valid_2x2", (2, 4, 6, 3), (2, 2), (2, 2), "valid"),
        ("same_3x3_stride2_odd", (1, 7, 5, 2), (3, 3), (2, 2), "same"),
        ("same_2x3_stride1", (2, 4, 5, 1), (2, 3), (1, 1), "same"),
        ("valid_3x2_stride_2x1_c17", (1, 6, 5, 17), (3, 2), (2, 1), "valid"),
    ]:
        # Values on a coarse grid, so windows hold ties (the gradient goes to the first maximum).
        x = torch.tensor(g.ints(math.prod(xs), 7), dtype=torch.float64).reshape(xs) - 3
        for op, fn in (("max_pool2d", max_pool_nhwc), ("avg_pool2d", avg_pool_nhwc)):
            y, dy, (dx,) = vjp(lambda x: fn(x, pool, strides, padding), [x], g)
            out[op].append({"name": name, "pool_size": list(pool), "strides": list(strides), "padding": padding,
                            "x": tensor_json(x), "dy": tensor_json(dy), "y": tensor_json(y), "dx": tensor_json(dx)})
    for name, xs, pool, stride, padding in [("valid_2", (2, 7, 3), 2, 2, "valid"), ("same_3_stride2", (1, 8, 2), 3, 2, "same")]:
        x = torch.tensor(g.ints(math.prod(xs), 5), dtype=torch.float64).reshape(xs) - 2
        y, dy, (dx,) = vjp(lambda x: max_pool_nhwc(x.unsqueeze(1), (1, pool), (1, stride), padding).squeeze(1), [x], g)
        out["max_pool1d"].append({"name": name, "pool_size": pool, "strides": stride, "padding": padding,
                                  "x": tensor_json(x), "dy": tensor_json(dy), "y": tensor_json(y), "dx": tensor_json(dx)})
    return out


# ---- batch normalization -----------------------------------------------------------------------
def bn_cases():
    g = Lcg(303)
    cases = []
    for name, xs, axis in [("nhwc_axis_last", (3, 2, 3, 4), -1), ("nc_axis1_rank3", (4, 3, 5), 1), ("dense_17", (5, 17), -1)]:
        c = xs[axis]
        x, gamma, beta = rand(g, xs), rand(g, (c,), 0.5, 2), rand(g, (c,), -1, 1)
        mm, mv = rand(g, (c,), -1, 1), rand(g, (c,), 0, 2) + 0.25
        eps, momentum = 1e-3, 0.99
        perm = [0, axis % len(xs)] + [d for d in range(1, len(xs)) if d != axis % len(xs)]
        inv = [perm.index(d) for d in range(len(xs))]

        def train(x, gamma, beta):
            return F.batch_norm(x.permute(perm), None, None, gamma, beta, True, 0.0, eps).permute(inv)

        def infer(x, gamma, beta):
            return F.batch_norm(x.permute(perm), mm, mv, gamma, beta, False, 0.0, eps).permute(inv)

        y, dy, (dx, dg, db) = vjp(train, [x, gamma, beta], g)
        axes = [d for d in range(len(xs)) if d != axis % len(xs)]
        mean = x.mean(dim=axes)
        var = ((x - x.mean(dim=axes, keepdim=True)) ** 2).mean(dim=axes)
        yi, dyi, (dxi, dgi, dbi) = vjp(infer, [x, gamma, beta], g)
        cases.append({"name": name, "axis": axis, "epsilon": eps, "momentum": momentum,
                      "x": tensor_json(x), "gamma": tensor_json(gamma), "beta": tensor_json(beta),
                      "moving_mean": tensor_json(mm), "moving_variance": tensor_json(mv),
                      "training": {"dy": tensor_json(dy), "y": tensor_json(y), "mean": tensor_json(mean),
                                   "variance": tensor_json(var), "dx": tensor_json(dx), "dgamma": tensor_json(dg),
                                   "dbeta": tensor_json(db),
                                   "moving_mean_after": tensor_json(mm * momentum + mean * (1 - momentum)),
                                   "moving_variance_after": tensor_json(mv * momentum + var * (1 - momentum))},
                      "inference": {"dy": tensor_json(dyi), "y": tensor_json(yi), "dx": tensor_json(dxi),
                                    "dgamma": tensor_json(dgi), "dbeta": tensor_json(dbi)}})
    return cases


# ---- image ops ---------------------------------------------------------------------------------
def image_cases():
    g = Lcg(404)
    out = {"zero_padding2d": [], "upsampling2d": [], "resize_bilinear": []}
    for name, xs, pad in [("asymmetric", (2, 3, 4, 2), ((1, 2), (0, 3))), ("ones", (1, 2, 2, 3), ((1, 1), (1, 1)))]:
        x = rand(g, xs)
        y, dy, (dx,) = vjp(lambda x: nhwc(F.pad(nchw(x), (pad[1][0], pad[1][1], pad[0][0], pad[0][1]))), [x], g)
        out["zero_padding2d"].append({"name": name, "padding": [list(pad[0]), list(pad[1])], "x": tensor_json(x),
                                      "dy": tensor_json(dy), "y": tensor_json(y), "dx": tensor_json(dx)})
    for name, xs, size in [("2x2", (2, 2, 3, 2), (2, 2)), ("3x1_c17", (1, 2, 2, 17), (3, 1))]:
        x = rand(g, xs)
        y, dy, (dx,) = vjp(lambda x: nhwc(F.interpolate(nchw(x), scale_factor=size, mode="nearest")), [x], g)
        out["upsampling2d"].append({"name": name, "size": list(size), "x": tensor_json(x), "dy": tensor_json(dy),
                                    "y": tensor_json(y), "dx": tensor_json(dx)})
    for name, xs, size in [("up_4x5_to_7x9", (1, 4, 5, 2), (7, 9)), ("down_6x6_to_4x3", (2, 6, 6, 1), (4, 3)),
                           ("up_1x3_to_2x6_c3", (1, 1, 3, 3), (2, 6))]:
        x = rand(g, xs)
        y, dy, (dx,) = vjp(lambda x: nhwc(F.interpolate(nchw(x), size=size, mode="bilinear", align_corners=False,
                                                          antialias=False)), [x], g)
        out["resize_bilinear"].append({"name": name, "size": list(size), "x": tensor_json(x), "dy": tensor_json(dy),
                                       "y": tensor_json(y), "dx": tensor_json(dx)})
    return out


if __name__ == "__main__":
    write_json("torch_conv.json", {**header("conv2d, depthwise_conv2d, conv1d, conv2d_transpose (Keras layouts, "
                                            "TensorFlow padding): outputs and gradients of sum(y * dy)"), **conv_cases()})
    write_json("torch_pooling.json", {**header("max/avg pooling with TensorFlow padding and tie rule: outputs and "
                                               "gradients of sum(y * dy)"), **pooling_cases()})
    write_json("torch_normalization.json", {**header("batch normalization training/inference, Keras 3 moving update"),
                                            "cases": bn_cases()})
    write_json("torch_image.json", {**header("zero padding, nearest upsampling, bilinear resize (half-pixel centres)"),
                                    **image_cases()})
