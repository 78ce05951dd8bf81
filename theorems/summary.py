"""A plain-text summary of result records, per statement and check (printed at the end of a run)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from .stats import CLAIM_VERDICTS, CONTROL_VERDICTS, overall_verdict

__all__ = ["summary_lines", "group"]


def group(records: Iterable) -> dict[tuple[str, str], list]:
    """Records grouped by ``(statement_id, check)`` in first-seen order."""
    out: dict[tuple[str, str], list] = defaultdict(list)
    for r in records:
        out[(r.statement_id, r.check)].append(r)
    return dict(out)


def summary_lines(records, *, max_assertions: int | None = None) -> list[str]:
    """One line per (statement, check): overall verdict, scenarios, trials, the worst (lowest)
    one-sided Clopper–Pearson lower bound against its stated probability, and the extreme implied
    constants; then the count of assertions on random draws (records with an ``alpha``) against the
    run's budget."""
    groups = group(records)
    width = max([34] + [len(chk) for _, chk in groups])
    lines = [f"{'statement':<10} {'check':<{width}} {'verdict':<12} {'scen':>4} {'trials':>7}  {'worst CP-low / stated':<22} implied const [min, max]"]
    n_prob = 0
    for (sid, chk), recs in groups.items():
        verdicts = [r.verdict for r in recs]
        prob = [r for r in recs if r.stated_probability is not None]
        n_prob += sum(1 for r in recs if r.alpha is not None)
        trials = sum(r.trials for r in recs)
        ci = ""
        if prob:
            w = min(prob, key=lambda r: (r.ci_low if r.ci_low is not None else 1.0) - r.stated_probability)
            ci = f"{w.ci_low:.4f} / {w.stated_probability:.4f}"
        imp = [r.implied_constants for r in recs if r.implied_constants]
        impl = ""
        if imp:
            impl = f"[{min(i['min'] for i in imp):.4g}, {max(i['max'] for i in imp):.4g}]"
        counts = ", ".join(f"{v}:{verdicts.count(v)}" for v in CLAIM_VERDICTS + CONTROL_VERDICTS if verdicts.count(v))
        ctrl = [v for v in verdicts if v in CONTROL_VERDICTS]
        shown = overall_verdict(verdicts) if len(ctrl) < len(verdicts) else ("not detected" if "not detected" in ctrl else ctrl[0])
        lines.append(f"{sid:<10} {chk:<{width}} {shown:<12} {len(recs):>4} {trials:>7}  {ci:<22} {impl}  ({counts})")
    if max_assertions is not None:
        status = "within" if n_prob <= max_assertions else "EXCEEDS"
        lines.append(f"assertions on random draws: {n_prob} ({status} the planned {max_assertions}; per-assertion alpha = total/{max_assertions})")
    return lines
