"""Replaying one recorded check exactly: ``python -m reports replay RECORD_ID`` and ``pytest --ntk-replay``.

A record is found by its id (or a unique prefix) in a given records file / results directory / report,
or else in ``reports/latest/report.json``, ``reports/runs/*/report.json`` and ``.ntk-results/*/``
(newest first). Two ways to replay, chosen from the record:

* **registered check** (``theorems.harness.CHECKS`` has ``(statement_id, check)``): in-process,
  ``run_check`` with the recorded session seed, alpha, tolerance and trial count — the trial seeds are
  a pure function of these and the scenario, so the replay draws exactly the recorded trials and must
  give the same successes and verdict;
* **exact property** (recorded with ``record_exact`` from a test, no trial function): the pytest node
  ``record.test_id`` is re-run in a subprocess with the recorded session seed and profile into a
  scratch results directory; the record with the same id (same statement, check, scenario, seed) is
  looked up there and its verdict compared. If that run does not regenerate the scenario (a Hypothesis
  example that is neither failing — failing ones are replayed first from the example database — nor
  derandomized), the test's outcome is compared instead and the result says so (``exact=False``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from theorems.records import CheckRecord, RecordSink, merge_records

from .render import REPORTS_ROOT, load_source

__all__ = ["ReplayResult", "find_record", "replay_record", "candidate_sources", "RecordNotFound",
           "pytest_ignore_collect", "pytest_collection_modifyitems"]

ROOT = REPORTS_ROOT.parent


class RecordNotFound(LookupError):
    pass


@dataclass
class ReplayResult:
    record_id: str
    statement_id: str
    check: str
    method: str  # "run_check" | "pytest-node"
    recorded_verdict: str
    replayed_verdict: str | None
    match: bool
    exact: bool
    detail: str = ""
    recorded: dict = field(default_factory=dict)
    replayed: dict = field(default_factory=dict)
    command: str = ""

    def text(self) -> str:
        lines = [
            f"record    {self.record_id}  {self.statement_id} [{self.check}]",
            f"method    {self.method}" + (f"  ({self.command})" if self.command else ""),
            f"recorded  {self.recorded_verdict:<13} {_evidence(self.recorded)}",
            f"replayed  {str(self.replayed_verdict):<13} {_evidence(self.replayed)}",
            f"result    {'MATCH' if self.match else 'MISMATCH'}" + ("" if self.exact else " (test outcome only: " + self.detail + ")"),
        ]
        if self.detail and self.exact:
            lines.append(f"detail    {self.detail}")
        return "\n".join(lines)


def _evidence(d: dict) -> str:
    if not d:
        return ""
    parts = [f"{k}={d[k]}" for k in ("trials", "successes", "stated_probability", "ci_low", "ci_high") if d.get(k) is not None]
    return " ".join(parts)


# ------------------------------------------------------------------------------------------ finding
def candidate_sources(base: str | os.PathLike | None = None) -> list[Path]:
    """Where records are looked for when no source is given (newest first within each kind)."""
    base = Path(base) if base else REPORTS_ROOT
    out: list[Path] = []
    if (base / "latest" / "report.json").is_file():
        out.append(base / "latest" / "report.json")
    runs = sorted((base / "runs").glob("*/report.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    out += runs
    res = ROOT / ".ntk-results"
    dirs = sorted((d for d in res.glob("*") if d.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True) if res.is_dir() else []
    for d in dirs:
        if (d / "records.json").is_file() or any(d.glob("*.jsonl")):
            out.append(d)
    return out


def _match(records: Sequence[CheckRecord], record_id: str) -> CheckRecord | None:
    exact = [r for r in records if r.record_id == record_id]
    if exact:
        return exact[-1]
    pre = {r.record_id: r for r in records if r.record_id.startswith(record_id)}
    if len(pre) == 1:
        return next(iter(pre.values()))
    if len(pre) > 1:
        raise RecordNotFound(f"record id prefix {record_id!r} is ambiguous: {sorted(pre)[:5]}")
    return None


def find_record(record_id: str, source: str | os.PathLike | None = None) -> tuple[CheckRecord, str]:
    """The record with ``record_id`` (or unique prefix) and where it was found."""
    if not re.fullmatch(r"[0-9a-f]{4,16}", record_id or ""):
        raise RecordNotFound(f"not a record id: {record_id!r} (16 hex digits, or a unique prefix of at least 4)")
    sources = [Path(source)] if source else candidate_sources()
    for src in sources:
        try:
            records, _, _ = load_source(src)
        except (OSError, ValueError) as exc:
            if source:
                raise RecordNotFound(f"cannot read records from {src}: {exc}") from exc
            continue
        rec = _match(records, record_id)
        if rec is not None:
            return rec, str(src)
    where = str(source) if source else ", ".join(str(s) for s in sources[:6]) or "(no stored records)"
    raise RecordNotFound(f"record {record_id!r} not found in {where}")


# ------------------------------------------------------------------------------------------ replaying
def _evid(rec: CheckRecord) -> dict:
    return {k: getattr(rec, k) for k in ("verdict", "trials", "successes", "stated_probability", "ci_low", "ci_high", "p_value")}


def _profile_of(rec: CheckRecord) -> str | None:
    m = re.search(r"--ntk-profile\s+(\w+)", rec.replay or "")
    return m.group(1) if m else None


def replayable_in_process(rec: CheckRecord) -> bool:
    from theorems.catalog import load_all
    from theorems.harness import CHECKS

    load_all()
    return (rec.statement_id, rec.check) in CHECKS and rec.trials > 0


def replay_record(rec: CheckRecord, *, sink: RecordSink | None = None, timeout: float = 600.0) -> ReplayResult:
    """Re-run exactly the recorded scenario with its seeds and compare verdicts (see module doc)."""
    if replayable_in_process(rec):
        return _replay_check(rec, sink)
    if rec.test_id:
        return _replay_node(rec, timeout)
    return ReplayResult(rec.record_id, rec.statement_id, rec.check, "none", rec.verdict, None, False, False,
                        "the record names neither a registered check nor a test node", _evid(rec), {})


def _replay_check(rec: CheckRecord, sink) -> ReplayResult:
    from theorems.harness import CHECKS, Context, run_check

    chk = CHECKS[(rec.statement_id, rec.check)]
    alpha = rec.alpha if rec.alpha is not None else 1e-10
    factor = float((rec.power or {}).get("factor", 10.0))
    ctx = Context(session_seed=rec.session_seed, alpha=alpha, power_factor=factor, sink=sink, test_id=rec.test_id,
                  replay=rec.replay, max_trials=max(20_000, rec.trials))
    new = run_check(ctx, rec.statement_id, rec.check, rec.scenario, trials=rec.trials)
    same = (new.verdict == rec.verdict and new.trials == rec.trials and new.successes == rec.successes)
    detail = "" if same else (f"recorded {rec.successes}/{rec.trials} {rec.verdict}, replayed {new.successes}/{new.trials} {new.verdict}"
                              + ("" if chk.probability is not None else " (exact check)"))
    return ReplayResult(rec.record_id, rec.statement_id, rec.check, "run_check", rec.verdict, new.verdict, same, True, detail,
                        _evid(rec), _evid(new),
                        command=f"run_check(Context(session_seed={rec.session_seed}, alpha={alpha!r}, power_factor={factor!r}), "
                                f"{rec.statement_id!r}, {rec.check!r}, <scenario>, trials={rec.trials})")


def _child_env() -> dict:
    env = dict(os.environ)
    for k in ("NTK_PROFILE", "NTK_BUDGET", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_CURRENT_TEST"):
        env.pop(k, None)
    return env


def _replay_node(rec: CheckRecord, timeout: float) -> ReplayResult:
    profile = _profile_of(rec)
    with tempfile.TemporaryDirectory(prefix="ntk-replay-") as tmp:
        cmd = [sys.executable, "-m", "pytest", rec.test_id, "--ntk-seed", str(rec.session_seed), "-q",
               "-p", "no:randomly", f"--ntk-results={tmp}", "--no-ntk-report", "-p", "no:cacheprovider"]
        if profile:
            cmd += ["--ntk-profile", profile]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=_child_env(), capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return ReplayResult(rec.record_id, rec.statement_id, rec.check, "pytest-node", rec.verdict, None, False, False,
                                f"timed out after {timeout:.0f} s", _evid(rec), {}, " ".join(cmd))
        took = time.perf_counter() - t0
        try:
            recs = merge_records(tmp, strict=False)
        except FileNotFoundError:
            recs = []
        found = [r for r in recs if r.record_id == rec.record_id]
    shown = " ".join(cmd[2:]).replace(tmp, "<tmp>")
    if found:
        new = found[-1]
        same = new.verdict == rec.verdict
        return ReplayResult(rec.record_id, rec.statement_id, rec.check, "pytest-node", rec.verdict, new.verdict, same, True,
                            f"pytest exit {proc.returncode} in {took:.1f} s", _evid(rec), _evid(new), "python -m " + shown)
    if proc.returncode not in (0, 1):
        tail = (proc.stdout + proc.stderr)[-800:]
        return ReplayResult(rec.record_id, rec.statement_id, rec.check, "pytest-node", rec.verdict, None, False, False,
                            f"pytest exit {proc.returncode}: {tail}", _evid(rec), {}, "python -m " + shown)
    replayed = "refuted" if proc.returncode == 1 else "not refuted"  # a passing test shows no more than that
    same = (replayed == "refuted") == (rec.verdict == "refuted")
    return ReplayResult(rec.record_id, rec.statement_id, rec.check, "pytest-node", rec.verdict, replayed, same, False,
                        f"the scenario was not regenerated by this run; the test {'failed' if proc.returncode else 'passed'}",
                        _evid(rec), {}, "python -m " + shown)


# ------------------------------------------------------------------------------------------ pytest glue
def _replay_id(config) -> str | None:
    try:
        return config.getoption("ntk_replay")
    except (ValueError, AttributeError):
        return None


def pytest_ignore_collect(collection_path, config):
    """Under ``--ntk-replay`` nothing is collected from disk (the replay is one synthetic item)."""
    if _replay_id(config):
        return True
    return None


def pytest_collection_modifyitems(session, config, items):
    """Under ``--ntk-replay RECORD_ID``: deselect everything and run one item replaying the record."""
    rid = _replay_id(config)
    if not rid:
        return
    import pytest

    class NtkReplayItem(pytest.Item):
        def runtest(self):
            try:
                rec, src = find_record(rid, config.getoption("ntk_replay_records"))
            except RecordNotFound as exc:
                raise ReplayFailure(str(exc)) from None
            sink = RecordSink(config.ntk_results_dir, worker_id=getattr(config, "ntk_worker_id", "main"))
            try:
                res = replay_record(rec, sink=sink)
            finally:
                sink.close()
            text = f"source    {src}\n{res.text()}"
            tr = config.pluginmanager.get_plugin("terminalreporter")
            capman = config.pluginmanager.get_plugin("capturemanager")
            if tr is not None:
                import contextlib

                with capman.global_and_fixture_disabled() if capman is not None else contextlib.nullcontext():
                    tr.write_line("")
                    for line in text.splitlines():
                        tr.write_line(line)
            self.user_properties.append(("ntk_replay", text))
            if not res.match:
                raise ReplayFailure(text)

        def repr_failure(self, excinfo):
            if isinstance(excinfo.value, ReplayFailure):
                return str(excinfo.value)
            return super().repr_failure(excinfo)

        def reportinfo(self):
            return ROOT / "conftest.py", None, f"ntk-replay {rid}"

    deselected = list(items)
    items[:] = [NtkReplayItem.from_parent(session, name=f"ntk-replay[{rid}]")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)


class ReplayFailure(Exception):
    pass
