"""Small helpers shared by the statement tests."""

from __future__ import annotations

import os

import pytest

from theorems.records import CheckRecord

__all__ = ["assert_not_refuted", "examples"]


def examples(dev: int, ci: int, thorough: int) -> int:
    """Hypothesis example count for the active profile (``NTK_PROFILE``, set by conftest.py)."""
    return {"dev": dev, "ci": ci, "thorough": thorough}[os.environ.get("NTK_PROFILE", "dev")]


def assert_not_refuted(rec: CheckRecord) -> None:
    """Fail on a refutation with a message carrying the evidence and the replay command; an
    inconclusive verdict passes but stays inconclusive in the records and the report."""
    if rec.verdict == "refuted":
        pytest.fail(
            f"{rec.statement_id} [{rec.check}] REFUTED: {rec.reason}\n"
            f"scenario={rec.scenario}\nworst case={rec.worst_case}\nrecord={rec.record_id}\nreplay: {rec.replay}",
            pytrace=False,
        )
