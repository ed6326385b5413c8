#!/usr/bin/python3
"""Golden fixtures for EdgeLoss's element-wise losses and activations, from PyTorch 1.13 in float64.

Run with Debian's python (the one that has torch):   /usr/bin/python3 tools/golden/losses.py
Writes Tests/Fixtures/Losses/{binary_cross_entropy,regression,hinge,kl_div}.json and
Tests/Fixtures/Activations/activations.json. The tests read the committed JSON and never need torch.

Every input is first rounded to float32 (the C# code works in float32), then the reference is computed in float64
on exactly those values, so the tests measure the C# code's own error. Gradients come from autograd: for reduction
"none" the gradient of loss.sum(), i.e. element i gets d loss_i / d input_i.

Where EdgeLoss deliberately differs from torch 1.13, the reference here is the EdgeLoss definition and says so:
- smooth_l1 with beta = 0 uses F.l1_loss (torch 2 dispatches beta = 0 to l1_loss; torch 1.13's kernel gave a
  derivative of -1 instead of 0 at d = 0);
- kl_div with a log-target of -inf is 0 there (torch: 0 * -inf = NaN), computed with torch.where.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
GEN = "tools/golden/losses.py"
rng = np.random.default_rng(20240613)


def f32(values):
    """Rounds to float32 and returns float64 values (the exact numbers the C# side sees)."""
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def t(values, grad=False):
    return torch.tensor(f32(values), dtype=torch.float64, requires_grad=grad)


def enc(values):
    """Flat list of numbers, non-finite ones as the strings the fixture loader knows."""
    out = []
    for v in np.asarray(values, dtype=np.float64).reshape(-1).tolist():
        if math.isnan(v):
            out.append("nan")
        elif math.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        else:
            out.append(v)
    return out


def run(fn, x, reduction):
    """Loss values and input gradient of fn(x) (x a float64 leaf tensor)."""
    x = x.detach().clone().requires_grad_(True)
    out = fn(x)
    (out.sum() if reduction == "none" else out).backward()
    return out.detach().numpy(), x.grad.numpy()


def reduce(l, reduction):
    return l if reduction == "none" else (l.mean() if reduction == "mean" else l.sum())


def write(rel, cases):
    path = os.path.join(ROOT, "Tests", "Fixtures", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"generator": GEN, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"{rel}: {len(cases)} cases, {os.path.getsize(path)} bytes")


REDUCTIONS = ["none", "mean", "sum"]

# ---------------------------------------------------------------------------------------------------------------
# Binary cross-entropy (probabilities and logits), input (4, 3) with per-class / per-element weights and pos_weight
# ---------------------------------------------------------------------------------------------------------------
def bce_cases():
    cases = []
    # Probabilities: random interior values plus the clamped ends 0 and 1, values near them, a soft target.
    p = rng.uniform(0.02, 0.98, size=(4, 3))
    p[0] = [0.0, 1.0, 0.5]
    p[1] = [1e-8, 1.0 - 2.0**-24, 2.0**-30]
    y = rng.uniform(0, 1, size=(4, 3))
    y[0] = [1.0, 0.0, 0.5]
    y[1] = [0.0, 1.0, 0.0]
    y[2] = [0.0, 1.0, 0.3]
    weights = {"noweight": None, "classweight": rng.uniform(0.1, 2.0, size=3), "elementweight": rng.uniform(0.0, 2.0, size=(4, 3))}
    for wname, w in weights.items():
        for r in REDUCTIONS:
            wt = None if w is None else t(w)
            loss, grad = run(lambda x: F.binary_cross_entropy(x, t(y), weight=wt, reduction=r), t(p), r)
            c = {"name": f"bce_{wname}_{r}", "loss": "bce", "reduction": r, "input": enc(f32(p)), "target": enc(f32(y)),
                 "value": enc(loss), "grad": enc(grad)}
            if w is not None:
                c["weight"] = enc(f32(w))
            cases.append(c)

    # Logits: the extremes +-1e4 and +-50 (where naive log(sigmoid) overflows), 0, and ordinary values.
    z = rng.normal(0, 3, size=(4, 3))
    z[0] = [1e4, -1e4, 0.0]
    z[1] = [50.0, -50.0, 1e-3]
    y = rng.uniform(0, 1, size=(4, 3))
    y[0] = [0.0, 1.0, 0.5]
    y[1] = [1.0, 0.0, 1.0]
    y[2] = [0.0, 1.0, 0.0]
    variants = {
        "plain": (None, None),
        "classweight": (rng.uniform(0.1, 2.0, size=3), None),
        "posweight": (None, np.array([3.0, 0.5, 0.0])),
        "both": (rng.uniform(0.1, 2.0, size=3), np.array([2.0, 1.0, 4.0])),
        "scalarposweight": (None, np.array([2.5])),
    }
    for vname, (w, pw) in variants.items():
        for r in REDUCTIONS:
            wt = None if w is None else t(w)
            pwt = None if pw is None else t(pw)
            loss, grad = run(lambda x: F.binary_cross_entropy_with_logits(x, t(y), weight=wt, pos_weight=pwt, reduction=r), t(z), r)
            c = {"name": f"bcelogits_{vname}_{r}", "loss": "bce_logits", "reduction": r, "input": enc(f32(z)),
                 "target": enc(f32(y)), "value": enc(loss), "grad": enc(grad)}
            if w is not None:
                c["weight"] = enc(f32(w))
            if pw is not None:
                c["pos_weight"] = enc(f32(pw))
            cases.append(c)
    return cases


# ---------------------------------------------------------------------------------------------------------------
# Regression: MSE, MSLE, L1, smooth L1 (beta), Huber (delta)
# ---------------------------------------------------------------------------------------------------------------
def near_switch(k):
    """Differences d around a switch point k: dyadic offsets so that x - y is exact in float32."""
    offs = [-2.0**-8, -2.0**-16, 0.0, 2.0**-16, 2.0**-8]
    d = [k + o for o in offs] + [-(k + o) for o in offs]
    return d


def regression_cases():
    cases = []
    y = f32(rng.normal(0, 2, size=12))
    x = f32(y + rng.normal(0, 1.5, size=12))
    x[0] = y[0]  # d = 0
    for r in REDUCTIONS:
        loss, grad = run(lambda a: F.mse_loss(a, t(y), reduction=r), t(x), r)
        cases.append({"name": f"mse_{r}", "loss": "mse", "reduction": r, "input": enc(x), "target": enc(y), "value": enc(loss), "grad": enc(grad)})
        loss, grad = run(lambda a: F.l1_loss(a, t(y), reduction=r), t(x), r)
        cases.append({"name": f"l1_{r}", "loss": "l1", "reduction": r, "input": enc(x), "target": enc(y), "value": enc(loss), "grad": enc(grad)})

    # MSLE: Keras' definition (no torch function): inputs > -1, including close to -1, 0, tiny and large.
    ym = f32(np.concatenate([rng.uniform(-0.5, 5, size=8), [0.0, 1e-7, -0.9, 1e4]]))
    xm = f32(np.concatenate([rng.uniform(-0.5, 5, size=8), [1e-6, 0.0, -0.99, 9e3]]))
    for r in REDUCTIONS:
        loss, grad = run(lambda a: reduce((torch.log1p(a) - torch.log1p(t(ym))) ** 2, r), t(xm), r)
        cases.append({"name": f"msle_{r}", "loss": "msle", "reduction": r, "input": enc(xm), "target": enc(ym), "value": enc(loss), "grad": enc(grad)})

    # Smooth L1 / Huber: differences straddling the switch point (exact in float32), plus ordinary ones.
    for beta in [1.0, 0.5, 2.0, 0.0]:
        d = near_switch(beta) + [0.125, -3.5, 7.25, 0.0 if beta == 0.0 else -0.03125]
        yb = f32(np.round(rng.uniform(-8, 8, size=len(d))) / 4)  # multiples of 1/4: x - y stays exact
        xb = f32(yb + np.array(d))
        assert np.allclose(xb - yb, d, rtol=0, atol=0), "x - y must be exact in float32"
        for r in REDUCTIONS:
            if beta == 0.0:
                fn = lambda a: F.l1_loss(a, t(yb), reduction=r)  # EdgeLoss' beta = 0 (torch 2 semantics)
            else:
                fn = lambda a: F.smooth_l1_loss(a, t(yb), beta=beta, reduction=r)
            loss, grad = run(fn, t(xb), r)
            cases.append({"name": f"smoothl1_beta{beta}_{r}", "loss": "smooth_l1", "beta": beta, "reduction": r,
                          "input": enc(xb), "target": enc(yb), "value": enc(loss), "grad": enc(grad)})
    for delta in [1.0, 0.25, 3.0]:
        d = near_switch(delta) + [0.125, -5.5, 9.75, 0.0]
        yb = f32(np.round(rng.uniform(-8, 8, size=len(d))) / 4)
        xb = f32(yb + np.array(d))
        assert np.allclose(xb - yb, d, rtol=0, atol=0)
        for r in REDUCTIONS:
            loss, grad = run(lambda a: F.huber_loss(a, t(yb), delta=delta, reduction=r), t(xb), r)
            cases.append({"name": f"huber_delta{delta}_{r}", "loss": "huber", "delta": delta, "reduction": r,
                          "input": enc(xb), "target": enc(yb), "value": enc(loss), "grad": enc(grad)})
    return cases


# ---------------------------------------------------------------------------------------------------------------
# Hinge, squared hinge, exponential (labels +-1)
# ---------------------------------------------------------------------------------------------------------------
def hinge_cases():
    cases = []
    s = f32(np.concatenate([rng.normal(0, 2, size=8), [1.0, -1.0, 0.0, 0.5, 1e4, -1e4]]))
    y = f32(np.concatenate([np.where(rng.uniform(size=8) < 0.5, -1.0, 1.0), [1.0, -1.0, 1.0, -1.0, 1.0, 1.0]]))
    # Exponential loss: margins within float's exp range (the loss itself overflows below y s = -88.7).
    se = f32(np.concatenate([rng.normal(0, 2, size=10), [0.0, 20.0, -20.0, 80.0]]))
    ye = f32(np.concatenate([np.where(rng.uniform(size=10) < 0.5, -1.0, 1.0), [1.0, 1.0, 1.0, -1.0]]))
    for r in REDUCTIONS:
        loss, grad = run(lambda a: reduce(torch.relu(1 - t(y) * a), r), t(s), r)
        cases.append({"name": f"hinge_{r}", "loss": "hinge", "reduction": r, "input": enc(s), "target": enc(y), "value": enc(loss), "grad": enc(grad)})
        loss, grad = run(lambda a: reduce(torch.relu(1 - t(y) * a) ** 2, r), t(s), r)
        cases.append({"name": f"squaredhinge_{r}", "loss": "squared_hinge", "reduction": r, "input": enc(s), "target": enc(y), "value": enc(loss), "grad": enc(grad)})
        loss, grad = run(lambda a: reduce(torch.exp(-t(ye) * a), r), t(se), r)
        cases.append({"name": f"exponential_{r}", "loss": "exponential", "reduction": r, "input": enc(se), "target": enc(ye), "value": enc(loss), "grad": enc(grad)})
    return cases


# ---------------------------------------------------------------------------------------------------------------
# KL divergence: input log-probabilities (3 rows x 5), target probabilities with zeros, or log-probabilities
# ---------------------------------------------------------------------------------------------------------------
def kl_cases():
    cases = []
    rows, classes = 3, 5
    logq = f32(F.log_softmax(torch.tensor(rng.normal(0, 2, size=(rows, classes))), dim=1).numpy())
    p = F.softmax(torch.tensor(rng.normal(0, 2, size=(rows, classes))), dim=1).numpy()
    p[0, 1] = 0.0
    p[2, 4] = 0.0
    p = f32(p)
    logp = f32(np.log(np.where(p > 0, p, 1.0)))
    logp_with_ninf = np.where(p > 0, logp, -np.inf)
    for r in ["none", "mean", "sum", "batchmean"]:
        loss, grad = run(lambda a: F.kl_div(a, t(p), reduction=r), t(logq), r)
        cases.append({"name": f"kldiv_{r}", "loss": "kl_div", "log_target": False, "classes": classes, "reduction": r,
                      "input": enc(logq), "target": enc(p), "value": enc(loss), "grad": enc(grad)})

        def log_target_kl(a):
            tt = torch.tensor(logp_with_ninf)
            # EdgeLoss: 0 where the target log-probability is -inf (torch: 0 * -inf = NaN).
            pointwise = torch.where(torch.isinf(tt), torch.zeros_like(a), torch.exp(tt) * (torch.where(torch.isinf(tt), torch.zeros_like(tt), tt) - a))
            if r == "batchmean":
                return pointwise.sum() / rows
            return reduce(pointwise, r)
        loss, grad = run(log_target_kl, t(logq), r)
        cases.append({"name": f"kldiv_logtarget_{r}", "loss": "kl_div", "log_target": True, "classes": classes, "reduction": r,
                      "input": enc(logq), "target": enc(logp_with_ninf), "value": enc(loss), "grad": enc(grad)})
        # The same log-target with finite values only must equal torch's own kl_div(log_target=True).
        if r != "none":
            ref, _ = run(lambda a: F.kl_div(a, t(np.where(p > 0, logp, -200.0)), reduction=r, log_target=True), t(logq), r)
            assert abs(float(ref) - float(loss)) < 1e-12, (ref, loss)
    return cases


# ---------------------------------------------------------------------------------------------------------------
# Activations over a grid with the extremes, 0 and the switch points
# ---------------------------------------------------------------------------------------------------------------
GRID = [-1e4, -1000.0, -100.0, -88.0, -50.0, -30.0, -20.5, -20.0, -19.5, -10.0, -6.5, -6.0, -3.0, -1.0, -0.5,
        -1e-3, -1e-6, -1e-20, 0.0, 1e-20, 1e-6, 1e-3, 0.25, 0.5, 1.0, 2.0, 3.0, 5.75, 6.0, 6.25, 9.5, 9.999999, 10.0, 10.000001, 10.5,
        19.5, 19.999998, 20.0, 20.000002, 20.5, 30.0, 50.0, 88.0, 100.0, 1000.0, 1e4]


def activation_cases():
    def prelu(a):
        return lambda x: F.prelu(x, torch.tensor([a]))

    def swish(beta):
        return lambda x: x * torch.sigmoid(beta * x)

    configs = [
        ("linear", "Linear", None, lambda x: x * 1.0),
        ("sigmoid", "Sigmoid", None, torch.sigmoid),
        ("tanh", "Tanh", None, torch.tanh),
        ("relu", "ReLU", None, F.relu),
        ("relu6", "ReLU6", None, F.relu6),
        ("leakyrelu_default", "LeakyReLU", 0.01, lambda x: F.leaky_relu(x, 0.01)),
        ("leakyrelu_0.2", "LeakyReLU", 0.2, lambda x: F.leaky_relu(x, 0.2)),
        ("prelu_0.25", "PReLU", 0.25, prelu(0.25)),
        ("prelu_-0.5", "PReLU", -0.5, prelu(-0.5)),
        ("elu_1", "ELU", 1.0, lambda x: F.elu(x, 1.0)),
        ("elu_0.5", "ELU", 0.5, lambda x: F.elu(x, 0.5)),
        ("silu", "SiLU", None, F.silu),
        ("swish_0.5", "Swish", 0.5, swish(0.5)),
        ("swish_2", "Swish", 2.0, swish(2.0)),
        ("mish", "Mish", None, F.mish),
        ("softplus_default", "Softplus", 1.0, lambda x: F.softplus(x)),
        ("softplus_beta2", "Softplus", 2.0, lambda x: F.softplus(x, beta=2.0)),
        ("softplus_beta0.5_th10", "Softplus", 0.5, lambda x: F.softplus(x, beta=0.5, threshold=10.0)),
    ]
    cases = []
    x = f32(GRID + list(rng.normal(0, 4, size=12)))
    g = f32(rng.normal(0, 1, size=len(x)))
    for name, kind, param, fn in configs:
        xt = t(x, grad=True)
        y = fn(xt)
        y.backward(torch.tensor(g))
        gi = xt.grad.numpy().copy()
        xt2 = t(x, grad=True)
        fn(xt2).sum().backward()
        c = {"name": name, "kind": kind, "x": enc(x), "y": enc(y.detach().numpy()), "derivative": enc(xt2.grad.numpy()),
             "grad_output": enc(g), "grad_input": enc(gi)}
        if param is not None:
            c["parameter"] = param
        if kind == "Softplus":
            c["threshold"] = 10.0 if "th10" in name else 20.0
        if kind == "PReLU":
            w = torch.tensor([param], requires_grad=True)
            F.prelu(t(x), w).backward(torch.tensor(g))
            c["grad_parameter"] = float(w.grad[0])
        cases.append(c)
    return cases


if __name__ == "__main__":
    assert torch.__version__.startswith("1.13"), torch.__version__
    bce = bce_cases()
    write("Losses/binary_cross_entropy.json", bce)
    write("Losses/regression.json", regression_cases())
    write("Losses/hinge.json", hinge_cases())
    write("Losses/kl_div.json", kl_cases())
    write("Activations/activations.json", activation_cases())
