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
import re
import shutil
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from theorems.records import CheckRecord, merge_records, to_jsonable
from theorems.stats import CLAIM_VERDICTS, CONTROL_VERDICTS, overall_verdict

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
    "headline",
    "power_kind",
    "summary_text",
    "verdict_label",
]

SCHEMA_VERSION = "ntkverify-report/2"
REPORTS_ROOT = Path(__file__).resolve().parent
#: Verdicts in the order reports list them: the claims' (most severe first), then the controls'.
ALL_VERDICTS = CLAIM_VERDICTS + CONTROL_VERDICTS


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


def power_kind(power: Mapping | None, role: str = "") -> str | None:
    """What a record's power is stated in: ``"failure rate"`` (binomial checks: the smallest true failure
    rate refuted with probability ≥ 0.9), ``"slope"`` (slope fits: the deviation of the slope the interval
    resolves), ``"factor"`` (spreads of implied constants), ``"control"``; ``None`` without power (exact)."""
    if not isinstance(power, Mapping) or not power:
        return None
    if role == "control":
        return "control"
    if "trials" in power and "factor" in power:
        return "failure rate"
    if "model" in power:
        return "slope"
    return "factor"


def _counts(verdicts: Iterable[str], keys: Sequence[str] = CLAIM_VERDICTS) -> dict:
    v = list(verdicts)
    return {k: v.count(k) for k in keys}


def _aggregate_verdict(verdicts: Iterable[str]) -> str:
    """The claims' most severe verdict; for a group of control records: "not detected" if any, else
    "detected" if any, else "reported"; ``"none"`` for no record."""
    v = list(verdicts)
    claims = [x for x in v if x not in CONTROL_VERDICTS]
    if claims:
        return overall_verdict(claims)
    for name in ("not detected", "detected", "reported"):
        if name in v:
            return name
    return "none"


_RECONSTRUCTED = re.compile(r"reconstruct", re.IGNORECASE)
#: The group of a user's conjecture (``python -m reports check``) in the per-version counts: never the paper's.
CONJECTURE = "conjecture"


def _is_conjecture(d: Mapping, st) -> bool:
    """A record of a user's conjecture (theorems.conjecture: section "conjecture"), also recognised without
    the registry (a re-rendered report) by the replay command ``python -m reports check`` it carries."""
    return getattr(st, "section", None) == CONJECTURE or str(d.get("replay") or "").startswith("python -m reports check")


def _is_reconstructed(d: Mapping, st) -> bool:
    """A record is on a statement the suite had to reconstruct when its check name says so, or when its
    statement's notes say so and the record encodes another version than the statement's own (the ICML
    print of a v5 statement) or the statement is not the v5 one."""
    if _RECONSTRUCTED.search(str(d.get("check", ""))):
        return True
    notes = getattr(st, "notes", "") or ""
    if not _RECONSTRUCTED.search(notes):
        return False
    own = getattr(st, "paper_version", None)
    return d.get("paper_version") != own or own != "v5"


def _record_entry(rec: CheckRecord, st=None) -> dict:
    """The record as the report shows it. A "verified" whose power was not reached (``power.reached`` false),
    or a verdict on random draws (``alpha`` set) that states no numeric ``power.detectable``, is shown as
    "not refuted" and flagged (``verdict_recorded`` keeps what the record said)."""
    d = rec.to_dict()
    role = record_role(d)
    d["role"] = role
    d["planted"] = str(d.get("planted") or "")
    p = d.get("power") if isinstance(d.get("power"), Mapping) else {}
    d["power"] = dict(p)
    d["power_kind"] = power_kind(p, role)
    flags = []
    random_draws = numeric(d.get("alpha")) is not None
    stated = numeric(p.get("detectable")) is not None
    if random_draws and not stated:
        flags.append("a verdict on random draws (alpha set) without a numeric power.detectable")
    if d["verdict"] == "verified":
        why = None
        if p.get("reached") is False:
            why = "recorded 'verified' although power.reached is false"
        elif random_draws and not stated:
            why = "recorded 'verified' without a stated power"
        if why:
            d["verdict_recorded"] = d["verdict"]
            d["verdict"] = "not refuted"
            flags.append(f"{why}: shown as 'not refuted'")
    d["flags"] = flags
    d["reconstructed"] = _is_reconstructed(d, st)
    d["claim_of"] = CONJECTURE if _is_conjecture(d, st) else str(d.get("paper_version"))
    d["interval"] = ({"low": d.get("ci_low"), "high": d.get("ci_high"), "method": "Clopper-Pearson", "alpha": d.get("alpha")}
                     if d.get("ci_low") is not None or d.get("ci_high") is not None else None)
    d["replay_command"] = replay_command(rec.record_id)
    if d["planted"]:
        d["needs_replay"] = d["verdict"] != "refuted"  # a planted false variant that survives: a check without power
    else:
        d["needs_replay"] = d["verdict"] in ("refuted", "inconclusive", "not detected")
    return d


def _power_summary(entries: Sequence[Mapping]) -> dict:
    """Power over ``entries``: how many state one and reached it, and per kind (failure rate, slope,
    factor, control) the range of ``detectable`` (the smallest effect each check would catch)."""
    rows = [d for d in entries if d.get("power")]
    by_kind: "OrderedDict[str, dict]" = OrderedDict()
    for d in rows:
        g = by_kind.setdefault(d.get("power_kind") or "other",
                               {"records": 0, "reached": 0, "detectable_min": None, "detectable_max": None})
        g["records"] += 1
        g["reached"] += int(d["power"].get("reached") is True)
        det = numeric(d["power"].get("detectable"))
        if det is not None:
            g["detectable_min"] = det if g["detectable_min"] is None else min(g["detectable_min"], det)
            g["detectable_max"] = det if g["detectable_max"] is None else max(g["detectable_max"], det)
    reached = sum(g["reached"] for g in by_kind.values())
    return {"records": len(rows), "reached": reached, "all_reached": (reached == len(rows)) if rows else None,
            "exact": sum(1 for d in entries if not d.get("power") and numeric(d.get("alpha")) is None),
            "by_kind": dict(by_kind)}


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
        "verdict": _aggregate_verdict(verdicts),
        "counts": _counts(verdicts, ALL_VERDICTS),
        "scenarios": len(recs),
        "trials": int(sum(int(r.get("trials") or 0) for r in recs)),
        "successes": int(sum(int(r.get("successes") or 0) for r in recs)),
        "paper_versions": sorted({str(r.get("paper_version")) for r in recs}),
        "roles": roles,
        "power": _power_summary(recs),
        "reconstructed": any(r.get("reconstructed") for r in recs),
        "flagged": sum(1 for r in recs if r.get("flags")),
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


def _calibrations() -> tuple:
    try:
        from theorems.calibration import CALIBRATED

        return tuple(CALIBRATED)
    except Exception:
        return ()


def _constant_entry(name: str, source: str) -> dict | None:
    try:
        from theorems import constants as C

        c = C.get(name)
    except Exception:
        return None
    return {"name": c.name, "value": to_jsonable(C.value(name)), "origin": c.origin, "provenance": c.provenance,
            "meaning": c.meaning, "matched_by": source}


def _named_constant(sid: str, st, side: str, calibrations: Sequence) -> dict | None:
    """The named constant multiplying the ``side`` bound's scale: declared by the statement
    (``Statement.constants[side]``, when it has such a mapping), a calibrated constant of
    :mod:`theorems.calibration` for that side, or the one constant of the statement named ``*_LOWER`` /
    ``*_UPPER`` in :mod:`theorems.constants`; ``None`` when none is (e.g. a product of band factors)."""
    declared = getattr(st, "constants", None)
    if isinstance(declared, Mapping) and isinstance(declared.get(side), str):
        return _constant_entry(declared[side], "statement")
    for c in calibrations:
        if c.statement_id == sid and c.side == side:
            return _constant_entry(c.constant, "calibration")
    try:
        from theorems.constants import CONSTANTS
    except Exception:
        return None
    suffix = "_LOWER" if side == "lower" else "_UPPER"
    names = [c.name for c in CONSTANTS.values() if c.statement == sid and c.name.endswith(suffix)]
    return _constant_entry(names[0], "name") if len(names) == 1 else None


def _side_value(d: Mapping, side: str, calibrations: Sequence) -> float | None:
    """The extreme implied constant of one record on ``side`` (min for "lower", max for "upper"): the
    check's own ``measured["implied_lower"|"implied_upper"]`` aggregate, or its ``implied_constants`` where a
    calibrated constant of that side covers the check (:mod:`theorems.calibration`). Other implied constants
    have no declared side and are shown per check only."""
    ext = "min" if side == "lower" else "max"
    v = (d.get("measured") or {}).get(f"implied_{side}")
    if isinstance(v, Mapping):
        return numeric(v.get(ext))
    if v is not None:
        return numeric(v)
    for c in calibrations:
        if (c.statement_id == d.get("statement_id") and c.side == side and d.get("check") in c.checks
                and (c.where is None or c.where(d.get("scenario") or {}))):
            return numeric((d.get("implied_constants") or {}).get(ext))
    return None


def _sides(sid: str, st, claims: Sequence[Mapping], calibrations: Sequence) -> list[dict]:
    """Per bound side: the tightest implied constant seen (min over the lower-bound checks, max over the
    upper-bound ones), the named constant with its provenance, and the slack — how far the tightest implied
    constant is from the named one, ≥ 1 when the bound held everywhere: ``min implied / c`` (lower),
    ``C / max implied`` (upper)."""
    out = []
    for side in ("lower", "upper"):
        vals = [(v, d) for d in claims if (v := _side_value(d, side, calibrations)) is not None]
        named = _named_constant(sid, st, side, calibrations)
        if not vals and named is None:
            continue
        tight, rec = (min if side == "lower" else max)(vals, key=lambda t: t[0]) if vals else (None, None)
        c = numeric(named["value"]) if named else None
        slack = None
        if tight is not None and c is not None and c > 0 and tight > 0:
            slack = tight / c if side == "lower" else c / tight
        elif tight is not None and c is not None and side == "lower" and tight <= 0 < c:
            slack = 0.0
        key = "q05_lcb" if side == "lower" else "q95_ucb"
        qb = [numeric(((d.get("measured") or {}).get(f"implied_{side}") or {}).get(key))
              for _, d in vals if isinstance((d.get("measured") or {}).get(f"implied_{side}"), Mapping)]
        qb = [v for v in qb if v is not None]
        # the sharpest constant the data support: over the side's checks, the most extreme confidence bound
        # of the 5% (95%) quantile of the implied constants (exact, 95% confidence per check)
        supported = ((min if side == "lower" else max)(qb)) if qb else None
        out.append({"side": side, "tightest_implied": tight, "supported_constant": supported,
                    "record_id": rec["record_id"] if rec else None,
                    "records": len(vals), "named_constant": named, "slack": slack,
                    "holds": (slack >= 1.0) if slack is not None else None})
    return out


def _group(d: Mapping) -> str:
    """The paper version a claim record is about, or ``"conjecture"`` for a user's conjecture."""
    return str(d.get("claim_of") or d.get("paper_version"))


def _version_counts(claims: Sequence[Mapping]) -> "OrderedDict[str, dict]":
    try:
        from theorems.statement import PAPER_VERSIONS
    except Exception:  # pragma: no cover
        PAPER_VERSIONS = ("v5", "icml")
    seen = {_group(d) for d in claims}
    order = [v for v in PAPER_VERSIONS if v in seen] + sorted(seen - set(PAPER_VERSIONS))
    out: "OrderedDict[str, dict]" = OrderedDict()
    for v in order:
        ds = [d for d in claims if _group(d) == v]
        out[v] = {**_counts(d["verdict"] for d in ds), "reconstructed": any(d.get("reconstructed") for d in ds),
                  "reconstructed_refuted": sum(1 for d in ds if d.get("reconstructed") and d["verdict"] == "refuted")}
    return out


def headline(by_version: Mapping[str, Mapping]) -> str:
    """The run's headline, per paper version and never one bare verdict: e.g. ``"v5: verified 120, not
    refuted 30, inconclusive 0, refuted 0; icml (reconstructed where marked): verified 3, not refuted 0,
    inconclusive 0, refuted 1 (1 on the suite's reconstruction)"``."""
    parts = []
    for v, c in by_version.items():
        label = ("conjectures (the user's, not the paper's)" if v == CONJECTURE else
                 f"{v} (reconstructed where marked)" if c.get("reconstructed") else v)
        counts = ", ".join(f"{k} {int(c.get(k, 0))}" for k in ("verified", "not refuted", "inconclusive", "refuted"))
        if c.get("reconstructed_refuted"):
            counts += f" ({c['reconstructed_refuted']} on the suite's reconstruction)"
        parts.append(f"{label}: {counts}")
    return "; ".join(parts) if parts else "no claim recorded"


def verdict_label(verdict: str, *, reconstructed: bool = False, versions: Sequence[str] = ()) -> str:
    """A verdict with the qualifiers it must carry: which versions a refutation concerns, and
    "reconstructed" when it rests on a statement the suite reconstructed."""
    if verdict != "refuted":
        return verdict
    quals = list(versions) + (["reconstructed"] if reconstructed else [])
    return f"refuted ({', '.join(quals)})" if quals else "refuted"


def _infer_profile(records: Sequence[CheckRecord]) -> str | None:
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
    is captured and marked ``captured_at_render``. Figures are rendered unless given.

    Claims, controls and planted variants are counted apart: the claims' totals and the headline count
    the paper's statements only; controls count "detected" only when they could fail; planted false
    variants (records with ``planted`` set) are meta tests of the suite's power, listed in their own
    section and excluded from every verdict about the paper."""
    reg = _registry()
    order = reg.ids()
    rank = {s: i for i, s in enumerate(order)}
    calibrations = _calibrations()

    def stmt(sid):
        return reg.get(sid) if sid in reg else None

    entries = [_record_entry(r, stmt(r.statement_id)) for r in records]
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
        st = stmt(sid)
        main = [d for d in recs if not d["planted"]]
        planted = [d for d in recs if d["planted"]]
        checks: "OrderedDict[str, list[dict]]" = OrderedDict()
        for d in main:
            checks.setdefault(d["check"], []).append(d)
        aggregates = [_check_aggregate(sid, c, rs) for c, rs in checks.items()]
        claims = [d for d in main if d["role"] != "control"]
        byv = _version_counts(claims)
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
            "verdict_by_version": {v: overall_verdict(d["verdict"] for d in claims if _group(d) == v)
                                   for v in byv},
            "by_version": {v: dict(c) for v, c in byv.items()},
            "refuted_versions": [v for v, c in byv.items() if c["refuted"]],
            "reconstructed": bool(_RECONSTRUCTED.search(getattr(st, "notes", "") or "")) or any(d["reconstructed"] for d in claims),
            "reconstructed_refuted": sum(c["reconstructed_refuted"] for c in byv.values()),
            "counts": _counts(d["verdict"] for d in claims),
            "controls": _counts((d["verdict"] for d in main if d["role"] == "control"), CONTROL_VERDICTS),
            "planted": {"records": len(planted), "refuted": sum(1 for d in planted if d["verdict"] == "refuted")},
            "power": _power_summary(claims),
            "sides": _sides(sid, st, claims, calibrations),
            "constants": [c["name"] for c in _constants() if c["statement"] == sid],
            "checks": aggregates,
        })
    not_run = [s.id for s in reg if s.id not in by_stmt] if order else []
    claims = [d for d in entries if d["role"] != "control" and not d["planted"]]
    ctrls = [d for d in entries if d["role"] == "control" and not d["planted"]]
    planted = [d for d in entries if d["planted"]]
    by_version = _version_counts(claims)
    totals = {
        "records": len(entries),
        "statements": len(statements),
        "checks": sum(len(s["checks"]) for s in statements),
        **_counts(d["verdict"] for d in claims),
        "claims": len(claims),
        "controls": len(ctrls),
        "controls_detected": sum(1 for d in ctrls if d["verdict"] == "detected"),
        "controls_not_detected": sum(1 for d in ctrls if d["verdict"] == "not detected"),
        "controls_reported": sum(1 for d in ctrls if d["verdict"] == "reported"),
        "controls_other": sum(1 for d in ctrls if d["verdict"] not in CONTROL_VERDICTS),
        "planted": len(planted),
        "planted_refuted": sum(1 for d in planted if d["verdict"] == "refuted"),
        "assertions_on_random_draws": sum(1 for d in entries if numeric(d.get("alpha")) is not None),
        "power_reached": sum(1 for d in claims if d["power"].get("reached") is True),
        "power_stated": sum(1 for d in claims if d["power"]),
        "flagged": sum(1 for d in entries if d["flags"]),
        "trials": int(sum(int(d.get("trials") or 0) for d in entries)),
        "timing_s": float(sum(numeric(d.get("timing_s")) or 0.0 for d in entries)),
        "overall": overall_verdict(d["verdict"] for d in claims),
        "overall_by_version": {v: overall_verdict(d["verdict"] for d in claims if _group(d) == v)
                               for v in by_version},
        "by_version": {v: dict(c) for v, c in by_version.items()},
        "headline": headline(by_version),
    }
    if figures is None:
        t0 = time.perf_counter()
        figures = all_figures([d for d in entries if not d["planted"]], order)
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
                       "planted": d["planted"], "reconstructed": d["reconstructed"],
                       "replay_command": d["replay_command"]}
                      for d in entries if d["needs_replay"]],
        "controls": [d["record_id"] for d in ctrls],
        "planted": [{"record_id": d["record_id"], "statement_id": d["statement_id"], "check": d["check"], "label": d["planted"],
                     "verdict": d["verdict"], "power": d["power"], "reason": d.get("reason", ""),
                     "warning": None if d["verdict"] == "refuted" else
                     f"planted false variant {d['planted']!r} not refuted ({d['verdict']}): this check lacks power against it",
                     "replay_command": d["replay_command"]} for d in planted],
        "flagged": [{"record_id": d["record_id"], "statement_id": d["statement_id"], "check": d["check"],
                     "verdict": d["verdict"], "verdict_recorded": d.get("verdict_recorded"), "flags": d["flags"]}
                    for d in entries if d["flags"]],
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


def counts_text(c: Mapping, short: bool = False) -> str:
    """``verified 3, not refuted 1, inconclusive 0, refuted 0`` (``short``: ``v 3, nr 1, i 0, r 0``)."""
    names = {"verified": "v", "not refuted": "nr", "inconclusive": "i", "refuted": "r"}
    return ", ".join(f"{names[k] if short else k} {int(c.get(k, 0))}" for k in names)


def controls_text(t: Mapping) -> str:
    """``controls detected 5/6 (not detected 0; reported apart: 1)``: only controls that could fail count."""
    can_fail = t["controls_detected"] + t.get("controls_not_detected", 0)
    out = f"controls detected {t['controls_detected']}/{can_fail}"
    extra = []
    if t.get("controls_not_detected"):
        extra.append(f"NOT detected {t['controls_not_detected']}")
    if t.get("controls_reported"):
        extra.append(f"reported apart (assert nothing) {t['controls_reported']}")
    if t.get("controls_other"):
        extra.append(f"with a claim verdict (not counted) {t['controls_other']}")
    return out + (f" ({'; '.join(extra)})" if extra else "")


def planted_text(t: Mapping) -> str:
    """``planted false variants: refuted k/n`` (with a warning when some survived)."""
    n, k = t.get("planted", 0), t.get("planted_refuted", 0)
    if not n:
        return "planted false variants: none in this run"
    return f"planted false variants: refuted {k}/{n}" + ("" if k == n else f"  WARNING: {n - k} not refuted (a check lacks power)")


def statement_verdict_text(s: Mapping) -> str:
    """A statement's verdict with the versions a refutation concerns and the reconstruction qualifier."""
    if s["verdict"] != "refuted":
        return s["verdict"]
    vers = s.get("refuted_versions") or []
    return verdict_label("refuted", reconstructed=bool(s.get("reconstructed_refuted")),
                         versions=vers if len(s.get("verdict_by_version") or {}) > 1 else ())


def summary_text(report: Mapping, *, width: int = 100) -> str:
    """A one-screen plain-text summary: the headline per paper version, controls and planted variants
    apart, per-statement verdicts, what needs attention."""
    t = report["totals"]
    env = report.get("environment") or {}
    failed = ((report.get("run") or {}).get("tests") or {}).get("failed") or []
    lines = [
        f"ntkverify report — {t['statements']} statements, {t['checks']} checks, {t['records']} records, {t['trials']} trials",
        *([f"  TESTS FAILED ({len(failed)}): the verdicts below are incomplete — " + ", ".join(failed[:5])
           + (" …" if len(failed) > 5 else "")] if failed else []),
        *([f"  {headline({v: c})}" for v, c in t["by_version"].items()] if t.get("by_version")
          else [f"  {t.get('headline') or headline({})}"]),
        f"  claims: {counts_text(t)}",
        f"  {controls_text(t)}",
        f"  {planted_text(t)}",
        *([f"  FLAGGED {t['flagged']} record(s): verdict inconsistent with the recorded power (see the report)"]
          if t.get("flagged") else []),
        f"  profile {env.get('profile')}  session seed(s) {report['run'].get('session_seeds')}  "
        f"python {env.get('python')}  cores {env.get('cores')}",
        "",
    ]
    head = len(lines)
    for s in report["statements"]:
        byv = s.get("verdict_by_version") or {}
        vers = "  [" + ", ".join(f"{k}: {v}" for k, v in byv.items()) + "]" if len(byv) > 1 else ""
        lines.append(f"  {s['id']:<12} {statement_verdict_text(s):<13} {len(s['checks']):>3} checks  "
                     f"({counts_text(s['counts'], short=True)})  {(s.get('title') or '')[:40]}{vers}")
    if report.get("not_run"):
        lines.append(f"  not run: {', '.join(report['not_run'])}")
    att = report.get("attention") or []
    if att:
        lines.append("")
        lines.append(f"needs attention ({len(att)}):")
        for a in att[:12]:
            what = a["verdict"].upper() + (" (reconstructed)" if a.get("reconstructed") and a["verdict"] == "refuted" else "")
            if a.get("planted"):
                what = f"PLANTED {a['verdict'].upper()}"
            lines.append(f"  {what:<12} {a['statement_id']} [{a['check']}]  replay: {a['replay_command']}")
        if len(att) > 12:
            lines.append(f"  ... and {len(att) - 12} more (see the report)")
    # the headline block is never cut; per-statement and attention lines are cut at width + 60 characters
    return "\n".join(line if i < head else line[:width + 60] for i, line in enumerate(lines))


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
            t = report["totals"]
            if hasattr(tr, "ensure_newline"):
                tr.ensure_newline()
            tr.write_line(f"ntkverify: {t['headline']}")
            tr.write_line(f"ntkverify: claims {counts_text(t)}; {controls_text(t)}; {planted_text(t)}")
            tr.write_line(f"ntkverify report: {latest / 'report.html'}  (copy: {run_dir})")
        return latest, run_dir
    except Exception as exc:  # pragma: no cover - reported, never fatal
        import traceback

        config._ntk_report_error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
        return None
