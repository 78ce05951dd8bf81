"""Comparing two runs: which checks changed verdict, which are new, which were removed.

Checks are matched by ``(statement_id, check, scenario)`` — not by record id, which includes the session
seed — so two runs with different seeds compare scenario by scenario; per ``(statement, check)`` the
overall verdicts are compared too.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping

from theorems.records import canonical_json
from theorems.stats import CLAIM_VERDICTS, CONTROL_VERDICTS

from .render import _aggregate_verdict, load_source

__all__ = ["compare_sources", "compare_records", "compare_text", "VERDICT_ORDER"]

#: Most to least severe: the claims' verdicts (theorems.stats.CLAIM_VERDICTS) with "not detected" after
#: "refuted", then the controls' other outcomes. Changes are listed in this order of their new verdict.
VERDICT_ORDER = ("refuted", "not detected") + tuple(v for v in CLAIM_VERDICTS if v != "refuted") + tuple(
    v for v in CONTROL_VERDICTS if v != "not detected")


def compare_records(old, new) -> dict:
    def index(recs):
        out = OrderedDict()
        for r in recs:
            out[(r.statement_id, r.check, canonical_json(r.scenario))] = r
        return out

    a, b = index(old), index(new)
    changed, same = [], 0
    for k in a.keys() & b.keys():
        if a[k].verdict != b[k].verdict:
            changed.append({"statement_id": k[0], "check": k[1], "scenario": a[k].scenario, "old": a[k].verdict,
                            "new": b[k].verdict, "old_record": a[k].record_id, "new_record": b[k].record_id,
                            "new_reason": b[k].reason})
        else:
            same += 1
    new_only = [{"statement_id": k[0], "check": k[1], "scenario": b[k].scenario, "verdict": b[k].verdict, "record_id": b[k].record_id}
                for k in b if k not in a]
    removed = [{"statement_id": k[0], "check": k[1], "scenario": a[k].scenario, "verdict": a[k].verdict, "record_id": a[k].record_id}
               for k in a if k not in b]

    def per_check(recs):
        g: dict = OrderedDict()
        for r in recs:
            g.setdefault((r.statement_id, r.check), []).append(r.verdict)
        return {k: _aggregate_verdict(v) for k, v in g.items()}

    pa, pb = per_check(old), per_check(new)
    checks = []
    for k in list(pa) + [k for k in pb if k not in pa]:
        o, n = pa.get(k), pb.get(k)
        if o != n:
            checks.append({"statement_id": k[0], "check": k[1], "old": o, "new": n})
    order = {v: i for i, v in enumerate(VERDICT_ORDER)}
    changed.sort(key=lambda c: (order.get(c["new"], len(order)), c["statement_id"], c["check"]))
    checks.sort(key=lambda c: (order.get(c["new"], len(order)) if c["new"] else len(order) + 1))
    return {"changed": changed, "new": new_only, "removed": removed, "unchanged": same, "checks_changed": checks,
            "old_seeds": sorted({r.session_seed for r in old}), "new_seeds": sorted({r.session_seed for r in new})}


def compare_sources(old: str | os.PathLike, new: str | os.PathLike) -> dict:
    ra, _, ma = load_source(old)
    rb, _, mb = load_source(new)
    out = compare_records(ra, rb)
    out["old_source"], out["new_source"] = ma.get("source"), mb.get("source")
    return out


def compare_text(c: Mapping, limit: int = 40) -> str:
    lines = [f"old: {c.get('old_source')} (seeds {c['old_seeds']})", f"new: {c.get('new_source')} (seeds {c['new_seeds']})",
             f"scenarios: {len(c['changed'])} changed verdict, {len(c['new'])} new, {len(c['removed'])} removed, {c['unchanged']} unchanged"]
    if c["checks_changed"]:
        lines.append("")
        lines.append("checks whose overall verdict changed:")
        for x in c["checks_changed"]:
            lines.append(f"  {x['statement_id']:<12} {x['check']:<36} {x['old'] or '(absent)'} -> {x['new'] or '(removed)'}")
    if c["changed"]:
        lines.append("")
        lines.append("scenarios that changed verdict:")
        for x in c["changed"][:limit]:
            lines.append(f"  {x['statement_id']:<12} {x['check']:<30} {x['old']} -> {x['new']}  record {x['new_record']}  {canonical_json(x['scenario'])[:80]}")
    for name in ("new", "removed"):
        if c[name]:
            lines.append("")
            lines.append(f"{name} scenarios ({len(c[name])}):")
            for x in c[name][:limit]:
                lines.append(f"  {x['statement_id']:<12} {x['check']:<30} {x['verdict']:<12} {canonical_json(x['scenario'])[:80]}")
            if len(c[name]) > limit:
                lines.append(f"  ... {len(c[name]) - limit} more")
    return "\n".join(lines)
