"""Margins of the *calibrated* named constants, recomputed from every run's records.

The constants of :mod:`theorems.constants` that the paper's proofs do not make explicit are calibrated by the
scripts in ``scripts/`` on seeds and scenarios the tests never see (``scripts/calibrate_thm41.py`` for
``THM41_LOWER``, ``scripts/calibrate_sec5.py`` for ``THM51_LOWER`` and Lemma 5.5's constants,
``scripts/calibrate_thm62.py`` for ``THM62_C``; each docstring names its seed and scenario family). Each has
a held-out test on the tests' own scenarios — the bound run with the constant moved by the safety factor
(``SAFETY = 3``) at the stated probability, judged by the exact binomial test and counted in the run's error
budget — which fails when the margin runs out. This module only reports, for a run's records:

* a lower-bound constant must stay below the smallest implied constant seen inside the regime
  (margin = min implied / value, wanted ≥ the safety factor);
* an upper-bound constant must stay above the largest implied constant (margin = value / max implied).

``python -m theorems.calibration [RECORDS]`` prints the margins for a run (``RECORDS``: a results directory
``.ntk-results/<run>``, its ``records.json``, or nothing for the newest run); the session summary prints the
same lines.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .constants import value
from .records import CheckRecord, merge_records

__all__ = ["CALIBRATED", "Calibration", "calibration_lines", "margins"]

SAFETY = 3.0  # the smallest margin a calibrated constant should keep over the implied constants of a run


@dataclass(frozen=True)
class Calibration:
    constant: str
    statement_id: str
    checks: tuple[str, ...]
    side: str  # "lower": constant ≤ implied; "upper": constant ≥ implied
    where: Callable[[Mapping], bool] | None = None  # the scenarios where the constant is calibrated, not derived
    scope: str = ""


CALIBRATED = (
    Calibration("THM41_LOWER", "Thm 4.1", ("bounds", "bounds (icml)"), "lower", scope="scripts/calibrate_thm41.py"),
    Calibration("THM51_LOWER", "Thm 5.1", ("bounds", "bounds-icml"), "lower", scope="scripts/calibrate_sec5.py"),
    # k = 1 is derived (Davidson–Szarek: THM62_C1); calibrated for k ≥ 2
    Calibration("THM62_C", "Thm 6.2", ("bound",), "upper", where=lambda s: int(s.get("k", 0)) >= 2,
                scope="k ≥ 2, scripts/calibrate_thm62.py"),
)


def margins(records) -> list[dict]:
    """For each calibrated constant: its value, the extreme implied constant over the run's records of its
    checks, the margin, the number of trials behind it and the value SAFETY would give."""
    out = []
    for c in CALIBRATED:
        recs = [r for r in records if r.statement_id == c.statement_id and r.check in c.checks and r.implied_constants
                and (c.where is None or c.where(r.scenario))]
        v = value(c.constant)
        if not recs:
            out.append({"constant": c.constant, "value": v, "trials": 0})
            continue
        n = int(sum(r.implied_constants.get("n", 0) for r in recs))
        if c.side == "lower":
            ext = min(r.implied_constants["min"] for r in recs)
            out.append({"constant": c.constant, "value": v, "side": c.side, "extreme_implied": ext, "margin": ext / v,
                        "trials": n, "suggested": ext / SAFETY})
        else:
            ext = max(r.implied_constants["max"] for r in recs)
            out.append({"constant": c.constant, "value": v, "side": c.side, "extreme_implied": ext, "margin": v / ext,
                        "trials": n, "suggested": ext * SAFETY})
    return out


def calibration_lines(records) -> list[str]:
    lines = []
    for m in margins(records):
        if not m["trials"]:
            lines.append(f"calibrated {m['constant']} = {m['value']:.4g}: no records of its checks in this run")
            continue
        word = "min" if m["side"] == "lower" else "max"
        flag = "" if m["margin"] >= SAFETY else f"  (below the safety factor {SAFETY:g})"
        scope = next((f" ({c.scope})" for c in CALIBRATED if c.constant == m["constant"] and c.scope), "")
        lines.append(f"calibrated {m['constant']} = {m['value']:.4g}{scope}: {word} implied constant {m['extreme_implied']:.4g} over "
                     f"{m['trials']} trials, margin {m['margin']:.3g}{flag}")
    return lines


def _load(arg: str | None):
    if arg is None:
        runs = sorted(Path(".ntk-results").glob("*/records.json"), key=lambda p: p.stat().st_mtime)
        if not runs:
            raise SystemExit("no .ntk-results/*/records.json: run the suite first (python -m pytest -n auto)")
        arg = str(runs[-1])
    p = Path(arg)
    if p.is_dir():
        return merge_records(p, strict=False)
    return [CheckRecord.from_dict(d) for d in json.loads(p.read_text(encoding="utf-8"))]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for line in calibration_lines(_load(argv[0] if argv else None)):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
