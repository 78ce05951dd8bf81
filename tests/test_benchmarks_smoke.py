"""Smoke test of the documented benchmark command (``python -m benchmarks.bench_ntk --quick``).

Keeps the command from rotting: it must run on tiny sizes, print the table, the dgemm rate, the
limiting-NTK comparison and a PASS/FAIL line per target, and write its JSON. Timings are never
asserted (they depend on the machine and its load); only the correctness checks the benchmark does
on the way (agreement with the explicit ``J Jᵀ`` and with the numpy limiting recursion) are.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run_quick(tmp_path, *extra):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_ntk", "--quick", "--json", str(out), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, json.loads(out.read_text())


def test_bench_ntk_quick_runs(tmp_path):
    text, res = _run_quick(tmp_path)
    assert "| case | N | n | P | time_s | peak_MiB | GFLOP/s | ratio_to_bound | notes |" in text
    assert "dgemm rate:" in text and "limiting NTK (N = " in text and "syrk check" in text
    for case in ("ntk.empirical_ntk", "explicit J Jᵀ", "torch.func vmap+jacrev", "ntk.limiting_ntk",
                 "numpy limiting recursion"):
        assert f"| {case} |" in text, case
    verdicts = [line for line in text.splitlines() if line.startswith(("PASS:", "FAIL:"))]
    assert len(verdicts) == len(res["targets"]) == 5
    assert res["quick"] is True and res["dgemm"]["rate_gflops"] > 0
    ntk_rows = [r for r in res["rows"] if r["case"] == "ntk.empirical_ntk"]
    assert len(ntk_rows) == 4
    for r in ntk_rows:
        assert r["time_s"] > 0 and r["peak_MiB"] > 0 and r["ratio_to_bound"] > 0
        assert r["flops"] > 0 and r["P"] == 8 * r["n"] + 2 * r["n"] ** 2 + r["n"]
    # correctness checks (not timings): ntk agrees with the references the benchmark ran
    by_name = {t["name"]: t for t in res["targets"]}
    assert by_name["empirical NTK agrees with explicit J Jᵀ / torch.func (2γ·max|K|)"]["ok"]
    assert by_name["limiting NTK agrees with the numpy recursion (≤ 1e-14)"]["ok"]
    assert res["limiting"]["rel_diff"] <= 1e-14


@pytest.mark.reference
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_bench_ntk_quick_with_torch(tmp_path):
    """The torch.func row (off by default in --quick: importing torch and tracing vmap take seconds)."""
    _, res = _run_quick(tmp_path, "--torch")
    rows = [r for r in res["rows"] if r["case"] == "torch.func vmap+jacrev"]
    assert len(rows) == 1 and rows[0].get("agrees") is True, rows
