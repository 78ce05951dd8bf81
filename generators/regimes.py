"""Scenario strategies for the statements of Section 3 (Thm 3.2) and arbitrary-data strategies for the
exact proof steps.

Hypothesis draws only deterministic choices (sizes, the law's name, ``r``, ``L``, a data seed for the
exact properties); the Monte Carlo randomness of probabilistic checks comes from seeds derived from the
scenario and the session seed (:mod:`generators.seeds`). Sizes are bounded by the profile's budget
(:func:`generators.scenarios.budget_from_env`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from .scenarios import budget_from_env

__all__ = [
    "ArbitraryData",
    "arbitrary_data",
    "thm32_d_min",
    "thm32_scenarios",
    "ZERO_MEAN_A22_LAWS",
]

ZERO_MEAN_A22_LAWS = ("gaussian", "sphere", "hypercube", "pushforward")
# the pushforward law costs O(d²) per sample (a generator network): keep its d small
_COSTLY_LAWS_MAX_D = 1024


def thm32_d_min(N: int, r: int, p_target: float, c_norm: float, c_inner: float, sphere: bool) -> int:
    """Smallest ``d`` with ``1 − 2N e^{−c_norm d} − N² e^{−c_inner d N^{−2/(r−0.5)}} ≥ p_target``."""
    t2 = float(N) ** (-2.0 / (r - 0.5))
    lo, hi = 1, 1
    def ok(d):
        fail = N**2 * math.exp(-c_inner * d * t2) + (0.0 if sphere else 2 * N * math.exp(-c_norm * d))
        return 1.0 - fail >= p_target
    while not ok(hi):
        hi *= 2
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


@st.composite
def thm32_scenarios(draw, *, laws=ZERO_MEAN_A22_LAWS, rs=(2, 4, 6), p_target=0.99, c_norm, c_inner, max_L=5):
    """In-regime scenarios of Thm 3.2: ``{"law": {"name": …}, "N", "d", "L", "r"}`` with ``d`` at or above
    the smallest dimension where the stated probability reaches ``p_target`` (up to 2× above it), ``N``
    within the budget and such that this ``d`` fits the budget."""
    budget = budget_from_env()
    law = draw(st.sampled_from(laws))
    r = draw(st.sampled_from(rs))
    max_d = budget.max_d * 16 if law != "pushforward" else min(budget.max_d * 8, _COSTLY_LAWS_MAX_D)
    sphere = law == "sphere"
    Ns = [N for N in range(8, budget.max_n + 1) if thm32_d_min(N, r, p_target, c_norm, c_inner, sphere) <= max_d]
    if not Ns:
        r = max(rs)
        Ns = [8]
    N = draw(st.sampled_from(Ns))
    d0 = thm32_d_min(N, r, p_target, c_norm, c_inner, sphere)
    d = draw(st.integers(d0, max(d0, min(2 * d0, max_d))))
    L = draw(st.integers(2, max_L))
    return {"law": {"name": law}, "N": N, "d": d, "L": L, "r": r}


@dataclass(frozen=True)
class ArbitraryData:
    """A deterministic data matrix for exact properties: shape, scale, structure and a seed."""

    N: int
    d: int
    scale: float
    structure: str
    seed: int

    def build(self) -> np.ndarray:
        """The matrix (float64, nonzero rows), built by numpy from the seed — never by Hypothesis."""
        rng = np.random.default_rng(self.seed)
        X = rng.standard_normal((self.N, self.d))
        if self.structure == "near-duplicates":
            k = max(1, self.N // 2)
            X[k:] = X[: self.N - k] + 1e-9 * rng.standard_normal((self.N - k, self.d))
        elif self.structure == "antipodal":
            k = max(1, self.N // 2)
            X[k:] = -X[: self.N - k]
        elif self.structure == "low-rank":
            X = rng.standard_normal((self.N, 1)) @ rng.standard_normal((1, self.d)) + 1e-6 * X
        elif self.structure == "mixed-norms":
            X *= np.exp(rng.uniform(-3, 3, size=(self.N, 1)))
        elif self.structure == "orthogonal" and self.N <= self.d:
            X = np.linalg.qr(X.T)[0].T * math.sqrt(self.d)
        X *= self.scale
        X[np.linalg.norm(X, axis=1) == 0] = self.scale  # no zero rows (they are rejected by design)
        return X

    def params(self) -> dict:
        return {"N": self.N, "d": self.d, "scale": self.scale, "structure": self.structure, "seed": self.seed}


STRUCTURES = ("gaussian", "near-duplicates", "antipodal", "low-rank", "mixed-norms", "orthogonal")


@st.composite
def arbitrary_data(draw, max_n: int = 24, max_d: int = 16):
    """Arbitrary data inside the numerical range: any ``N, d``, scale ``10^{±3}``, structured rows
    (near-duplicates, antipodal pairs, nearly rank one, norms spread over ``e^{±3}``)."""
    return ArbitraryData(
        N=draw(st.integers(1, max_n)),
        d=draw(st.integers(1, max_d)),
        scale=10.0 ** draw(st.integers(-3, 3)),
        structure=draw(st.sampled_from(STRUCTURES)),
        seed=draw(st.integers(0, 2**32 - 1)),
    )
