"""Counterexample replay (issue 5): a replay command taken from a report reproduces the recorded verdict.

* Registered checks replay in process from (statement id, check, scenario, session seed, alpha,
  tolerance, trial count) — the same trials, the same successes, the same verdict.
* The report's command ``python -m pytest --ntk-replay <id>`` runs one synthetic item that does this
  and fails when the verdict differs; ``python -m reports replay`` exits 1 on a mismatch.
* Exact properties recorded by a test replay by re-running its pytest node with the recorded session
  seed and profile (``test_exact_property_for_replay`` below is such a node: Thm 3.2's proof steps on a
  fixed data set), which also exercises the end-of-session report written by ``conftest.py``.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .test_reports import small_run

ROOT = Path(__file__).resolve().parent.parent


def _env():
    import os

    env = dict(os.environ)
    for k in ("NTK_PROFILE", "NTK_BUDGET", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_CURRENT_TEST"):
        env.pop(k, None)
    return env


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A small run's records and its report (report.json) on disk."""
    from reports.render import build_report, write_report
    from theorems.records import merge_records, write_merged

    d = tmp_path_factory.mktemp("replay")
    small_run(d / "results")
    recs = list(merge_records(d / "results"))
    write_merged(recs, d / "results" / "records.json")
    report, figs = build_report(recs)
    write_report(report, figs, d / "report")
    return {"dir": d, "records": recs, "report": report, "report_json": d / "report" / "report.json"}


def test_exact_property_for_replay(ntk_context):
    """Thm 3.2 proof step (c) (Gershgorin) on a fixed Gaussian data set: an exact property whose record
    has no trial function, so it replays through this pytest node. Tolerance: derived in
    theorems.sec3.proof_steps (eigenvalue floor plus the entrywise rounding of (XXᵀ)^{∘r})."""
    from theorems import sec3
    from theorems.harness import record_exact

    X = np.random.default_rng(11).standard_normal((12, 64))
    step = sec3.proof_steps(X, 3, 2)["c"]
    record_exact(ntk_context, "Thm 3.2", "step-c", {"N": 12, "d": 64, "L": 3, "r": 2, "data_seed": 11, "law": "gaussian"},
                 holds=step.holds, slack=step.slack, measured={"lhs": step.lhs, "rhs": step.rhs, "tol": step.tol}, reason=step.name)
    assert step.holds, step


def test_in_process_replay_reproduces_every_probabilistic_verdict(stored):
    from reports.replay import find_record, replay_record

    # (planted variants are not registered checks: they replay through the test node that planted them)
    prob = [r for r in stored["records"] if r.stated_probability is not None and not r.planted]
    assert {r.verdict for r in prob} == {"verified", "not refuted", "refuted"}
    for r in prob:
        found, src = find_record(r.record_id[:10], stored["report_json"])  # a unique prefix is enough
        assert found.record_id == r.record_id
        res = replay_record(found)
        assert res.method == "run_check" and res.exact
        assert res.match, res.text()
        assert (res.replayed["trials"], res.replayed["successes"]) == (r.trials, r.successes)


def test_replay_command_from_report_reproduces_verdict(stored, tmp_path):
    """Take the refuted record's command from report.json, run it (pointing it at this report's
    records), and see the recorded verdict reproduced."""
    rep = json.loads(stored["report_json"].read_text())
    att = next(a for a in rep["attention"] if a["verdict"] == "refuted")
    cmd = shlex.split(att["replay_command"])
    assert cmd[:4] == ["python", "-m", "pytest", "--ntk-replay"]
    # (options given as --opt=PATH: pytest takes bare path arguments into account when choosing its rootdir)
    cmd = [sys.executable] + cmd[1:] + [f"--ntk-replay-records={stored['report_json']}", f"--ntk-results={tmp_path / 'res'}",
                                        "-p", "no:cacheprovider"]
    p = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert "result    MATCH" in p.stdout and "recorded  refuted" in p.stdout and "replayed  refuted" in p.stdout
    assert "1 passed" in p.stdout
    # the replay session recorded the replayed check and wrote no report (it is not a run of the suite)
    assert json.loads((tmp_path / "res" / "records.json").read_text())[0]["record_id"] == att["record_id"]


def test_replay_mismatch_exits_nonzero(stored, tmp_path):
    """A record whose stored verdict does not follow from its seeds is caught (exit 1, MISMATCH)."""
    data = json.loads((stored["dir"] / "results" / "records.json").read_text())
    rec = next(r for r in data if r["verdict"] == "refuted")
    rec["verdict"] = "verified"
    (tmp_path / "tampered.json").write_text(json.dumps(data))
    p = subprocess.run([sys.executable, "-m", "reports", "replay", rec["record_id"], "--records", str(tmp_path / "tampered.json")],
                       cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and "MISMATCH" in p.stdout, p.stdout + p.stderr
    p = subprocess.run([sys.executable, "-m", "reports", "replay", "0123456789abcdef", "--records", str(tmp_path / "tampered.json")],
                       cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "not found" in p.stderr


def test_exact_record_replays_through_its_test_node_and_session_writes_report(tmp_path):
    """Run one test node as a session of its own (records + end-of-session report into tmp), then
    replay its exact record by the report's command: the node re-runs with the recorded seed/profile."""
    res, base = tmp_path / "res", tmp_path / "rep"
    node = "tests/test_replay.py::test_exact_property_for_replay"
    p = subprocess.run([sys.executable, "-m", "pytest", node, "-q", "-p", "no:cacheprovider", f"--ntk-results={res}",
                        f"--ntk-report={base}", "--ntk-seed", "5"], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert f"ntkverify report: {base / 'latest' / 'report.html'}" in p.stdout
    for name in ("report.json", "report.md", "report.html"):
        assert (base / "latest" / name).is_file()
    assert len(list((base / "runs").iterdir())) == 1
    env = json.loads((res / "environment.json").read_text())
    assert env["session_seed"] == 5 and env["profile"] in ("dev", "ci", "thorough")
    rep = json.loads((base / "latest" / "report.json").read_text())
    (rec,) = rep["records"]
    assert rec["test_id"] == node and rec["session_seed"] == 5
    p = subprocess.run([sys.executable, "-m", "reports", "replay", rec["record_id"], "--records", str(base / "latest" / "report.json")],
                       cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "method    pytest-node" in p.stdout and "result    MATCH" in p.stdout and "(test outcome only" not in p.stdout
