"""Markdown rendering of a report document (figures as relative PNG files ``figures/<id>.png``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .figures import numeric

__all__ = ["render_markdown", "fmt", "fmt_interval", "fmt_implied", "scenario_text", "environment_rows"]

BADGE = {"verified": "✅ verified", "refuted": "❌ refuted", "inconclusive": "⚠️ inconclusive", "none": "— none"}


def fmt(v: Any, digits: int = 4) -> str:
    """Compact number formatting; ``—`` for missing."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    x = numeric(v)
    if x is None:
        return str(v)
    if isinstance(v, int) or (float(x).is_integer() and abs(x) < 1e9 and not isinstance(v, float)):
        return str(int(x))
    return f"{x:.{digits}g}"


def fmt_interval(agg: Mapping | None) -> str:
    w = (agg or {}).get("worst_interval")
    if not w:
        return "—"
    return f"[{fmt(w.get('ci_low'))}, {fmt(w.get('ci_high'))}] vs {fmt(w.get('stated_probability'))}"


def fmt_implied(agg: Mapping | None) -> str:
    r = (agg or {}).get("implied_range")
    if not r:
        return "—"
    return f"[{fmt(r.get('min'))}, {fmt(r.get('max'))}] (median {fmt(r.get('median_of_medians'))})"


def scenario_text(s: Any, limit: int = 160) -> str:
    t = json.dumps(s, ensure_ascii=False, separators=(", ", ": "))
    return t if len(t) <= limit else t[: limit - 1] + "…"


def environment_rows(report: Mapping) -> list[tuple[str, str]]:
    env = report.get("environment") or {}
    run = report.get("run") or {}
    vers = env.get("versions") or {}
    blas = env.get("blas") or []
    blas_s = "; ".join(
        f"{b.get('internal_api', b.get('user_api', '?'))} {b.get('version') or ''} ({b.get('num_threads', '?')} threads)".strip()
        for b in blas if isinstance(b, Mapping)) or "—"
    rows = [
        ("profile", str(env.get("profile") or run.get("profile") or "—")),
        ("session seed(s)", ", ".join(str(s) for s in run.get("session_seeds") or []) or "—"),
        ("python", f"{env.get('python', '—')} ({env.get('implementation', '')})"),
        ("platform", str(env.get("platform", "—"))),
        ("cores", f"{env.get('cores', '—')} (available {env.get('cores_available', '—')}), xdist workers {env.get('xdist_workers') or '—'}"),
        ("BLAS", blas_s),
        ("versions", ", ".join(f"{k} {v}" for k, v in vers.items()) or "—"),
        ("git commit", str(env.get("git_commit") or "—")),
        ("total false-alarm rate", fmt(env.get("total_alpha"))),
        ("records from", str(run.get("source") or run.get("results_dir") or "—")),
        ("generated", str(report.get("generated", "—"))),
    ]
    if env.get("captured_at_render"):
        rows.append(("note", "environment captured when rendering (the run stored none)"))
    return rows


def _esc(s: Any) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Mapping) -> str:
    t = report["totals"]
    out: list[str] = [f"# {report.get('title', 'Verification report')}", ""]
    failed = ((report.get("run") or {}).get("tests") or {}).get("failed") or []
    if failed:
        out.append(f"**{len(failed)} test(s) FAILED — the verdicts below are incomplete:** "
                   + ", ".join(f"`{f}`" for f in failed[:10]) + (" …" if len(failed) > 10 else ""))
        out.append("")
    byv = ", ".join(f"{v}: {BADGE.get(x, x)}" for v, x in (t.get("overall_by_version") or {}).items())
    out.append(f"**Overall: {BADGE.get(t['overall'], t['overall'])}**{' (' + byv + ')' if byv else ''} — {t['statements']} statements, {t['checks']} checks, "
               f"{t['records']} records, {t['trials']} Monte Carlo trials; verified {t['verified']}, refuted {t['refuted']}, "
               f"inconclusive {t['inconclusive']}; negative controls detected {t['controls_detected']}/{t['controls']}.")
    out.append("")
    out.append("A verdict on an asymptotic statement is a verdict *with the named constants listed below*. "
               "Probabilistic checks are judged by an exact one-sided binomial (Clopper–Pearson) test against the "
               "stated probability; every trial replays from its seeds.")
    out += ["", "## Environment", "", "| | |", "|---|---|"]
    out += [f"| {k} | {_esc(v)} |" for k, v in environment_rows(report)]

    att = report.get("attention") or []
    out += ["", "## Needs attention", ""]
    if not att:
        out.append("Nothing refuted or inconclusive.")
    else:
        for a in att:
            out.append(f"* **{a['verdict']}** {a['statement_id']} `{a['check']}` ({a['role']}): {_esc(a.get('reason', ''))}  ")
            out.append(f"  replay: `{a['replay_command']}`")

    out += ["", "## Statements", ""]
    for s in report["statements"]:
        out.append(f"### {s['id']} — {s.get('title') or ''}  {BADGE.get(s['verdict'], s['verdict'])}")
        out.append("")
        if s.get("claim"):
            out.append(f"> {s['claim']}")
            out.append("")
        byv = s.get("verdict_by_version") or {}
        if len(byv) > 1:
            out.append("Verdict by paper version: " + ", ".join(f"{k}: {BADGE.get(v, v)}" for k, v in byv.items()) + ".")
            out.append("")
        out.append(f"Kind: {s.get('kind') or '—'}; paper version: {s.get('paper_version') or '—'}; section {s.get('section') or '—'}."
                   + (f" Notes: {s['notes']}" if s.get("notes") else ""))
        out += ["", "| check | verdict | scenarios | trials | worst CP interval vs stated | implied constant | min slack | time (s) |",
                "|---|---|---:|---:|---|---|---:|---:|"]
        for c in s["checks"]:
            out.append(f"| {_esc(c['check'])} | {BADGE.get(c['verdict'], c['verdict'])} | {c['scenarios']} | {c['trials']} | "
                       f"{fmt_interval(c)} | {fmt_implied(c)} | {fmt(c.get('min_slack'), 3)} | {fmt(c.get('timing_s'), 3)} |")
        out.append("")

    figs = report.get("figures") or []
    out += ["## Figures", ""]
    if not figs:
        out.append("No figure: the run recorded no sweep, implied constant, proof-step slack or Lipschitz estimate.")
    for f in figs:
        out += [f"### {f['title']}", "", f"![{f['title']}]({f['file']})", "", f"*{f['caption']}*", ""]

    recs = {r["record_id"]: r for r in report.get("records", [])}
    ctrl = [recs[i] for i in report.get("controls", []) if i in recs]
    out += ["## Negative controls", ""]
    if not ctrl:
        out.append("No negative control in this run.")
    else:
        out += ["| statement | control | hypothesis violated | detected | evidence |", "|---|---|---|---|---|"]
        for r in ctrl:
            out.append(f"| {r['statement_id']} | {_esc(r['check'])} | {_esc(r['measured'].get('hypothesis_violated'))} | "
                       f"{'yes' if r['verdict'] == 'verified' else 'NO (' + r['verdict'] + ')'} | {_esc(r.get('reason', ''))} |")

    att_recs = [recs[a["record_id"]] for a in att if a["record_id"] in recs]
    if att_recs:
        out += ["", "## Evidence of refuted and inconclusive checks", ""]
        for r in att_recs:
            out += [f"### {r['statement_id']} `{r['check']}` — {r['verdict']} (record `{r['record_id']}`)", "",
                    f"* scenario: `{scenario_text(r.get('scenario'), 400)}`",
                    f"* session seed {r.get('session_seed')}; trial seeds `{scenario_text(r.get('trial_seeds'), 200)}`",
                    f"* trials {r.get('trials')}, successes {r.get('successes')}, stated probability {fmt(r.get('stated_probability'))}, "
                    f"CP interval [{fmt(r.get('ci_low'))}, {fmt(r.get('ci_high'))}], p-value {fmt(r.get('p_value'))}",
                    f"* reason: {r.get('reason', '')}",
                    f"* worst case: `{scenario_text(r.get('worst_case'), 400)}`",
                    f"* replay: `{r['replay_command']}`" + (f"  (test: `{r['replay']}`)" if r.get("replay") else ""), ""]

    out += ["", "## Named constants", "",
            "Every hidden constant (Ω, O, Θ, 'sufficiently large') the checks assume, with its provenance.", "",
            "| name | value | statement | origin | meaning | provenance |", "|---|---:|---|---|---|---|"]
    for c in report.get("constants", []):
        out.append(f"| `{c['name']}` | {fmt(c['value'], 6)} | {c['statement']} | {c['origin']} | {_esc(c['meaning'])} | {_esc(c['provenance'])} |")
    if report.get("not_run"):
        out += ["", f"Registered statements without records in this run: {', '.join(report['not_run'])}."]
    out += ["", f"All {t['records']} records, with seeds, are in `report.json` (schema `{report.get('schema')}`)."
            " Re-render without re-running: `python -m reports render report.json`.", ""]
    return "\n".join(out)
