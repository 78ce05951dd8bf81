"""Self-contained HTML rendering of a report document.

One file: inline CSS, figures embedded as ``data:image/png;base64`` URIs, no script, no external
resource (fonts, styles, images), so it reads offline and can be attached to a paper.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

from theorems.stats import CONTROL_VERDICTS

from .render_md import environment_rows, fmt, fmt_implied, fmt_interval, fmt_power, fmt_record_power, scenario_text, side_rows

__all__ = ["render_html"]

CSS = """
:root { --ok:#1a7f37; --bad:#cf222e; --warn:#9a6700; --muted:#57606a; --line:#d0d7de; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #1f2328; line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 0 24px 48px; }
header { background: #0d1117; color: #f0f6fc; padding: 22px 24px 18px; }
header .inner { max-width: 1180px; margin: 0 auto; }
header h1 { margin: 0 0 6px; font-size: 24px; }
header p { margin: 4px 0; color: #c9d1d9; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 12px; }
.card { background: #161b22; border: 1px solid #30363d; border-radius: 8px; padding: 8px 14px; min-width: 118px; }
.card b { display: block; font-size: 22px; color: #f0f6fc; }
.card span { font-size: 12px; color: #8b949e; text-transform: uppercase; letter-spacing: .04em; }
nav { margin: 16px 0 4px; font-size: 14px; }
nav a { margin-right: 14px; color: #0969da; text-decoration: none; }
h2 { border-bottom: 1px solid var(--line); padding-bottom: 6px; margin-top: 34px; font-size: 20px; }
h3 { font-size: 16px; margin: 22px 0 6px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0 14px; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
code.cmd { background: #eef1f4; padding: 2px 6px; border-radius: 4px; display: inline-block; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 12px; font-size: 12px; font-weight: 600; color: #fff; white-space: nowrap; }
.b-verified { background: var(--ok); } .b-refuted { background: var(--bad); } .b-inconclusive { background: var(--warn); }
.b-none { background: #8c959f; } .b-not-refuted { background: #0969da; } .b-detected { background: #116329; }
.b-not-detected { background: var(--bad); } .b-reported { background: #6e7781; }
.headline { font-size: 15px; color: #f0f6fc; margin: 8px 0 2px; }
.warn { color: var(--bad); font-weight: 600; }
.stmt { border: 1px solid var(--line); border-radius: 8px; padding: 4px 16px 6px; margin: 14px 0; }
.stmt h3 { display: flex; gap: 10px; align-items: center; }
.claim { background: var(--bg); border-left: 3px solid #8c959f; padding: 6px 10px; margin: 6px 0; font-size: 14px; }
.meta { color: var(--muted); font-size: 13px; }
.figs { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 18px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 10px; background: #fff; }
figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: 12.5px; color: var(--muted); margin-top: 6px; }
.attn { border-left: 4px solid var(--bad); background: #fff5f5; padding: 8px 12px; margin: 8px 0; border-radius: 4px; }
.attn.inconclusive { border-color: var(--warn); background: #fff8e6; }
details summary { cursor: pointer; color: #0969da; margin: 8px 0; }
.small { font-size: 12px; }
footer { color: var(--muted); font-size: 12px; margin-top: 36px; }
"""


def _e(s) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def _badge(v: str, *, reconstructed: bool = False, versions=()) -> str:
    """A verdict badge; a refutation carries the versions it concerns and "reconstructed" when it rests on
    the suite's reconstruction of a statement."""
    text = v
    if v == "refuted":
        quals = list(versions) + (["reconstructed"] if reconstructed else [])
        if quals:
            text += f" ({', '.join(quals)})"
    return f'<span class="badge b-{_e(str(v).replace(" ", "-"))}">{_e(text)}</span>'


def _stmt_badge(s: Mapping) -> str:
    vers = (s.get("refuted_versions") or []) if len(s.get("verdict_by_version") or {}) > 1 else []
    return _badge(s["verdict"], reconstructed=bool(s.get("reconstructed_refuted")), versions=vers)


def _attn_block(r: Mapping) -> str:
    return (f'<div class="attn {_e(str(r["verdict"]).replace(" ", "-"))}">{_badge(r["verdict"], reconstructed=bool(r.get("reconstructed")))}'
            f'{" <b>planted variant</b>" if r.get("planted") else ""} <b>{_e(r["statement_id"])}</b> '
            f'<code>{_e(r["check"])}</code> <span class="meta">({_e(r.get("role"))}, record <code>{_e(r["record_id"])}</code>)</span>'
            f'<div>{_e(r.get("reason", ""))}</div>'
            f'<div class="small">scenario <code>{_e(scenario_text(r.get("scenario"), 300))}</code></div>'
            f'<div class="small">trials {_e(r.get("trials"))}, successes {_e(r.get("successes"))}, stated probability '
            f'{_e(fmt(r.get("stated_probability")))}, CP interval [{_e(fmt(r.get("ci_low")))}, {_e(fmt(r.get("ci_high")))}], '
            f'worst case <code>{_e(scenario_text(r.get("worst_case"), 240))}</code></div>'
            f'<div class="small">power: {_e(fmt_record_power(r.get("power")))}</div>'
            f'<div>replay: <code class="cmd">{_e(r["replay_command"])}</code></div></div>')


def render_html(report: Mapping, pngs: Mapping[str, bytes]) -> str:
    from .render import controls_text, counts_text, headline, planted_text

    t = report["totals"]
    recs = {r["record_id"]: r for r in report.get("records", [])}
    p: list[str] = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                    '<meta name="viewport" content="width=device-width, initial-scale=1">',
                    f"<title>{_e(report.get('title'))}</title><style>{CSS}</style></head><body>"]
    env = report.get("environment") or {}
    p.append('<header><div class="inner">')
    p.append(f"<h1>{_e(report.get('title'))}</h1>")
    p.append(f'<p class="headline">By paper version — {_e(t.get("headline") or headline(t.get("by_version") or {}))}</p>')
    p.append(f"<p>claims: {_e(counts_text(t))} · {_e(controls_text(t))} · "
             f'{"<span class=warn>" if t.get("planted_refuted", 0) < t.get("planted", 0) else "<span>"}{_e(planted_text(t))}</span>'
             + (f' · <span class="warn">{t["flagged"]} record(s) flagged (verdict not supported by the recorded power)</span>'
                if t.get("flagged") else "") + "</p>")
    p.append("<p>Nguyen, Mondelli &amp; Montúfar, <i>Tight Bounds on the Smallest Eigenvalue of the Neural Tangent Kernel "
             "for Deep ReLU Networks</i> (ICML 2021; arXiv:2012.11654 v5).</p>")
    p.append(f"<p>profile <b>{_e(env.get('profile') or '—')}</b> · session seed(s) "
             f"<b>{_e(', '.join(str(s) for s in report['run'].get('session_seeds') or []))}</b> · generated {_e(report.get('generated'))}</p>")
    failed = ((report.get("run") or {}).get("tests") or {}).get("failed") or []
    if failed:
        p.append(f'<p>{_badge("refuted")} <b>{len(failed)} test(s) failed</b> — the verdicts of this report are '
                 f'incomplete: {_e(", ".join(failed[:10]))}{" …" if len(failed) > 10 else ""}</p>')
    p.append('<div class="cards">')
    can_fail = t["controls_detected"] + t.get("controls_not_detected", 0)
    for label, val in (("statements", t["statements"]), ("checks", t["checks"]), ("verified", t["verified"]),
                       ("not refuted", t.get("not refuted", 0)), ("inconclusive", t["inconclusive"]), ("refuted", t["refuted"]),
                       ("controls detected", f"{t['controls_detected']}/{can_fail}"),
                       ("controls reported", t.get("controls_reported", 0)),
                       ("planted refuted", f"{t.get('planted_refuted', 0)}/{t.get('planted', 0)}"), ("MC trials", t["trials"]),
                       ("check time (s)", fmt(t.get("timing_s"), 3))):
        p.append(f'<div class="card"><b>{_e(val)}</b><span>{_e(label)}</span></div>')
    p.append("</div></div></header><main>")
    p.append('<nav><a href="#attention">Needs attention</a><a href="#summary">Per-statement summary</a>'
             '<a href="#statements">Statements</a><a href="#planted">Planted variants</a><a href="#figures">Figures</a>'
             '<a href="#controls">Negative controls</a><a href="#constants">Named constants</a><a href="#environment">Environment</a>'
             '<a href="#records">All records</a></nav>')
    p.append('<p class="meta">A verdict on an asymptotic statement is a verdict <i>with the named constants</i> listed below. '
             "Probabilistic checks: an exact one-sided binomial (Clopper–Pearson) test of the successes against the stated "
             "probability, trial counts sized in advance from the run's false-alarm rate and the power wanted; <i>verified</i> "
             "means not refuted <b>and</b> that power reached, <i>not refuted</i> means not refuted with less power (the record "
             "says what it could detect). Controls say <i>detected</i> only when they could fail; <i>reported</i> ones assert "
             "nothing. Every trial replays from its seeds; refuted, inconclusive and not-detected records carry the command "
             "that replays exactly that scenario.</p>")

    # attention
    att = report.get("attention") or []
    p.append('<h2 id="attention">Needs attention</h2>')
    if not att:
        p.append("<p>Nothing refuted, inconclusive or not detected; every planted false variant was refuted.</p>")
    for a in att:
        r = recs.get(a["record_id"])
        if r:
            p.append(_attn_block(r))

    # per-statement summary: verdict, power, tightest implied constant and slack, named constant and provenance
    p.append('<h2 id="summary">Per-statement summary</h2>')
    p.append('<p class="meta">Power: the smallest effect each check detects with the planned probability (failure rate for '
             "binomial checks, slope deviation for fits, factor for spreads), over the statement's checks, and how many reached "
             "it. Tightest implied constant: the smallest (lower bound) or largest (upper bound) measured quantity / bound scale "
             "seen. Slack: how far it is from the named constant (≥ 1 when the bound held: min implied / c for a lower bound, "
             "C / max implied for an upper bound).</p>")
    p.append('<table id="statement-summary"><tr><th>statement</th><th>verdict</th><th>power</th><th>side</th>'
             '<th>tightest implied constant</th><th>named constant</th><th class="num">slack</th><th>provenance</th></tr>')
    for s in report["statements"]:
        rows = side_rows(s)
        for i, row in enumerate(rows):
            head = ""
            if i == 0:
                span = f' rowspan="{len(rows)}"' if len(rows) > 1 else ""
                head = (f'<td{span}><a href="#st-{_e(_anchor(s["id"]))}">{_e(s["id"])}</a></td><td{span}>{_stmt_badge(s)}</td>'
                        f'<td{span} class="small">{_e(fmt_power(s.get("power")))}</td>')
            p.append(f'<tr>{head}<td>{_e(row["side"])}</td><td>{_e(row["implied"])}</td><td><code>{_e(row["named"])}</code></td>'
                     f'<td class="num">{_e(row["slack"])}</td><td class="small">{_e(row["provenance"])}</td></tr>')
    p.append("</table>")

    # statements
    p.append('<h2 id="statements">Statements</h2>')
    p.append('<table><tr><th>statement</th><th>title</th><th>kind</th><th>version</th><th>verdict</th><th class="num">checks</th>'
             '<th class="num">verified</th><th class="num">not refuted</th><th class="num">inconclusive</th><th class="num">refuted</th></tr>')
    for s in report["statements"]:
        c = s["counts"]
        p.append(f'<tr><td><a href="#st-{_e(_anchor(s["id"]))}">{_e(s["id"])}</a></td><td>{_e(s.get("title"))}</td><td>{_e(s.get("kind"))}</td>'
                 f'<td>{_e(s.get("paper_version"))}</td><td>{_stmt_badge(s)}{_by_version(s)}</td><td class="num">{len(s["checks"])}</td>'
                 f'<td class="num">{c["verified"]}</td><td class="num">{c.get("not refuted", 0)}</td><td class="num">{c["inconclusive"]}</td>'
                 f'<td class="num">{c["refuted"]}</td></tr>')
    p.append("</table>")
    if report.get("not_run"):
        p.append(f'<p class="meta">Registered but without records in this run: {_e(", ".join(report["not_run"]))}.</p>')
    for s in report["statements"]:
        p.append(f'<div class="stmt" id="st-{_e(_anchor(s["id"]))}"><h3>{_e(s["id"])} — {_e(s.get("title") or "")} {_stmt_badge(s)}</h3>'
                 + _by_version(s))
        if s.get("claim"):
            p.append(f'<div class="claim">{_e(s["claim"])}</div>')
        p.append(f'<div class="meta">kind {_e(s.get("kind") or "—")} · paper version {_e(s.get("paper_version") or "—")} · '
                 f'section {_e(s.get("section") or "—")} · claims {_e(counts_text(s["counts"]))} · power {_e(fmt_power(s.get("power")))}'
                 f'{(" · " + _e(s["notes"])) if s.get("notes") else ""}</div>')
        p.append('<table><tr><th>check</th><th>verdict</th><th class="num">scenarios</th><th class="num">trials</th><th>power</th>'
                 "<th>worst CP interval vs stated probability</th><th>implied constant [min, max]</th><th class=\"num\">min slack</th>"
                 '<th class="num">time (s)</th><th>replay (refuted / inconclusive)</th></tr>')
        for c in s["checks"]:
            bad = [recs[i] for i in c["records"] if i in recs and recs[i]["needs_replay"]]
            replay = "<br>".join(f'<code class="cmd">{_e(r["replay_command"])}</code>' for r in bad[:3])
            if len(bad) > 3:
                replay += f"<br>… {len(bad) - 3} more (see Needs attention)"
            p.append(f'<tr><td><code>{_e(c["check"])}</code><div class="meta small">{_e(", ".join(c["roles"]))}; '
                     f'{_e(", ".join(c["paper_versions"]))}</div></td><td>{_badge(c["verdict"], reconstructed=bool(c.get("reconstructed")))}</td>'
                     f'<td class="num">{c["scenarios"]}</td><td class="num">{c["trials"]}</td><td class="small">{_e(fmt_power(c.get("power")))}</td>'
                     f'<td>{_e(fmt_interval(c))}</td>'
                     f'<td>{_e(fmt_implied(c))}</td><td class="num">{_e(fmt(c.get("min_slack"), 3))}</td>'
                     f'<td class="num">{_e(fmt(c.get("timing_s"), 3))}</td><td>{replay or "—"}</td></tr>')
        p.append("</table></div>")

    # planted false variants
    planted = report.get("planted") or []
    p.append('<h2 id="planted">Planted false variants</h2>')
    if not planted:
        p.append("<p>No planted false variant in this run.</p>")
    else:
        p.append(f'<p>{_e(planted_text(t))}. <span class="meta">A planted variant is a statement made false on purpose (a meta '
                 "test of the suite's power, not a claim about the paper); one that is not refuted is a warning that its check "
                 "lacks power.</span></p>")
        p.append("<table><tr><th>statement</th><th>check</th><th>variant</th><th>verdict</th><th>power</th><th>replay</th></tr>")
        for pv in planted:
            v = _badge(pv["verdict"]) + ("" if pv["verdict"] == "refuted" else ' <span class="warn">WARNING: not refuted</span>')
            p.append(f'<tr><td>{_e(pv["statement_id"])}</td><td><code>{_e(pv["check"])}</code></td><td>{_e(pv["label"])}</td>'
                     f'<td>{v}</td><td class="small">{_e(fmt_record_power(pv.get("power")))}</td>'
                     f'<td><code class="cmd">{_e(pv["replay_command"])}</code></td></tr>')
        p.append("</table>")
    flagged = report.get("flagged") or []
    if flagged:
        p.append('<h3 id="consistency">Consistency</h3><p class="warn">Records whose verdict the recorded power does not support '
                 "(this should not happen):</p><ul>")
        for f in flagged:
            p.append(f'<li>{_e(f["statement_id"])} <code>{_e(f["check"])}</code> (record <code>{_e(f["record_id"])}</code>): '
                     f'shown as {_badge(f["verdict"])}; {_e("; ".join(f["flags"]))}</li>')
        p.append("</ul>")

    # figures
    p.append('<h2 id="figures">Figures</h2>')
    figs = report.get("figures") or []
    if not figs:
        p.append("<p>No figure: the run recorded no sweep, implied constant, proof-step slack or Lipschitz estimate.</p>")
    p.append('<div class="figs">')
    for f in figs:
        png = pngs.get(f["id"])
        if png is None:
            continue
        b64 = base64.b64encode(png).decode("ascii")
        p.append(f'<figure id="fig-{_e(f["id"])}" data-kind="{_e(f["kind"])}"><img alt="{_e(f["title"])}" src="data:image/png;base64,{b64}">'
                 f'<figcaption><b>{_e(f["title"])}.</b> {_e(f["caption"])}</figcaption></figure>')
    p.append("</div>")

    # controls
    p.append('<h2 id="controls">Negative controls</h2>')
    p.append(f'<p>{_e(controls_text(t))}. <span class="meta">Each control drops one hypothesis; one that can fail says '
             "detected / not detected; a reported one asserts nothing and is not counted. They are not evidence about the "
             "paper's claims.</span></p>")
    ctrl = [recs[i] for i in report.get("controls", []) if i in recs]
    if not ctrl:
        p.append("<p>No negative control in this run.</p>")
    else:
        p.append("<table><tr><th>statement</th><th>control</th><th>hypothesis violated</th><th>outcome</th><th>power</th>"
                 "<th>evidence</th></tr>")
        for r in sorted(ctrl, key=lambda r: r["verdict"] == "reported"):
            p.append(f'<tr><td>{_e(r["statement_id"])}</td><td><code>{_e(r["check"])}</code></td>'
                     f'<td>{_e(r["measured"].get("hypothesis_violated"))}</td><td>{_badge(r["verdict"])}'
                     f'{"" if r["verdict"] in CONTROL_VERDICTS else " (not counted)"}</td>'
                     f'<td class="small">{_e(fmt_record_power(r.get("power")))}</td><td>{_e(r.get("reason"))}</td></tr>')
        p.append("</table>")

    # constants
    p.append('<h2 id="constants">Named constants</h2>')
    p.append('<p class="meta">Every hidden constant (Ω, O, Θ, “sufficiently large”) the checks assume, with its provenance '
             "(derived from the proof chain, a convention delimiting the regime, or calibrated).</p>")
    p.append('<table><tr><th>name</th><th class="num">value</th><th>statement</th><th>origin</th><th>meaning</th><th>provenance</th></tr>')
    for c in report.get("constants", []):
        p.append(f'<tr><td><code>{_e(c["name"])}</code></td><td class="num">{_e(fmt(c["value"], 6))}</td><td>{_e(c["statement"])}</td>'
                 f'<td>{_e(c["origin"])}</td><td>{_e(c["meaning"])}</td><td class="small">{_e(c["provenance"])}</td></tr>')
    p.append("</table>")

    # environment
    p.append('<h2 id="environment">Environment</h2><table>')
    for k, v in environment_rows(report):
        p.append(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>")
    p.append("</table>")

    # all records
    p.append(f'<h2 id="records">All records</h2><details><summary>{len(recs)} records (scenario, seeds, trials, interval)</summary>')
    p.append('<table class="small"><tr><th>record</th><th>statement</th><th>check</th><th>verdict</th><th>power</th><th>scenario</th>'
             '<th class="num">trials</th><th class="num">succ.</th><th>CP interval</th><th class="num">stated</th><th class="num">time (s)</th></tr>')
    for r in report.get("records", []):
        ci = f'[{fmt(r.get("ci_low"))}, {fmt(r.get("ci_high"))}]' if r.get("ci_low") is not None else "—"
        p.append(f'<tr><td class="mono">{_e(r["record_id"])}</td><td>{_e(r["statement_id"])}</td><td><code>{_e(r["check"])}</code></td>'
                 f'<td>{_badge(r["verdict"], reconstructed=bool(r.get("reconstructed")))}</td>'
                 f'<td>{_e(_power_cell(r.get("power")))}</td><td class="mono">{_e(scenario_text(r.get("scenario"), 140))}</td>'
                 f'<td class="num">{_e(r.get("trials"))}</td><td class="num">{_e(r.get("successes"))}</td><td>{_e(ci)}</td>'
                 f'<td class="num">{_e(fmt(r.get("stated_probability")))}</td><td class="num">{_e(fmt(r.get("timing_s"), 3))}</td></tr>')
    p.append("</table></details>")
    p.append(f'<footer>schema {_e(report.get("schema"))} · records from {_e(report["run"].get("source") or "—")} · '
             f'figures rendered in {_e(report["run"].get("figure_render_s"))} s · re-render: '
             f'<code>python -m reports render report.json</code></footer>')
    p.append("</main></body></html>")
    return "\n".join(p)


def _power_cell(p: Mapping | None) -> str:
    if not p:
        return "exact"
    from .render_md import _det

    reached = p.get("reached")
    return f"{_det(p.get('detectable'))} ({'reached' if reached is True else 'short' if reached is False else '?'})"


def _by_version(s: Mapping) -> str:
    byv = s.get("verdict_by_version") or {}
    if len(byv) <= 1:
        return ""
    rec = {k: bool((c or {}).get("reconstructed_refuted")) for k, c in (s.get("by_version") or {}).items()}
    return '<div class="small">' + " ".join(f"{_e(k)}: {_badge(v, reconstructed=rec.get(k, False))}" for k, v in byv.items()) + "</div>"


def _anchor(s: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in s).strip("-").lower()
