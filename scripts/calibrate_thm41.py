"""Calibrate THM41_LOWER and THM41_TIGHT_SPREAD (Thm 4.1; issue 8 item 3, issue 10 item 1).

    python scripts/calibrate_thm41.py [--draws 12] [--seed 314159] [--max-params 2.5e6]

The calibration data are disjoint from the tests' (theorems/sec4.py, "calibration"): session seed
``sec4.CALIBRATION_SEED`` and the check name ``sec4.CALIBRATION_CHECK`` (the tests' trial seeds come from other
session seeds and check names), and scenarios with odd N — N ∈ {5, 7, 9} for the data-dominated cells, N ∈ {5, 7}
for the wide-layer-dominant ones — while the tests use N ∈ {4, 6, 8, 10}.

* THM41_LOWER = (smallest λ_min(K̄)/lower_scale over all calibration draws) / SAFETY (theorems.calibration.SAFETY = 3),
  rounded down to two significant digits. The held-out test (tests/test_thm_4_1.py,
  ``test_calibrated_lower_constant_keeps_its_margin``: the check "bounds: calibration margin") refutes a margin that
  drops below SAFETY on the tests' tightest cells, at the stated probability.
* THM41_TIGHT_SPREAD = 2 × (max/min of the dominant cells' medians of λ_min(K̄)/theta_scale), rounded up to a half.

Prints the suggested values and the data behind them (JSON); copy them into theorems/constants.py with this output
as their provenance. BLAS threads are capped at one (the trials are many small products).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    from threadpoolctl import threadpool_limits

    from theorems import sec4

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=12, help="draws per calibration scenario")
    ap.add_argument("--seed", type=int, default=sec4.CALIBRATION_SEED)
    ap.add_argument("--max-params", type=float, default=2.5e6, help="skip cells with more weights per draw")
    a = ap.parse_args(argv)
    if a.draws < 1:
        raise SystemExit(f"--draws must be >= 1, got {a.draws}")
    t0 = time.time()

    def progress(i, n):
        if i % 50 == 0 or i == n:
            print(f"  {i}/{n} scenarios, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)

    with threadpool_limits(limits=1):
        out = sec4.calibrate_thm41(a.draws, a.seed, a.max_params, progress=progress)
    out["seconds"] = round(time.time() - t0, 1)
    print(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
