"""Figures of a verification report (matplotlib, Agg canvas, no pyplot state).

Generic over statements and checks; every function takes the report's record dicts (as written in
``report.json``) and returns :class:`Figure` objects holding PNG bytes. Nothing here fails on a record
with missing or odd fields: such a record is skipped (and the figure says how many were).

* :func:`figure2_figures` — the paper's Figure 2 as the paper draws it: two panels (λ_min against ``d``,
  against ``N``), linear axes, the mean over the trials as a line and a ±1 sd band, the Theil–Sen affine fit.
* :func:`sweep_figures` — every other record whose ``measured`` holds lists ``x`` and ``y`` (a scaling
  sweep): log-log with the fitted slope (and the recorded slope with its interval).
* :func:`implied_constant_figures` — per statement, the spread of implied constants per check, drawn
  from the recorded summaries (min, q05, median, q95, max).
* :func:`slack_figures` — per statement, the proof-chain slack of every ``step-*`` record.
* :func:`lipschitz_figures` — records measuring ``estimate``, ``bound`` and ``naive`` (Thm 6.2).
"""

from __future__ import annotations

import io
import math
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Figure", "all_figures", "figure2_figures", "is_figure2", "sweep_figures", "implied_constant_figures", "slack_figures", "lipschitz_figures",
           "is_sweep", "numeric"]

DPI = 96
_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]


@dataclass
class Figure:
    """One rendered figure: a stable ``id`` (used as file name), title, caption, PNG bytes."""

    id: str
    title: str
    caption: str
    kind: str
    statement_id: str | None
    png: bytes
    records: list[str] = field(default_factory=list)

    def meta(self, file: str) -> dict:
        return {"id": self.id, "title": self.title, "caption": self.caption, "kind": self.kind,
                "statement_id": self.statement_id, "file": file, "records": list(self.records)}


# ------------------------------------------------------------------------------------------ helpers
def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return s or "figure"


def numeric(v: Any, prefer: str = "mean") -> float | None:
    """A finite float from a number, a numeric string, or a ``{"mean","min","max"}`` aggregate."""
    if isinstance(v, Mapping):
        for key in (prefer, "mean", "median", "value", "max", "min"):
            if key in v:
                return numeric(v[key])
        return None
    if isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _new(width=6.4, height=4.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def is_sweep(rec: Mapping) -> bool:
    m = rec.get("measured") or {}
    return isinstance(m, Mapping) and isinstance(m.get("x"), list) and isinstance(m.get("y"), list) and len(m["x"]) > 0


def _short_scenario(scenario: Mapping, skip: Sequence[str] = ()) -> str:
    parts = []
    for k, v in (scenario or {}).items():
        if k in skip or isinstance(v, (list, dict)):
            if isinstance(v, dict) and "name" in v and k not in skip:
                parts.append(f"{k}={v['name']}")
            continue
        parts.append(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}")
    return ", ".join(parts[:5])


def _swept_key(rec: Mapping, x: list) -> str | None:
    for k, v in (rec.get("scenario") or {}).items():
        if isinstance(v, list) and len(v) == len(x) and all(numeric(a) == numeric(b) for a, b in zip(v, x)):
            return k
    return None


def _sweep_series(rec: Mapping):
    """``[(label, x, y, yerr)]`` of a sweep record (``y`` may be a list of series), or ``[]``."""
    m = rec["measured"]
    x = [numeric(v) for v in m["x"]]
    if any(v is None for v in x):
        return []
    ys = m["y"]
    series_labels = m.get("series") or m.get("labels")
    if ys and all(isinstance(v, list) for v in ys):
        out = []
        for i, y in enumerate(ys):
            lab = series_labels[i] if isinstance(series_labels, list) and i < len(series_labels) else f"series {i + 1}"
            yy = [numeric(v) for v in y]
            if len(yy) == len(x):
                errs = m.get("yerr")
                e = errs[i] if isinstance(errs, list) and i < len(errs) and isinstance(errs[i], list) else None
                out.append((str(lab), x, yy, e))
        return out
    yy = [numeric(v) for v in ys]
    if len(yy) != len(x):
        return []
    e = m.get("yerr") if isinstance(m.get("yerr"), list) and len(m.get("yerr")) == len(x) else None
    return [(None, x, yy, e)]


def _fit(x, y):
    xs = np.array([a for a, b in zip(x, y) if a is not None and b is not None and a > 0 and b > 0], dtype=float)
    ys = np.array([b for a, b in zip(x, y) if a is not None and b is not None and a > 0 and b > 0], dtype=float)
    if xs.size < 3 or np.ptp(np.log(xs)) == 0:
        return None
    try:
        from theorems.stats import fit_power_law

        return fit_power_law(xs, ys)
    except Exception:
        return None


# ------------------------------------------------------------------------------------------- sweeps
def _axis_labels(r: Mapping) -> tuple[str, str]:
    m = r["measured"]
    return (str(m.get("xlabel") or _swept_key(r, m["x"]) or "x"), str(m.get("ylabel") or "measured"))


def _categorical(xlabel: str, n: int) -> list[str] | None:
    """Index sweeps (``xlabel = "scenario (a; b; c)"``): the tick labels, else ``None``."""
    if not xlabel.lower().startswith("scenario"):
        return None
    m = re.search(r"\((.*)\)\s*$", xlabel)
    items = [t.strip() for t in m.group(1).split(";")] if m else []
    return items if len(items) == n else [str(i) for i in range(n)]


def sweep_figures(records: Sequence[Mapping], statement_order: Sequence[str] = ()) -> list[Figure]:
    """One figure per statement and pair of axes (``xlabel``, ``ylabel``): the sweeps of all its
    checks and scenarios with those axes overlay. The paper's Figure 2 is drawn by :func:`figure2_figures`."""
    groups: "OrderedDict[tuple[str, str, str], list]" = OrderedDict()
    for r in records:
        if is_sweep(r) and not is_figure2(r):
            try:
                xl, yl = _axis_labels(r)
            except Exception:
                continue
            groups.setdefault((r.get("statement_id", "?"), xl, yl), []).append(r)
    order = {s: i for i, s in enumerate(statement_order)}

    def gkey(item):
        (sid, xl, yl), recs = item
        fig_first = 0 if sid.lower().startswith("fig") else 1
        x = xl.strip().lower()
        axis_rank = 0 if x in ("d", "input dimension d") or x.endswith(" d") else 1 if x in ("n",) or x.startswith("number of samples") else 2
        return (fig_first, order.get(sid, len(order)), axis_rank, sid, xl, yl)

    figs = []
    for (sid, xlabel, ylabel), recs in sorted(groups.items(), key=gkey):
        try:
            f = _sweep_figure(sid, xlabel, ylabel, recs)
        except Exception as exc:  # one odd record must not cost the others their figures
            f = _error_figure(f"sweep {sid} {ylabel} vs {xlabel}", exc)
        if f is not None:
            figs.append(f)
    return figs


def _sweep_figure(sid: str, xlabel: str, ylabel: str, recs: list) -> Figure | None:
    fig = _new()
    ax = fig.add_subplot()
    logx = logy = True
    drawn = 0
    notes = []
    recs = [r for r in recs if _sweep_series(r)]
    checks = list(OrderedDict.fromkeys(r.get("check", "?") for r in recs))
    cats = None
    for r in recs:
        m = r["measured"]
        series = _sweep_series(r)
        if not series:
            continue
        cats = _categorical(xlabel, len(m["x"]))
        for lab, x, y, e in series:
            color = _COLORS[drawn % len(_COLORS)]
            pts = [(a, b, (numeric(e[k]) if e else None)) for k, (a, b) in enumerate(zip(x, y)) if b is not None]
            if not pts:
                continue
            xa = np.array([p[0] for p in pts], dtype=float)
            ya = np.array([p[1] for p in pts], dtype=float)
            if cats is not None or np.any(xa <= 0):
                logx = False
            if np.any(ya <= 0):
                logy = False
            parts = []
            if lab:
                parts.append(lab)
            if len(checks) > 1:
                parts.append(str(r.get("check", "")))
            elif len(recs) > 1 and not lab:
                parts.append(_short_scenario(r.get("scenario", {}), skip=[xlabel]))
            fit = _fit(list(xa), list(ya)) if cats is None else None
            if fit is not None:
                parts.append(f"slope {fit.exponent:.3f}")
            label = "; ".join(p for p in parts if p)[:70] or None
            if e is not None and any(p[2] is not None for p in pts):
                ax.errorbar(xa, ya, yerr=[p[2] or 0.0 for p in pts], fmt="o", color=color, ms=5, capsize=3, label=label)
            else:
                ax.plot(xa, ya, "o" if cats is None else "o-", color=color, ms=5, label=label)
            if fit is not None:
                xp = xa[xa > 0]
                xx = np.geomspace(xp.min(), xp.max(), 50)
                ax.plot(xx, fit.prefactor * xx**fit.exponent, "-", color=color, lw=1.2, alpha=0.8)
            drawn += 1
        exp = numeric(m.get("exponent"))
        if exp is not None:
            lo, hi = numeric(m.get("ci_low")), numeric(m.get("ci_high"))
            ci = f" [{lo:.3f}, {hi:.3f}]" if lo is not None and hi is not None else ""
            notes.append(f"recorded slope {exp:.3f}{ci} ({r.get('verdict', '?')})")
    if not drawn:
        return None
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if cats is not None:
        ax.set_xticks(range(len(cats)))
        ax.set_xticklabels([c[:18] for c in cats], rotation=35, ha="right", fontsize=7)
        ax.set_xlabel("scenario")
    else:
        ax.set_xlabel(xlabel[:80])
    ax.set_ylabel(ylabel[:60])
    ax.grid(True, which="both", alpha=0.3)
    title = checks[0] if len(checks) == 1 else f"{ylabel} against {xlabel}"
    ax.set_title(f"{sid} — {title}"[:80], fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="best")
    if notes:
        ax.text(0.01, 0.01, "\n".join(notes[:4]), transform=ax.transAxes, fontsize=7, va="bottom", ha="left",
                bbox=dict(boxstyle="round", fc="white", ec="#bbb", alpha=0.85))
    scale = ("categorical" if cats is not None else "log-log" if logx and logy else "log-x" if logx else "log-y" if logy else "linear")
    cap = (f"{sid}, {', '.join(checks)}: {ylabel} against {xlabel} ({scale}"
           f"{'; lines are least-squares power-law fits' if cats is None else ''}"
           f"{'; ' + '; '.join(notes[:4]) if notes else ''}).")
    return Figure(f"sweep-{_slug(sid)}-{_slug(checks[0] if len(checks) == 1 else xlabel + '-' + ylabel)[:60]}",
                  f"{sid} — {ylabel} against {xlabel}" if cats is None else f"{sid} — {ylabel} per scenario", cap,
                  "sweep", sid, _png(fig), [r.get("record_id", "") for r in recs])


# -------------------------------------------------------------------------------------- Figure 2
_FIG2_TITLES = {"left": "λ_min((4/(n₁n₂))K̄) against d — (W_l)_ij ~ N(0, 1)",
                "right": "λ_min(K̄) against N — He init, n₁ = 8N"}


def is_figure2(rec: Mapping) -> bool:
    """A record of the paper's Figure 2 (``theorems/figure2.py``): statement ``Fig 2`` with a panel."""
    m = rec.get("measured") or {}
    return rec.get("statement_id") == "Fig 2" and isinstance(m, Mapping) and m.get("panel") in ("left", "right")


def _fig2_curve(r: Mapping):
    """``(x, mean, sd, fit)`` of an affine Figure 2 record, or ``None``."""
    m = r["measured"]
    x = [numeric(v) for v in m.get("x") or []]
    y = [numeric(v) for v in m.get("y") or []]
    e = [numeric(v) for v in m.get("yerr") or []]
    if not x or len(x) != len(y) or any(v is None for v in x + y):
        return None
    e = e if len(e) == len(x) and all(v is not None for v in e) else [0.0] * len(x)
    fit = {k: numeric(m.get(k)) for k in ("slope", "intercept", "slope_low", "slope_high")}
    return np.array(x), np.array(y), np.array(e), fit


def figure2_figures(records: Sequence[Mapping], statement_order: Sequence[str] = ()) -> list[Figure]:
    """The paper's Figure 2 from the affine records of ``Fig 2`` (planted variants and meta-test inputs left
    out): left and right panel side by side, linear axes, per curve the mean over the trials (line and
    markers), a band of ±1 sample standard deviation, and the Theil–Sen affine fit (dashed) with its slope's
    exact interval in the legend. One figure per number of trials when records of several runs meet."""
    recs = [r for r in records if is_figure2(r) and (r.get("measured") or {}).get("fit") == "affine"
            and not r.get("planted") and not (r.get("measured") or {}).get("substituted")]
    groups: "OrderedDict[Any, list]" = OrderedDict()
    for r in recs:
        groups.setdefault(((r.get("measured") or {}).get("trials"), r.get("session_seed")), []).append(r)
    figs = []
    for (trials, seed), rs in groups.items():
        try:
            figs.append(_figure2(rs, trials, seed, many=len(groups) > 1))
        except Exception as exc:  # one odd record must not cost the report
            figs.append(_error_figure(f"Figure 2 ({trials} trials)", exc))
    return figs


def _figure2(recs: list, trials, seed, many: bool) -> Figure:
    fig = _new(11.0, 4.2)
    axes = fig.subplots(1, 2)
    notes = []
    for ax, panel in zip(axes, ("left", "right")):
        drawn = 0
        mine = sorted((r for r in recs if r["measured"]["panel"] == panel),
                      key=lambda r: (numeric(r["measured"].get("curve")) or 0.0, str(r["measured"].get("label"))))
        for r in mine:
            c = _fig2_curve(r)
            if c is None:
                continue
            x, y, e, fit = c
            color = _COLORS[drawn % len(_COLORS)]
            label = str(r["measured"].get("label") or f"curve {drawn + 1}")
            ax.fill_between(x, y - e, y + e, color=color, alpha=0.22, lw=0)
            ax.plot(x, y, "-o", color=color, ms=3.5, lw=1.6, label=label)
            if fit["slope"] is not None and fit["intercept"] is not None:
                ax.plot(x, fit["intercept"] + fit["slope"] * x, "--", color=color, lw=1.0, alpha=0.9)
                iv = (f" [{fit['slope_low']:.3g}, {fit['slope_high']:.3g}]"
                      if fit["slope_low"] is not None and fit["slope_high"] is not None else "")
                notes.append(f"{panel} {label}: λ ≈ {fit['intercept']:.4g} + {fit['slope']:.4g}·x, slope{iv} "
                             f"({r.get('verdict', '?')})")
            drawn += 1
        m0 = next((r["measured"] for r in recs if r["measured"]["panel"] == panel), {})
        ax.set_xlabel(str(m0.get("xlabel") or ("d" if panel == "left" else "N")))
        ax.set_ylabel(str(m0.get("ylabel") or "λ_min"))
        ax.set_title(_FIG2_TITLES[panel], fontsize=10)
        ax.grid(True, alpha=0.3)
        if drawn:
            ax.legend(fontsize=8, loc="upper left")
        else:
            ax.text(0.5, 0.5, "no records for this panel", transform=ax.transAxes, ha="center", va="center", fontsize=9)
    law = next((r["measured"].get("law") for r in recs if r["measured"].get("law")), "data law not recorded")
    sup = f"Figure 2 (L = 3): mean ± 1 sd over {trials} trials, {law}"
    fig.suptitle(sup, fontsize=11)
    cap = (f"{sup}, session seed {seed}. Lines: the mean of λ_min over the trials at each point; bands: ± one sample "
           f"standard deviation (the paper's band); dashed: Theil–Sen affine fit (slope with its exact "
           f"distribution-free interval). " + "; ".join(notes) + ".")
    suffix = f"-{trials}-trials" if many else ""
    return Figure(f"fig2-lambda-min{suffix}", f"Fig 2 — λ_min against d and against N ({trials} trials)", cap,
                  "figure-2", "Fig 2", _png(fig), [r.get("record_id", "") for r in recs])


# ---------------------------------------------------------------------------------- implied constants
def _by_statement(records, pred, statement_order):
    groups: "OrderedDict[str, list]" = OrderedDict()
    for r in records:
        if pred(r):
            groups.setdefault(r.get("statement_id", "?"), []).append(r)
    order = {s: i for i, s in enumerate(statement_order)}
    return sorted(groups.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))


def _ic(r) -> dict | None:
    ic = r.get("implied_constants")
    if not isinstance(ic, Mapping):
        return None
    vals = {k: numeric(ic.get(k)) for k in ("min", "q05", "median", "q95", "max")}
    if vals["median"] is None and vals["min"] is None:
        return None
    med = vals["median"] if vals["median"] is not None else vals["min"]
    for k in vals:
        if vals[k] is None:
            vals[k] = med
    vals["n"] = ic.get("n")
    return vals


def implied_constant_figures(records: Sequence[Mapping], statement_order: Sequence[str] = ()) -> list[Figure]:
    """Per statement: one row per check; per record a whisker min–max, a box q05–q95, a median dot."""
    figs = []
    for sid, recs in _by_statement(records, lambda r: _ic(r) is not None, statement_order):
        checks: "OrderedDict[str, list]" = OrderedDict()
        for r in recs:
            checks.setdefault(r.get("check", "?"), []).append((r, _ic(r)))
        fig = _new(6.8, 1.2 + 0.75 * len(checks))
        ax = fig.add_subplot()
        allv = []
        for i, (chk, items) in enumerate(checks.items()):
            k = len(items)
            for j, (r, v) in enumerate(items):
                y = i + (0.0 if k == 1 else -0.3 + 0.6 * j / (k - 1))
                color = {"refuted": "#d62728", "inconclusive": "#ff7f0e"}.get(r.get("verdict"), "#1f77b4")
                ax.plot([v["min"], v["max"]], [y, y], "-", color=color, lw=0.8, alpha=0.6)
                ax.plot([v["q05"], v["q95"]], [y, y], "-", color=color, lw=4 if k < 12 else 2.5, alpha=0.55, solid_capstyle="butt")
                ax.plot([v["median"]], [y], "o", color="black", ms=3)
                allv += [v["min"], v["max"]]
        pos = [a for a in allv if a is not None and a > 0]
        if pos and len(pos) == len(allv) and max(pos) / min(pos) > 20:
            ax.set_xscale("log")
        _label_rows(ax, list(checks))
        ax.set_xlabel("implied constant (measured / scale)")
        ax.grid(True, axis="x", alpha=0.3)
        ax.set_title(f"{sid} — implied constants per check", fontsize=11)
        n = sum(len(v) for v in checks.values())
        cap = (f"{sid}: distribution of the implied constant (measured quantity divided by its scale) over the "
               f"trials of each of {n} scenario(s): thin line min–max, thick bar 5%–95% quantiles, dot median; "
               f"red = refuted, orange = inconclusive scenario.")
        figs.append(Figure(f"implied-{_slug(sid)}", f"{sid} — implied-constant distributions", cap, "implied-constants",
                           sid, _png(fig), [r.get("record_id", "") for r in recs]))
    return figs


# ------------------------------------------------------------------------------------- proof slack
def _slack(r) -> float | None:
    wc = r.get("worst_case")
    return numeric(wc.get("slack")) if isinstance(wc, Mapping) else None


def slack_figures(records: Sequence[Mapping], statement_order: Sequence[str] = ()) -> list[Figure]:
    """Per statement: the recorded slack ``(lhs − rhs)/scale`` of each proof step on every input."""
    figs = []
    pred = lambda r: str(r.get("check", "")).startswith("step-") and _slack(r) is not None  # noqa: E731
    for sid, recs in _by_statement(records, pred, statement_order):
        steps: "OrderedDict[str, list]" = OrderedDict()
        for r in sorted(recs, key=lambda r: r.get("check", "")):
            steps.setdefault(r["check"], []).append(r)
        fig = _new(6.8, 1.3 + 0.6 * len(steps))
        ax = fig.add_subplot()
        rng = np.random.default_rng(0)  # jitter only (presentation)
        allv = np.array([_slack(r) for r in recs], dtype=float)
        pos = allv[allv > 0]
        # Log axis over the positive slacks; slacks at or below a floor (zero, or negative within the
        # derived tolerance: tight up to rounding) are drawn at the floor with their own marker.
        floor = max(float(pos.min()) / 10.0, 1e-300) if pos.size else 1e-16
        n_tight = 0
        labeled_tight = labeled_bad = False
        for i, (chk, rs) in enumerate(steps.items()):
            s = np.array([_slack(r) for r in rs], dtype=float)
            jit = rng.uniform(-0.22, 0.22, size=s.size)
            bad = np.array([r.get("verdict") == "refuted" for r in rs])
            tight = (s < floor) & ~bad
            n_tight += int(tight.sum())
            ok = ~bad & ~tight
            ax.plot(s[ok], i + jit[ok], "o", ms=3.5, alpha=0.6, color="#1f77b4")
            if tight.any():
                ax.plot(np.full(tight.sum(), floor), i + jit[tight], "<", ms=5, alpha=0.8, color="#9467bd",
                        label=None if labeled_tight else "tight to rounding")
                labeled_tight = True
            if bad.any():
                ax.plot(np.full(bad.sum(), floor), i + jit[bad], "X", ms=8, color="#d62728", label=None if labeled_bad else "refuted")
                labeled_bad = True
            sp = s[s > 0]
            if sp.size:
                ax.plot([np.median(np.maximum(s, floor))], [i], "|", ms=18, mew=2, color="black")
        ax.set_xscale("log")
        _label_rows(ax, list(steps))
        ax.set_xlabel("slack (lhs − rhs) / scale")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="best")
        ax.grid(True, axis="x", alpha=0.3)
        ax.set_title(f"{sid} — proof-chain slack", fontsize=11)
        cap = (f"{sid}: relative slack (lhs − rhs)/scale of each proof step on every input checked ({len(recs)} records; "
               f"bar = median; log scale). A step holds when its slack is ≥ 0 up to the derived floating-point tolerance; "
               f"{n_tight} input(s) where the step is tight to rounding (slack ≤ {floor:.1e}) are drawn at the left edge; "
               f"refuted inputs as red crosses.")
        figs.append(Figure(f"slack-{_slug(sid)}", f"{sid} — proof-chain slack", cap, "proof-slack", sid, _png(fig),
                           [r.get("record_id", "") for r in recs]))
    return figs


def _label_rows(ax, labels: list[str]) -> None:
    """One horizontal row per label, first at the top (the layout of the per-check figures)."""
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=9)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.invert_yaxis()


# ----------------------------------------------------------------------------------------- Lipschitz
def _lip(r):
    m = r.get("measured")
    if not isinstance(m, Mapping) or not all(k in m for k in ("estimate", "bound", "naive")):
        return None
    # the same statistic for the estimate and the naive bound (per trial est ≤ naive, so max est ≤ max naive)
    est, bd, nv = numeric(m["estimate"], "max"), numeric(m["bound"]), numeric(m["naive"], "max")
    if est is None or bd is None or nv is None:
        return None
    return est, bd, nv


def lipschitz_figures(records: Sequence[Mapping], statement_order: Sequence[str] = ()) -> list[Figure]:
    """Per statement: the sampled Lipschitz estimate (a lower bound of the true constant) against the
    paper's bound and the naive product of operator norms, one column per scenario."""
    figs = []
    for sid, recs in _by_statement(records, lambda r: _lip(r) is not None, statement_order):
        rows = sorted(((r, *_lip(r)) for r in recs), key=lambda t: t[2])
        fig = _new(6.8, 4.0)
        ax = fig.add_subplot()
        xs = np.arange(len(rows))
        est = np.array([t[1] for t in rows]); bd = np.array([t[2] for t in rows]); nv = np.array([t[3] for t in rows])
        ax.plot(xs, nv, "s", color="#7f7f7f", label="naive  Π‖W_l‖²")
        ax.plot(xs, bd, "_", ms=16, mew=2.5, color="#2ca02c", label="paper's bound (named constants)")
        ax.plot(xs, est, "o", color="#1f77b4", label="sampled estimate (lower bound)")
        bad = est > bd
        if bad.any():
            ax.plot(xs[bad], est[bad], "X", ms=9, color="#d62728", label="estimate above bound")
        if np.all(np.concatenate([est, bd, nv]) > 0):
            ax.set_yscale("log")
        if len(rows) <= 12:
            ax.set_xticks(xs)
            ax.set_xticklabels([_short_scenario(t[0].get("scenario", {}))[:28] for t in rows], rotation=35, ha="right", fontsize=7)
        else:
            ax.set_xlabel("scenario (sorted by the paper's bound)")
        ax.set_ylabel("squared Lipschitz constant")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="best")
        ax.set_title(f"{sid} — Lipschitz estimate vs bounds", fontsize=11)
        cap = (f"{sid}: sampled Lipschitz estimate (from inputs; a lower bound of the true constant) against the "
               f"paper's bound and the naive product of operator norms, {len(rows)} scenario(s). An estimate above the "
               f"paper's bound would refute it.")
        figs.append(Figure(f"lipschitz-{_slug(sid)}", f"{sid} — Lipschitz estimate against the bounds", cap, "lipschitz",
                           sid, _png(fig), [t[0].get("record_id", "") for t in rows]))
    return figs


def all_figures(records: Sequence[Mapping], statement_order: Sequence[str] = ()) -> list[Figure]:
    """Every figure of the report, Figure 2 and the sweeps first (λ_min against d and N), each kind robust on
    its own."""
    out: list[Figure] = []
    for fn in (figure2_figures, sweep_figures, slack_figures, implied_constant_figures, lipschitz_figures):
        try:
            out.extend(fn(records, statement_order))
        except Exception as exc:  # a figure must never cost the report
            out.append(_error_figure(fn.__name__, exc))
    seen: dict[str, int] = {}
    for f in out:  # unique ids
        if f.id in seen:
            seen[f.id] += 1
            f.id = f"{f.id}-{seen[f.id]}"
        else:
            seen[f.id] = 0
    return out


def _error_figure(name: str, exc: Exception) -> Figure:
    fig = _new(6.0, 1.2)
    fig.text(0.02, 0.5, f"figure '{name}' failed: {type(exc).__name__}: {exc}"[:200], fontsize=8, va="center")
    return Figure(f"error-{_slug(name)}", f"{name} failed", f"Rendering {name} raised {type(exc).__name__}: {exc}",
                  "error", None, _png(fig), [])
