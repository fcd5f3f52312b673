#!/usr/bin/python3
"""Float64 golden numbers for issue 8's training features, as Keras 3 computes them.

Run: cd tests/golden && /usr/bin/python3 gen_torch_training.py   (writes torch_training.json)

Every formula below is Keras 3's, transcribed from its source (keras-team/keras at 3.16.0, the
file and function named in each comment) and evaluated in torch float64; gradients come from
torch's autograd. Keras keeps the learning rate in a float32 variable; here (as in tapegrad) it is a
float64 number, so these are the numbers of Keras with floatx float64.

  losses      MeanAbsoluteError, Huber (delta 1 and 0.5), KLDivergence, LogCosh, Hinge, and
              label_smoothing for CategoricalCrossentropy / BinaryCrossentropy (probabilities and
              logits): per-sample values, the batch mean and d(mean)/d(y_pred).
  optimizers  clipnorm, clipvalue, global_clipnorm and weight_decay on SGD (momentum) and Adam,
              AdamW's default decay, and decay with a schedule: two variables over 3 steps.
  schedules   PiecewiseConstantDecay, CosineDecay (alpha, warmup), PolynomialDecay (power, cycle),
              InverseTimeDecay (staircase), ExponentialDecay at fixed steps.
  metrics     Precision, Recall, AUC, TopKCategoricalAccuracy, MeanAbsoluteError over two batches.
  fit         sample_weight, class_weight and L1 / L2 / L1L2 kernel and bias regularizers: the loss of
              one full-batch SGD step and the weights after it.
  callbacks   ReduceLROnPlateau on scripted val_loss values, LearningRateScheduler in fit, the exact
              text CSVLogger writes (made by Python's csv module with Keras' own code).
"""
import csv
import collections
import io
import math

import numpy as np
import torch
import torch.nn.functional as F

from gen_torch import EPS, Floats, Lcg, header, t64, tensor_json, write_json

torch.set_default_dtype(torch.float64)


def grad_of(f, *xs):
    xs = [x.clone().requires_grad_(True) for x in xs]
    y = f(*xs)
    return y, torch.autograd.grad(y, xs)


# ---- 1. losses (keras/src/losses/losses.py; backend ops from keras/src/backend/tensorflow/nn.py) ----
def mae(t, p):  # mean_absolute_error
    return (t - p).abs().mean(-1)


def huber(delta):  # huber(): where(|e| <= delta, 0.5 e^2, delta |e| - 0.5 delta^2), mean over the last axis
    def f(t, p):
        e = p - t
        a = e.abs()
        return torch.where(a <= delta, 0.5 * e * e, delta * a - 0.5 * delta * delta).mean(-1)
    return f


def kld(t, p):  # kl_divergence(): both clipped to [epsilon, 1] (ops.clip = tf.clip_by_value)
    t = torch.clamp(t, EPS, 1)
    p = torch.clamp(p, EPS, 1)
    return (t * torch.log(t / p)).sum(-1)


def log_cosh(t, p):  # log_cosh(): x + softplus(-2x) - log(2), softplus written exactly (logaddexp)
    x = p - t
    return (x + torch.logaddexp(-2 * x, torch.zeros_like(x)) - math.log(2.0)).mean(-1)


def hinge(t, p):  # hinge() with convert_binary_labels_to_hinge: all-{0,1} labels become 2y - 1
    if bool(((t == 0) | (t == 1)).all()):
        t = 2 * t - 1
    return torch.clamp(1 - t * p, min=0).mean(-1)


def cce(smoothing, from_logits):  # categorical_crossentropy(label_smoothing) then the TF backend
    def f(t, p):
        t = t * (1 - smoothing) + smoothing / p.shape[-1]
        if from_logits:  # tf.nn.softmax_cross_entropy_with_logits
            return -(t * torch.log_softmax(p, -1)).sum(-1)
        q = torch.clamp(p / p.sum(-1, keepdim=True), EPS, 1 - EPS)  # renormalise, clip, log
        return -(t * torch.log(q)).sum(-1)
    return f


def bce(smoothing, from_logits):  # binary_crossentropy(label_smoothing): y (1 - s) + 0.5 s
    def f(t, p):
        t = t * (1 - smoothing) + 0.5 * smoothing
        if from_logits:  # tf.nn.sigmoid_cross_entropy_with_logits, as TF writes it
            pos = p >= 0
            e = torch.where(pos, p, torch.zeros_like(p)) - p * t + torch.log1p(torch.exp(torch.where(pos, -p, p)))
        else:
            q = torch.clamp(p, EPS, 1 - EPS)
            e = -(t * torch.log(q) + (1 - t) * torch.log(1 - q))
        return e.mean(-1)
    return f


def loss_case(name, cls, config, fn, y_true, y_pred, source):
    per = fn(y_true, y_pred)
    loss, (g,) = grad_of(lambda p: fn(y_true, p).mean(), y_pred)
    return {"name": name, "loss": cls, "config": config, "source": source, "y_true": tensor_json(y_true),
            "y_pred": tensor_json(y_pred), "per_sample": tensor_json(per), "value": float(loss),
            "grad_y_pred": tensor_json(g)}


def loss_cases():
    g = Lcg(8101)
    out = []
    t = t64((4, 3), g.uniform(12, -2, 2))
    p = t64((4, 3), g.uniform(12, -2, 2))
    p[0, 0] = t[0, 0]           # a zero error: |e|'s gradient is sign(0) = 0 (TF and torch)
    p[1, 1] = t[1, 1] + 1.0     # |e| = 1 = delta exactly: both Huber branches have the same slope
    p[2, 2] = t[2, 2] - 0.5     # |e| = 0.5 = the second delta
    out.append(loss_case("mae", "MeanAbsoluteError", {}, mae, t, p, "losses.py mean_absolute_error"))
    out.append(loss_case("huber_delta_1", "Huber", {"delta": 1.0}, huber(1.0), t, p, "losses.py huber"))
    out.append(loss_case("huber_delta_0.5", "Huber", {"delta": 0.5}, huber(0.5), t, p, "losses.py huber"))
    big = t64((2, 3), [0.0, 30.0, -30.0, 400.0, -400.0, 1e-3])  # log_cosh far out and near 0
    out.append(loss_case("log_cosh", "LogCosh", {}, log_cosh, t, p, "losses.py log_cosh"))
    out.append(loss_case("log_cosh_large", "LogCosh", {}, log_cosh, torch.zeros(2, 3), big, "losses.py log_cosh"))
    # KLD on probability rows, with an exact 0 (clipped to eps: no gradient) and an exact 1 (at the
    # upper bound: tf.clip_by_value passes the gradient there, as torch.clamp does).
    tp = t64((4, 4), g.probs(4, 4))
    pp = t64((4, 4), g.probs(4, 4))
    tp[0] = t64((4,), [0.0, 0.25, 0.75, 0.0])
    pp[1] = t64((4,), [0.0, 1.0, 0.0, 0.0])
    out.append(loss_case("kl_divergence", "KLDivergence", {}, kld, tp, pp, "losses.py kl_divergence"))
    # Hinge: {0, 1} labels (converted) and {-1, 1} labels; no margin exactly at the kink.
    h01 = t64((3, 4), [float(v) for v in g.ints(12, 2)])
    hp = t64((3, 4), g.uniform(12, -2, 2)) + 1 / 512
    hpm = 2 * h01 - 1
    hpm[0, 0] = -1.0
    out.append(loss_case("hinge_01_labels", "Hinge", {}, hinge, h01, hp, "losses.py hinge, convert_binary_labels_to_hinge"))
    out.append(loss_case("hinge_pm1_labels", "Hinge", {}, hinge, hpm, hp, "losses.py hinge"))
    # Label smoothing.
    onehot = F.one_hot(torch.tensor(g.ints(5, 4)), 4).to(torch.float64)
    probs = t64((5, 4), g.probs(5, 4))
    probs[0] = t64((4,), [0.0, 0.5, 0.25, 0.25])  # a zero probability: clipped to eps
    logits = t64((5, 4), g.uniform(20, -4, 4))
    for s in (0.1, 0.3):
        out.append(loss_case(f"cce_smoothing_{s}_probs", "CategoricalCrossentropy",
                             {"from_logits": False, "label_smoothing": s}, cce(s, False), onehot, probs,
                             "losses.py categorical_crossentropy; backend/tensorflow/nn.py categorical_crossentropy"))
        out.append(loss_case(f"cce_smoothing_{s}_logits", "CategoricalCrossentropy",
                             {"from_logits": True, "label_smoothing": s}, cce(s, True), onehot, logits,
                             "losses.py categorical_crossentropy; tf.nn.softmax_cross_entropy_with_logits"))
    yb = t64((4, 2), [float(v) for v in g.ints(8, 2)])
    pb = t64((4, 2), g.uniform(8, 0, 1))
    pb[0, 0], pb[1, 1] = 0.0, 1.0  # clipped to eps and 1 - eps
    zb = t64((4, 2), g.uniform(8, -5, 5))
    zb[2, 0] = 0.0
    for s in (0.1, 0.4):
        out.append(loss_case(f"bce_smoothing_{s}_probs", "BinaryCrossentropy",
                             {"from_logits": False, "label_smoothing": s}, bce(s, False), yb, pb,
                             "losses.py binary_crossentropy; backend/tensorflow/nn.py binary_crossentropy"))
        out.append(loss_case(f"bce_smoothing_{s}_logits", "BinaryCrossentropy",
                             {"from_logits": True, "label_smoothing": s}, bce(s, True), yb, zb,
                             "losses.py binary_crossentropy; tf.nn.sigmoid_cross_entropy_with_logits"))
    return out


# ---- 2. optimizers (keras/src/optimizers/base_optimizer.py, sgd.py, adam.py, adamw.py) ----------
def clip_gradients(grads, c):
    # BaseOptimizer._clip_gradients: clipnorm (per variable, _clip_by_norm), else global_clipnorm
    # (clip_by_global_norm), else clipvalue.
    if c.get("clipnorm"):
        cn = c["clipnorm"]
        return [g * cn / torch.clamp(g.square().sum().sqrt(), min=cn) for g in grads]
    if c.get("global_clipnorm"):
        cn = c["global_clipnorm"]
        norm = torch.sqrt(sum(g.square().sum() for g in grads))
        scale = cn * torch.minimum(1.0 / norm, torch.tensor(1.0 / cn))
        return [g * scale for g in grads]
    if c.get("clipvalue"):
        v = c["clipvalue"]
        return [torch.clamp(g, -v, v) for g in grads]
    return grads


def sgd_rule(c):  # SGD.update_step
    def step(var, g, st, t, lr):
        mom = c.get("momentum", 0.0)
        if mom == 0:
            return var - g * lr
        m = st.get("m", torch.zeros_like(var)) * mom - g * lr
        st["m"] = m
        return var + (m * mom - g * lr if c.get("nesterov") else m)
    return step


def adam_rule(c):  # Adam.update_step: alpha = lr sqrt(1 - b2^t) / (1 - b1^t), epsilon outside the sqrt
    b1, b2, eps = c.get("beta_1", 0.9), c.get("beta_2", 0.999), c.get("epsilon", 1e-7)

    def step(var, g, st, t, lr):
        m = st.get("m", torch.zeros_like(var))
        v = st.get("v", torch.zeros_like(var))
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m = m + (g - m) * (1 - b1)
        v = v + (g.square() - v) * (1 - b2)
        st["m"], st["v"] = m, v
        return var - (m * alpha) / (torch.sqrt(v) + eps)
    return step


def schedule_fn(spec):
    if spec is None:
        return None
    if spec["class_name"] == "ExponentialDecay":
        c = spec["config"]
        return lambda s: c["initial_learning_rate"] * c["decay_rate"] ** (s / c["decay_steps"])
    raise ValueError(spec)


def optimizer_cases():
    g = Lcg(8102)
    w0 = t64((2, 3), g.uniform(6, -1, 1))
    w1 = t64((3,), g.uniform(3, -1, 1))
    grads = []
    for scale in (3.0, 0.2, 1.5):  # norms above and below the clip thresholds
        grads.append([t64((2, 3), g.uniform(6, -scale, scale)), t64((3,), g.uniform(3, -scale, scale))])
    out = []

    def case(name, opt, config, schedule=None):
        # BaseOptimizer._backend_apply_gradients: clip, then _apply_weight_decay
        # (var -= var * wd * lr, lr = the current learning rate), then update_step; iterations + 1.
        lr_of = schedule_fn(schedule)
        rule = sgd_rule(config) if opt == "SGD" else adam_rule(config)
        wd = config.get("weight_decay", 0.004 if opt == "AdamW" else None)
        vars_, states, after = [w0.clone(), w1.clone()], [{}, {}], []
        for it, gs in enumerate(grads):
            lr = lr_of(it) if lr_of else config["learning_rate"]
            gs = clip_gradients(gs, config)
            if wd is not None:
                vars_ = [v - v * wd * lr for v in vars_]
            vars_ = [rule(v, gg, st, it + 1, lr) for v, gg, st in zip(vars_, gs, states)]
            after.append([tensor_json(v) for v in vars_])
        out.append({"name": name, "optimizer": opt, "config": config, "schedule": schedule,
                    "source": "base_optimizer.py _clip_gradients, _clip_by_norm, clip_by_global_norm, "
                              "_apply_weight_decay; " + ("sgd.py" if opt == "SGD" else "adam.py") + " update_step",
                    "init": [tensor_json(w0), tensor_json(w1)],
                    "grads": [[tensor_json(a), tensor_json(b)] for a, b in grads], "after": after})

    sgd = {"learning_rate": 0.1, "momentum": 0.9}
    adam = {"learning_rate": 0.01}
    for base, opt in ((sgd, "SGD"), (adam, "Adam")):
        tag = opt.lower()
        case(f"{tag}_clipnorm", opt, {**base, "clipnorm": 1.0})
        case(f"{tag}_clipvalue", opt, {**base, "clipvalue": 0.5})
        case(f"{tag}_global_clipnorm", opt, {**base, "global_clipnorm": 1.5})
        case(f"{tag}_weight_decay", opt, {**base, "weight_decay": 0.1})
        case(f"{tag}_weight_decay_clipnorm", opt, {**base, "weight_decay": 0.05, "clipnorm": 0.8})
    case("sgd_nesterov_weight_decay_clipvalue", "SGD", {**sgd, "nesterov": True, "weight_decay": 0.2, "clipvalue": 0.3})
    case("adamw_default", "AdamW", {"learning_rate": 0.01})
    case("adamw_global_clipnorm", "AdamW", {"learning_rate": 0.05, "weight_decay": 0.1, "global_clipnorm": 0.5})
    # The decay uses the rate of the current step: 0.1, 0.05, 0.025.
    case("sgd_weight_decay_schedule", "SGD", {"momentum": 0.5, "weight_decay": 0.3},
         {"class_name": "ExponentialDecay",
          "config": {"initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.5, "staircase": False}})
    return out


# ---- 3. schedules (keras/src/optimizers/schedules/learning_rate_schedule.py, __call__) ---------
STEPS = [0, 1, 5, 10, 50, 99, 100, 101, 150, 250]


def piecewise(c, s):  # PiecewiseConstantDecay: values[0] for s <= b[0], values[i] for b[i-1] < s <= b[i]
    b, v = c["boundaries"], c["values"]
    for i, bound in enumerate(b):
        if s <= bound:
            return v[i]
    return v[-1]


def cosine(c, s):  # CosineDecay.__call__, _decay_function, _warmup_function
    init, d, alpha = c["initial_learning_rate"], float(c["decay_steps"]), c["alpha"]

    def decay(step, frm):
        cos = 0.5 * (1.0 + math.cos(math.pi * (step / d)))
        return frm * ((1 - alpha) * cos + alpha)
    if c.get("warmup_target") is None:
        return decay(min(float(s), d), init)
    w, target = float(c["warmup_steps"]), c["warmup_target"]
    s = min(float(s), d + w)
    if s < w:
        return (target - init) * (s / w) + init
    return decay(s - w, target)


def polynomial(c, s):  # PolynomialDecay: cycle stretches decay_steps to the next multiple (1 at 0)
    init, end, power, d = c["initial_learning_rate"], c["end_learning_rate"], c["power"], float(c["decay_steps"])
    s = float(s)
    if c["cycle"]:
        d = d * (1.0 if s == 0 else math.ceil(s / c["decay_steps"]))
    else:
        s = min(s, d)
    return (init - end) * (1 - s / d) ** power + end


def inverse_time(c, s):  # InverseTimeDecay: init / (1 + rate * p), p floored when staircase
    p = s / c["decay_steps"]
    if c["staircase"]:
        p = math.floor(p)
    return c["initial_learning_rate"] / (1 + c["decay_rate"] * p)


def exponential(c, s):
    p = s / c["decay_steps"]
    if c["staircase"]:
        p = math.floor(p)
    return c["initial_learning_rate"] * c["decay_rate"] ** p


def schedule_cases():
    specs = [
        ("piecewise", "PiecewiseConstantDecay", {"boundaries": [10, 100], "values": [1.0, 0.5, 0.1]}, piecewise),
        ("piecewise_4", "PiecewiseConstantDecay", {"boundaries": [0, 5, 150], "values": [0.3, 0.2, 0.05, 0.01]}, piecewise),
        ("cosine", "CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 100, "alpha": 0.0}, cosine),
        ("cosine_alpha", "CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 100, "alpha": 0.2}, cosine),
        ("cosine_warmup", "CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 100, "alpha": 0.1,
                                          "warmup_target": 0.1, "warmup_steps": 10}, cosine),
        ("cosine_warmup_from_nonzero", "CosineDecay", {"initial_learning_rate": 0.01, "decay_steps": 150, "alpha": 0.0,
                                                       "warmup_target": 0.2, "warmup_steps": 50}, cosine),
        ("polynomial_linear", "PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 100,
                                                  "end_learning_rate": 0.01, "power": 1.0, "cycle": False}, polynomial),
        ("polynomial_power2", "PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 100,
                                                  "end_learning_rate": 0.0001, "power": 2.0, "cycle": False}, polynomial),
        ("polynomial_cycle", "PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 100,
                                                 "end_learning_rate": 0.01, "power": 0.5, "cycle": True}, polynomial),
        ("polynomial_cycle_power2", "PolynomialDecay", {"initial_learning_rate": 0.5, "decay_steps": 40,
                                                        "end_learning_rate": 0.0, "power": 2.0, "cycle": True}, polynomial),
        ("inverse_time", "InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5,
                                              "staircase": False}, inverse_time),
        ("inverse_time_staircase", "InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 10,
                                                        "decay_rate": 0.5, "staircase": True}, inverse_time),
        ("exponential_staircase", "ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 30,
                                                       "decay_rate": 0.9, "staircase": True}, exponential),
    ]
    return [{"name": n, "class_name": cls, "config": c, "steps": STEPS, "values": Floats([f(c, s) for s in STEPS]),
             "source": f"learning_rate_schedule.py {cls}.__call__"} for n, cls, c, f in specs]


# ---- 4. metrics (keras/src/metrics/confusion_metrics.py, metrics_utils.py, accuracy_metrics.py,
#         regression_metrics.py) ------------------------------------------------------------------
def confusion(t, p, thresholds):
    # metrics_utils.update_confusion_matrix_variables: a prediction is positive when p > threshold.
    t, p = t.reshape(-1) != 0, p.reshape(-1)
    out = []
    for th in thresholds:
        pos = p > th
        out.append([float((pos & t).sum()), float((pos & ~t).sum()), float((~pos & ~t).sum()), float((~pos & t).sum())])
    return torch.tensor(out)  # [thresholds, (tp, fp, tn, fn)]


def divide_no_nan(a, b):
    return torch.where(b == 0, torch.zeros_like(a), a / torch.where(b == 0, torch.ones_like(b), b))


def auc_thresholds(n):  # AUC.__init__: [0 - eps] + [(i + 1) / (n - 1) for i < n - 2] + [1 + eps]
    return [0.0 - EPS] + [(i + 1) * 1.0 / (n - 1) for i in range(n - 2)] + [1.0 + EPS]


def auc_result(cm):  # AUC.result, curve ROC, summation_method interpolation
    tp, fp, tn, fn = cm[:, 0], cm[:, 1], cm[:, 2], cm[:, 3]
    recall = divide_no_nan(tp, tp + fn)
    fpr = divide_no_nan(fp, fp + tn)
    heights = (recall[:-1] + recall[1:]) / 2.0
    return float(((fpr[:-1] - fpr[1:]) * heights).sum())


def metric_cases():
    g = Lcg(8103)
    out = []
    # Binary labels and probabilities, two batches; exact 0, 0.5 and 1 and a few ties.
    t1 = t64((6, 1), [1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    p1 = t64((6, 1), [0.9, 0.5, 0.5, 0.3, 0.0, 0.7])
    t2 = t64((4, 2), [float(v) for v in g.ints(8, 2)])
    p2 = t64((4, 2), g.uniform(8, 0, 1))
    p2[0, 0], p2[3, 1] = 1.0, 0.3
    batches = [(t1, p1), (t2, p2)]
    binary_batches = [{"y_true": tensor_json(a), "y_pred": tensor_json(b)} for a, b in batches]

    def accumulate(fn):
        results, seen = [], []
        for a, b in batches:
            seen.append((a, b))
            results.append(fn(torch.cat([x.reshape(-1) for x, _ in seen]), torch.cat([y.reshape(-1) for _, y in seen])))
        return Floats(results)

    for th in (0.5, 0.3):
        def prec(t, p, th=th):
            tp, fp, _, _ = confusion(t, p, [th])[0]
            return float(divide_no_nan(tp, tp + fp))

        def rec(t, p, th=th):
            tp, _, _, fn = confusion(t, p, [th])[0]
            return float(divide_no_nan(tp, tp + fn))
        out.append({"name": f"precision_{th}", "metric": "Precision", "config": {"thresholds": th},
                    "batches": binary_batches, "results": accumulate(prec),
                    "source": "confusion_metrics.py Precision; metrics_utils.update_confusion_matrix_variables"})
        out.append({"name": f"recall_{th}", "metric": "Recall", "config": {"thresholds": th},
                    "batches": binary_batches, "results": accumulate(rec),
                    "source": "confusion_metrics.py Recall; metrics_utils.update_confusion_matrix_variables"})
    out.append({"name": "recall_0.7", "metric": "Recall", "config": {"thresholds": 0.7}, "batches": binary_batches,
                "results": accumulate(lambda t, p: float(divide_no_nan(*(lambda c: (c[0], c[0] + c[3]))(confusion(t, p, [0.7])[0])))),
                "source": "confusion_metrics.py Recall"})
    # AUC on more data: 40 random scores plus the ones above.
    t3 = t64((20, 1), [float(v) for v in g.ints(20, 2)])
    p3 = t64((20, 1), g.uniform(20, 0, 1))
    auc_batches = [(t1, p1), (torch.cat([t2.reshape(-1, 1), t3]), torch.cat([p2.reshape(-1, 1), p3]))]
    ths = auc_thresholds(200)
    res = []
    for k in range(len(auc_batches)):
        tt = torch.cat([a.reshape(-1) for a, _ in auc_batches[:k + 1]])
        pp = torch.cat([b.reshape(-1) for _, b in auc_batches[:k + 1]])
        res.append(auc_result(confusion(tt, pp, ths)))
    out.append({"name": "auc", "metric": "AUC", "config": {"num_thresholds": 200},
                "batches": [{"y_true": tensor_json(a), "y_pred": tensor_json(b)} for a, b in auc_batches],
                "results": Floats(res), "source": "confusion_metrics.py AUC.__init__ (thresholds), AUC.result (ROC, interpolation)"})
    # TopKCategoricalAccuracy(k=2): tf.math.in_top_k, ties at the boundary count as in.
    y1 = F.one_hot(torch.tensor([0, 1, 2, 3, 2]), 4).to(torch.float64)
    s1 = t64((5, 4), [0.1, 0.2, 0.3, 0.4,   # class 0 is last: miss
                      0.1, 0.3, 0.2, 0.4,   # class 1 second: hit
                      0.3, 0.3, 0.3, 0.1,   # three-way tie at the top: hit
                      0.4, 0.2, 0.2, 0.2,   # tie straddling k: hit
                      0.5, 0.3, 0.1, 0.1])  # class 2 tied third: miss
    y2 = F.one_hot(torch.tensor(g.ints(6, 4)), 4).to(torch.float64)
    s2 = t64((6, 4), g.uniform(24, 0, 1))

    def topk(y, s, k=2):
        target = (y.argmax(-1))
        ts = s.gather(1, target[:, None])
        return (s > ts).sum(-1) < k
    hits = [topk(y1, s1), topk(y2, s2)]
    out.append({"name": "top_k_2", "metric": "TopKCategoricalAccuracy", "config": {"k": 2},
                "batches": [{"y_true": tensor_json(y1), "y_pred": tensor_json(s1)}, {"y_true": tensor_json(y2), "y_pred": tensor_json(s2)}],
                "results": Floats([float(hits[0].double().mean()), float(torch.cat(hits).double().mean())]),
                "source": "accuracy_metrics.py top_k_categorical_accuracy (ops.in_top_k)"})
    # MeanAbsoluteError metric: MeanMetricWrapper(mean_absolute_error): the mean of per-sample means.
    a1, b1 = t64((3, 2), g.uniform(6, -2, 2)), t64((3, 2), g.uniform(6, -2, 2))
    a2, b2 = t64((2, 2), g.uniform(4, -2, 2)), t64((2, 2), g.uniform(4, -2, 2))
    per = [mae(a1, b1), mae(a2, b2)]
    out.append({"name": "mae", "metric": "MeanAbsoluteError", "config": {},
                "batches": [{"y_true": tensor_json(a1), "y_pred": tensor_json(b1)}, {"y_true": tensor_json(a2), "y_pred": tensor_json(b2)}],
                "results": Floats([float(per[0].mean()), float(torch.cat(per).mean())]),
                "source": "regression_metrics.py MeanAbsoluteError (reduction_metrics.MeanMetricWrapper)"})
    return out


# ---- 5. fit: sample_weight, class_weight, regularizers (keras/src/trainers/trainer.py compute_loss,
#         keras/src/losses/loss.py reduce_weighted_values, data_adapter_utils.class_weight_to_sample_weights,
#         keras/src/regularizers/regularizers.py) -------------------------------------------------
def class_weight_to_sample_weights(y, cw):
    # data_adapter_utils.class_weight_to_sample_weights: argmax of one-hot rows, else the squeezed
    # labels rounded (np.round, half to even); missing classes weigh 1.
    y = y.numpy()
    if y.ndim > 1:
        y = np.argmax(y, axis=-1) if y.shape[-1] != 1 else np.squeeze(y, axis=-1)
    y = np.round(y).astype("int32")
    return torch.tensor([float(cw.get(int(v), 1.0)) for v in y])


def penalty(spec, w):  # regularizers.py L1 / L2 / L1L2 __call__
    if spec is None:
        return torch.zeros(())
    l1, l2 = spec["config"].get("l1", 0.0), spec["config"].get("l2", 0.0)
    out = torch.zeros(())
    if l1:
        out = out + l1 * w.abs().sum()
    if l2:
        out = out + l2 * w.square().sum()
    return out


def per_sample_loss(kind, y, z):
    if kind == "sparse_categorical_crossentropy":  # from_logits: sparse_softmax_cross_entropy_with_logits
        return -torch.log_softmax(z, -1).gather(1, y.long()[:, None]).squeeze(1)
    if kind == "categorical_crossentropy":
        return -(y * torch.log_softmax(z, -1)).sum(-1)
    if kind == "binary_crossentropy":
        return bce(0.0, True)(y, z)
    if kind == "mean_squared_error":
        return (y - z).square().mean(-1)
    raise ValueError(kind)


def fit_cases():
    g = Lcg(8104)
    out = []

    def case(name, kind, units, y, sample_weight=None, class_weight=None, kreg=None, breg=None, zero_bias=False):
        n = y.shape[0]
        x = t64((n, 4), g.uniform(n * 4, -1, 1))
        kernel = t64((4, units), g.uniform(4 * units, -1, 1))
        bias = torch.zeros(units) if zero_bias else t64((units,), g.uniform(units, -0.5, 0.5))
        lr = 0.1
        sw = sample_weight
        if class_weight is not None:
            sw = class_weight_to_sample_weights(y, class_weight)

        def total(k, b):
            per = per_sample_loss(kind, y, x @ k + b)
            # reduce_weighted_values: sum(per * sw) / N (sum_over_batch_size divides by the count).
            data = (per * sw).sum() / per.numel() if sw is not None else per.mean()
            # Trainer.compute_loss: the loss plus model.losses (the regularization penalties).
            return data + penalty(kreg, k) + penalty(breg, b)
        loss, (gk, gb) = grad_of(total, kernel, bias)
        out.append({"name": name, "loss": kind, "from_logits": kind != "mean_squared_error", "units": units,
                    "x": tensor_json(x), "y": tensor_json(y, "int64" if kind.startswith("sparse") else None),
                    "kernel": tensor_json(kernel), "bias": tensor_json(bias), "learning_rate": lr,
                    "sample_weight": tensor_json(sample_weight) if sample_weight is not None else None,
                    "class_weight": [[k, v] for k, v in class_weight.items()] if class_weight is not None else None,
                    "effective_sample_weight": tensor_json(sw) if sw is not None else None,
                    "kernel_regularizer": kreg, "bias_regularizer": breg,
                    "loss_value": float(loss), "kernel_after": tensor_json(kernel - lr * gk),
                    "bias_after": tensor_json(bias - lr * gb)})

    def L1(v): return {"class_name": "L1", "config": {"l1": v}}
    def L2(v): return {"class_name": "L2", "config": {"l2": v}}
    def L1L2(a, b): return {"class_name": "L1L2", "config": {"l1": a, "l2": b}}

    sparse = torch.tensor([0.0, 2.0, 1.0, 2.0, 0.0])
    case("sample_weight_sparse", "sparse_categorical_crossentropy", 3, sparse,
         sample_weight=t64((5,), [1.0, 0.5, 2.0, 0.0, 1.5]))
    case("class_weight_sparse", "sparse_categorical_crossentropy", 3, sparse, class_weight={0: 2.0, 2: 0.25})
    case("class_weight_onehot", "categorical_crossentropy", 3, F.one_hot(torch.tensor([1, 1, 0, 2]), 3).to(torch.float64),
         class_weight={0: 0.5, 1: 3.0, 2: 1.25})
    # Labels (N, 1) with soft values: Keras rounds them to find the class.
    case("class_weight_binary_rounded", "binary_crossentropy", 1, t64((6, 1), [0.0, 1.0, 0.8, 0.3, 1.0, 0.0]),
         class_weight={0: 3.0, 1: 0.5})
    case("sample_weight_mse", "mean_squared_error", 2, t64((4, 2), g.uniform(8, -1, 1)),
         sample_weight=t64((4,), [0.25, 1.0, 3.0, 0.5]))
    ymse = t64((5, 2), g.uniform(10, -1, 1))
    case("kernel_l2_bias_l1", "mean_squared_error", 2, ymse, kreg=L2(0.05), breg=L1(0.1))
    case("kernel_l1_bias_l2", "mean_squared_error", 2, ymse, kreg=L1(0.02), breg=L2(0.03))
    # A zero bias under L1 (Keras' default bias): d|b|/db = sign(0) = 0 in TF, as in torch.
    case("kernel_l1l2_zero_bias_l1", "mean_squared_error", 2, ymse, kreg=L1L2(0.01, 0.02), breg=L1(0.5), zero_bias=True)
    case("kernel_l1l2_defaults_l2", "sparse_categorical_crossentropy", 3, sparse, kreg=L1L2(0.0, 0.01), breg=L1L2(0.003, 0.0))
    case("sample_weight_and_l2", "sparse_categorical_crossentropy", 3, sparse,
         sample_weight=t64((5,), [0.5, 0.5, 1.0, 2.0, 0.0]), kreg=L2(0.01))
    return out


# ---- 6. callbacks (keras/src/callbacks/*.py) -----------------------------------------------------
def reduce_lr_on_plateau(config, lr0, values):
    # reduce_lr_on_plateau.py ReduceLROnPlateau.on_epoch_end with monitor_callback.py's
    # _set_monitor_op / _is_improvement: best starts as None (the first value improves); min mode
    # improves when current + min_delta < best, max mode when current - min_delta > best.
    factor, patience, cooldown, min_lr = config["factor"], config["patience"], config["cooldown"], config["min_lr"]
    mode, min_delta = config.get("resolved_mode", config["mode"]), abs(config["min_delta"])
    best, wait, cooldown_counter, lr, lrs = None, 0, 0, lr0, []
    for current in values:
        if cooldown_counter > 0:
            cooldown_counter -= 1
            wait = 0
        if best is None or (current + min_delta < best if mode == "min" else current - min_delta > best):
            best, wait = current, 0
        elif not cooldown_counter > 0:
            wait += 1
            if wait >= patience:
                old_lr = lr
                if old_lr > float(np.float32(min_lr)):  # _reduce_optimizer_lr
                    lr = max(old_lr * factor, min_lr)
                    cooldown_counter, wait = cooldown, 0
        lrs.append(lr)
    return lrs


def reduce_lr_cases():
    seq = [1.0, 0.9, 0.95, 0.9, 0.89995, 0.91, 0.92, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.4, 0.41, 0.42, 0.43]
    acc = [0.5, 0.6, 0.6, 0.61, 0.6105, 0.59, 0.7, 0.7, 0.7, 0.7, 0.69, 0.71, 0.71, 0.71]
    out = []
    for name, monitor, values, cfg, lr0 in (
            ("patience2_cooldown1_min_lr", "val_loss", seq,
             {"factor": 0.5, "patience": 2, "cooldown": 1, "min_lr": 0.02, "min_delta": 1e-4, "mode": "min"}, 0.1),
            ("patience1_no_cooldown", "val_loss", seq,
             {"factor": 0.1, "patience": 1, "cooldown": 0, "min_lr": 0.0, "min_delta": 1e-4, "mode": "min"}, 0.5),
            ("patience3_cooldown2_min_delta", "val_loss", seq,
             {"factor": 0.2, "patience": 3, "cooldown": 2, "min_lr": 1e-4, "min_delta": 0.05, "mode": "min"}, 0.3),
            ("max_mode_accuracy", "val_accuracy", acc,
             {"factor": 0.5, "patience": 2, "cooldown": 0, "min_lr": 0.001, "min_delta": 0.001, "mode": "max"}, 0.01),
            # mode "auto" (monitor_callback.py _set_monitor_op): the compiled metric's _direction
            # decides: AUC is "up" (max), MeanAbsoluteError "down" (min).
            ("auto_mode_auc", "val_auc", acc,
             {"factor": 0.5, "patience": 2, "cooldown": 0, "min_lr": 0.0, "min_delta": 0.001, "mode": "auto"}, 0.01),
            ("auto_mode_mae", "val_mae", seq,
             {"factor": 0.5, "patience": 2, "cooldown": 0, "min_lr": 0.0, "min_delta": 0.001, "mode": "auto"}, 0.01)):
        if cfg["mode"] == "auto":
            cfg = {**cfg, "resolved_mode": "max" if monitor == "val_auc" else "min"}
        out.append({"name": name, "monitor": monitor, "config": cfg, "initial_learning_rate": lr0,
                    "values": Floats(values), "learning_rate_after_epoch": Floats(reduce_lr_on_plateau(cfg, lr0, values)),
                    "source": "reduce_lr_on_plateau.py on_epoch_end, _reduce_optimizer_lr; monitor_callback.py"})
    return out


def lr_scheduler_case():
    # learning_rate_scheduler.py on_epoch_begin: lr = schedule(epoch, optimizer.learning_rate), with the
    # schedule of Keras' docstring: keep lr for the first epochs, then lr * exp(-0.1). Driven through
    # fit: Dense(2) float64, mse, SGD, one full batch per epoch; weights after each epoch.
    g = Lcg(8105)
    x = t64((4, 3), g.uniform(12, -1, 1))
    y = t64((4, 2), g.uniform(8, -1, 1))
    k = t64((3, 2), g.uniform(6, -1, 1))
    b = t64((2,), g.uniform(2, -0.5, 0.5))
    k0, b0 = k, b
    lr, lrs, ks, bs = 0.2, [], [], []
    for epoch in range(5):
        lr = lr if epoch < 2 else lr * math.exp(-0.1)
        lrs.append(lr)
        _, (gk, gb) = grad_of(lambda kk, bb: (x @ kk + bb - y).square().mean(-1).mean(), k, b)
        k, b = k - lr * gk, b - lr * gb
        ks.append(tensor_json(k))
        bs.append(tensor_json(b))
    return {"x": tensor_json(x), "y": tensor_json(y), "kernel": tensor_json(k0), "bias": tensor_json(b0), "initial_learning_rate": 0.2, "schedule": "epoch < 2 ? lr : lr * exp(-0.1)",
            "learning_rate_per_epoch": Floats(lrs), "kernel_after_epoch": ks, "bias_after_epoch": bs,
            "source": "learning_rate_scheduler.py on_epoch_begin"}


def csv_logger_cases():
    # csv_logger.py CSVLogger.on_train_begin / on_epoch_end, run verbatim on hand-made logs: keys
    # sorted once, val_ columns added (filled with "NA") when the first logs have none, a csv.excel
    # dialect (lines end in \r\n, floats written by str(): Python's shortest repr).
    runs = [
        ("no_validation", ",", [{"loss": 0.5, "accuracy": 0.25},
                                {"loss": 0.1 + 0.2, "accuracy": 1e-05},
                                {"loss": 1e16, "accuracy": 123456789.0},
                                {"loss": float("nan"), "accuracy": 2.5e-300}]),
        ("with_validation_semicolon", ";", [{"loss": 2.0, "val_loss": 1.0 / 3.0, "mae": 0.0001, "val_mae": 1e22},
                                            {"loss": float("inf"), "val_loss": -0.0, "mae": 1e15, "val_mae": 0.1}]),
    ]
    out = []
    for name, sep, epochs in runs:
        f = io.StringIO(newline="")
        keys, writer = None, None
        for epoch, logs in enumerate(epochs):
            if keys is None:
                keys = sorted(logs.keys())
                if not any(k.startswith("val_") for k in keys) and keys:
                    keys.extend([f"val_{k}" for k in keys])
            if writer is None:
                class Dialect(csv.excel):
                    delimiter = sep
                writer = csv.DictWriter(f, fieldnames=["epoch"] + keys, dialect=Dialect)
                writer.writeheader()
            row = collections.OrderedDict({"epoch": epoch})
            row.update((k, logs.get(k, "NA")) for k in keys)
            writer.writerow(row)
        out.append({"name": name, "separator": sep,
                    # Values as Python's repr (exact: shortest round trip), so -0.0, nan and inf survive JSON.
                    "epochs": [[[k, repr(v)] for k, v in logs.items()] for logs in epochs],
                    "text": f.getvalue(), "source": "csv_logger.py on_epoch_end"})
    return out


if __name__ == "__main__":
    write_json("torch_training.json", {
        **header("issue 8's training features as Keras 3 computes them: losses, optimizer options, schedules, "
                 "metrics, sample/class weights, regularizers, callbacks"),
        "generator": "tests/golden/gen_torch_training.py", "keras_source": "keras-team/keras 3.16.0 (keras/src/...)",
        "losses": loss_cases(), "optimizers": optimizer_cases(), "schedules": schedule_cases(),
        "metrics": metric_cases(), "fit": fit_cases(),
        "callbacks": {"reduce_lr_on_plateau": reduce_lr_cases(), "learning_rate_scheduler": lr_scheduler_case(),
                      "csv_logger": csv_logger_cases()}})
