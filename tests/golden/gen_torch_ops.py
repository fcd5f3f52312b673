#!/usr/bin/python3
"""Float64 golden numbers for the ops of issue 8 (indexing, shape, comparisons, math, activations,
reductions, batched matmul), from PyTorch 1.13 (Debian's python3-torch) and, where PyTorch has no
such op, NumPy.

Run: cd tests/golden && /usr/bin/python3 gen_torch_ops.py   (writes torch_ops.json beside this file)

Every case holds the op's inputs, its outputs `ys` and, for differentiable ops, output weights
`dys` and `grads`: the gradient of sum_i sum(ys[i] * dys[i]) with respect to each float input
(a vector-Jacobian product), by torch.autograd. For ops computed with NumPy (negative steps, which
torch slicing rejects; symmetric padding, which torch lacks) every output element is a copy of one
input element or a constant, so the gradient is the adjoint of that copy: the output weights added
into the input elements they came from (np.add.at over a map of source positions).
Inputs come from gen_torch.py's LCG on a 1/256 grid, exact in float32 and float64.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from gen_torch import Lcg, tensor_json, write_json

torch.set_default_dtype(torch.float64)
G = Lcg(2024)


def rand(shape, lo=-4.0, hi=4.0):
    return torch.tensor(G.uniform(math.prod(shape), lo, hi)).reshape(shape)


def ints(shape, k):
    return torch.tensor(G.ints(math.prod(shape), k), dtype=torch.int64).reshape(shape)


CASES = []


def case(file, op, name, inputs, fn, params=None, differentiable=True, extra=None):
    """Runs fn(*inputs) in torch and records outputs and (if differentiable) the VJP."""
    xs = [x.clone().requires_grad_(differentiable) for x in inputs]
    out = fn(*xs)
    ys = list(out) if isinstance(out, (list, tuple)) else [out]
    c = {"file": file, "op": op, "name": name, "params": params or {}, "inputs": [tensor_json(x) for x in inputs],
         "ys": [tensor_json(y) for y in ys]}
    if differentiable:
        dys = [rand(tuple(y.shape), -1, 1) for y in ys]
        total = sum((y * d).sum() for y, d in zip(ys, dys))
        grads = torch.autograd.grad(total, xs, allow_unused=True)
        c["dys"] = [tensor_json(d) for d in dys]
        c["grads"] = [tensor_json(g if g is not None else torch.zeros_like(x)) for g, x in zip(grads, inputs)]
    if extra:
        c.update(extra)
    CASES.append(c)


def numpy_case(file, op, name, x, fn, params):
    """fn is a pure copy of elements of x (NumPy indexing/padding): gradient by the adjoint."""
    xn = x.numpy()
    y = fn(xn)
    src = fn(np.arange(xn.size, dtype=np.int64).reshape(xn.shape))
    dy = rand(y.shape, -1, 1).numpy()
    grad = np.zeros(xn.size)
    np.add.at(grad, src.reshape(-1), dy.reshape(-1))
    CASES.append({"file": file, "op": op, "name": name, "params": params, "inputs": [tensor_json(x)],
                  "ys": [tensor_json(torch.tensor(np.ascontiguousarray(y)))], "dys": [tensor_json(torch.tensor(dy))],
                  "grads": [tensor_json(torch.tensor(grad.reshape(xn.shape)))], "reference": "numpy " + np.__version__})


def idx_json(t):
    return tensor_json(t, "int64")


# ---- activations (ops/activation.cpp) ---------------------------------------------------------
def activation_cases():
    kinks = torch.tensor([-100.0, -30.0, -6.0, -3.0, -1.0, 0.0, 1.0, 3.0, 6.0, 30.0, 100.0])
    acts = [
        ("softplus", {}, lambda x: torch.logaddexp(x, torch.zeros_like(x))),
        ("softsign", {}, F.softsign),
        ("elu", {"alpha": 1.0}, lambda x: F.elu(x, 1.0)),
        ("elu", {"alpha": 0.5}, lambda x: F.elu(x, 0.5)),
        ("selu", {}, F.selu),
        # F.gelu(approximate="none") computes 1 + erf(x / sqrt 2), which cancels in the negative tail
        # (2% off at x = -8); the same function through erfc keeps every digit.
        ("gelu", {"approximate": False}, lambda x: 0.5 * x * torch.special.erfc(-x / math.sqrt(2))),
        ("gelu", {"approximate": True}, lambda x: F.gelu(x, approximate="tanh")),
        ("silu", {}, F.silu),
        ("leaky_relu", {"negative_slope": 0.2}, lambda x: F.leaky_relu(x, 0.2)),
        ("leaky_relu", {"negative_slope": 0.3}, lambda x: F.leaky_relu(x, 0.3)),
        ("relu6", {}, F.relu6),
        # F.hardsigmoid's backward multiplies by 1.0f / 6.0f, a float32 constant (1.7e-8 off in float64);
        # relu6(x + 3) / 6 is the same function with an exact float64 gradient.
        ("hard_sigmoid", {}, lambda x: F.relu6(x + 3) / 6),
        ("exponential", {}, torch.exp),
    ]
    for op, params, fn in acts:
        suffix = "".join(f"_{k}{v}" for k, v in params.items())
        for shape in [(3, 17), (1,), (2, 3, 4)]:
            case("activation", op, f"{op}{suffix}_{'x'.join(map(str, shape))}", [rand(shape, -8, 8)], fn, params)
        if op not in ("exponential",):
            # Kinks: PyTorch's conventions at 0, +-3, 6 are tapegrad's (documented in activation.hpp).
            case("activation", op, f"{op}{suffix}_kinks", [kinks], fn, params)
    # Keras 2's hard sigmoid, clip(0.2 x + 0.5, 0, 1). torch.clamp passes the gradient at the bounds
    # (+-2.5), tapegrad does not (as relu6 and hard_sigmoid), so the grid is shifted off them.
    for shape in [(3, 17), (2, 3, 4)]:
        case("activation", "hard_sigmoid_keras2", f"hard_sigmoid_keras2_{'x'.join(map(str, shape))}",
             [rand(shape, -4, 4) + 1.0 / 512], lambda x: torch.clamp(0.2 * x + 0.5, 0.0, 1.0))


# ---- elementwise math (ops/math.cpp) ----------------------------------------------------------
def math_cases():
    fns = [("log1p", torch.log1p, (-0.9, 5.0)), ("expm1", torch.expm1, (-5.0, 5.0)), ("sin", torch.sin, (-10.0, 10.0)),
           ("cos", torch.cos, (-10.0, 10.0)), ("erf", torch.erf, (-4.0, 4.0))]
    tiny = torch.tensor([-1e-10, -2.0 ** -30, 0.0, 2.0 ** -40, 1e-10, 3e-8])
    for op, fn, (lo, hi) in fns:
        for shape in [(3, 17), (1,), (2, 3, 4)]:
            case("math", op, f"{op}_{'x'.join(map(str, shape))}", [rand(shape, lo, hi)], fn)
        case("math", op, f"{op}_tiny", [tiny], fn)


# ---- reductions (ops/reduction.cpp) -----------------------------------------------------------
def prod_over(x, axes, keepdims):
    """torch.prod takes one dim: move the reduced axes last, flatten them, take the product."""
    if not axes:
        axes = list(range(x.dim()))
    axes = sorted(a % x.dim() for a in axes)
    rest = [d for d in range(x.dim()) if d not in axes]
    y = x.permute(rest + axes).reshape([x.shape[d] for d in rest] + [-1]).prod(-1)
    if keepdims:
        y = y.reshape([1 if d in axes else x.shape[d] for d in range(x.dim())])
    return y


def reduction_cases():
    x = rand((3, 4, 5))
    ties = torch.tensor([[3.0, 1.0, 3.0, 1.0], [2.0, 2.0, 2.0, 2.0], [-1.0, 5.0, 0.5, 5.0]])
    for axes, keep in [([], False), ([1], False), ([0, 2], True), ([-1], True)]:
        p = {"axes": axes, "keepdims": keep}
        tag = f"axes{'_'.join(map(str, axes)) or 'all'}{'_keep' if keep else ''}"
        case("reduction", "reduce_min", f"reduce_min_{tag}", [x], lambda t: torch.amin(t, axes, keep), p)
        case("reduction", "logsumexp", f"logsumexp_{tag}", [x],
             lambda t: torch.logsumexp(t, axes if axes else list(range(t.dim())), keep), p)
        for ddof in (0, 1):
            q = {**p, "ddof": ddof}
            dims = axes if axes else list(range(x.dim()))
            case("reduction", "var", f"var_{tag}_ddof{ddof}", [x], lambda t: torch.var(t, dims, unbiased=ddof == 1, keepdim=keep), q)
            case("reduction", "std", f"std_{tag}_ddof{ddof}", [x], lambda t: torch.std(t, dims, unbiased=ddof == 1, keepdim=keep), q)
        case("reduction", "prod", f"prod_{tag}", [rand((3, 4, 5), 0.5, 1.5)], lambda t: prod_over(t, axes, keep), p)
    case("reduction", "reduce_min", "reduce_min_ties", [ties], lambda t: torch.amin(t, [1]), {"axes": [1], "keepdims": False})
    case("reduction", "reduce_min", "reduce_min_1x17", [rand((1, 17))], lambda t: torch.amin(t, [1]), {"axes": [1], "keepdims": False})
    # Zeros: none, one and two in a row; a whole-tensor product with one zero.
    zeros = torch.tensor([[1.5, -2.0, 0.5, 3.0], [1.5, 0.0, 0.5, 3.0], [0.0, 2.0, 0.0, -1.0]])
    case("reduction", "prod", "prod_zeros_axis1", [zeros], lambda t: prod_over(t, [1], False), {"axes": [1], "keepdims": False})
    case("reduction", "prod", "prod_zeros_axis0", [zeros], lambda t: prod_over(t, [0], True), {"axes": [0], "keepdims": True})
    case("reduction", "prod", "prod_one_zero_all", [zeros[1]], lambda t: prod_over(t, [], False), {"axes": [], "keepdims": False})
    const = torch.tensor([[2.0, 2.0, 2.0], [1.0, -1.0, 3.0]])
    for op, fn in (("std", torch.std), ("var", torch.var)):
        case("reduction", op, f"{op}_constant_row", [const], lambda t, fn=fn: fn(t, [1], unbiased=False),
             {"axes": [1], "keepdims": False, "ddof": 0})
    big = torch.tensor([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0], [0.5, 0.25, -0.125]])
    case("reduction", "logsumexp", "logsumexp_large", [big], lambda t: torch.logsumexp(t, [1]), {"axes": [1], "keepdims": False})


# ---- batched matmul (ops/linalg.cpp) ----------------------------------------------------------
def linalg_cases():
    shapes = [((2, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (3, 4, 5)),
              ((1, 17, 3), (4, 3, 1)), ((3, 1, 2), (3, 2, 17)), ((2, 2, 1), (2, 1, 3))]
    for sa, sb in shapes:
        for ta in (False, True):
            for tb in (False, True):
                a = rand(sa[:-2] + (sa[-1], sa[-2]) if ta else sa)
                b = rand(sb[:-2] + (sb[-1], sb[-2]) if tb else sb)
                fn = (lambda u, v, ta=ta, tb=tb: torch.matmul(u.transpose(-1, -2) if ta else u,
                                                              v.transpose(-1, -2) if tb else v))
                name = f"matmul_{'x'.join(map(str, sa))}_by_{'x'.join(map(str, sb))}{'_ta' if ta else ''}{'_tb' if tb else ''}"
                case("linalg", "matmul", name, [a, b], fn, {"trans_a": ta, "trans_b": tb})


# ---- comparisons and where (ops/compare.cpp) --------------------------------------------------
def compare_cases():
    a = torch.tensor(G.ints(12, 5), dtype=torch.float64).reshape(3, 4) - 2
    b = torch.tensor(G.ints(4, 5), dtype=torch.float64) - 2
    for op, fn in (("equal", torch.eq), ("not_equal", torch.ne), ("less", torch.lt), ("less_equal", torch.le),
                   ("greater", torch.gt), ("greater_equal", torch.ge)):
        case("compare", op, f"{op}_3x4_with_4", [a, b], lambda u, v, fn=fn: fn(u, v).double(), differentiable=False)
    cond = torch.tensor(G.ints(12, 2), dtype=torch.float64).reshape(3, 4)
    case("compare", "where", "where_same_shape", [rand((3, 4)), rand((3, 4))],
         lambda u, v: torch.where(cond != 0, u, v), {"cond": tensor_json(cond)})
    cond2 = torch.tensor(G.ints(4, 2), dtype=torch.float64)
    case("compare", "where", "where_broadcast", [rand((3, 1)), rand((1, 4))],
         lambda u, v: torch.where(cond2 != 0, u, v), {"cond": tensor_json(cond2)})
    cond3 = torch.tensor(G.ints(17, 2), dtype=torch.float64).reshape(17, 1)
    case("compare", "where", "where_scalar_branch", [rand((3,)), rand(())],
         lambda u, v: torch.where(cond3 != 0, u, v), {"cond": tensor_json(cond3)})


# ---- shape ops (ops/shape.cpp) ----------------------------------------------------------------
def shape_cases():
    xs = [rand((2, 3)) for _ in range(3)]
    for axis in (0, 1, 2, -1):
        case("shape", "stack", f"stack_axis{axis}", xs, lambda *t, axis=axis: torch.stack(t, axis), {"axis": axis})
    x = rand((4, 6))
    case("shape", "split", "split_num3_axis1", [x], lambda t: torch.split(t, 2, 1), {"num": 3, "axis": 1})
    case("shape", "split", "split_sizes_axis0", [x], lambda t: torch.split(t, [1, 3], 0), {"sizes": [1, -1], "axis": 0})
    y = rand((1, 3, 1, 2))
    case("shape", "squeeze", "squeeze_all", [y], lambda t: t.squeeze(), {"axes": []})
    case("shape", "squeeze", "squeeze_axis2", [y], lambda t: t.squeeze(2), {"axes": [-2]})
    for axis in (0, 2, -1):
        case("shape", "expand_dims", f"expand_dims_{axis}", [x], lambda t, axis=axis: t.unsqueeze(axis), {"axis": axis})
    z = rand((2, 3))
    for mult in ([2, 3], [1, 2], [3, 1], [0, 2]):
        case("shape", "tile", f"tile_{'_'.join(map(str, mult))}", [z], lambda t, mult=mult: t.repeat(*mult), {"multiples": mult})
    case("shape", "tile", "tile_3d", [rand((2, 1, 3))], lambda t: t.repeat(1, 4, 2), {"multiples": [1, 4, 2]})


# ---- indexing (ops/indexing.cpp) --------------------------------------------------------------
def py_slice(start, stop, step):
    return slice(start, stop, step)


def indexing_cases():
    x = rand((5, 7))
    # slice(x, axis, start, stop, step): positive steps through torch; negative steps through NumPy.
    specs = [(0, 1, 4, 1), (1, None, None, 2), (1, -5, None, 3), (0, -100, 100, 1), (1, 2, 2, 1), (1, 5, 1, 1),
             (0, None, None, -1), (1, 5, 1, -2), (1, -2, -100, -3), (0, 100, None, -2)]
    for axis, start, stop, step in specs:
        p = {"axis": axis, "start": start, "stop": stop, "step": step}
        name = f"slice_axis{axis}_{start}_{stop}_{step}"
        sl = [slice(None)] * 2
        sl[axis] = slice(start, stop, step)
        if step > 0:
            case("indexing", "slice", name, [x], lambda t, sl=tuple(sl): t[sl], p)
        else:
            numpy_case("indexing", "slice", name, x, lambda a, sl=tuple(sl): a[sl], p)
    # index(x, {...}): entries as JSON: int, {"slice": [start, stop, step]}, "...", "newaxis",
    # {"tensor": int64 tensor}.
    y = rand((4, 5, 6))
    idx = torch.tensor([[2, 0], [0, 3]])
    lists = [
        ("ints", [1, -1], lambda t: t[1, -1]),
        ("slice_int_newaxis_ellipsis", [{"slice": [1, None, 2]}, 3, "newaxis", "..."], lambda t: t[1::2, 3, None, ...]),
        ("ellipsis_first", ["...", {"slice": [None, None, 2]}], lambda t: t[..., ::2]),
        ("newaxis_only", ["newaxis", "...", "newaxis"], lambda t: t[None, ..., None]),
        ("tensor_middle", [{"slice": [None, None, None]}, {"tensor": idx}], lambda t: t[:, idx]),
        ("int_next_to_tensor", [{"slice": [1, 3, None]}, 2, {"tensor": idx}], lambda t: t[1:3, 2, idx]),
        ("tensor_negative", [{"tensor": torch.tensor([-1, 0, -4])}], lambda t: t[torch.tensor([-1, 0, -4])]),
    ]
    for name, entries, fn in lists:
        js = [{"tensor": idx_json(e["tensor"])} if isinstance(e, dict) and "tensor" in e else e for e in entries]
        case("indexing", "index", f"index_{name}", [y], fn, {"entries": js})
    numpy_case("indexing", "index", "index_negative_steps", y, lambda a: a[::-1, 3, None, 4:0:-2],
               {"entries": [{"slice": [None, None, -1]}, 3, "newaxis", {"slice": [4, 0, -2]}]})
    # An integer apart from the tensor entry indexes together with it in NumPy, whose dimensions then
    # go first: (2, 2, 5) where PyTorch, which treats the integer as a plain pick, gives (5, 2, 2).
    numpy_case("indexing", "index", "index_int_apart_from_tensor", y, lambda a: a[0, :, idx.numpy()],
               {"entries": [0, {"slice": [None, None, None]}, {"tensor": idx_json(idx)}]})
    numpy_case("indexing", "index", "index_int_newaxis_tensor", y, lambda a: a[0, None, idx.numpy()],
               {"entries": [0, "newaxis", {"tensor": idx_json(idx)}]})
    # gather(x, indices, axis), as tf.gather = np.take.
    g = rand((3, 4, 5))
    for axis, ind in [(0, torch.tensor([2, 0, 2])), (1, torch.tensor([[3, 0], [1, 1], [0, 2]])), (2, torch.tensor(4)),
                      (-1, torch.tensor([[0, 4, 4, 1]]))]:
        case("indexing", "gather", f"gather_axis{axis}_{'x'.join(map(str, ind.shape)) or 'scalar'}", [g],
             lambda t, axis=axis, ind=ind: t.index_select(axis, ind.reshape(-1)).reshape(
                 t.shape[:axis % 3] + ind.shape + t.shape[axis % 3 + 1:]),
             {"axis": axis, "indices": idx_json(ind)})
    # pad: constant through torch (F.pad lists the last axis first), reflect and symmetric through NumPy.
    p = rand((3, 4))
    pads = [[1, 2], [3, 0]]
    case("indexing", "pad", "pad_constant", [p], lambda t: F.pad(t, (3, 0, 1, 2), value=0.5),
         {"paddings": pads, "mode": "constant", "constant_value": 0.5})
    for mode in ("reflect", "symmetric"):
        for pads in ([[2, 1], [3, 0]], [[0, 0], [1, 3]]):
            numpy_case("indexing", "pad", f"pad_{mode}_{pads[0][0]}{pads[0][1]}{pads[1][0]}{pads[1][1]}", p,
                       lambda a, mode=mode, pads=pads: np.pad(a, pads, mode=mode), {"paddings": pads, "mode": mode})
    # one_hot (not differentiable).
    labels = torch.tensor([[0, 3], [2, 1], [3, 3]])
    case("indexing", "one_hot", "one_hot_3x2_depth4", [], lambda: F.one_hot(labels, 4).double(),
         {"indices": idx_json(labels), "depth": 4}, differentiable=False)


if __name__ == "__main__":
    activation_cases()
    math_cases()
    reduction_cases()
    linalg_cases()
    compare_cases()
    shape_cases()
    indexing_cases()
    names = [c["name"] for c in CASES]
    if len(names) != len(set(names)):
        raise SystemExit("duplicate case names")
    write_json("torch_ops.json", {
        "generator": "tests/golden/gen_torch_ops.py", "torch_version": torch.__version__, "numpy_version": np.__version__,
        "dtype": "float64",
        "what": "ops of issue 8: outputs ys and, for differentiable ops, grads = d sum_i sum(ys[i] * dys[i]) / d inputs",
        "cases": CASES})
