"""``python -m reports``: verify everything and write the report; re-render, compare, replay, promote.

    python -m reports verify [--profile dev|ci|thorough] [--seed S] [-n auto] [--out DIR] [-- PYTEST ARGS]
    python -m reports render RESULTS_DIR_OR_RECORDS_JSON_OR_REPORT_JSON [--out DIR]
    python -m reports compare OLD NEW [--json]
    python -m reports replay RECORD_ID [--records PATH]
    python -m reports promote RECORD_ID [--records PATH] [--force] [--file PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from .render import REPORTS_ROOT, publish, render_source, summary_text

ROOT = REPORTS_ROOT.parent


def _print_paths(d: Path) -> None:
    print(f"report:  {d / 'report.html'}")
    print(f"         {d / 'report.md'}")
    print(f"         {d / 'report.json'}")


def cmd_verify(a) -> int:
    results = Path(a.results or ROOT / ".ntk-results" / time.strftime("%Y%m%dT%H%M%S")).resolve()
    cmd = [sys.executable, "-m", "pytest", "-n", str(a.workers), f"--ntk-results={results}", "--no-ntk-report"]
    if a.profile:
        cmd += ["--ntk-profile", a.profile]
    if a.seed is not None:
        cmd += ["--ntk-seed", str(a.seed)]
    cmd += a.pytest_args
    print("running: " + " ".join(cmd[2:]), flush=True)
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, cwd=ROOT).returncode
    took = time.perf_counter() - t0
    if not results.is_dir() or not ((results / "records.json").is_file() or any(results.glob("*.jsonl"))):
        print(f"no records were written to {results} (pytest exit {rc}); no report", file=sys.stderr)
        return rc or 2
    from .render import build_report, load_source

    records, env, meta = load_source(results)
    report, figures = build_report(records, environment=env, source=meta)
    latest, run_dir = publish(report, figures, Path(a.out) if a.out else REPORTS_ROOT, stamp=results.name)
    print()
    print(summary_text(report))
    print()
    print(f"tests took {took:.0f} s (pytest exit {rc}); records: {results / 'records.json'}")
    _print_paths(latest)
    print(f"copy:    {run_dir}")
    return rc


def cmd_render(a) -> int:
    report, d = render_source(a.source, a.out)
    print(summary_text(report))
    print()
    _print_paths(Path(d))
    return 0


def cmd_compare(a) -> int:
    from .compare import compare_sources, compare_text

    c = compare_sources(a.old, a.new)
    print(json.dumps(c, indent=1, ensure_ascii=False) if a.json else compare_text(c))
    if a.fail_on_change and (c["changed"] or c["checks_changed"]):
        return 1
    return 0


def cmd_replay(a) -> int:
    from .replay import RecordNotFound, find_record, replay_record

    try:
        rec, src = find_record(a.record_id, a.records)
    except RecordNotFound as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"source    {src}")
    res = replay_record(rec, timeout=a.timeout)
    print(res.text())
    return 0 if res.match else 1


def cmd_promote(a) -> int:
    from .promoted import PROMOTED_FILE, promote
    from .replay import RecordNotFound, find_record

    try:
        rec, src = find_record(a.record_id, a.records)
    except RecordNotFound as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        added, entry = promote(rec, path=a.file, force=a.force, note=a.note or "")
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    where = a.file or PROMOTED_FILE
    print(("promoted" if added else "already promoted") + f": {rec.statement_id} [{rec.check}] scenario {json.dumps(rec.scenario)} -> {where}")
    print(f"use it: @reports.promoted.with_promoted({rec.statement_id!r}, {rec.check!r}, argname=...) above @given")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m reports", description="ntkverify verification reports")
    sub = p.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verify", help="run the whole suite (pytest -n auto) and write reports/latest/")
    v.add_argument("--profile", choices=("dev", "ci", "thorough"), default=None,
                   help="size/example profile (default: NTK_PROFILE, else ci when CI is set, else dev)")
    v.add_argument("--seed", type=int, default=None, help="session seed (default: the suite's fixed seed)")
    v.add_argument("-n", "--workers", default="auto", help="pytest-xdist workers (default auto)")
    v.add_argument("--out", default=None, help="report base directory (default reports/): writes latest/ and runs/<stamp>/")
    v.add_argument("--results", default=None, help="results directory for the records (default .ntk-results/<stamp>)")
    v.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    v.set_defaults(fn=cmd_verify)
    r = sub.add_parser("render", help="re-render a report from stored records (nothing is re-run)")
    r.add_argument("source", help="results directory, records.json or report.json")
    r.add_argument("--out", default=None, help="output directory (default: reports/latest/ + reports/runs/<stamp>/)")
    r.set_defaults(fn=cmd_render)
    c = sub.add_parser("compare", help="compare two runs: changed verdicts, new and removed checks")
    c.add_argument("old")
    c.add_argument("new")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.add_argument("--fail-on-change", action="store_true", help="exit 1 if any verdict changed")
    c.set_defaults(fn=cmd_compare)
    rp = sub.add_parser("replay", help="re-run exactly one recorded scenario with its seeds; exit 1 on verdict mismatch")
    rp.add_argument("record_id")
    rp.add_argument("--records", default=None, help="records.json / results dir / report.json (default: latest report, then stored runs)")
    rp.add_argument("--timeout", type=float, default=600.0)
    rp.set_defaults(fn=cmd_replay)
    pr = sub.add_parser("promote", help="add a refuted scenario to reports/promoted_examples.json")
    pr.add_argument("record_id")
    pr.add_argument("--records", default=None)
    pr.add_argument("--force", action="store_true", help="promote a record that is not refuted")
    pr.add_argument("--file", default=None, help="promoted-examples file (default reports/promoted_examples.json)")
    pr.add_argument("--note", default=None)
    pr.set_defaults(fn=cmd_promote)
    a = p.parse_args(argv)
    return a.fn(a)
