"""A conjecture the suite verifies: "λ_min(K^(L)) ≤ L·O(d)" — Thm 3.2's upper bound, with the constant 2.

Run:  python -m reports check examples/conjecture_depth_linear.py
"""

import ntk
from theorems.conjecture import conjecture


def lam(s, rng):
    """λ_min of the limiting NTK of standard Gaussian data (value and numerical floor)."""
    X = rng.standard_normal((s["N"], s["d"]))
    return ntk.lambda_min(ntk.limiting_ntk(X, s["L"]).ntk)


DEPTH_LINEAR = conjecture(
    id="conjecture: λ_min(K^(L)) ≤ L·O(d)",
    claim="λ_min(K^(L)) ≤ 2 L d with probability ≥ 0.99",
    quantity="λ_min(K^(L))",
    measure=lam,
    upper=lambda s: 2.0 * s["L"] * s["d"],
    probability=lambda s: 0.99,
    exponents={"d": 1.0},
    scale=lambda s: s["L"] * s["d"],
    paths={"L": [{"N": 16, "d": 1024, "L": L} for L in (2, 3, 4, 6, 8)],
           "d": [{"N": 16, "d": d, "L": 3} for d in (512, 1024, 2048, 4096)]},
)
