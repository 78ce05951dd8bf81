"""``python -m reports``: verify everything and write the report; re-render, compare, replay, promote.

    python -m reports verify [--profile dev|ci|thorough] [--seed S] [-n auto] [--out DIR] [-- PYTEST ARGS]
    python -m reports render RESULTS_DIR_OR_RECORDS_JSON_OR_REPORT_JSON [--out DIR]
    python -m reports compare OLD NEW [--json]
    python -m reports replay RECORD_ID [--records PATH]
    python -m reports promote RECORD_ID [--records PATH] [--force] [--file PATH]
    python -m reports figure2 [--scale paper|small] [--grid full|coarse] [--trials T] [--seed S] [--out DIR]
                              [--ntk-scheduler SPEC]
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
    from .progress import enabled as progress_enabled

    show_progress = progress_enabled()  # a bar with ETA on a terminal; off under CI or when piped
    if show_progress:
        cmd += ["-p", "reports.progress"]
    print("running: " + " ".join(cmd[2:]), flush=True)
    t0 = time.perf_counter()
    if show_progress:  # pytest's own output goes to a log (the bar draws on stderr); its summary is echoed
        results.mkdir(parents=True, exist_ok=True)
        log = results / "pytest-output.txt"
        with log.open("w", encoding="utf-8") as fh:
            rc = subprocess.run(cmd, cwd=ROOT, stdout=fh).returncode  # stderr stays the terminal: the bar
        _echo_pytest_summary(log)
    else:
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


def _echo_pytest_summary(log: Path) -> None:
    """Print pytest's closing part (from "short test summary info", else its last line) and the log's path."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    start = next((i for i, ln in enumerate(lines) if "short test summary info" in ln), max(0, len(lines) - 1))
    for ln in lines[start:]:
        print(ln)
    print(f"pytest output: {log}")


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


def cmd_figure2(a) -> int:
    """The paper's Figure 2 (theorems/figure2.py): run it, judge every curve, print the points, write the report."""
    import os
    import resource

    from generators.seeds import DEFAULT_SESSION_SEED
    from theorems import figure2 as F
    from theorems.executor import open_executor
    from theorems.harness import Context
    from theorems.records import write_merged

    from .environment import capture_environment
    from .progress import progress
    from .render import build_report, write_report

    seed = DEFAULT_SESSION_SEED if a.seed is None else a.seed
    if a.trials < 1:
        print(f"--trials must be >= 1, got {a.trials}", file=sys.stderr)
        return 2
    if not 0 < a.alpha < 1:
        print(f"--alpha must lie in (0, 1), got {a.alpha}", file=sys.stderr)
        return 2
    stamp = time.strftime("%Y%m%dT%H%M%S")
    name = f"figure2-{a.scale}-{a.grid}-{a.trials}t-{stamp}-{os.getpid()}"
    results = Path(a.results).resolve() if a.results else (ROOT / ".ntk-results" / name).resolve()
    out = Path(a.out).resolve() if a.out else REPORTS_ROOT / "runs" / name
    replay = (f"python -m reports figure2 --scale {a.scale} --grid {a.grid} --trials {a.trials} --seed {seed}")
    n_points = sum(len(s.points) for s in F.curve_specs(a.scale, a.grid))
    print(f"Figure 2 — scale {a.scale}, grid {a.grid} ({n_points} points), {a.trials} trials per point, session seed "
          f"{seed}, data N(0, I_d); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    executor = open_executor(a.ntk_scheduler)
    t0 = time.perf_counter()
    try:
        curves = F.run_figure(a.scale, a.grid, a.trials, seed, executor=executor, progress=progress)
    finally:
        if executor is not None:
            executor.close()
    took = time.perf_counter() - t0
    ctx = Context(session_seed=seed, alpha=a.alpha, sink=None, replay=replay, executor=None)
    estimate = F.full_grid_estimate(curves, trials=F.PAPER["trials"], grid="full")
    records = [rec for c in curves for rec in F.record_curve(ctx, c)]
    write_merged(records, results / "records.json")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print()
    print(figure2_text(curves, records))
    print()
    print(f"measured: {took:.0f} s for {sum(c.values.size for c in curves)} trials ({a.scale}, {a.grid}, {a.trials} "
          f"trials/point, scheduler {getattr(executor, 'spec', None) or 'none'}); peak RSS {rss:.0f} MiB; load average "
          f"now {os.getloadavg()[0]:.1f}")
    try:
        from threadpoolctl import threadpool_info

        blas = max([int(p["num_threads"]) for p in threadpool_info() if p.get("user_api") == "blas"] or [1])
    except Exception:  # pragma: no cover - threadpoolctl is a dependency
        blas = 1
    cpu_s = estimate["cpu_seconds"]
    print(f"estimate: the full grid ({len(F.GRIDS['full'])} points per curve) at {estimate['trials']} trials, in-process: "
          f"{_duration(estimate['seconds'])} at the wall times per trial measured here (this run's load); "
          f"{_duration(cpu_s)} of CPU, i.e. about {_duration(cpu_s / blas)} on {blas} idle core(s) "
          f"(per-trial times interpolated in log-log between the measured levels)")
    env = capture_environment(session_seed=seed, alpha=a.alpha * len(records), results_dir=results)  # Bonferroni total
    env["figure2"] = {"scale": a.scale, "grid": a.grid, "trials": a.trials, "seconds": took, "peak_rss_mib": rss,
                      "full_grid_estimate": estimate, "command": replay}
    (results / "environment.json").write_text(json.dumps(env, indent=1, default=str) + "\n", encoding="utf-8")
    report, figures = build_report(records, environment=env, source={"source": str(results / "records.json"),
                                                                     "results_dir": str(results)},
                                   title="ntkverify — Figure 2 of the paper")
    write_report(report, figures, out)
    print()
    _print_paths(out)
    return 1 if any(r.verdict == "refuted" for r in records) else 0


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def figure2_text(curves, records) -> str:
    """Per curve: mean ± sd at every point, then each claim's verdict with its fit."""
    lines = []
    for c in curves:
        lines.append(f"{c.panel:5s}  {c.label}  ({c.trials} trials; x = {'d' if c.panel == 'left' else 'N'})")
        for x, m, sd, t in zip(c.x, c.y, c.yerr, c.seconds.mean(axis=1)):
            lines.append(f"         x = {x:6.0f}   λ_min = {m:12.5g} ± {sd:.3g}   ({t:.2f} s/trial)")
        for r in records:
            if r.scenario == c.scenario():
                lines.append(f"         {r.check}: {r.verdict.upper()} — {r.reason}")
    if any("[-inf, inf]" in r.reason for r in records):
        lines.append("note: an interval [-inf, inf] means too few trials for any exact interval at this alpha (the "
                     "number of orderings of the trials, n!/Π m_i!, is below 2/alpha); the point estimates stand")
    return "\n".join(lines)


def cmd_check(a) -> int:
    """Check a user's conjecture file with the suite's machinery (theorems/conjecture.py) and write its report."""
    import os

    from generators.seeds import DEFAULT_SESSION_SEED
    from theorems.conjecture import check_file
    from theorems.harness import Context
    from theorems.records import RecordSink, merge_records, write_merged

    from .environment import capture_environment
    from .render import build_report, write_report

    seed = DEFAULT_SESSION_SEED if a.seed is None else a.seed
    if not 0 < a.alpha < 1:
        print(f"--alpha must lie in (0, 1), got {a.alpha}", file=sys.stderr)
        return 2
    name = f"check-{Path(a.file).stem}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    results = Path(a.results).resolve() if a.results else (ROOT / ".ntk-results" / name).resolve()
    out = Path(a.out).resolve() if a.out else REPORTS_ROOT / "runs" / name
    replay = f"python -m reports check {a.file} --seed {seed}"
    sink = RecordSink(results, worker_id="main")
    try:
        check_file(Context(session_seed=seed, alpha=a.alpha, sink=sink, replay=replay), a.file)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        sink.close()
    records = merge_records(results, strict=False)
    write_merged(records, results / "records.json")
    for r in records:
        print(f"{r.verdict:<12} {r.statement_id}  [{r.check}]  {r.reason[:120]}")
    env = capture_environment(session_seed=seed, alpha=a.alpha * len(records), results_dir=results)  # Bonferroni total
    report, figures = build_report(records, environment=env, source={"source": str(results / "records.json"),
                                                                     "results_dir": str(results)},
                                   title=f"ntkverify — conjectures of {a.file}")
    write_report(report, figures, out)
    print(f"replay: {replay}")
    _print_paths(out)
    return 1 if any(r.verdict == "refuted" for r in records) else 0


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
    f2 = sub.add_parser("figure2", help="run the paper's Figure 2 (L = 3, mean ± sd) and write its report")
    f2.add_argument("--scale", choices=("paper", "small"), default="paper",
                    help="paper: the paper's sizes (default); small: every size divided by 10")
    f2.add_argument("--grid", choices=("full", "coarse"), default="full",
                    help="full: the paper's step of 100 (17 points per curve); coarse: 400, 1000, 2000")
    f2.add_argument("--trials", type=int, default=50, help="Monte Carlo trials per point (default 50, the paper's)")
    f2.add_argument("--seed", type=int, default=None, help="session seed (default: the suite's fixed seed)")
    f2.add_argument("--alpha", type=float, default=1e-10,
                    help="false-alarm rate per claim (default 1e-10, the suite's: --ntk-alpha 1e-6 over 10^4 assertions)")
    f2.add_argument("--out", default=None, help="report directory (default reports/runs/figure2-<...>/)")
    f2.add_argument("--results", default=None, help="records directory (default .ntk-results/figure2-<...>/)")
    f2.add_argument("--ntk-scheduler", default=None, metavar="SPEC",
                    help="where the trials run: none (default), local:N, tcp://HOST:PORT; default NTK_SCHEDULER")
    f2.set_defaults(fn=cmd_figure2)
    ck = sub.add_parser("check", help="check the conjectures declared in a Python file like the paper's statements")
    ck.add_argument("file", help="a Python file calling theorems.conjecture.conjecture(...) (see examples/)")
    ck.add_argument("--seed", type=int, default=None, help="session seed (default: the suite's fixed seed)")
    ck.add_argument("--alpha", type=float, default=1e-10,
                    help="false-alarm rate per assertion (default 1e-10, the suite's: --ntk-alpha 1e-6 over 10^4)")
    ck.add_argument("--out", default=None, help="report directory (default reports/runs/check-<...>/)")
    ck.set_defaults(fn=cmd_check)
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
