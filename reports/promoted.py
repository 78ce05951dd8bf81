"""Refuted scenarios promoted to permanent Hypothesis ``@example``s (``python -m reports promote ID``).

A refutation found once must be checked on every later run, whatever Hypothesis draws. ``promote``
appends the record's scenario to ``reports/promoted_examples.json`` (a plain, reviewable data file kept
under version control); a statement test picks its promoted scenarios up with::

    from reports.promoted import promoted_examples, with_promoted

    @with_promoted("Thm 3.2", "asymptotic-bounds", argname="s")   # one @example(s=...) per promoted scenario
    @given(s=thm32_scenarios(...))
    def test_asymptotic_form(ntk_context, s): ...

or iterates ``promoted_examples(statement_id, check)`` (a list of scenario dicts) in a parametrized
test. The trial seeds stay a function of (session seed, statement, check, scenario), so the promoted
scenario re-draws the recorded trials under the recorded session seed.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from theorems.records import CheckRecord, canonical_json

__all__ = ["PROMOTED_FILE", "promote", "promoted_examples", "with_promoted", "load_promoted"]

PROMOTED_FILE = Path(__file__).resolve().parent / "promoted_examples.json"

_HEADER = ("Scenarios of refuted checks promoted to permanent Hypothesis @example's. Written by "
           "`python -m reports promote RECORD_ID`; read by reports.promoted.promoted_examples(statement_id, check).")


def load_promoted(path: str | os.PathLike | None = None) -> dict:
    p = Path(path) if path else PROMOTED_FILE
    if not p.is_file():
        return {"description": _HEADER, "examples": []}
    data = json.loads(p.read_text(encoding="utf-8"))
    data.setdefault("examples", [])
    return data


def promoted_examples(statement_id: str, check: str, path: str | os.PathLike | None = None) -> list[dict]:
    """The promoted scenarios of ``(statement_id, check)``, in promotion order (dicts, fresh copies)."""
    return [json.loads(json.dumps(e["scenario"])) for e in load_promoted(path)["examples"]
            if e.get("statement_id") == statement_id and e.get("check") == check]


def with_promoted(statement_id: str, check: str, argname: str = "s", path: str | os.PathLike | None = None) -> Callable:
    """Decorator adding ``@hypothesis.example(**{argname: scenario})`` for every promoted scenario."""
    from hypothesis import example

    def deco(fn):
        for sc in reversed(promoted_examples(statement_id, check, path)):
            fn = example(**{argname: sc})(fn)
        return fn

    return deco


def promote(rec: CheckRecord, *, path: str | os.PathLike | None = None, force: bool = False, note: str = "") -> tuple[bool, dict]:
    """Add ``rec``'s scenario to the promoted examples. Only refuted records unless ``force``.
    Returns ``(added, entry)``; ``added`` is False when the same scenario is already promoted."""
    if rec.verdict != "refuted" and not force:
        raise ValueError(f"record {rec.record_id} is {rec.verdict}, not refuted; use --force to promote it anyway")
    p = Path(path) if path else PROMOTED_FILE
    data = load_promoted(p)
    key = (rec.statement_id, rec.check, canonical_json(rec.scenario))
    for e in data["examples"]:
        if (e.get("statement_id"), e.get("check"), canonical_json(e.get("scenario"))) == key:
            return False, e
    entry: dict[str, Any] = {
        "statement_id": rec.statement_id,
        "check": rec.check,
        "scenario": rec.scenario,
        "record_id": rec.record_id,
        "session_seed": rec.session_seed,
        "verdict": rec.verdict,
        "reason": rec.reason,
        "test_id": rec.test_id,
        "promoted": _dt.date.today().isoformat(),
    }
    if note:
        entry["note"] = note
    data["description"] = _HEADER
    data["examples"].append(json.loads(canonical_json(entry)))
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, p)
    return True, entry
