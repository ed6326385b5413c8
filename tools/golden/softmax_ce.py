#!/usr/bin/python3
"""Golden fixtures for the softmax family, cross-entropy (class-index and probability targets), NLL and distillation.

Reference: PyTorch 1.13 (torch.nn.functional) in float64, gradients by autograd. Inputs are drawn in float32 and
written as the shortest decimal that round-trips to that float32, so the C# side (float32) and this reference
(float64 of the same float32 values) see identical inputs. Expected values are full float64.

Run with Debian's python (the one with torch):  /usr/bin/python3 tools/golden/softmax_ce.py
Writes Tests/Fixtures/Softmax/{softmax,ce_index,ce_soft,nll,distillation}.json.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

GEN = "tools/golden/softmax_ce.py"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Fixtures", "Softmax")
D = torch.float64
INF = float("inf")
REDUCTIONS = ["none", "mean", "sum"]

rng = np.random.default_rng(20240613)


def f32(a):
    """float32 values as float64 (the exact inputs both sides use)."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def num(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def inputs(a):
    """A float32 array as nested lists of the shortest decimals that round-trip to float32."""
    a = np.asarray(a, dtype=np.float32)
    if a.ndim == 0:
        v = float(a)
        return num(v) if not math.isfinite(v) else float(str(np.float32(a)))
    return [inputs(b) for b in a]


def outputs(t):
    """A float64 tensor / array / scalar as nested lists (full precision)."""
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().numpy()
    a = np.asarray(t, dtype=np.float64)
    if a.ndim == 0:
        return num(a)
    return [outputs(b) for b in a]


def write(name, cases):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump({"generator": GEN, "torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"{path}: {len(cases)} cases, {os.path.getsize(path)} bytes")


def randn(*shape, scale=1.0, offset=0.0):
    return (rng.standard_normal(shape) * scale + offset).astype(np.float32)


# ----------------------------------------------------------------------------------------------------------------
# softmax / log_softmax / logsumexp
# ----------------------------------------------------------------------------------------------------------------
def softmax_cases():
    cases = []

    def add(name, x, temperatures=(1.0,)):
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 1:
            x = x[None, :]
        xs = torch.tensor(f32(x), dtype=D)
        for t in temperatures:
            t32 = float(np.float32(t))
            cases.append({
                "name": f"{name}_T{t:g}",
                "x": inputs(x),
                "temperature": float(str(np.float32(t))),
                "softmax": outputs(torch.softmax(xs / t32, dim=-1)),
                "log_softmax": outputs(torch.log_softmax(xs / t32, dim=-1)),
                "logsumexp": outputs(torch.logsumexp(xs, dim=-1)),
            })

    add("worked_1234", [1, 2, 3, 4])
    add("worked_1.1_2.2_5_10.1", [1.1, 2.2, 5.0, 10.1])
    add("worked_1000", [1000, 1001, 1002])
    add("single", [5.0], (1.0, 2.0))
    add("cols1", [[3.0], [-2.0], [0.0], [1e4]])
    add("ties", [[2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]])
    add("n10_3rows", randn(3, 10, scale=3.0), (1.0, 0.5, 2.0, 3.7))
    add("n7_5rows", randn(5, 7, scale=2.0), (1.0, 10.0))
    add("n33_2rows", randn(2, 33, scale=4.0), (1.0, 0.25))
    add("n100_2rows", randn(2, 100, scale=5.0), (1.0, 4.0))
    add("n1000", randn(1, 1000, scale=4.0), (1.0, 10.0))
    masked = randn(4, 9, scale=2.0)
    masked[0, [1, 5]] = -INF
    masked[1, :8] = -INF            # one finite element left
    masked[2, [0, 8]] = -INF        # at the ends (vector remainder lanes)
    masked[3, 3] = -INF
    add("masked", masked, (1.0, 2.0, 0.5))
    add("large_1000", randn(5, 20, scale=5.0, offset=1000.0), (1.0, 3.0))
    add("large_1e4", randn(2, 12, scale=20.0, offset=1e4), (1.0, 7.0))
    add("negative_large", randn(2, 11, scale=3.0, offset=-5000.0), (1.0,))
    # Outputs spanning down to ~1e-35 (the accuracy bar applies to outputs >= 1e-30), and denormals below.
    wide = np.stack([np.linspace(-80, 0, 64), np.linspace(-110, 0, 64)]).astype(np.float32)
    add("wide_range", wide, (1.0,))
    add("wide_range_T", np.linspace(-160, 0, 40).astype(np.float32), (2.0, 2.3))
    add("tiny_T", randn(2, 10), (0.05,))
    write("softmax.json", cases)


# ----------------------------------------------------------------------------------------------------------------
# cross-entropy with class-index targets
# ----------------------------------------------------------------------------------------------------------------
def ce_index_case(name, logits, targets, weight=None, ignore_index=-100, smoothing=0.0, reduction="mean"):
    logits = np.asarray(logits, dtype=np.float32)
    x = torch.tensor(f32(logits), dtype=D, requires_grad=True)
    y = torch.tensor(targets, dtype=torch.long)
    w = None if weight is None else torch.tensor(f32(weight), dtype=D)
    loss = F.cross_entropy(x, y, weight=w, ignore_index=ignore_index, label_smoothing=float(np.float32(smoothing)),
                           reduction=reduction)
    (loss.sum() if reduction == "none" else loss).backward()
    return {
        "name": name,
        "logits": inputs(logits),
        "targets": list(map(int, targets)),
        "weight": None if weight is None else inputs(weight),
        "ignore_index": ignore_index,
        "label_smoothing": float(str(np.float32(smoothing))),
        "reduction": reduction,
        "loss": outputs(loss),
        "grad": outputs(x.grad),
    }


def ce_index_cases():
    cases = []
    logits = randn(6, 5, scale=2.0)
    weight = np.array([0.5, 1.0, 2.0, 0.25, 1.5], dtype=np.float32)
    plain = [0, 3, 1, 4, 2, 3]
    with_ignored = [0, -100, 1, 4, -100, 3]
    for w_name, w in (("noweight", None), ("weight", weight)):
        for i_name, t in (("noignore", plain), ("ignored", with_ignored)):
            for eps in (0.0, 0.1):
                for red in REDUCTIONS:
                    cases.append(ce_index_case(f"{w_name}_{i_name}_eps{eps:g}_{red}", logits, t, w, -100, eps, red))
    # semantics.md section 1 worked values
    cases.append(ce_index_case("worked_single", [[1, 2, 7]], [2]))
    for red in REDUCTIONS:
        cases.append(ce_index_case(f"worked_3rows_{red}", [[1, 2, 7], [4, 7, 9], [8, 3, 4]], [2, 2, 0], reduction=red))
    cases.append(ce_index_case("worked_sum_123", [[1, 2, 3]] * 3, [2, 2, 2], reduction="sum"))
    # ignore_index inside [0, C)
    for red in REDUCTIONS:
        cases.append(ce_index_case(f"ignore_index_0_{red}", logits, [0, 3, 0, 4, 2, 0], weight, 0, 0.1, red))
    # every row ignored: mean is NaN (0/0) with a zero gradient, sum is 0
    for red in REDUCTIONS:
        cases.append(ce_index_case(f"all_ignored_{red}", logits[:3], [-100, -100, -100], None, -100, 0.1, red))
    # every target has weight 0: mean is NaN and so is its gradient (0/0 in autograd)
    cases.append(ce_index_case("zero_weight_mean", logits[:3], [0, 0, -100], weight * np.array([0, 1, 1, 1, 1], np.float32)))
    # masked classes (-inf logits)
    m = logits.copy()
    m[0, 1] = -INF
    m[2, [0, 4]] = -INF
    m[5, :3] = -INF
    for eps in (0.0, 0.1):
        for red in REDUCTIONS:
            cases.append(ce_index_case(f"masked_eps{eps:g}_{red}", m, plain, weight, -100, eps, red))
    cases.append(ce_index_case("masked_target", m[:1], [1], None, -100, 0.0, "none"))
    # large logits, C = 10 and C = 1000, full smoothing
    big = randn(8, 10, scale=10.0, offset=1000.0)
    for red in REDUCTIONS:
        cases.append(ce_index_case(f"large_c10_{red}", big, list(rng.integers(0, 10, 8)), None, -100, 0.1, red))
    wide = randn(2, 1000, scale=3.0)
    w1000 = rng.uniform(0.1, 2.0, 1000).astype(np.float32)
    cases.append(ce_index_case("c1000_weight_eps", wide, [17, 999], w1000, -100, 0.2, "mean"))
    cases.append(ce_index_case("c1000_plain_sum", wide, [0, 500], None, -100, 0.0, "sum"))
    cases.append(ce_index_case("smoothing_1", logits, plain, weight, -100, 1.0, "mean"))
    cases.append(ce_index_case("c1", [[3.0], [-1.0]], [0, 0], None, -100, 0.1, "none"))
    write("ce_index.json", cases)


# ----------------------------------------------------------------------------------------------------------------
# cross-entropy with probability targets
# ----------------------------------------------------------------------------------------------------------------
def ce_soft_case(name, logits, targets, weight=None, smoothing=0.0, reduction="mean", convention=False):
    logits = np.asarray(logits, dtype=np.float32)
    targets = np.asarray(targets, dtype=np.float32)
    x = torch.tensor(f32(logits), dtype=D, requires_grad=True)
    y = torch.tensor(f32(targets), dtype=D)
    w = None if weight is None else torch.tensor(f32(weight), dtype=D)
    eps = float(np.float32(smoothing))
    if convention:
        # PyTorch 1.13 gives NaN where a target probability of 0 meets a -inf logit (0 * -inf); the contract is
        # 0 log 0 = 0. Same formula as torch's soft-target branch, with those terms dropped.
        c = logits.shape[1]
        q = y * (1 - eps) + eps / c
        k = q if w is None else q * w
        lp = torch.log_softmax(x, dim=1)
        per_row = -torch.where(k == 0, torch.zeros_like(lp), k * lp).sum(1)
        loss = {"none": per_row, "mean": per_row.mean(), "sum": per_row.sum()}[reduction]
    else:
        loss = F.cross_entropy(x, y, weight=w, label_smoothing=eps, reduction=reduction)
    (loss.sum() if reduction == "none" else loss).backward()
    return {
        "name": name,
        "logits": inputs(logits),
        "targets": inputs(targets),
        "weight": None if weight is None else inputs(weight),
        "label_smoothing": float(str(np.float32(smoothing))),
        "reduction": reduction,
        "loss": outputs(loss),
        "grad": outputs(x.grad),
    }


def ce_soft_cases():
    cases = []
    logits = randn(5, 6, scale=2.0)
    soft = rng.dirichlet(np.ones(6), 5).astype(np.float32)
    weight = np.array([0.5, 1.0, 2.0, 0.25, 1.5, 1.0], dtype=np.float32)
    for w_name, w in (("noweight", None), ("weight", weight)):
        for eps in (0.0, 0.1):
            for red in REDUCTIONS:
                cases.append(ce_soft_case(f"{w_name}_eps{eps:g}_{red}", logits, soft, w, eps, red))
    onehot = np.eye(6, dtype=np.float32)[[0, 3, 1, 5, 2]]
    for red in REDUCTIONS:
        cases.append(ce_soft_case(f"onehot_weight_{red}", logits, onehot, weight, 0.1, red))
    cases.append(ce_soft_case("unnormalized_targets", logits, soft * 0.7, weight, 0.0, "sum"))
    cases.append(ce_soft_case("large_logits", randn(4, 11, scale=10.0, offset=1000.0),
                              rng.dirichlet(np.ones(11), 4).astype(np.float32), None, 0.1, "mean"))
    cases.append(ce_soft_case("c1000", randn(2, 1000, scale=3.0), rng.dirichlet(np.ones(1000) * 0.1, 2).astype(np.float32),
                              rng.uniform(0.1, 2.0, 1000).astype(np.float32), 0.05, "mean"))
    # A masked class with target 0 contributes 0 (torch: NaN). Reference by the same formula with 0 log 0 = 0.
    m = logits.copy()
    m[0, 2] = -INF
    m[3, [0, 5]] = -INF
    mt = soft.copy()
    mt[0, 2] = 0
    mt[0] /= mt[0].sum()
    mt[3, [0, 5]] = 0
    mt[3] /= mt[3].sum()
    for red in REDUCTIONS:
        cases.append(ce_soft_case(f"masked_zero_target_{red}", m, mt, weight, 0.0, red, convention=True))
    # With smoothing every class gets eps/C: a masked class makes the loss +inf (as torch), the gradient stays finite.
    cases.append(ce_soft_case("masked_smoothing_none", m, mt, None, 0.1, "none"))
    write("ce_soft.json", cases)


# ----------------------------------------------------------------------------------------------------------------
# NLL
# ----------------------------------------------------------------------------------------------------------------
def nll_case(name, logp, targets, weight=None, ignore_index=-100, reduction="mean"):
    logp = np.asarray(logp, dtype=np.float32)
    x = torch.tensor(f32(logp), dtype=D, requires_grad=True)
    y = torch.tensor(targets, dtype=torch.long)
    w = None if weight is None else torch.tensor(f32(weight), dtype=D)
    loss = F.nll_loss(x, y, weight=w, ignore_index=ignore_index, reduction=reduction)
    (loss.sum() if reduction == "none" else loss).backward()
    return {
        "name": name,
        "log_probabilities": inputs(logp),
        "targets": list(map(int, targets)),
        "weight": None if weight is None else inputs(weight),
        "ignore_index": ignore_index,
        "reduction": reduction,
        "loss": outputs(loss),
        "grad": outputs(x.grad),
    }


def nll_cases():
    cases = []
    logp = torch.log_softmax(torch.tensor(randn(6, 5, scale=2.0), dtype=D), 1).numpy().astype(np.float32)
    weight = np.array([0.5, 1.0, 2.0, 0.25, 1.5], dtype=np.float32)
    for w_name, w in (("noweight", None), ("weight", weight)):
        for i_name, t in (("noignore", [0, 3, 1, 4, 2, 3]), ("ignored", [0, -100, 1, 4, -100, 3])):
            for red in REDUCTIONS:
                cases.append(nll_case(f"{w_name}_{i_name}_{red}", logp, t, w, -100, red))
    raw = randn(4, 7, scale=3.0)                          # not normalized: NLL does not care
    raw[1, 2] = -INF                                      # a log-probability of 0, not selected
    for red in REDUCTIONS:
        cases.append(nll_case(f"raw_ignore_index_2_{red}", raw, [2, 0, 6, 2], None, 2, red))
    cases.append(nll_case("all_ignored_mean", raw, [-100] * 4))
    cases.append(nll_case("selected_minus_inf", raw, [0, 2, 1, 1], None, -100, "none"))
    write("nll.json", cases)


# ----------------------------------------------------------------------------------------------------------------
# distillation
# ----------------------------------------------------------------------------------------------------------------
def distillation_case(name, student, teacher, targets, temperature, alpha):
    student = np.asarray(student, dtype=np.float32)
    teacher = np.asarray(teacher, dtype=np.float32)
    s = torch.tensor(f32(student), dtype=D, requires_grad=True)
    t = torch.tensor(f32(teacher), dtype=D)
    y = torch.tensor(targets, dtype=torch.long)
    T = float(np.float32(temperature))
    a = float(np.float32(alpha))
    kl = F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1), reduction="batchmean")
    loss = a * T * T * kl + (1 - a) * F.cross_entropy(s, y)
    loss.backward()
    return {
        "name": name,
        "student": inputs(student),
        "teacher": inputs(teacher),
        "targets": list(map(int, targets)),
        "temperature": float(str(np.float32(temperature))),
        "alpha": float(str(np.float32(alpha))),
        "loss": outputs(loss),
        "grad": outputs(s.grad),
    }


def distillation_cases():
    cases = []
    s = randn(6, 5, scale=2.0)
    t = randn(6, 5, scale=3.0)
    y = [0, 3, 1, 4, 2, 3]
    for T, a in ((1.0, 0.5), (2.0, 0.7), (4.0, 0.9), (3.0, 0.0), (5.0, 1.0), (0.5, 0.3), (2.5, 0.25)):
        cases.append(distillation_case(f"T{T:g}_alpha{a:g}", s, t, y, T, a))
    cases.append(distillation_case("ignored_targets", s, t, [0, -100, 1, -100, 2, 3], 2.0, 0.5))
    close = s + randn(6, 5, scale=1e-3)                   # student close to teacher: a tiny KL
    cases.append(distillation_case("student_close_to_teacher", close, s, y, 3.0, 0.8))
    tm = t.copy()
    tm[0, 1] = -INF                                       # the teacher rules a class out
    tm[4, [0, 2]] = -INF
    cases.append(distillation_case("teacher_masked", s, tm, y, 2.0, 0.6))
    cases.append(distillation_case("large_logits", randn(3, 10, scale=8.0, offset=1000.0),
                                   randn(3, 10, scale=8.0, offset=-500.0), [1, 9, 0], 4.0, 0.5))
    cases.append(distillation_case("c100", randn(2, 100, scale=3.0), randn(2, 100, scale=3.0), [5, 99], 6.0, 0.75))
    write("distillation.json", cases)


if __name__ == "__main__":
    torch.set_default_dtype(D)
    softmax_cases()
    ce_index_cases()
    ce_soft_cases()
    nll_cases()
    distillation_cases()
