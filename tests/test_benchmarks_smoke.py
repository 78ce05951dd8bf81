"""Smoke test of the documented benchmark command (``python -m benchmarks.bench_ntk --quick``).

Keeps the command from rotting: it must run on tiny sizes, print the table, the dgemm rate, the
limiting-NTK comparison and a PASS/FAIL line per target, and write its JSON. Timings are never
asserted (they depend on the machine and its load); only the correctness checks the benchmark does
on the way (agreement with the explicit ``J Jᵀ`` and with the numpy limiting recursion) are.
"""

from __future__ import annotations

import importlib.util
import json
import os
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
                 "ntk.limiting_ntk_matrix", "numpy limiting recursion"):
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
    assert res["limiting"]["rel_diff_matrix"] <= 1e-14 and res["limiting"]["rel_diff_full"] <= 1e-14


@pytest.mark.reference
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_bench_ntk_quick_with_torch(tmp_path):
    """The torch.func row (off by default in --quick: importing torch and tracing vmap take seconds)."""
    _, res = _run_quick(tmp_path, "--torch")
    rows = [r for r in res["rows"] if r["case"] == "torch.func vmap+jacrev"]
    assert len(rows) == 1 and rows[0].get("agrees") is True, rows


def test_nt_venv_builder_refuses_to_delete_a_directory_that_is_not_a_venv(tmp_path):
    """``--nt-venv DIR`` pointing at an ordinary directory is an error, never an ``rm -r``."""
    from benchmarks import against_nt

    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(against_nt.VenvError, match="not a virtual environment"):
        against_nt.ensure_venv(tmp_path, log=lambda m: None)
    assert (tmp_path / "keep.txt").read_text() == "mine"


NT_VENV = ROOT / ".venv-nt"


@pytest.mark.reference
@pytest.mark.skipif(not (NT_VENV / "ntkverify-venv.json").exists()
                    or not (os.environ.get("NTK_PROFILE") == "thorough" or os.environ.get("NTK_BENCH_NT") == "1"),
                    reason="needs the neural-tangents venv (python -m benchmarks.bench_ntk --against neural-tangents "
                           "builds it) and NTK_BENCH_NT=1 or the thorough profile (~15 s)")
def test_bench_against_neural_tangents_quick(tmp_path):
    """``--against neural-tangents --quick``: both libraries run on the same inputs, the table and the PASS/MISSED
    lines are printed, and the kernels agree (timings at these sizes are not asserted)."""
    out = tmp_path / "nt.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_ntk", "--against", "neural-tangents", "--quick", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    text, res = proc.stdout, json.loads(out.read_text())
    assert "| limiting NTK K^(L) |" in text and "| empirical NTK J Jᵀ |" in text
    verdicts = [line for line in text.splitlines() if line.startswith(("PASS:", "MISSED:", "FAIL:"))]
    assert len(verdicts) == len(res["targets"]) == 4
    assert res["nt_versions"]["neural_tangents"] == "0.6.5" and res["nt_versions"]["x64"] is True
    for key in ("limiting", "empirical"):
        assert res[key]["pairs"] == 2 and res[key]["rel_diff"] <= res[key]["tolerance"]
    assert res["limiting"]["diag_rel_err_ntk"] <= 1e-15
