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
    "dominant_betas",
    "dominant_width",
    "thm32_d_min",
    "thm32_scenarios",
    "thm41_dominant_scenario",
    "thm41_scenario",
    "thm41_widths",
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


# ------------------------------------------------------------------------------------- Thm 4.1 / 5.1
# Sizes come from theorems.sec4.regime_sizes (which holds the named constants); these functions only lay them out,
# so that generators/ keeps depending on nothing but ntk (CONTRIBUTING.md "Layers").


def thm41_widths(sizes: dict, L: int, k: int, n_wide: int | None = None) -> list[int]:
    """``[d, n_1, …, n_{L−1}, 1]`` with the wide layer at ``k`` (width ``n_wide``, default ``sizes["n_wide"]``),
    the layers before it at ``sizes["n_before"]`` (they carry the ξ-term's ``min_{l<k} n_l``) and the layers after
    it at ``sizes["n_min"]`` (the smallest width the ``e^{−Ω(n_l)}`` terms allow: bottlenecks after the wide layer).
    ``sizes``: the dict of :func:`theorems.sec4.regime_sizes`."""
    if not (isinstance(L, int) and L >= 2 and isinstance(k, int) and 1 <= k <= L - 1):
        raise ValueError(f"need L >= 2 and k in [1, L-1], got L={L!r}, k={k!r}")
    nw = sizes["n_wide"] if n_wide is None else int(n_wide)
    return [sizes["d"]] + [nw if l == k else (sizes["n_before"] if l < k else sizes["n_min"]) for l in range(1, L)] + [1]


def thm41_scenario(sizes: dict, N: int, L: int, k: int, r: int, law: str, betas, delta: float, **extra) -> dict:
    """A Thm 4.1 scenario laid out by :func:`thm41_widths` (the wide layer at its smallest in-regime width)."""
    w = thm41_widths(sizes, L, k)
    return {"law": {"name": law}, "N": N, "d": w[0], "widths": w, "betas": betas, "r": r, "delta": delta, "k": k, **extra}


def dominant_width(d: int, mu2: float, share: float) -> int:
    """Wide width at which the ξ-term of layer ``k`` carries at least ``share`` of Thm 4.1's named lower bound under
    He or LeCun scaling (THEOREMS.md §6): there the ratio ξ-term / data term is ``μ_r² n_k / λ_min(XXᵀ)``, and
    ``λ_min(XXᵀ) ≤ min_i ‖x_i‖² ≈ d`` is replaced by ``d`` (an upper estimate, so the share reached is at least
    ``share`` whenever ``λ_min(XXᵀ) ≤ d``): ``n_k = ⌈share/(1 − share) · d/μ_r²⌉``."""
    if not (0.0 < share < 1.0):
        raise ValueError(f"share must lie in (0, 1), got {share!r}")
    if not (mu2 > 0 and d >= 1):
        raise ValueError(f"need mu2 > 0 and d >= 1, got mu2={mu2!r}, d={d!r}")
    return int(math.ceil(share / (1.0 - share) * d / mu2))


def dominant_betas(L: int, k: int, mu2: float, share: float, seed: int) -> list[float]:
    """An "arbitrary" β (issue 10 item 1) under which the ξ-term of layer ``k`` carries at least ``share`` of the
    named lower bound at any width: ``β_l = 2^{u_l}``, ``u_l ~ U[−1, 1]`` from ``default_rng(seed)`` for ``l ≠ k+1``,
    and ``β_{k+1} = min(min_{l≠k+1} β_l, β_1 √(μ_r² (1 − share)/share))`` — the wide layer's outgoing weights the
    smallest (the remark's condition ``β_{k+1} = min β_l``), the ratio ξ-term / data term
    ``μ_r² d β_1² / (β_{k+1}² λ_min(XXᵀ)) ≥ share/(1 − share)`` when ``λ_min(XXᵀ) ≤ d``. Rounded to 6 digits."""
    if not (0.0 < share < 1.0):
        raise ValueError(f"share must lie in (0, 1), got {share!r}")
    u = np.random.default_rng(seed).uniform(-1.0, 1.0, size=L)
    b = [float(2.0 ** v) for v in u]
    others = [b[l] for l in range(L) if l != k]
    b[k] = min(min(others) / 1.25, b[0] * math.sqrt(mu2 * (1.0 - share) / share))  # list index k is layer k+1
    return [round(v, 6) for v in b]


def thm41_dominant_scenario(sizes: dict, N: int, L: int, k: int, r: int, law: str, preset: str, mu2: float,
                            share: float, delta: float, seed: int = 0, **extra) -> dict:
    """Thm 4.1 with the wide layer dominant (issue 10 item 1): in-regime narrow layers from ``sizes``
    (:func:`theorems.sec4.regime_sizes`), the wide layer ``k`` at :func:`dominant_width` for ``preset`` "he" /
    "lecun" (``n_k ≫ d/μ_r²``), or at twice the wide threshold with :func:`dominant_betas` for "arbitrary"."""
    if preset in ("he", "lecun"):
        w = thm41_widths(sizes, L, k, max(sizes["n_wide"], dominant_width(sizes["d"], mu2, share)))
        betas = preset
    elif preset == "arbitrary":
        w = thm41_widths(sizes, L, k, 2 * sizes["n_wide"])
        betas = dominant_betas(L, k, mu2, share, seed)
    else:
        raise ValueError(f"preset must be 'he', 'lecun' or 'arbitrary', got {preset!r}")
    return {"law": {"name": law}, "N": N, "d": w[0], "widths": w, "betas": betas, "r": r, "delta": delta, "k": k,
            "design_share": share, **extra}
