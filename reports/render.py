"""Building a verification report from result records and writing it (JSON, Markdown, HTML, figures).

* :func:`load_source` reads records from a results directory (``records.json`` or the per-worker
  ``*.jsonl`` files), a ``records.json`` file, or a ``report.json`` (so a report re-renders from itself).
* :func:`build_report` turns records into the report document described by ``reports/schema.json``:
  environment, totals, statements with their per-check aggregates, the records (each with its role and
  the replay command for refuted/inconclusive ones), the named constants with provenance, the figures.
* :func:`write_report` writes ``report.json``, ``report.md``, ``report.html`` and ``figures/*.png`` to
  one directory; :func:`publish` writes a timestamped copy under ``runs/`` and replaces ``latest/``.

Only records are read; nothing is re-run.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from theorems.records import CheckRecord, merge_records, to_jsonable

from .environment import capture_environment, load_environment
from .figures import Figure, all_figures, is_sweep, numeric

__all__ = [
    "SCHEMA_VERSION",
    "REPORTS_ROOT",
    "load_source",
    "build_report",
    "write_report",
    "publish",
    "record_role",
    "replay_command",
    "overall_verdict",
]

SCHEMA_VERSION = "ntkverify-report/1"
REPORTS_ROOT = Path(__file__).resolve().parent
VERDICTS = ("verified", "refuted", "inconclusive")


# ------------------------------------------------------------------------------------------ loading
def _records_from_list(items: Iterable[Mapping]) -> list[CheckRecord]:
    import dataclasses

    names = {f.name for f in dataclasses.fields(CheckRecord)}
    return [CheckRecord.from_dict({k: v for k, v in d.items() if k in names}) for d in items]


def load_source(path: str | os.PathLike) -> tuple[list[CheckRecord], dict | None, dict]:
    """``(records, environment or None, meta)`` from a results directory, ``records.json`` or
    ``report.json``. ``meta`` says what was read (``source``, ``kind``)."""
    p = Path(path)
    if p.is_dir():
        env = load_environment(p)
        if (p / "records.json").is_file():
            recs, _, meta = load_source(p / "records.json")
            return recs, env, {**meta, "results_dir": str(p)}
        if any(p.glob("*.jsonl")):
            recs = list(merge_records(p, statement_order=_statement_order(), strict=False))
            return recs, env, {"source": str(p), "kind": "jsonl", "results_dir": str(p)}
        if (p / "report.json").is_file():
            return load_source(p / "report.json")
        raise FileNotFoundError(f"{p}: no records.json, *.jsonl or report.json here")
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such file or directory")
    data = json.loads(p.read_text(encoding="utf-8"))
    if isinstance(data, list):
        env = load_environment(p.parent)
        return _records_from_list(data), env, {"source": str(p), "kind": "records", "results_dir": str(p.parent)}
    if isinstance(data, Mapping) and "records" in data:
        run = data.get("run") or {}
        return (_records_from_list(data["records"]), data.get("environment"),
                {"source": str(p), "kind": "report", "results_dir": run.get("results_dir")})
    raise ValueError(f"{p}: neither a list of records nor a report (no 'records' key)")


def _statement_order() -> list[str]:
    try:
        from theorems.catalog import load_all

        return load_all().ids()
    except Exception:
        return []


def _registry():
    try:
        from theorems.catalog import load_all

        return load_all()
    except Exception:
        from theorems.statement import REGISTRY

        return REGISTRY


# --------------------------------------------------------------------------------------- record info
def record_role(rec: Mapping) -> str:
    """``control`` (negative control), ``sweep`` (x/y scaling data), ``proof-step``, ``probabilistic``
    (binomial verdict at a stated probability) or ``exact``."""
    m = rec.get("measured") or {}
    if isinstance(m, Mapping) and m.get("hypothesis_violated"):
        return "control"
    if is_sweep(rec):
        return "sweep"
    if str(rec.get("check", "")).startswith("step-"):
        return "proof-step"
    if rec.get("stated_probability") is not None:
        return "probabilistic"
    return "exact"


def replay_command(record_id: str) -> str:
    """The one command that replays the record's scenario with its seeds and compares verdicts."""
    return f"python -m pytest --ntk-replay {record_id}"


def overall_verdict(verdicts: Iterable[str]) -> str:
    v = list(verdicts)
    if not v:
        return "none"
    if "refuted" in v:
        return "refuted"
    if "inconclusive" in v:
        return "inconclusive"
    return "verified"


def _counts(verdicts: Iterable[str]) -> dict:
    v = list(verdicts)
    return {k: v.count(k) for k in VERDICTS}


def _record_entry(rec: CheckRecord) -> dict:
    d = rec.to_dict()
    role = record_role(d)
    d["role"] = role
    d["interval"] = ({"low": d.get("ci_low"), "high": d.get("ci_high"), "method": "Clopper-Pearson", "alpha": d.get("alpha")}
                     if d.get("ci_low") is not None or d.get("ci_high") is not None else None)
    d["replay_command"] = replay_command(rec.record_id)
    d["needs_replay"] = d["verdict"] in ("refuted", "inconclusive")
    return d


def _check_aggregate(sid: str, chk: str, recs: list[dict]) -> dict:
    verdicts = [r["verdict"] for r in recs]
    prob = [r for r in recs if r.get("stated_probability") is not None]
    worst = None
    if prob:
        w = min(prob, key=lambda r: (numeric(r.get("ci_low")) if numeric(r.get("ci_low")) is not None else 1.0)
                - (numeric(r.get("stated_probability")) or 0.0))
        worst = {"record_id": w["record_id"], "ci_low": w.get("ci_low"), "ci_high": w.get("ci_high"),
                 "stated_probability": w.get("stated_probability"), "trials": w.get("trials"), "successes": w.get("successes")}
    ics = [r["implied_constants"] for r in recs if isinstance(r.get("implied_constants"), Mapping) and r["implied_constants"]]
    implied = None
    mins = [numeric(i.get("min")) for i in ics]
    maxs = [numeric(i.get("max")) for i in ics]
    mins = [m for m in mins if m is not None]
    maxs = [m for m in maxs if m is not None]
    if mins and maxs:
        meds = sorted(m for i in ics if (m := numeric(i.get("median"))) is not None)
        implied = {"min": min(mins), "max": max(maxs), "median_of_medians": meds[len(meds) // 2] if meds else None,
                   "scenarios": len(ics), "trials": int(sum(int(i.get("n") or 0) for i in ics))}
    slacks = [numeric((r.get("worst_case") or {}).get("slack")) for r in recs]
    slacks = [s for s in slacks if s is not None]
    roles = sorted({r["role"] for r in recs})
    return {
        "statement_id": sid,
        "check": chk,
        "verdict": overall_verdict(verdicts),
        "counts": _counts(verdicts),
        "scenarios": len(recs),
        "trials": int(sum(int(r.get("trials") or 0) for r in recs)),
        "successes": int(sum(int(r.get("successes") or 0) for r in recs)),
        "paper_versions": sorted({str(r.get("paper_version")) for r in recs}),
        "roles": roles,
        "worst_interval": worst,
        "implied_range": implied,
        "min_slack": min(slacks) if slacks else None,
        "timing_s": float(sum(numeric(r.get("timing_s")) or 0.0 for r in recs)),
        "records": [r["record_id"] for r in recs],
    }


def _constants() -> list[dict]:
    try:
        from theorems.constants import CONSTANTS

        return [{"name": c.name, "value": to_jsonable(c.value), "statement": c.statement, "meaning": c.meaning,
                 "provenance": c.provenance, "origin": c.origin} for c in CONSTANTS.values()]
    except Exception:
        return []


def _infer_profile(records: Sequence[CheckRecord]) -> str | None:
    import re

    seen = set()
    for r in records:
        m = re.search(r"--ntk-profile\s+(\S+)", r.replay or "")
        if m:
            seen.add(m.group(1))
    return ",".join(sorted(seen)) if seen else None


# ------------------------------------------------------------------------------------------ building
def build_report(records: Sequence[CheckRecord], *, environment: Mapping | None = None, source: Mapping | None = None,
                 figures: Sequence[Figure] | None = None, title: str = "ntkverify — verification report") -> tuple[dict, list[Figure]]:
    """The report document (``schema.json``) and its figures, from ``records``.

    ``environment`` is the run's (captured at the end of the session); without it the current machine's
    is captured and marked ``captured_at_render``. Figures are rendered unless given."""
    reg = _registry()
    order = reg.ids()
    rank = {s: i for i, s in enumerate(order)}
    entries = [_record_entry(r) for r in records]
    entries.sort(key=lambda d: (rank.get(d["statement_id"], len(rank)), d["statement_id"], d["check"], d["record_id"]))
    seeds = sorted({int(r.session_seed) for r in records})
    if environment is None:
        env = capture_environment(profile=_infer_profile(records), session_seed=seeds[0] if len(seeds) == 1 else None)
        env["captured_at_render"] = True
    else:
        env = dict(environment)
        env.setdefault("profile", _infer_profile(records))
    if env.get("profile") is None:
        env["profile"] = _infer_profile(records)

    by_stmt: "OrderedDict[str, list[dict]]" = OrderedDict()
    for d in entries:
        by_stmt.setdefault(d["statement_id"], []).append(d)
    statements = []
    for sid, recs in by_stmt.items():
        st = reg.get(sid) if sid in reg else None
        checks: "OrderedDict[str, list[dict]]" = OrderedDict()
        for d in recs:
            checks.setdefault(d["check"], []).append(d)
        aggregates = [_check_aggregate(sid, c, rs) for c, rs in checks.items()]
        claims = [d for d in recs if d["role"] != "control"]
        statements.append({
            "id": sid,
            "title": getattr(st, "title", None),
            "claim": getattr(st, "claim", None),
            "kind": str(getattr(st, "kind", "")) or (recs[0].get("kind") if recs else None),
            "paper_version": getattr(st, "paper_version", None) or (recs[0].get("paper_version") if recs else None),
            "section": getattr(st, "section", None),
            "notes": getattr(st, "notes", None) or None,
            "registered": st is not None,
            "verdict": overall_verdict(d["verdict"] for d in claims) if claims else "none",
            "verdict_by_version": {v: overall_verdict(d["verdict"] for d in claims if d.get("paper_version") == v)
                                   for v in sorted({d.get("paper_version") for d in claims})},
            "counts": _counts(d["verdict"] for d in claims),
            "controls": _counts(d["verdict"] for d in recs if d["role"] == "control"),
            "checks": aggregates,
        })
    not_run = [s.id for s in reg if s.id not in by_stmt] if order else []
    totals = {
        "records": len(entries),
        "statements": len(statements),
        "checks": sum(len(s["checks"]) for s in statements),
        **_counts(d["verdict"] for d in entries if d["role"] != "control"),
        "controls": len([d for d in entries if d["role"] == "control"]),
        "controls_detected": len([d for d in entries if d["role"] == "control" and d["verdict"] == "verified"]),
        "trials": int(sum(int(d.get("trials") or 0) for d in entries)),
        "timing_s": float(sum(numeric(d.get("timing_s")) or 0.0 for d in entries)),
        "overall": overall_verdict(d["verdict"] for d in entries if d["role"] != "control"),
        "overall_by_version": {
            v: overall_verdict(d["verdict"] for d in entries if d["role"] != "control" and d.get("paper_version") == v)
            for v in sorted({d.get("paper_version") for d in entries if d["role"] != "control" and d.get("paper_version")})
        },
    }
    if figures is None:
        t0 = time.perf_counter()
        figures = all_figures(entries, order)
        fig_time = time.perf_counter() - t0
    else:
        fig_time = 0.0
    report = {
        "schema": SCHEMA_VERSION,
        "title": title,
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "run": {
            "source": (source or {}).get("source"),
            "results_dir": (source or {}).get("results_dir"),
            "session_seeds": seeds,
            "profile": env.get("profile"),
            "figure_render_s": round(fig_time, 3),
            "tests": dict((source or {}).get("tests") or {}),
        },
        "environment": to_jsonable(env),
        "totals": totals,
        "statements": statements,
        "not_run": not_run,
        "attention": [{"record_id": d["record_id"], "statement_id": d["statement_id"], "check": d["check"],
                       "verdict": d["verdict"], "role": d["role"], "reason": d.get("reason", ""),
                       "replay_command": d["replay_command"]}
                      for d in entries if d["needs_replay"]],
        "controls": [d["record_id"] for d in entries if d["role"] == "control"],
        "constants": _constants(),
        "figures": [f.meta(f"figures/{f.id}.png") for f in figures],
        "records": entries,
    }
    return report, list(figures)


# ------------------------------------------------------------------------------------------ writing
def write_report(report: Mapping, figures: Sequence[Figure], out: str | os.PathLike) -> Path:
    """Write ``report.json``, ``report.md``, ``report.html`` and ``figures/*.png`` into ``out``."""
    from .render_html import render_html
    from .render_md import render_markdown

    out = Path(out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    for f in figures:
        (out / "figures" / f"{f.id}.png").write_bytes(f.png)
    (out / "report.json").write_text(json.dumps(report, allow_nan=False, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "report.md").write_text(render_markdown(report), encoding="utf-8")
    (out / "report.html").write_text(render_html(report, {f.id: f.png for f in figures}), encoding="utf-8")
    return out


def _timestamp() -> str:
    return time.strftime("%Y%m%dT%H%M%S")


def publish(report: Mapping, figures: Sequence[Figure], base: str | os.PathLike = REPORTS_ROOT,
            stamp: str | None = None) -> tuple[Path, Path]:
    """Write the report to ``base/runs/<stamp>/`` and replace ``base/latest/`` by a copy.

    Returns ``(latest, run_dir)``. ``latest`` is swapped by rename, so a reader never sees a half
    written report there (concurrent sessions: the last one to finish wins)."""
    base = Path(base)
    stamp = stamp or _timestamp()
    run_dir = base / "runs" / stamp
    k = 1
    while run_dir.exists():
        run_dir = base / "runs" / f"{stamp}-{k}"
        k += 1
    write_report(report, figures, run_dir)
    tmp = base / f".latest.{os.getpid()}.{time.monotonic_ns()}"
    shutil.copytree(run_dir, tmp)
    latest = base / "latest"
    old = None
    if latest.exists():
        old = base / f".latest-old.{os.getpid()}.{time.monotonic_ns()}"
        try:
            os.replace(latest, old)
        except OSError:
            old = None
            shutil.rmtree(latest, ignore_errors=True)
    os.replace(tmp, latest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return latest, run_dir


def render_source(source: str | os.PathLike, out: str | os.PathLike | None = None, *,
                  base: str | os.PathLike | None = None) -> tuple[dict, Path]:
    """Re-render a report from stored records (no re-run). ``out``: one directory; otherwise publish
    under ``base`` (default ``reports/``) as ``latest/`` + ``runs/<stamp>/``. Returns ``(report, dir)``."""
    records, env, meta = load_source(source)
    report, figures = build_report(records, environment=env, source=meta)
    if out is not None:
        return report, write_report(report, figures, out)
    latest, _ = publish(report, figures, base or REPORTS_ROOT)
    return report, latest


def summary_text(report: Mapping, *, width: int = 100) -> str:
    """A one-screen plain-text summary: totals, per-statement verdicts, what needs attention."""
    t = report["totals"]
    env = report.get("environment") or {}
    failed = ((report.get("run") or {}).get("tests") or {}).get("failed") or []
    lines = [
        f"ntkverify report — {t['statements']} statements, {t['checks']} checks, {t['records']} records, {t['trials']} trials",
        *([f"  TESTS FAILED ({len(failed)}): the verdicts below are incomplete — " + ", ".join(failed[:5])
           + (" …" if len(failed) > 5 else "")] if failed else []),
        f"  verified {t['verified']}   refuted {t['refuted']}   inconclusive {t['inconclusive']}   "
        f"controls detected {t['controls_detected']}/{t['controls']}   overall: {t['overall'].upper()}"
        + "".join(f"  [{v}: {x}]" for v, x in (t.get("overall_by_version") or {}).items()),
        f"  profile {env.get('profile')}  session seed(s) {report['run'].get('session_seeds')}  "
        f"python {env.get('python')}  cores {env.get('cores')}",
        "",
    ]
    for s in report["statements"]:
        c = s["counts"]
        byv = s.get("verdict_by_version") or {}
        vers = "  [" + ", ".join(f"{k}: {v}" for k, v in byv.items()) + "]" if len(byv) > 1 else ""
        lines.append(f"  {s['id']:<12} {s['verdict']:<13} {len(s['checks']):>3} checks  "
                     f"(v {c['verified']}, r {c['refuted']}, i {c['inconclusive']})  {(s.get('title') or '')[:40]}{vers}")
    if report.get("not_run"):
        lines.append(f"  not run: {', '.join(report['not_run'])}")
    att = report.get("attention") or []
    if att:
        lines.append("")
        lines.append(f"needs attention ({len(att)}):")
        for a in att[:12]:
            lines.append(f"  {a['verdict'].upper():<12} {a['statement_id']} [{a['check']}]  replay: {a['replay_command']}")
        if len(att) > 12:
            lines.append(f"  ... and {len(att) - 12} more (see the report)")
    return "\n".join(line[:width + 60] for line in lines)


# ------------------------------------------------------------------------------------- pytest session
def session_report(config, records) -> tuple[Path, Path] | None:
    """Called by ``conftest.py`` at the end of a session (controller only), after the records merge.

    Writes ``environment.json`` next to the records and, unless ``--no-ntk-report`` (or a
    ``--ntk-replay`` session), the report to ``<--ntk-report, default reports/>/latest/`` and
    ``runs/<timestamp>/``. Returns ``(latest, run_dir)`` or ``None``. Never raises: a report failure
    is printed and must not change the session's outcome.
    """
    try:
        opt = lambda name, default=None: config.getoption(name, default)  # noqa: E731
        results = Path(config.ntk_results_dir)
        workers = getattr(config.option, "numprocesses", None)
        env = capture_environment(profile=getattr(config, "ntk_profile", None), session_seed=getattr(config, "ntk_seed", None),
                                  workers=workers if isinstance(workers, int) else None, alpha=opt("--ntk-alpha"),
                                  results_dir=results)
        if records:
            (results / "environment.json").write_text(json.dumps(to_jsonable(env), indent=1) + "\n", encoding="utf-8")
        if not records or opt("no_ntk_report", False) or opt("ntk_replay", None):
            return None
        tests = {"exitstatus": int(getattr(config, "_ntk_exitstatus", 0) or 0),
                 "failed": sorted(getattr(config, "ntk_failed_tests", ()) or ())}
        report, figures = build_report(list(records), environment=env,
                                       source={"source": str(results / "records.json"), "results_dir": str(results),
                                               "tests": tests})
        base = Path(opt("ntk_report", None) or REPORTS_ROOT)
        latest, run_dir = publish(report, figures, base, stamp=results.name if results.name[:2].isdigit() else None)
        config._ntk_report_paths = (latest, run_dir)
        tr = config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.write_line(f"ntkverify report: {latest / 'report.html'}  (copy: {run_dir})")
        return latest, run_dir
    except Exception as exc:  # pragma: no cover - reported, never fatal
        import traceback

        config._ntk_report_error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
        return None
