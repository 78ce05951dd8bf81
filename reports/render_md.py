"""Markdown rendering of a report document (figures as relative PNG files ``figures/<id>.png``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .figures import numeric

__all__ = ["render_markdown", "fmt", "fmt_interval", "fmt_implied", "fmt_power", "fmt_record_power", "badge", "side_rows",
           "scenario_text", "environment_rows", "BADGE"]

BADGE = {"verified": "✅ verified", "not refuted": "🔷 not refuted", "inconclusive": "⚠️ inconclusive", "refuted": "❌ refuted",
         "detected": "🔍 detected", "not detected": "❗ not detected", "reported": "📝 reported", "none": "— none"}


def badge(verdict: str, *, reconstructed: bool = False, versions=()) -> str:
    """The Markdown badge of a verdict; a refutation carries the versions it concerns and "reconstructed"
    when it rests on the suite's reconstruction of a statement."""
    b = BADGE.get(verdict, verdict)
    if verdict == "refuted":
        quals = list(versions) + (["reconstructed"] if reconstructed else [])
        if quals:
            b += f" ({', '.join(quals)})"
    return b


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


def _det(v: Any) -> str:
    x = numeric(v)
    if x is None:
        return "—"
    return "∞" if x >= 1e299 else fmt(x, 3)


def fmt_power(ps: Mapping | None) -> str:
    """A power summary (``_power_summary``): per kind, the range of the smallest effect each check detects,
    and how many reached the power they planned for; ``exact`` for deterministic checks."""
    if not ps or not ps.get("records"):
        return "exact" if ps and ps.get("exact") else "—"
    parts = []
    for kind, g in (ps.get("by_kind") or {}).items():
        lo, hi = g.get("detectable_min"), g.get("detectable_max")
        rng = _det(lo) if lo == hi else f"{_det(lo)}–{_det(hi)}"
        parts.append(f"{kind} {rng}")
    return f"{'; '.join(parts)} (reached {ps['reached']}/{ps['records']})"


def fmt_record_power(p: Mapping | None) -> str:
    """One record's power: what it detects and whether the planned power was reached."""
    if not p:
        return "— (exact)"
    reached = p.get("reached")
    word = "reached" if reached is True else ("NOT reached" if reached is False else "reached: not stated")
    tgt = f", target {_det(p.get('target'))}" if p.get("target") is not None else ""
    return f"detectable {_det(p.get('detectable'))}{tgt}; {word} — {p.get('alternative', '')}"


def side_rows(s: Mapping) -> list[dict]:
    """The rows of the per-statement table for statement ``s``: one per bound side with an implied
    constant or a named constant, or one empty row."""
    rows = []
    for side in s.get("sides") or []:
        c = side.get("named_constant") or {}
        rows.append({
            "side": side["side"],
            "implied": ("—" if side.get("tightest_implied") is None else
                        f"{'min' if side['side'] == 'lower' else 'max'} {fmt(side['tightest_implied'])} ({side.get('records', 0)} records)"
                        + ("" if side.get("supported_constant") is None else
                           f"; {'5%' if side['side'] == 'lower' else '95%'} quantile {'≥' if side['side'] == 'lower' else '≤'} "
                           f"{fmt(side['supported_constant'])} (95% conf.)")),
            "named": f"{c['name']} = {fmt(c['value'], 6)} ({c['origin']})" if c else "— (no single named constant)",
            "slack": "—" if side.get("slack") is None else f"×{fmt(side['slack'], 3)}" + ("" if side.get("holds") else " (violated)"),
            "provenance": c.get("provenance", "") if c else "",
        })
    if not rows:
        rows.append({"side": "—", "implied": "—", "named": "—", "slack": "—", "provenance": ""})
    return rows


def _short(text: str, n: int = 160) -> str:
    text = str(text or "")
    return text if len(text) <= n else text[: n - 1] + "…"


def _esc(s: Any) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _control_badge(verdict: str) -> str:
    """A control's outcome; a claim verdict on a control (records older than the control vocabulary) is
    shown as such and not counted."""
    from theorems.stats import CONTROL_VERDICTS

    return BADGE[verdict] if verdict in CONTROL_VERDICTS else f"{verdict} (not counted)"


def _stmt_badge(s: Mapping) -> str:
    vers = (s.get("refuted_versions") or []) if len(s.get("verdict_by_version") or {}) > 1 else []
    return badge(s["verdict"], reconstructed=bool(s.get("reconstructed_refuted")), versions=vers)


def render_markdown(report: Mapping) -> str:
    from .render import controls_text, counts_text, headline, planted_text

    t = report["totals"]
    out: list[str] = [f"# {report.get('title', 'Verification report')}", ""]
    failed = ((report.get("run") or {}).get("tests") or {}).get("failed") or []
    if failed:
        out.append(f"**{len(failed)} test(s) FAILED — the verdicts below are incomplete:** "
                   + ", ".join(f"`{f}`" for f in failed[:10]) + (" …" if len(failed) > 10 else ""))
        out.append("")
    out.append(f"**By paper version — {t.get('headline') or headline(t.get('by_version') or {})}.**")
    out.append("")
    out.append(f"{t['statements']} statements, {t['checks']} checks, {t['records']} records, {t['trials']} Monte Carlo trials; "
               f"claims: {counts_text(t)}; {controls_text(t)}; {planted_text(t)}; "
               f"power reached by {t.get('power_reached', 0)} of the {t.get('power_stated', 0)} claim records that state one.")
    if t.get("flagged"):
        out += ["", f"**{t['flagged']} record(s) flagged** (see *Consistency*): a verdict the recorded power does not support "
                "is shown as *not refuted*."]
    out.append("")
    out.append("A verdict on an asymptotic statement is a verdict *with the named constants listed below*. "
               "Probabilistic checks are judged by an exact one-sided binomial test against the stated probability, with "
               "trial counts sized before sampling for power; *verified* means not refuted **and** the planned power was "
               "reached, *not refuted* means not refuted with less power (the record says what it could detect). "
               "Controls say *detected* only when they could fail; *reported* ones assert nothing. "
               "Every trial replays from its seeds.")
    out += ["", "## Environment", "", "| | |", "|---|---|"]
    out += [f"| {k} | {_esc(v)} |" for k, v in environment_rows(report)]

    att = report.get("attention") or []
    out += ["", "## Needs attention", ""]
    if not att:
        out.append("Nothing refuted, inconclusive or not detected; every planted false variant was refuted.")
    else:
        for a in att:
            what = (f"planted variant {a['verdict']}" if a.get("planted") else
                    badge(a["verdict"], reconstructed=bool(a.get("reconstructed"))))
            out.append(f"* **{what}** {a['statement_id']} `{a['check']}` ({a['role']}): {_esc(a.get('reason', ''))}  ")
            out.append(f"  replay: `{a['replay_command']}`")

    out += ["", "## Per-statement summary", "",
            "Power: the smallest effect each check detects with the planned probability (failure rate for binomial "
            "checks, slope deviation for fits, factor for spreads), over the statement's checks, and how many reached "
            "it. Tightest implied constant: the smallest (lower bound) or largest (upper bound) measured quantity / "
            "bound scale seen. Slack: how far it is from the named constant (≥ 1 when the bound held: min implied / c "
            "for a lower bound, C / max implied for an upper bound).", "",
            "| statement | verdict | power | side | tightest implied constant | named constant | slack | provenance |",
            "|---|---|---|---|---|---|---:|---|"]
    for s in report["statements"]:
        for i, row in enumerate(side_rows(s)):
            head = (f"{s['id']} | {_stmt_badge(s)} | {_esc(fmt_power(s.get('power')))}" if i == 0 else " | | ")
            out.append(f"| {head} | {row['side']} | {_esc(row['implied'])} | {_esc(row['named'])} | {row['slack']} | "
                       f"{_esc(_short(row['provenance']))} |")

    out += ["", "## Statements", ""]
    for s in report["statements"]:
        out.append(f"### {s['id']} — {s.get('title') or ''}  {_stmt_badge(s)}")
        out.append("")
        if s.get("claim"):
            out.append(f"> {s['claim']}")
            out.append("")
        byv = s.get("verdict_by_version") or {}
        if len(byv) > 1:
            out.append("Verdict by paper version: " + ", ".join(
                f"{k}: {badge(v, reconstructed=bool(((s.get('by_version') or {}).get(k) or {}).get('reconstructed_refuted')))}"
                for k, v in byv.items()) + ".")
            out.append("")
        out.append(f"Kind: {s.get('kind') or '—'}; paper version: {s.get('paper_version') or '—'}; section {s.get('section') or '—'}; "
                   f"claims {counts_text(s['counts'])}; power {fmt_power(s.get('power'))}."
                   + (f" Notes: {s['notes']}" if s.get("notes") else ""))
        out += ["", "| check | verdict | scenarios | trials | power | worst CP interval vs stated | implied constant | min slack | time (s) |",
                "|---|---|---:|---:|---|---|---|---:|---:|"]
        for c in s["checks"]:
            out.append(f"| {_esc(c['check'])} | {badge(c['verdict'], reconstructed=bool(c.get('reconstructed')))} | {c['scenarios']} | "
                       f"{c['trials']} | {_esc(fmt_power(c.get('power')))} | {fmt_interval(c)} | {fmt_implied(c)} | "
                       f"{fmt(c.get('min_slack'), 3)} | {fmt(c.get('timing_s'), 3)} |")
        out.append("")

    planted = report.get("planted") or []
    out += ["## Planted false variants", ""]
    if not planted:
        out.append("No planted false variant in this run.")
    else:
        out += [f"{planted_text(t)}. A planted variant is a statement made false on purpose (a meta test of the suite's power, "
                "not a claim about the paper); one that is *not* refuted is a warning that its check lacks power.", "",
                "| statement | check | variant | verdict | power | replay |", "|---|---|---|---|---|---|"]
        for pv in planted:
            v = BADGE.get(pv["verdict"], pv["verdict"]) if pv["verdict"] == "refuted" else f"**WARNING: {pv['verdict']}**"
            out.append(f"| {pv['statement_id']} | {_esc(pv['check'])} | {_esc(pv['label'])} | {v} | "
                       f"{_esc(fmt_record_power(pv.get('power')))} | `{pv['replay_command']}` |")
    out.append("")

    flagged = report.get("flagged") or []
    if flagged:
        out += ["## Consistency", "", "Records whose verdict the recorded power does not support (this should not happen):", ""]
        for f in flagged:
            out.append(f"* {f['statement_id']} `{f['check']}` (record `{f['record_id']}`): shown as {f['verdict']}; "
                       + "; ".join(_esc(x) for x in f["flags"]))
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
        out += [f"{controls_text(t)}. Controls that can fail say *detected* / *not detected*; *reported* ones assert "
                "nothing and are not counted.", "",
                "| statement | control | hypothesis violated | outcome | power | evidence |", "|---|---|---|---|---|---|"]
        for r in sorted(ctrl, key=lambda r: r["verdict"] == "reported"):
            out.append(f"| {r['statement_id']} | {_esc(r['check'])} | {_esc(r['measured'].get('hypothesis_violated'))} | "
                       f"{_control_badge(r['verdict'])} | {_esc(fmt_record_power(r.get('power')))} | "
                       f"{_esc(r.get('reason', ''))} |")

    att_recs = [recs[a["record_id"]] for a in att if a["record_id"] in recs]
    if att_recs:
        out += ["", "## Evidence of the records that need attention", ""]
        for r in att_recs:
            out += [f"### {r['statement_id']} `{r['check']}` — {badge(r['verdict'], reconstructed=bool(r.get('reconstructed')))} "
                    f"(record `{r['record_id']}`)", "",
                    f"* scenario: `{scenario_text(r.get('scenario'), 400)}`",
                    f"* session seed {r.get('session_seed')}; trial seeds `{scenario_text(r.get('trial_seeds'), 200)}`",
                    f"* trials {r.get('trials')}, successes {r.get('successes')}, stated probability {fmt(r.get('stated_probability'))}, "
                    f"CP interval [{fmt(r.get('ci_low'))}, {fmt(r.get('ci_high'))}], p-value {fmt(r.get('p_value'))}",
                    f"* power: {fmt_record_power(r.get('power'))}",
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
