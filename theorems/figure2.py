"""Figure 2 of the paper — λ_min of the empirical NTK against ``d`` and against ``N`` (``L = 3``).

The paper (v5, Section 4, caption of Figure 2 and the paragraph after Thm 4.1): "We perform 50 Montecarlo
trials, and report average and confidence interval at 1 standard deviation.

* **Left**: ``(W_l)_{ij} ~ N(0, 1)``, fix ``(N, n_1, n_2)``, plot ``λ_min((4/(n_1 n_2)) K̄)`` against ``d``
  (three curves for three choices of ``(N, n_1, n_2)``); Thm 3.2 predicts a linear dependence on ``d``.
* **Right**: He initialisation ``(W_l)_{ij} ~ N(0, 2/n_{l−1})``, fix ``(d, n_2)``, set ``n_1 = 8N``, plot
  ``λ_min(K̄)`` against ``N`` (three curves for three ``(d, n_2)``); Thm 4.1 predicts linear growth in the
  width of the wide layer, hence in ``N``."

**Decisions recorded** (the v5 source gives neither the sizes nor the data law of the figure): the data are
i.i.d. standard Gaussian ``N(0, I_d)`` (satisfies A2.1–A2.2 with ``E‖x‖² = d``, zero mean, as Thm 3.2 needs);
the sizes are chosen inside the regimes of the two theorems (left: ``d ≥ 16 N`` so that ``d ≫ log N`` and the
Gershgorin remainder is small; right: ``n_1 = 8N ≥ max(d, n_2)`` so the wide layer dominates, and
``d ≫ log N``). Per profile (``NTK_PROFILE``): ``dev`` and ``ci`` run scaled-down grids, ``thorough`` the
largest ones; all use the paper's 50 trials except ``dev`` (20). Each trial draws fresh data and weights
from the trial's seeded ``rng`` (:func:`generators.seeds.trial_rngs`). Linearity is asserted through the
fitted log-log slope (``theorems.stats.fit_power_law``) within ``SCALING_EXPONENT_WINDOW`` of 1 for the
left panel.

**Finding (right panel).** At the sizes a test run affords (``N ≤ 128``, ``n_1 = 8N ≤ 1024``, ``d, n_2 ≤ 128``)
the log-log slope of λ_min(K̄) in ``N`` is about 0.45–0.55, not 1: the width condition of Thm 4.1
(``n_1 = Ω(N log N log(N/δ))``, so ``ξ_1 = 1``) is not met by ``n_1 = 8N``, ``d`` is not ``≫ √N log N`` (the data
part of Thm 5.1), and the ``d``- and ``n_2``-terms of Thm 4.1's sum add an offset. What the theorems do
guarantee at these sizes is asserted: λ_min grows with ``N`` (slope's CI above 0) and no faster than the
upper-bound scale ``4(d + n_1 + n_2)``, i.e. slope ``≤ 1 + SCALING_EXPONENT_WINDOW``; the slope is recorded
against the asymptotic 1 so the report shows the gap. The paper's exact sizes are unknown (not in the source).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

import ntk
from generators.seeds import trial_rngs

from .statement import Kind, statement

__all__ = ["FIG_2", "CONFIGS", "Curve", "config", "left_curve", "right_curve"]

FIG_2 = statement(
    id="Fig 2",
    title="Figure 2: scaling of λ_min(K̄) in d (N(0,1) weights) and in N (He init, n_1 = 8N), L = 3",
    paper_version="v5",
    claim="λ_min((4/(n_1n_2))K̄) grows linearly in d; with He init and n_1 = 8N, λ_min(K̄) grows linearly in N",
    kind=Kind.ASYMPTOTIC,
    quantity="λ_min(K̄) (mean ± sd over 50 trials)",
    section="4",
    notes="Experiment of the paper (same in v5 and ICML); sizes and data law not given in the source: chosen "
          "inside the regimes of Thms 3.2 and 4.1 (theorems/figure2.py).",
)

#: per-profile grids: left curves (N, n_1, n_2) with d values; right curves (d, n_2) with N values
CONFIGS: dict[str, dict] = {
    "dev": {
        "trials": 20,
        "left": {"curves": [(8, 64, 64), (16, 128, 64)], "d": [256, 512, 1024, 2048]},
        "right": {"curves": [(64, 64)], "N": [16, 32, 64, 128]},
    },
    "ci": {
        "trials": 50,
        "left": {"curves": [(8, 64, 64), (16, 128, 64), (32, 128, 128)], "d": [512, 1024, 2048, 4096]},
        "right": {"curves": [(64, 64), (128, 64), (64, 128)], "N": [16, 32, 64, 128]},
    },
    "thorough": {
        "trials": 50,
        "left": {"curves": [(16, 128, 128), (32, 256, 128), (64, 256, 256)], "d": [1024, 2048, 4096, 8192, 16384]},
        "right": {"curves": [(64, 64), (128, 64), (64, 128)], "N": [32, 64, 128, 256, 512]},
    },
}


def config(profile: str | None = None) -> dict:
    """The grid of the active profile (``NTK_PROFILE``, default ``dev``)."""
    return CONFIGS[profile or os.environ.get("NTK_PROFILE", "dev")]


@dataclass(frozen=True)
class Curve:
    """One curve of the figure: ``x``, per-point mean ``y`` and standard deviation ``yerr`` of λ_min, the
    numerical floors, the label and the raw per-trial values (``values[i, t]``)."""

    label: str
    x: list[float]
    y: list[float]
    yerr: list[float]
    floor: list[float]
    values: np.ndarray


def _lam(X: np.ndarray, Ws: Sequence[np.ndarray], factor: float) -> tuple[float, float]:
    e = ntk.lambda_min(factor * ntk.empirical_ntk(X, Ws))
    return float(e.value), float(e.floor)


def _curve(label, xs, scenarios, trials, seed, name, factor_of):
    vals = np.empty((len(xs), trials))
    floors = np.empty((len(xs), trials))
    for i, s in enumerate(scenarios):
        for t, g in enumerate(trial_rngs(seed, "Fig 2", name, s, trials)):
            X = g.standard_normal((s["N"], s["d"]))
            Ws = ntk.init_weights(s["widths"], s["betas"], g)
            vals[i, t], floors[i, t] = _lam(X, Ws, factor_of(s))
    return Curve(label, [float(x) for x in xs], vals.mean(1).tolist(), vals.std(1, ddof=1).tolist(), floors.max(1).tolist(), vals)


def left_curve(N: int, n1: int, n2: int, ds: Sequence[int], trials: int, seed: int) -> Curve:
    """λ_min((4/(n_1 n_2)) K̄) against ``d``; ``N(0,1)`` weights, Gaussian data, ``L = 3``."""
    sc = [{"N": N, "d": int(d), "widths": [int(d), n1, n2, 1], "betas": "standard"} for d in ds]
    return _curve(f"(N, n1, n2) = ({N}, {n1}, {n2})", ds, sc, trials, seed, "left", lambda s: 4.0 / (n1 * n2))


def right_curve(d: int, n2: int, Ns: Sequence[int], trials: int, seed: int) -> Curve:
    """λ_min(K̄) against ``N``; He initialisation, ``n_1 = 8N``, Gaussian data, ``L = 3``."""
    sc = [{"N": int(N), "d": d, "widths": [d, 8 * int(N), n2, 1], "betas": "he"} for N in Ns]
    return _curve(f"(d, n2) = ({d}, {n2})", Ns, sc, trials, seed, "right", lambda s: 1.0)


def curve_scenario(c: Mapping) -> dict:
    """JSON-able description of a curve for its record."""
    return dict(c)
