"""Statements of Nguyen, Mondelli & Montúfar (ICML 2021) as data, and the verdict machinery.

* :mod:`theorems.stats` -- exact binomial verdicts (refuted / verified / inconclusive), trial counts
  computed from the false-alarm budget, power-law fits, implied-constant summaries.
* :mod:`theorems.statement` -- :class:`Statement`, :class:`Kind`, the single :data:`REGISTRY`.
* :mod:`theorems.records` -- :class:`CheckRecord` and crash-safe per-worker JSON-lines sinks.
"""

from .records import (
    CheckRecord,
    MergedRecords,
    RecordSink,
    canonical_json,
    make_record_id,
    merge_records,
    to_jsonable,
    write_merged,
)
from .statement import PAPER_VERSIONS, REGISTRY, Kind, Registry, Statement, statement
from .stats import (
    BinomialJudgement,
    FalseAlarmBudget,
    PowerLawFit,
    Verdict,
    binomial_p_value,
    clopper_pearson,
    cp_lower,
    cp_upper,
    fit_power_law,
    judge,
    summarize_implied_constants,
    trials_needed,
)

__all__ = [
    "BinomialJudgement",
    "CheckRecord",
    "FalseAlarmBudget",
    "Kind",
    "MergedRecords",
    "PAPER_VERSIONS",
    "PowerLawFit",
    "REGISTRY",
    "RecordSink",
    "Registry",
    "Statement",
    "Verdict",
    "binomial_p_value",
    "canonical_json",
    "clopper_pearson",
    "cp_lower",
    "cp_upper",
    "fit_power_law",
    "judge",
    "make_record_id",
    "merge_records",
    "statement",
    "summarize_implied_constants",
    "to_jsonable",
    "trials_needed",
    "write_merged",
]
