"""Figure 2 of the paper (THEOREMS.md §3, Thms 3.2 and 4.1; theorems/figure2.py): λ_min of the NTK for
L = 3, mean ± sd over the paper's 50 Monte Carlo trials (20 in the dev profile).

Left: λ_min((4/(n_1 n_2)) K̄) against d, N(0,1) weights — slope 1 within SCALING_EXPONENT_WINDOW
(Thm 3.2 with the finite-width convergence of K̄). Right: λ_min(K̄) against N, He init, n_1 = 8N — at test
sizes the asymptotic slope 1 is not reached (finding documented in theorems/figure2.py); asserted: growth
(CI of the slope above 0) and no faster than Thm 4.1's upper-bound scale (slope ≤ 1 + window).
Each curve is recorded as a sweep (x, y, yerr = sd, labels, exponent, CI) for the report's figure.
"""

from __future__ import annotations

import pytest

from theorems import constants as C
from theorems import figure2 as F
from theorems.harness import record_exact
from theorems.stats import fit_power_law

WINDOW = C.value("SCALING_EXPONENT_WINDOW")
CFG = F.config()


def _record(ctx, name, scenario, curve, xlabel, ylabel, fit, holds, reason):
    return record_exact(
        ctx, "Fig 2", name, scenario, holds=holds, slack=None,
        measured={"x": curve.x, "y": curve.y, "yerr": curve.yerr, "xlabel": xlabel, "ylabel": ylabel,
                  "exponent": fit.exponent, "ci_low": fit.ci_low, "ci_high": fit.ci_high, "floor": curve.floor,
                  "label": curve.label, "trials": int(curve.values.shape[1]), "law": "gaussian N(0, I_d)"},
        reason=reason,
    )


@pytest.mark.parametrize("N,n1,n2", CFG["left"]["curves"])
def test_figure_2_left_linear_in_d(ntk_context, N, n1, n2):
    ds = CFG["left"]["d"]
    c = F.left_curve(N, n1, n2, ds, CFG["trials"], ntk_context.session_seed)
    assert min(c.y) > 10 * max(c.floor)  # λ_min resolved well above the numerical floor
    fit = fit_power_law(c.x, c.y)
    holds = abs(fit.exponent - 1.0) <= WINDOW
    _record(ntk_context, f"left: λ_min vs d, {c.label}", {"N": N, "n1": n1, "n2": n2, "d": ds, "L": 3, "betas": "standard"},
            c, "input dimension d", "λ_min(4/(n1 n2) K̄)", fit, holds,
            f"slope in d = {fit.exponent:.3f} [{fit.ci_low:.3f}, {fit.ci_high:.3f}], window ±{WINDOW}")
    assert holds, fit


@pytest.mark.parametrize("d,n2", CFG["right"]["curves"])
def test_figure_2_right_grows_in_N(ntk_context, d, n2):
    Ns = CFG["right"]["N"]
    c = F.right_curve(d, n2, Ns, CFG["trials"], ntk_context.session_seed)
    assert min(c.y) > 10 * max(c.floor)
    fit = fit_power_law(c.x, c.y)
    holds = fit.ci_low > 0 and fit.exponent <= 1.0 + WINDOW
    _record(ntk_context, f"right: λ_min vs N, {c.label}", {"d": d, "n2": n2, "n1": "8N", "N": Ns, "L": 3, "betas": "he"},
            c, "number of samples N (n1 = 8N)", "λ_min(K̄)", fit, holds,
            f"slope in N = {fit.exponent:.3f} [{fit.ci_low:.3f}, {fit.ci_high:.3f}]; asymptotic prediction 1 "
            f"(not reached at these sizes: n1 = 8N < N log N log(N/δ)); asserted 0 < slope ≤ 1 + {WINDOW}")
    assert holds, fit
