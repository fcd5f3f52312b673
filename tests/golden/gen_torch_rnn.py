#!/usr/bin/python3
"""Float64 golden numbers for the recurrent ops (tapegrad's ops/recurrent.hpp) from PyTorch.

Run: cd tests/golden && /usr/bin/python3 gen_torch_rnn.py   (writes torch_rnn.json; run gen_keras_rnn.mjs
first, this script re-computes its cases in float64 to check the transcription below against tfjs)

Two references, both float64:
- torch's RNN kernels, torch.lstm / torch.gru / torch.rnn_tanh / torch.rnn_relu (the ops torch.nn.LSTM /
  GRU / RNN run, batch_first), with Keras' weights mapped onto torch's (`source: torch.lstm` etc.). Keras LSTM gate order i, f, c, o is torch's i, f, g, o; Keras GRU's z, r, h
  is torch's r, z, n reordered; torch's GRU is Keras' reset_after=True. go_backwards is torch run on the
  time-reversed input (Keras returns the outputs in processing order).
- Keras' cells and TensorFlow's rnn loop (keras/src/layers/rnn/{lstm,gru,simple_rnn}.py,
  keras/src/backend/tensorflow/rnn.py) transcribed in torch ops (`source: keras formula in torch`),
  for what torch's kernels lack: masks, hard sigmoids, reset_after=False, dropout masks. Every torch-kernel case
  is also run through the transcription (they must agree to 1e-12), and every case of keras_rnn.json
  (TensorFlow.js, float32) is re-run through it (to 2e-5), so the transcription is checked against
  both before it stands alone.

Gradients are those of loss = sum(outputs * w_outputs) + sum(h * w_h) (+ sum(c * w_c) for LSTM).
"""
import json
import math
import os

import torch
import torch.nn.functional as F

from gen_torch import Lcg, tensor_json, write_json

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))


def act_fn(name):
    return {
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        # Keras 2.x: clip(0.2 x + 0.5, 0, 1) (tf.keras.backend.hard_sigmoid, tfjs hardSigmoid)
        "hard_sigmoid": lambda x: torch.clamp(x * 0.2 + 0.5, 0.0, 1.0),
        # Keras 3: relu6(x + 3) / 6 (keras/src/backend/tensorflow/nn.py). Not F.hardsigmoid: torch 1.13
        # computes it with a float32 1/6 even in float64 (its gradient is 0.1666666716...).
        "hard_sigmoid_keras3": lambda x: F.relu6(x + 3.0) / 6.0,
        "relu": torch.relu,
        "linear": lambda x: x,
    }[name]


def gate_width(cell, u):
    return {"lstm": 4 * u, "gru": 3 * u, "simple_rnn": u}[cell]


def keras_rnn(case, p):
    """Keras' cell inside TensorFlow's rnn() loop. p: dict of float64 tensors. Returns outputs, h, c."""
    cell, act, rec = case["cell"], act_fn(case["activation"]), act_fn(case["recurrent_activation"])
    x = p["x"]
    n, steps, _ = x.shape
    u = p["recurrent_kernel"].shape[0]
    bias = p.get("bias")
    reset_after = case.get("reset_after", True)
    b_in, b_rec = bias, None
    if cell == "gru" and reset_after and bias is not None:
        b_in, b_rec = bias[0], bias[1]
    h = p["h0"] if "h0" in p else torch.zeros(n, u)
    c = p["c0"] if "c0" in p else torch.zeros(n, u)
    mask = p.get("mask")
    prev_out = torch.zeros(n, u)
    outs = []
    order = range(steps - 1, -1, -1) if case["go_backwards"] else range(steps)
    for t in order:
        xt = x[:, t, :]
        if "dropout_mask" in p:
            xt = xt * p["dropout_mask"]
        hm = h * p["recurrent_dropout_mask"] if "recurrent_dropout_mask" in p else h
        xz = xt @ p["kernel"]
        if b_in is not None:
            xz = xz + b_in
        new_c = None
        if cell == "simple_rnn":
            new_h = act(xz + hm @ p["recurrent_kernel"])
        elif cell == "lstm":
            z = xz + hm @ p["recurrent_kernel"]
            i, f, g, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
            new_c = rec(f) * c + rec(i) * act(g)
            new_h = rec(o) * act(new_c)
        elif reset_after:
            inner = hm @ p["recurrent_kernel"]
            if b_rec is not None:
                inner = inner + b_rec
            zg = rec(xz[:, :u] + inner[:, :u])
            r = rec(xz[:, u:2 * u] + inner[:, u:2 * u])
            hh = act(xz[:, 2 * u:] + r * inner[:, 2 * u:])
            new_h = zg * h + (1 - zg) * hh
        else:
            rk = p["recurrent_kernel"]
            zr = xz[:, :2 * u] + hm @ rk[:, :2 * u]
            zg, r = rec(zr[:, :u]), rec(zr[:, u:])
            hh = act(xz[:, 2 * u:] + (r * hm) @ rk[:, 2 * u:])
            new_h = zg * h + (1 - zg) * hh
        if mask is not None:
            m = mask[:, t:t + 1] != 0
            out = torch.where(m, new_h, torch.zeros_like(new_h) if case["zero_output_for_mask"] else prev_out)
            h = torch.where(m, new_h, h)
            if new_c is not None:
                c = torch.where(m, new_c, c)
        else:
            out, h = new_h, new_h
            if new_c is not None:
                c = new_c
        prev_out = out
        outs.append(out)
    outputs = torch.stack(outs, 1) if case["return_sequences"] else outs[-1]
    return outputs, h, (c if cell == "lstm" else None)


def torch_module_rnn(case, p):
    """The same through torch's own RNN kernels: torch.lstm / torch.gru / torch.rnn_tanh / torch.rnn_relu,
    the ATen ops torch.nn.LSTM/GRU/RNN call with their flat weights (here Keras' weights mapped, so
    autograd reaches them). No masks; sigmoid and tanh only; reset_after=True."""
    cell = case["cell"]
    x, kernel, rk = p["x"], p["kernel"], p["recurrent_kernel"]
    n, steps, f = x.shape
    u = rk.shape[0]
    if case["go_backwards"]:
        x = torch.flip(x, [1])
    bias = p.get("bias")
    if cell == "gru":
        # Keras z, r, h -> torch r, z, n along the gate axis.
        perm = torch.cat([torch.arange(u, 2 * u), torch.arange(0, u), torch.arange(2 * u, 3 * u)])
        kernel, rk = kernel[:, perm], rk[:, perm]
        b_ih = bias[0][perm] if bias is not None else None
        b_hh = bias[1][perm] if bias is not None else None
    else:
        b_ih, b_hh = bias, (torch.zeros_like(bias) if bias is not None else None)
    weights = [kernel.T, rk.T] + ([b_ih, b_hh] if bias is not None else [])
    h0 = (p["h0"] if "h0" in p else torch.zeros(n, u)).unsqueeze(0)
    flags = (bias is not None, 1, 0.0, False, False, True)  # has_biases, layers, dropout, train, bidirectional, batch_first
    c = None
    if cell == "lstm":
        c0 = (p["c0"] if "c0" in p else torch.zeros(n, u)).unsqueeze(0)
        out, h, c = torch.lstm(x, (h0, c0), weights, *flags)
        c = c[0]
    elif cell == "gru":
        out, h = torch.gru(x, h0, weights, *flags)
    else:
        fn = torch.rnn_tanh if case["activation"] == "tanh" else torch.rnn_relu
        out, h = fn(x, h0, weights, *flags)
    outputs = out if case["return_sequences"] else out[:, -1]
    return outputs, h[0], c


GRAD_KEYS = ["x", "kernel", "recurrent_kernel", "bias", "h0", "c0"]


def run_case(case, p, fn):
    """Forward values and the loss gradients with respect to every float input."""
    leaves = {k: v.clone().requires_grad_(True) for k, v in p.items() if k in GRAD_KEYS}
    q = {**p, **leaves}
    outputs, h, c = fn(case, q)
    loss = (outputs * p["w_outputs"]).sum() + (h * p["w_h"]).sum()
    if c is not None:
        loss = loss + (c * p["w_c"]).sum()
    keys = list(leaves)
    grads = torch.autograd.grad(loss, [leaves[k] for k in keys], allow_unused=True)
    return outputs.detach(), h.detach(), (c.detach() if c is not None else None), dict(zip(keys, grads))


def make_inputs(g, case, n, steps, f, u, bias=True, h0=True, c0=True, mask=None, dropout=False):
    cell = case["cell"]
    gw = gate_width(cell, u)
    t = lambda shape, lo, hi, scale=1.0: torch.tensor(g.uniform(math.prod(shape), lo, hi)).reshape(shape) * scale
    p = {"x": t((n, steps, f), -2, 2), "kernel": t((f, gw), -1, 1, 0.5), "recurrent_kernel": t((u, gw), -1, 1, 0.5)}
    if bias:
        p["bias"] = t((2, gw) if cell == "gru" and case.get("reset_after", True) else (gw,), -1, 1, 0.5)
    if h0:
        p["h0"] = t((n, u), -1, 1)
    if c0 and cell == "lstm":
        p["c0"] = t((n, u), -1, 1)
    if mask is not None:
        p["mask"] = torch.tensor(mask, dtype=torch.float64).reshape(n, steps)
    if dropout:
        # Inverted-dropout masks as a layer draws them: 0 or 1 / (1 - rate), rate 0.25.
        p["dropout_mask"] = torch.tensor([0.0 if v < 1 else 4 / 3 for v in g.ints(n * f, 4)]).reshape(n, f)
        p["recurrent_dropout_mask"] = torch.tensor([0.0 if v < 1 else 4 / 3 for v in g.ints(n * u, 4)]).reshape(n, u)
    out_shape = (n, steps, u) if case["return_sequences"] else (n, u)
    p["w_outputs"] = t(out_shape, -1, 1)
    p["w_h"] = t((n, u), -1, 1)
    if cell == "lstm":
        p["w_c"] = t((n, u), -1, 1)
    return p


def case_json(case, p, outputs, h, c, grads, source):
    out = dict(case)
    out["source"] = source
    for k, v in p.items():
        out[k] = tensor_json(v)
    out["outputs"] = tensor_json(outputs)
    out["h"] = tensor_json(h)
    if c is not None:
        out["c"] = tensor_json(c)
    out["grads"] = {k: tensor_json(v) for k, v in grads.items()}
    return out


def max_diff(a, b):
    return float((a - b).abs().max()) if a is not None else 0.0


def base(name, cell, **kw):
    c = {"name": name, "cell": cell, "activation": "tanh", "recurrent_activation": "sigmoid", "go_backwards": False,
         "return_sequences": False, "zero_output_for_mask": False}
    if cell == "gru":
        c["reset_after"] = True
    c.update(kw)
    return c


def cases():
    g = Lcg(2024)
    out = []
    # torch's RNN kernels (values from torch, checked against the transcription).
    module_cases = [
        (base("lstm_seq_3x5x4_u3", "lstm", return_sequences=True), (3, 5, 4, 3), {}),
        (base("lstm_last_1x1x2_u1", "lstm"), (1, 1, 2, 1), {}),
        (base("lstm_backwards_3x5x2_u17", "lstm", go_backwards=True, return_sequences=True), (3, 5, 2, 17), {}),
        (base("lstm_nobias_zero_state_1x5x3_u3", "lstm"), (1, 5, 3, 3), {"bias": False, "h0": False, "c0": False}),
        (base("gru_seq_3x5x4_u3", "gru", return_sequences=True), (3, 5, 4, 3), {}),
        (base("gru_last_1x1x2_u1", "gru"), (1, 1, 2, 1), {}),
        (base("gru_backwards_3x5x2_u17", "gru", go_backwards=True), (3, 5, 2, 17), {}),
        (base("simple_rnn_seq_3x5x4_u3", "simple_rnn", return_sequences=True), (3, 5, 4, 3), {}),
        (base("simple_rnn_relu_backwards_1x5x2_u17", "simple_rnn", activation="relu", go_backwards=True), (1, 5, 2, 17), {}),
    ]
    for case, (n, steps, f, u), kw in module_cases:
        p = make_inputs(g, case, n, steps, f, u, **kw)
        ref = run_case(case, p, torch_module_rnn)
        tr = run_case(case, p, keras_rnn)
        worst = max(max_diff(a, b) for a, b in zip(ref[:3], tr[:3]))
        worst = max([worst] + [max_diff(ref[3][k], tr[3][k]) for k in ref[3]])
        if worst > 1e-12:
            raise SystemExit(f"{case['name']}: torch and the Keras transcription differ by {worst}")
        kind = {"lstm": "torch.lstm", "gru": "torch.gru", "simple_rnn": f"torch.rnn_{case['activation']}"}[case["cell"]]
        out.append(case_json(case, p, *ref, kind))

    # Keras semantics torch's kernels lack (the transcription, checked against tfjs below).
    pre = [0, 0, 1, 1, 1]  # pre-padding: leading masked steps
    post = [1, 1, 1, 0, 0]
    holes = [1, 0, 1, 0, 1]
    none = [0, 0, 0, 0, 0]
    formula_cases = [
        (base("lstm_mask_h0_seq_3x5x3_u3", "lstm", return_sequences=True), (3, 5, 3, 3), {"mask": pre + holes + none}),
        (base("lstm_mask_h0_zero_output_3x5x3_u3", "lstm", return_sequences=True, zero_output_for_mask=True), (3, 5, 3, 3),
         {"mask": post + holes + pre}),
        (base("lstm_mask_last_backwards_3x5x3_u3", "lstm", go_backwards=True), (3, 5, 3, 3), {"mask": pre + post + none}),
        (base("lstm_hard_sigmoid_keras3_3x5x4_u3", "lstm", recurrent_activation="hard_sigmoid_keras3",
              return_sequences=True), (3, 5, 4, 3), {}),
        (base("lstm_hard_sigmoid_keras2_1x5x2_u17", "lstm", recurrent_activation="hard_sigmoid"), (1, 5, 2, 17), {}),
        (base("lstm_dropout_masks_3x5x4_u3", "lstm", return_sequences=True), (3, 5, 4, 3), {"dropout": True}),
        (base("gru_reset_before_seq_3x5x4_u3", "gru", reset_after=False, return_sequences=True), (3, 5, 4, 3), {}),
        (base("gru_reset_before_mask_backwards_3x5x2_u17", "gru", reset_after=False, go_backwards=True,
              recurrent_activation="hard_sigmoid_keras3", return_sequences=True), (3, 5, 2, 17), {"mask": holes + pre + post}),
        (base("gru_reset_after_mask_3x5x3_u3", "gru", return_sequences=True), (3, 5, 3, 3), {"mask": pre + holes + post}),
        (base("gru_dropout_masks_both_3x5x4_u3", "gru", return_sequences=True), (3, 5, 4, 3), {"dropout": True}),
        (base("gru_reset_before_dropout_masks_3x5x4_u3", "gru", reset_after=False), (3, 5, 4, 3), {"dropout": True}),
        (base("simple_rnn_mask_zero_output_3x5x3_u3", "simple_rnn", return_sequences=True, zero_output_for_mask=True),
         (3, 5, 3, 3), {"mask": holes + pre + post}),
        (base("simple_rnn_dropout_masks_3x5x4_u3", "simple_rnn"), (3, 5, 4, 3), {"dropout": True}),
    ]
    for case, (n, steps, f, u), kw in formula_cases:
        p = make_inputs(g, case, n, steps, f, u, **kw)
        out.append(case_json(case, p, *run_case(case, p, keras_rnn), "keras formula in torch"))
    return out


def check_against_tfjs():
    path = os.path.join(HERE, "keras_rnn.json")
    if not os.path.exists(path):
        raise SystemExit("keras_rnn.json not found: run `node gen_keras_rnn.mjs` first")
    with open(path) as f:
        keras = json.load(f)
    for k in keras["cases"]:
        p = {key: torch.tensor(k[key]["data"], dtype=torch.float64).reshape(k[key]["shape"])
             for key in ["x", "kernel", "recurrent_kernel", "bias", "h0", "c0", "mask", "w_outputs", "w_h", "w_c"] if key in k}
        outputs, h, c, grads = run_case(k, p, keras_rnn)
        want = lambda j: torch.tensor(j["data"], dtype=torch.float64).reshape(j["shape"])
        diffs = [max_diff(outputs, want(k["outputs"])), max_diff(h, want(k["h"]))]
        if c is not None:
            diffs.append(max_diff(c, want(k["c"])))
        diffs += [max_diff(grads[g], want(k["grads"][g])) for g in k.get("grads", {})]
        if max(diffs) > 2e-5:
            raise SystemExit(f"keras_rnn.json case {k['name']}: the transcription differs from tfjs by {max(diffs)}")
    print(f"checked {len(keras['cases'])} tfjs cases against the transcription")


if __name__ == "__main__":
    check_against_tfjs()
    write_json("torch_rnn.json", {"generator": "tests/golden/gen_torch_rnn.py",
                                  "what": "recurrent ops: outputs, final states and loss gradients",
                                  "torch_version": torch.__version__, "dtype": "float64", "cases": cases()})
