#!/usr/bin/python3
"""Float64 golden numbers from PyTorch for the eight silent-error regressions of issue 8.

Run: cd tests/golden && /usr/bin/python3 gen_torch_regressions.py   (writes torch_regressions.json)

Every case states the computation in torch float64; the C++ tests (tests/nn/test_losses.cpp,
tests/autograd/test_tape.cpp, tests/ops/test_shape.cpp, tests/ops/test_crossentropy.cpp,
tests/nn/test_training.cpp) run the same computation the way a tapegrad user would write it.
Inputs come from gen_torch.py's LCG (values on a 1/256 grid, exact in float32).
"""
import torch
import torch.nn.functional as F

from gen_torch import EPS, Lcg, header, t64, tensor_json, write_json

torch.set_default_dtype(torch.float64)


def grad_of(f, *xs):
    xs = [x.clone().requires_grad_(True) for x in xs]
    y = f(*xs)
    gs = torch.autograd.grad(y, xs, allow_unused=True)
    return y.detach(), [g if g is not None else torch.zeros_like(x) for g, x in zip(gs, xs)]


def sigmoid_bce():
    # 1. binary_crossentropy on a sigmoid output works on the logits (Keras' _keras_logits):
    # torch's binary_cross_entropy_with_logits is the same stable formula.
    logits = t64((4, 1), [20.0, -3.0, 0.5, -40.0])
    labels = t64((4, 1), [0.0, 1.0, 1.0, 1.0])
    loss, (g,) = grad_of(lambda x: F.binary_cross_entropy_with_logits(x, labels), logits)
    return {"logits": tensor_json(logits), "labels": tensor_json(labels), "loss": float(loss),
            "grad_logits": tensor_json(g),
            "formula": "mean(binary_cross_entropy_with_logits(logits, labels)) = mean(softplus(x) - x z)"}


def keras_cce_probs(y, p):
    p = p / p.sum(-1, keepdim=True)
    p = p.clamp(EPS, 1 - EPS)
    return -(y * torch.log(p)).sum(-1).mean()


def softmax_other_axis():
    # 2. a softmax over axis 0 is an ordinary probability tensor for the loss: Keras' from-probabilities
    # formula (renormalise the rows, clip to [eps, 1-eps], -sum y log p), no logits shortcut.
    g = Lcg(801)
    x = t64((3, 4), g.uniform(12, -2, 2))
    y = F.one_hot(torch.tensor(g.ints(3, 4)), 4).to(torch.float64)
    loss, (gx,) = grad_of(lambda x: keras_cce_probs(y, torch.softmax(x, 0)), x)
    zeros = torch.zeros(3, 3)
    loss0 = keras_cce_probs(torch.eye(3), torch.softmax(zeros, 0))
    return {"x": tensor_json(x), "y": tensor_json(y), "loss": float(loss), "grad_x": tensor_json(gx),
            "zeros_3x3_identity_loss": float(loss0),
            "formula": "p = softmax(x, dim=0); p /= p.sum(-1); clip(eps, 1-eps); mean(-sum(y log p, -1))"}


def tensor_methods():
    # 3. gradients through the Tensor methods reshape, slice_rows, clone and to.
    g = Lcg(802)
    w = t64((3, 4), g.uniform(12, -1, 1))
    c43 = t64((4, 3), g.uniform(12, -1, 1))
    c24 = t64((2, 4), g.uniform(8, -1, 1))
    _, (g_reshape,) = grad_of(lambda w: (w.reshape(4, 3) * c43).sum(), w)
    _, (g_slice,) = grad_of(lambda w: (w[1:3] * c24).sum(), w)
    _, (g_clone,) = grad_of(lambda w: (w.clone() * w).sum(), w)
    c34 = t64((3, 4), g.uniform(12, -1, 1))
    _, (g_to,) = grad_of(lambda w: (w.to(torch.float32).to(torch.float64) * c34).sum(), w)
    return {"w": tensor_json(w), "c43": tensor_json(c43), "c24": tensor_json(c24), "c34": tensor_json(c34),
            "grad_reshape": tensor_json(g_reshape), "grad_slice_rows_1_3": tensor_json(g_slice),
            "grad_clone_times_w": tensor_json(g_clone), "grad_to": tensor_json(g_to),
            "formula": "sum(w.reshape(4,3)*c43); sum(w[1:3]*c24); sum(w.clone()*w); sum(w.to(f32).to(f64)*c34)"}


def concat_many():
    # 4. an op with 40 inputs: the gradient of every watched part is its slice of the weights.
    g = Lcg(803)
    widths = [i % 3 + 1 for i in range(40)]
    parts = [t64((2, w), g.uniform(2 * w, -1, 1)) for w in widths]
    weights = t64((2, sum(widths)), g.uniform(2 * sum(widths), -1, 1))
    _, grads = grad_of(lambda *ps: (torch.cat(ps, 1) * weights).sum(), *parts)
    return {"widths": widths, "parts": [tensor_json(p) for p in parts], "weights": tensor_json(weights),
            "watched": [3, 35, 36], "grads": [tensor_json(grads[i]) for i in (3, 35, 36)],
            "formula": "sum(cat(parts, 1) * weights)"}


def rank1_labels():
    # 6. fit on Dense(1) with labels (N,): Keras expands them to (N, 1). One SGD step (lr 0.1) on the
    # whole batch, from the same kernel and bias, for binary_crossentropy on Dense(1, sigmoid) (which
    # works on the logits) and mse on Dense(1).
    g = Lcg(804)
    x = t64((6, 3), g.uniform(18, -1, 1))
    y = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    kernel = t64((3, 1), g.uniform(3, -1, 1))
    bias = t64((1,), [0.25])
    out = {"x": tensor_json(x), "y": tensor_json(y), "kernel": tensor_json(kernel), "bias": tensor_json(bias),
           "learning_rate": 0.1}
    for name, f in (("binary_crossentropy", lambda z: F.binary_cross_entropy_with_logits(z, y[:, None])),
                    ("mse", lambda z: ((z - y[:, None]) ** 2).mean())):
        loss, (gk, gb) = grad_of(lambda k, b: f(x @ k + b), kernel, bias)
        out[name] = {"loss": float(loss), "kernel_after": tensor_json(kernel - 0.1 * gk),
                     "bias_after": tensor_json(bias - 0.1 * gb)}
    return out


def soft_label_gradients():
    # 7. gradients with respect to soft labels, as TensorFlow defines them.
    g = Lcg(805)
    logits = t64((3, 4), g.uniform(12, -3, 3))
    labels = t64((3, 4), g.probs(3, 4))
    loss, (g_logits, g_labels) = grad_of(lambda x, t: F.cross_entropy(x, t), logits, labels)
    z = t64((3, 2), g.uniform(6, 0, 1))
    x2 = t64((3, 2), g.uniform(6, -3, 3))
    bloss, (g_x2, g_z) = grad_of(lambda x, t: F.binary_cross_entropy_with_logits(x, t), x2, z)
    return {"logits": tensor_json(logits), "labels": tensor_json(labels), "loss": float(loss),
            "grad_logits": tensor_json(g_logits), "grad_labels": tensor_json(g_labels),
            "binary_logits": tensor_json(x2), "binary_labels": tensor_json(z), "binary_loss": float(bloss),
            "binary_grad_labels": tensor_json(g_z),
            "formula": "cross_entropy(logits, soft labels) mean; binary_cross_entropy_with_logits mean"}


if __name__ == "__main__":
    write_json("torch_regressions.json", {
        **header("issue 8's eight silent errors: the right numbers, float64"),
        "generator": "tests/golden/gen_torch_regressions.py",
        "sigmoid_bce": sigmoid_bce(), "softmax_other_axis": softmax_other_axis(),
        "tensor_methods": tensor_methods(), "concat_many": concat_many(), "rank1_labels": rank1_labels(),
        "soft_label_gradients": soft_label_gradients()})
