"""Calibrate the Section 5 constants THM51_LOWER, LEM55_LOWER and LEM55_UPPER (issue 8 item 3).

    python scripts/calibrate_sec5.py [--draws-51 20] [--draws-55 12] [--seed 515151]

The calibration data are disjoint from the tests' (theorems/sec5.py, "calibration"): a separate session seed and
seed namespace, Thm 5.1 scenarios with δ ∈ {0.0075, 0.015} (tests: {0.005, 0.01, 0.02}), Lemma 5.5 scenarios with
odd N (tests: even N). Each constant is set from the extreme implied value with the safety factor SAFETY = 3 on the
quantity itself; the held-out tests (tests/test_thm_5_1.py, tests/test_lemmas_5.py, "calibration margin") refute a
margin that drops below it. Prints the suggested values and the data behind them; copy them into
theorems/constants.py with this output as their provenance.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    from theorems import sec5

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws-51", type=int, default=20, help="draws per Thm 5.1 calibration scenario")
    ap.add_argument("--draws-55", type=int, default=12, help="draws per Lemma 5.5 calibration scenario")
    ap.add_argument("--seed", type=int, default=sec5.CALIBRATION_SEED)
    ap.add_argument("--only", choices=["thm51", "lem55"], default=None)
    a = ap.parse_args(argv)
    out = {}
    if a.only in (None, "thm51"):
        t0 = time.time()
        out["thm51"] = sec5.calibrate_thm51(a.draws_51, a.seed)
        out["thm51"]["seconds"] = round(time.time() - t0, 1)
    if a.only in (None, "lem55"):
        t0 = time.time()
        out["lem55"] = sec5.calibrate_lem55(a.draws_55, a.seed)
        out["lem55"]["seconds"] = round(time.time() - t0, 1)
    print(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
