#!/usr/bin/python3
"""Golden fixtures for the margin heads (semantics.md section 3), computed in float64 with PyTorch autograd.

Writes Tests/Fixtures/Margins/<kind>.json. Each case holds float32-representable inputs (x, w, targets and the
head's parameters, all rounded to float32 first so that the C# float code sees exactly the same numbers) and the
float64 reference outputs: cosines, margin logits, the mean cross-entropy and its gradients w.r.t. the raw x and w.

This reference is written independently of the C# code on purpose:
- psi_m uses acos and k = floor(m theta / pi) (the C# code uses Chebyshev polynomials and thresholds, no acos);
- ArcFace uses cos(acos(c) + m) (the C# code uses c cos m - sqrt(1 - c^2) sin m);
- gradients come from autograd through the normalizations (the C# code has hand-derived coefficients).
Cases keep every cosine away from +-1 and from the ArcFace switch point, where the two formulations may
legitimately pick different sides of a float-rounded threshold.

Run: /usr/bin/python3 tools/golden/margins.py   (deterministic; rewrites the fixture files)
"""
import json
import math
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "Margins")


def f32(v):
    """The float32 value nearest v, as a Python float (exact in JSON)."""
    return float(np.float32(v))


def psi(m, c):
    theta = torch.acos(c)
    k = torch.floor(m * theta / math.pi).detach()
    sign = 1.0 - 2.0 * torch.remainder(k, 2.0)
    return sign * torch.cos(m * theta) - 2.0 * k


def margin_logits(head, x, w, y):
    kind = head["kind"]
    xn = x.norm(dim=1, keepdim=True)
    wn = w.norm(dim=1, keepdim=True)
    dot = x @ w.t()
    cos = (dot / (xn * wn.t())).clamp(-1.0, 1.0)
    rows = torch.arange(x.shape[0])
    onehot = torch.zeros_like(cos, dtype=torch.bool)
    onehot[rows, y] = True
    cy = cos[rows, y]
    if kind == "Softmax":
        z = dot
    elif kind == "LSoftmax":
        lam = head["lambda"]
        zy = (xn[:, 0] * wn[y, 0] * psi(head["m"], cy) + lam * dot[rows, y]) / (1.0 + lam)
        z = torch.where(onehot, zy[:, None], dot)
    elif kind == "SphereFace":
        lam = head["lambda"]
        zy = xn[:, 0] * (psi(head["m"], cy) + lam * cy) / (1.0 + lam)
        z = torch.where(onehot, zy[:, None], xn * cos)
    else:
        s = head["scale"]
        if kind == "NormFace":
            fy = cy
        elif kind == "CosFace":
            fy = cy - head["margin"]
        elif kind == "ArcFace":
            m = head["margin"]
            arc = torch.cos(torch.acos(cy) + m)
            if head["easy_margin"]:
                fy = torch.where(cy > 0, arc, cy)
            else:
                fy = torch.where(cy > math.cos(math.pi - m), arc, cy - m * math.sin(m))
        elif kind == "Combined":
            fy = torch.cos(head["m1"] * torch.acos(cy) + head["m2"]) - head["m3"]
        else:
            raise ValueError(kind)
        z = torch.where(onehot, (s * fy)[:, None], s * cos)
    return cos, z


def reference(head, x32, w32, y):
    x = torch.tensor(x32.astype(np.float64), requires_grad=True)
    w = torch.tensor(w32.astype(np.float64), requires_grad=True)
    y = torch.tensor(y, dtype=torch.long)
    cos, z = margin_logits(head, x, w, y)
    loss = torch.nn.functional.cross_entropy(z, y, reduction="mean")
    loss.backward()
    return cos.detach(), z.detach(), loss.item(), x.grad, w.grad


def inputs(rng, rows, dim, classes, opposite=0, aligned=0):
    """float32 inputs with varied norms; `opposite` rows get a target class weight nearly opposite to x (theta_y near
    pi), `aligned` rows one nearly parallel (theta_y small)."""
    x = rng.normal(size=(rows, dim)) * rng.uniform(0.5, 3.0, size=(rows, 1))
    w = rng.normal(size=(classes, dim)) * rng.uniform(0.5, 2.0, size=(classes, 1))
    y = rng.integers(0, classes, size=rows)
    y[: min(rows, classes)] = rng.permutation(classes)[: min(rows, classes)]   # distinct targets first
    for i in range(rows):
        if i < opposite:
            w[y[i]] = -x[i] * rng.uniform(0.5, 2.0) + rng.normal(size=dim) * 0.15 * np.linalg.norm(x[i]) / math.sqrt(dim)
        elif i < opposite + aligned:
            w[y[i]] = x[i] * rng.uniform(0.5, 2.0) + rng.normal(size=dim) * 0.3 * np.linalg.norm(x[i]) / math.sqrt(dim)
    return x.astype(np.float32), w.astype(np.float32), y.astype(np.int64)


def safe(head, x, w, y):
    """True when every cosine is away from +-1 and the targets' cosines are away from any branch threshold."""
    cos = (x.astype(np.float64) @ w.T.astype(np.float64)) / (
        np.linalg.norm(x.astype(np.float64), axis=1)[:, None] * np.linalg.norm(w.astype(np.float64), axis=1)[None, :])
    if np.any(np.abs(cos) > 1 - 1e-4):
        return False
    cy = cos[np.arange(len(y)), y]
    th = []
    if head["kind"] in ("LSoftmax", "SphereFace"):
        th = [math.cos(j * math.pi / head["m"]) for j in range(1, head["m"])]
    elif head["kind"] == "ArcFace":
        th = [0.0] if head["easy_margin"] else [math.cos(math.pi - head["margin"])]
    return all(abs(c - t) > 1e-4 for c in cy for t in th)


def head(kind, **kw):
    h = {"kind": kind, "m": 4, "scale": 64.0, "margin": 0.0, "m1": 1.0, "m2": 0.0, "m3": 0.0,
         "lambda": 0.0, "easy_margin": False}
    h.update(kw)
    for k in ("scale", "margin", "m1", "m2", "m3", "lambda"):
        h[k] = f32(h[k])
    return h


def case(rng, name, h, rows, dim, classes, opposite=0, aligned=0, check=None):
    for _ in range(1000):
        x, w, y = inputs(rng, rows, dim, classes, opposite, aligned)
        if safe(h, x, w, y):
            break
    else:
        raise RuntimeError(f"no safe inputs for {name}")
    cos, z, loss, gx, gw = reference(h, x, w, y)
    if check is not None:
        check(name, h, cos[torch.arange(rows), torch.tensor(y)])
    out = {"name": name}
    out.update(h)
    out.update({
        "rows": rows, "dim": dim, "classes": classes,
        "x": x.astype(np.float64).tolist(), "w": w.astype(np.float64).tolist(), "targets": y.tolist(),
        "cosines": cos.tolist(), "logits": z.tolist(), "loss": loss,
        "grad_x": gx.tolist(), "grad_w": gw.tolist(),
    })
    return out


def both_arc_branches(name, h, cy):
    """ArcFace cases named for the fallback must have rows on both sides of the switch."""
    th = 0.0 if h["easy_margin"] else math.cos(math.pi - h["margin"])
    below = int((cy <= th).sum())
    assert 0 < below < len(cy), f"{name}: {below} of {len(cy)} target cosines at or below {th}"


SHAPES = [(1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 8, 7), (5, 16, 10), (3, 2, 6), (2, 5, 9), (4, 3, 8)]


def main():
    rng = np.random.default_rng(20240607)
    files = {}

    files["softmax"] = [case(rng, f"softmax_{r}x{d}x{c}", head("Softmax"), r, d, c) for r, d, c in SHAPES[:4]]

    for kind in ("LSoftmax", "SphereFace"):
        cases = []
        for m in range(1, 9):
            for lam in (0.0, 5.0):
                r, d, c = SHAPES[(m + int(lam)) % len(SHAPES)]
                cases.append(case(rng, f"{kind.lower()}_m{m}_lambda{int(lam)}_{r}x{d}x{c}", head(kind, m=m, **{"lambda": lam}),
                                  r, d, c, opposite=1 if r > 2 else 0, aligned=1 if r > 1 else 0))
        files[kind.lower()] = cases

    files["normface"] = [case(rng, f"normface_s{s:g}_{r}x{d}x{c}", head("NormFace", scale=s), r, d, c)
                         for s, (r, d, c) in ((1.0, SHAPES[1]), (16.0, SHAPES[2]), (64.0, SHAPES[4]))]

    files["cosface"] = [case(rng, f"cosface_s{s:g}_m{m:g}_{r}x{d}x{c}", head("CosFace", scale=s, margin=m), r, d, c)
                        for s, m, (r, d, c) in ((64.0, 0.35, SHAPES[2]), (30.0, 0.35, SHAPES[3]),
                                                (10.0, 0.0, SHAPES[0]), (5.0, 1.0, SHAPES[6]))]

    arc = []
    arc.append(case(rng, "arcface_s64_m0.5_fallback_4x8x7", head("ArcFace", scale=64.0, margin=0.5), 4, 8, 7,
                    opposite=2, aligned=1, check=both_arc_branches))
    arc.append(case(rng, "arcface_s10_m1.2_fallback_5x3x6", head("ArcFace", scale=10.0, margin=1.2), 5, 3, 6,
                    opposite=2, aligned=2, check=both_arc_branches))
    arc.append(case(rng, "arcface_s64_m0.5_easy_4x4x5", head("ArcFace", scale=64.0, margin=0.5, easy_margin=True), 4, 4, 5,
                    opposite=2, aligned=1, check=both_arc_branches))
    arc.append(case(rng, "arcface_s30_m0.3_easy_5x16x10", head("ArcFace", scale=30.0, margin=0.3, easy_margin=True), 5, 16, 10,
                    opposite=1, aligned=2, check=both_arc_branches))
    arc.append(case(rng, "arcface_s30_m0.3_3x5x9", head("ArcFace", scale=30.0, margin=0.3), 3, 5, 9, aligned=1))
    arc.append(case(rng, "arcface_s16_m0_2x3x4", head("ArcFace", scale=16.0, margin=0.0), 2, 3, 4))
    files["arcface"] = arc

    files["combined"] = [
        case(rng, "combined_s64_1_0.3_0.2_3x4x5", head("Combined", scale=64.0, m1=1.0, m2=0.3, m3=0.2), 3, 4, 5, aligned=1),
        case(rng, "combined_s64_0.9_0.4_0.15_4x8x7", head("Combined", scale=64.0, m1=0.9, m2=0.4, m3=0.15), 4, 8, 7, aligned=1, opposite=1),
        case(rng, "combined_s30_1.35_0_0_2x3x6", head("Combined", scale=30.0, m1=1.35, m2=0.0, m3=0.0), 2, 3, 6),
        case(rng, "combined_s16_1_0.5_0_5x16x10", head("Combined", scale=16.0, m1=1.0, m2=0.5, m3=0.0), 5, 16, 10, aligned=2),
    ]

    os.makedirs(OUT, exist_ok=True)
    for name, cases in files.items():
        path = os.path.join(OUT, name + ".json")
        with open(path, "w") as f:
            json.dump({"generator": "tools/golden/margins.py", "cases": cases}, f, separators=(",", ":"))
            f.write("\n")
        print(f"{os.path.relpath(path, ROOT)}: {len(cases)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
