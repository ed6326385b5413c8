#!/usr/bin/env python3
"""Coefficients of the two polynomials in Runtime/Activations/StableMath.cs, and their approximation error.

Both are Chebyshev interpolants (near-minimax) computed in float64 with numpy, of the smooth remainder of a series,
so that the float32 kernel only adds small corrections to an exact leading term:

  expm1(r) = r + r^2 Q(r),               Q(r) = (e^r - 1 - r) / r^2 = sum_k r^k / (k + 2)!,   r in [-ln 2 / 2, ln 2 / 2]
                                        (the reduced argument of expm1(z) = 2^k (expm1(r) + 1) - 1, z = k ln 2 + r)
  log1p(e) = 2 atanh(s) = 2s + 2s t R(t),  s = e / (2 + e) in [0, 1/3], t = s^2 in [0, 1/9],
                                          R(t) = (atanh(s) - s) / s^3 = sum_k t^k / (2k + 3)

The reference values of Q and R come from their Taylor series summed in float64 to 40 terms (both converge
geometrically on these intervals: |z| / k and t <= 1/9), not from exp / log, which would cancel.
The coefficients are printed as float32 literals (the nearest float to the float64 value), lowest degree first,
with the worst relative error of the float32-rounded polynomial against the reference on a dense grid.

Run: /usr/bin/python3 tools/numerics/activation_polynomials.py
"""
import math
import numpy as np

LN2 = math.log(2.0)


def q_series(z):
    z = np.asarray(z, dtype=np.float64)
    total = np.zeros_like(z)
    term = np.full_like(z, 0.5)  # z^0 / 2!
    for k in range(40):
        total += term
        term = term * z / (k + 3)
    return total


def r_series(t):
    t = np.asarray(t, dtype=np.float64)
    total = np.zeros_like(t)
    power = np.ones_like(t)
    for k in range(40):
        total += power / (2 * k + 3)
        power = power * t
    return total


def chebyshev_fit(f, lo, hi, degree):
    """Interpolates f at the degree + 1 Chebyshev nodes of [lo, hi]; returns monomial coefficients, lowest first."""
    k = np.arange(degree + 1)
    nodes = np.cos((2 * k + 1) * np.pi / (2 * (degree + 1)))
    x = (lo + hi) / 2 + (hi - lo) / 2 * nodes
    cheb = np.polynomial.chebyshev.Chebyshev.fit(x, f(x), degree, domain=[lo, hi])
    return cheb.convert(kind=np.polynomial.Polynomial, domain=[lo, hi], window=[lo, hi]).coef


def report(name, f, lo, hi, degree, whole):
    coef = chebyshev_fit(f, lo, hi, degree)
    c32 = coef.astype(np.float32).astype(np.float64)
    x = np.linspace(lo, hi, 200001)
    approx = np.polynomial.polynomial.polyval(x, c32)
    rel_remainder = np.max(np.abs(approx - f(x)) / np.abs(f(x)))
    rel_whole = whole(x, approx)
    print(f"{name}: degree {degree} on [{lo:.9g}, {hi:.9g}]: remainder relative error {rel_remainder:.2e}, "
          f"whole function {rel_whole:.2e} (float32 coefficients, float64 arithmetic)")
    for i, c in enumerate(c32):
        print(f"    c{i} = {np.float32(c)!r:>16}f   // float64 {coef[i]:.17g}")
    return c32


def expm1_whole(z, q):
    exact = z + z * z * q_series(z)
    mask = z != 0
    return np.max(np.abs((z + z * z * q)[mask] - exact[mask]) / np.abs(exact[mask]))


def log1p_whole(t, r):
    s = np.sqrt(t)
    exact = 2 * s + 2 * s * t * r_series(t)
    mask = s != 0
    return np.max(np.abs((2 * s + 2 * s * t * r)[mask] - exact[mask]) / np.abs(exact[mask]))


if __name__ == "__main__":
    for degree in (4, 5, 6):
        report("Q (expm1)", q_series, -LN2 / 2, LN2 / 2, degree, expm1_whole)
    for degree in (3, 4, 5):
        report("R (log1p)", r_series, 0.0, 1.0 / 9.0, degree, log1p_whole)
