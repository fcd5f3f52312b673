#!/usr/bin/python3
"""Float64 golden numbers from PyTorch (Debian's python3-torch) and Keras 3 formulas.

Run: cd tests/golden && /usr/bin/python3 gen_torch.py   (writes torch_*.json beside this file)

torch_softmax.json     softmax / log_softmax forward and backward (torch.softmax, torch.log_softmax).
torch_losses.json      the inputs of keras_losses.json, with Keras 3's TensorFlow-backend loss formulas
                       (keras/src/backend/tensorflow/nn.py) written in torch float64, gradients by autograd.
torch_optimizers.json  Keras 3's update rules (keras/src/optimizers/*.py) transcribed in float64.
torch_dense.json       the inputs of keras_dense.json: Dense forward and the MLP gradient, float64.
The inputs come from the same LCG and call order as common.mjs, and are checked against the
keras_*.json files when those exist.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
EPS = 1e-7  # keras.config.epsilon()


class Lcg:
    """Numerical Recipes' 32-bit LCG, values on a 1/256 grid: identical to common.mjs."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF

    def next(self):
        self.state = (1664525 * self.state + 1013904223) & 0xFFFFFFFF
        return self.state

    def uniform(self, n, lo, hi):
        return [lo + math.floor((self.next() / 4294967296) * (hi - lo) * 256) / 256 for _ in range(n)]

    def ints(self, n, k):
        return [math.floor((self.next() / 4294967296) * k) for _ in range(n)]

    def probs(self, n, k):
        out = []
        for _ in range(n):
            w = [v + 1 for v in self.ints(k, 64)]
            total = sum(w)
            a = [max(1, (v * 256) // total) for v in w]
            big = a.index(max(a))
            a[big] += 256 - sum(a)
            if a[big] < 1:
                raise ValueError("probs: row cannot be normalised")
            out.extend(v / 256 for v in a)
        return out


# ---- JSON with 17 significant digits -------------------------------------------------------
class Floats:
    def __init__(self, values):
        self.values = [float(v) for v in values]


def tensor_json(t, dtype=None):
    t = t.detach()
    if dtype is None:
        dtype = "int64" if not t.is_floating_point() else "float64"
    flat = t.reshape(-1).tolist()
    return {"shape": list(t.shape), "dtype": dtype,
            "data": [int(v) for v in flat] if dtype.startswith("int") else Floats(flat)}


def _num(x, is_float):
    if isinstance(x, bool):
        return "true" if x else "false"
    if not is_float and isinstance(x, int):
        return str(x)
    if not math.isfinite(x):
        raise ValueError(f"non-finite value {x} cannot go into JSON")
    return format(float(x), ".17g")


def _dump(v, indent):
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(v, Floats):
        return "[" + ", ".join(_num(x, True) for x in v.values) + "]"
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (int, float)):
        return _num(v, isinstance(v, float))
    if isinstance(v, (list, tuple)):
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            return "[" + ", ".join(_num(x, isinstance(x, float)) for x in v) + "]"
        return "[\n" + ",\n".join(inner + _dump(x, indent + 1) for x in v) + "\n" + pad + "]"
    items = [(k, x) for k, x in v.items() if x is not None]
    return "{\n" + ",\n".join(inner + json.dumps(k) + ": " + _dump(x, indent + 1) for k, x in items) + "\n" + pad + "}"


def write_json(name, obj):
    path = os.path.join(HERE, name)
    with open(path, "w") as f:
        f.write(_dump(obj, 0) + "\n")
    print(f"wrote {path}")


def header(what):
    return {"generator": "tests/golden/gen_torch.py", "what": what, "torch_version": torch.__version__,
            "dtype": "float64", "epsilon": EPS}


def t64(shape, values):
    return torch.tensor(values, dtype=torch.float64).reshape(shape)


# ---- 1. softmax / log_softmax -----------------------------------------------------------------
def softmax_cases():
    g = Lcg(11)
    inputs = []
    for shape in [(4, 3), (3, 17), (1, 1), (5, 1), (1, 17), (2, 3, 4)]:
        n = math.prod(shape)
        inputs.append((f"random_{'x'.join(map(str, shape))}", shape, g.uniform(n, -5, 5)))
    inputs.append(("large_logits", (3, 3), [1000, 0, -1000, -1000, -1000, -1000, 1000, 1000, -1000]))
    inputs.append(("huge_spread", (2, 2), [1e30, -1e30, -3e38, 3e38]))
    cases = []
    for name, shape, values in inputs:
        x = t64(shape, values)
        for axis in (-1, 0):
            dy = t64(shape, g.uniform(len(values), -1, 1))
            out = {}
            for fn_name, fn in (("softmax", torch.softmax), ("log_softmax", torch.log_softmax)):
                xx = x.clone().requires_grad_(True)
                y = fn(xx, axis)
                (grad,) = torch.autograd.grad(y, xx, dy)
                out[fn_name] = tensor_json(y)
                out[f"{fn_name}_grad"] = tensor_json(grad)
            cases.append({"name": f"{name}_axis{axis}", "axis": axis, "x": tensor_json(x),
                          "dy": tensor_json(dy), **out,
                          "torch_function": "torch.softmax(x, axis), torch.log_softmax(x, axis); "
                                            "*_grad = vector-Jacobian product with dy (autograd)"})
    return cases


# ---- 2. Keras 3 losses (TensorFlow backend formulas) in float64 ----------------------------
def keras_sparse_cce(labels, out, from_logits):
    # keras/src/backend/tensorflow/nn.py: probabilities are clipped and logged, then
    # sparse_softmax_cross_entropy_with_logits (which therefore renormalises after the clip).
    if not from_logits:
        out = torch.log(torch.clamp(out, EPS, 1 - EPS))
    return -torch.log_softmax(out, -1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)


def keras_cce(target, out, from_logits):
    if from_logits:  # softmax_cross_entropy_with_logits
        return -(target * torch.log_softmax(out, -1)).sum(-1)
    out = out / out.sum(-1, keepdim=True)
    out = torch.clamp(out, EPS, 1 - EPS)
    return -(target * torch.log(out)).sum(-1)


def keras_bce(target, out, from_logits):
    # keras.losses.binary_crossentropy = mean over the last axis of the backend's elementwise value.
    if from_logits:
        # tf.nn.sigmoid_cross_entropy_with_logits, written with where(x >= 0, ...) as TF writes it, so
        # the gradient at x = 0 is sigmoid(0) - z (a relu/abs form would give -z there).
        pos = out >= 0
        e = torch.where(pos, out, torch.zeros_like(out)) - out * target + torch.log1p(torch.exp(torch.where(pos, -out, out)))
    else:
        p = torch.clamp(out, EPS, 1 - EPS)
        e = -(target * torch.log(p) + (1 - target) * torch.log(1 - p))
    return e.mean(-1)


def keras_mse(target, out, _):
    return ((target - out) ** 2).mean(-1)


FORMULAS = {
    "sparse_categorical_crossentropy": ("logits: -log_softmax(y_pred)[label]; probs: -log_softmax(log(clip(y_pred, eps, 1-eps)))[label]", keras_sparse_cce),
    "categorical_crossentropy": ("logits: -sum(y_true * log_softmax(y_pred)); probs: p = clip(y_pred / sum(y_pred), eps, 1-eps), -sum(y_true * log p)", keras_cce),
    "binary_crossentropy": ("mean over last axis of: logits: where(x>=0, x, 0) - x*z + log1p(exp(where(x>=0, -x, x))); probs: p = clip(y_pred, eps, 1-eps), -(z log p + (1-z) log(1-p))", keras_bce),
    "mean_squared_error": ("mean over last axis of (y_true - y_pred)^2", keras_mse),
}


def one_hot(labels, k):
    return F.one_hot(torch.tensor(labels), k).to(torch.float64)


def loss_case(name, keras, from_logits, y_true, y_pred):
    formula, fn = FORMULAS[keras]
    p = y_pred.clone().requires_grad_(True)
    per = fn(y_true, p, from_logits)
    loss = per.mean()
    (grad,) = torch.autograd.grad(loss, p)
    return {"name": name, "keras_loss": keras, "from_logits": from_logits, "reduction": "sum_over_batch_size",
            "formula": formula, "y_true": tensor_json(y_true), "y_pred": tensor_json(y_pred),
            "per_sample": tensor_json(per), "loss": float(loss), "grad_y_pred": tensor_json(grad)}


def loss_cases():
    # Same generator, seeds and call order as lossCases() in gen_keras.mjs.
    g = Lcg(2024)
    cases = []
    shapes = [(4, 3), (5, 17), (3, 1)]
    for n, k in shapes:
        logits = t64((n, k), g.uniform(n * k, -4, 4))
        labels = g.ints(n, k)
        cases.append(loss_case(f"sparse_logits_{n}x{k}", "sparse_categorical_crossentropy", True,
                               torch.tensor(labels), logits))
        cases.append(loss_case(f"categorical_logits_{n}x{k}", "categorical_crossentropy", True,
                               one_hot(labels, k), logits))
    logits = t64((3, 3), [1000, 0, -1000, -1000, 0, 1000, 1000, 1000, -1000])
    cases.append(loss_case("sparse_logits_large", "sparse_categorical_crossentropy", True,
                           torch.tensor([2, 0, 1]), logits))
    soft = t64((3, 3), [0.25, 0.5, 0.25, 0, 0, 1, 0.125, 0.375, 0.5])
    cases.append(loss_case("categorical_logits_soft_targets", "categorical_crossentropy", True,
                           soft, t64((3, 3), g.uniform(9, -3, 3))))
    for n, k in [s for s in shapes if s[1] > 1]:
        probs = t64((n, k), g.probs(n, k))
        labels = g.ints(n, k)
        cases.append(loss_case(f"sparse_probs_{n}x{k}", "sparse_categorical_crossentropy", False,
                               torch.tensor(labels), probs))
        cases.append(loss_case(f"categorical_probs_{n}x{k}", "categorical_crossentropy", False,
                               one_hot(labels, k), probs))
    probs = t64((4, 3), [0, 1, 0, 0.5, 0.5, 0, 2, 1, 1, 0.25, 0.25, 0.25])
    cases.append(loss_case("categorical_probs_clipped_unnormalised", "categorical_crossentropy", False,
                           one_hot([0, 2, 0, 1], 3), probs))
    for n, k in [(4, 1), (3, 5), (2, 17)]:
        y_true = t64((n, k), g.ints(n * k, 2))
        logits = t64((n, k), g.uniform(n * k, -5, 5))
        cases.append(loss_case(f"binary_logits_{n}x{k}", "binary_crossentropy", True, y_true, logits))
        probs = t64((n, k), [1 / 256 if v == 0 else v for v in g.uniform(n * k, 0, 1)])
        cases.append(loss_case(f"binary_probs_{n}x{k}", "binary_crossentropy", False, y_true, probs))
    y_true = t64((2, 3), [1, 0, 1, 0, 1, 0])
    cases.append(loss_case("binary_logits_large", "binary_crossentropy", True, y_true,
                           t64((2, 3), [100, -100, -100, 100, 0, -30])))
    cases.append(loss_case("binary_probs_clipped", "binary_crossentropy", False, y_true,
                           t64((2, 3), [1, 0, 0, 1, 0.5, 0.25])))
    for n, k in [(4, 3), (3, 17), (5, 1)]:
        y_true = t64((n, k), g.uniform(n * k, -2, 2))
        y_pred = t64((n, k), g.uniform(n * k, -2, 2))
        cases.append(loss_case(f"mse_{n}x{k}", "mean_squared_error", None, y_true, y_pred))
    return cases


# ---- 3. Keras 3 optimizers, float64 ----------------------------------------------------------
def optimizer_inputs():
    g = Lcg(7)
    init = g.uniform(7, -1, 1)
    grads = [g.uniform(7, -2, 2) for _ in range(5)]
    grads[2][3] = 0.0
    tiny = [[v * 1e-6 for v in row] for row in grads]
    return init, grads, tiny


def keras_sgd(lr, momentum=0.0, nesterov=False):
    # keras/src/optimizers/sgd.py
    def step(var, g, state, t):
        if momentum == 0:
            return var - g * lr
        m = state.setdefault("m", torch.zeros_like(var))
        m = m * momentum - g * lr
        state["m"] = m
        return var + (m * momentum - g * lr if nesterov else m)
    return step


def keras_adam(lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None):
    # keras/src/optimizers/adam.py; AdamW (adamw.py) is Adam plus the base optimizer's decoupled
    # weight decay, applied to the variable before the Adam step: var -= var * weight_decay * lr.
    def step(var, g, state, t):
        if weight_decay is not None:
            var = var - var * weight_decay * lr
        m = state.setdefault("m", torch.zeros_like(var))
        v = state.setdefault("v", torch.zeros_like(var))
        alpha = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        m = m + (g - m) * (1 - beta_1)
        v = v + (g * g - v) * (1 - beta_2)
        state["m"], state["v"] = m, v
        return var - (m * alpha) / (torch.sqrt(v) + epsilon)
    return step


def keras_rmsprop(lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    # keras/src/optimizers/rmsprop.py: epsilon is added INSIDE the square root.
    def step(var, g, state, t):
        vel = state.setdefault("v", torch.zeros_like(var))
        vel = rho * vel + (1 - rho) * g * g
        state["v"] = vel
        if centered:
            ag = state.setdefault("ag", torch.zeros_like(var))
            ag = rho * ag + (1 - rho) * g
            state["ag"] = ag
            denominator = vel - ag * ag + epsilon
        else:
            denominator = vel + epsilon
        increment = lr * g / torch.sqrt(denominator)
        if momentum > 0:
            mom = state.setdefault("mom", torch.zeros_like(var))
            mom = momentum * mom + increment
            state["mom"] = mom
            return var - mom
        return var - increment
    return step


def run(step, init, grads):
    var, state, after = t64((7,), init), {}, []
    for t, row in enumerate(grads, start=1):
        var = step(var, t64((7,), row), state, t)
        after.append(Floats(var.tolist()))
    return after


def optimizer_cases():
    init, grads, tiny = optimizer_inputs()
    adam = {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}
    rms = {"learning_rate": 0.01, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False}
    specs = [
        ("sgd", "SGD", {"learning_rate": 0.1, "momentum": 0.0, "nesterov": False}, keras_sgd(0.1), grads,
         "var -= lr*g"),
        ("momentum", "SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": False}, keras_sgd(0.1, 0.9), grads,
         "m = momentum*m - lr*g; var += m"),
        ("nesterov", "SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}, keras_sgd(0.1, 0.9, True),
         grads, "m = momentum*m - lr*g; var += momentum*m - lr*g"),
        ("adam", "Adam", adam, keras_adam(0.01), grads,
         "alpha = lr*sqrt(1-b2^t)/(1-b1^t); m += (g-m)(1-b1); v += (g^2-v)(1-b2); var -= alpha*m/(sqrt(v)+eps)"),
        ("adam_tiny_grads", "Adam", adam, keras_adam(0.01), tiny,
         "alpha = lr*sqrt(1-b2^t)/(1-b1^t); m += (g-m)(1-b1); v += (g^2-v)(1-b2); var -= alpha*m/(sqrt(v)+eps)"),
        ("adamw", "AdamW", {**adam, "weight_decay": 0.004}, keras_adam(0.01, weight_decay=0.004), grads,
         "var -= var*weight_decay*lr; then the Adam step"),
        ("rmsprop", "RMSprop", rms, keras_rmsprop(0.01), grads,
         "v = rho*v + (1-rho)*g^2; var -= lr*g/sqrt(v + eps)"),
        ("rmsprop_tiny_grads", "RMSprop", rms, keras_rmsprop(0.01), tiny,
         "v = rho*v + (1-rho)*g^2; var -= lr*g/sqrt(v + eps)"),
        ("rmsprop_momentum_centered", "RMSprop", {**rms, "momentum": 0.5, "centered": True},
         keras_rmsprop(0.01, momentum=0.5, centered=True), grads,
         "v = rho*v + (1-rho)*g^2; a = rho*a + (1-rho)*g; inc = lr*g/sqrt(v - a^2 + eps); mom = momentum*mom + inc; var -= mom"),
    ]
    cases = []
    for name, keras, config, step, g, formula in specs:
        cases.append({"name": name, "keras_optimizer": keras, "config": config, "formula": formula,
                      "source": "Keras 3 update_step transcribed in float64",
                      "init": Floats(init), "grads": [Floats(r) for r in g],
                      "params_after_step": run(step, init, g)})
    return cases


# ---- 4. Dense and the MLP gradient, float64 --------------------------------------------------
def dense_inputs():
    # Same generator, seed and call order as denseInputs() in gen_keras.mjs.
    g = Lcg(99)
    x, w, b = g.uniform(20, -2, 2), g.uniform(15, -1, 1), g.uniform(3, -1, 1)
    x2, w2, b2 = g.uniform(17, -2, 2), g.uniform(51, -1, 1), g.uniform(3, -1, 1)
    mlp = {"x": g.uniform(20, -2, 2), "W1": g.uniform(15, -1, 1), "b1": g.uniform(3, -0.5, 0.5),
           "W2": g.uniform(12, -1, 1), "b2": g.uniform(4, -0.5, 0.5), "labels": g.ints(4, 4)}
    return [(4, 5, 3, x, w, b), (1, 17, 3, x2, w2, b2)], mlp


def dense_cases():
    dense, mlp = dense_inputs()
    acts = {"linear": lambda z: z, "relu": torch.relu, "softmax": lambda z: torch.softmax(z, -1),
            "sigmoid": torch.sigmoid, "tanh": torch.tanh}
    out = {"dense": []}
    for n, i, o, x, w, b in dense:
        x, w, b = t64((n, i), x), t64((i, o), w), t64((o,), b)
        z = x @ w + b
        out["dense"].append({"name": f"dense_{n}x{i}_to_{o}", "torch_function": "activation(x @ W + b)",
                             "x": tensor_json(x), "kernel": tensor_json(w), "bias": tensor_json(b),
                             "outputs": {k: tensor_json(f(z)) for k, f in acts.items()}})
    x = t64((4, 5), mlp["x"])
    names = ["W1", "b1", "W2", "b2"]
    shapes = {"W1": (5, 3), "b1": (3,), "W2": (3, 4), "b2": (4,)}
    params = [t64(shapes[k], mlp[k]).requires_grad_(True) for k in names]
    labels = torch.tensor(mlp["labels"])
    h = torch.relu(x @ params[0] + params[1])
    assert (x @ params[0] + params[1]).abs().min() > 1e-3, "a hidden pre-activation sits at the relu kink"
    logits = h @ params[2] + params[3]
    p = torch.softmax(logits, -1)
    loss = keras_sparse_cce(labels, p, False).mean()
    # Keras 3 hands a softmax output's logits to the loss (_keras_logits); no clipping is active here,
    # so both paths agree.
    assert abs(float(loss) - float(F.cross_entropy(logits, labels))) < 1e-12
    grads = torch.autograd.grad(loss, params)
    out["mlp"] = {
        "name": "mlp_relu_softmax_sparse_cce",
        "model": "h = relu(x @ W1 + b1); p = softmax(h @ W2 + b2); loss = mean_i sparse_categorical_crossentropy(labels_i, p_i)",
        "torch_function": "torch autograd over the Keras 3 probability-path formula",
        "x": tensor_json(x), "labels": tensor_json(labels),
        "params": {k: tensor_json(t) for k, t in zip(names, params)},
        "loss": float(loss),
        "grads": {k: tensor_json(t) for k, t in zip(names, grads)},
    }
    return out


def check_against_keras(name, torch_cases, keys):
    """The inputs must be the very ones gen_keras.mjs used (same LCG, same call order)."""
    path = os.path.join(HERE, name)
    if not os.path.exists(path):
        print(f"note: {name} not found, inputs not cross-checked")
        return
    with open(path) as f:
        keras = json.load(f)
    by_name = {c["name"]: c for c in keras["cases"]} if "cases" in keras else keras
    for c in torch_cases:
        k = by_name.get(c["name"])
        if k is None:
            continue
        for key in keys:
            a, b = c[key], k[key]
            av = a["data"].values if isinstance(a["data"], Floats) else a["data"]
            bv = b["data"]
            if a["shape"] != b["shape"] or any(float(x) != float(y) for x, y in zip(av, bv)):
                raise SystemExit(f"{name}: case {c['name']} input {key} differs from the tfjs run")


if __name__ == "__main__":
    losses = loss_cases()
    check_against_keras("keras_losses.json", losses, ["y_true", "y_pred"])
    dense = dense_cases()
    check_against_keras("keras_dense.json", dense["dense"], ["x", "kernel", "bias"])
    write_json("torch_softmax.json", {**header("softmax and log_softmax over the last axis and axis 0, "
                                               "values and vector-Jacobian products"), "cases": softmax_cases()})
    write_json("torch_losses.json", {**header("Keras 3 losses (TensorFlow-backend formulas), mean over the batch, "
                                              "and d(mean loss)/d(y_pred)"), "cases": losses})
    write_json("torch_optimizers.json", {**header("Keras 3 optimizers: parameters after each of 5 steps"),
                                         "cases": optimizer_cases()})
    write_json("torch_dense.json", {**header("Dense forward and a 2-layer MLP gradient"), **dense})
