"""Where the independent Monte Carlo trials of a check run (issue 9: in-process by default).

:func:`run_trials` evaluates ``trial(scenario, default_rng(seed))`` for every already-derived seed and
returns the outcomes in trial order. ``executor=None`` runs them in this process, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["run_trials"]


def run_trials(trial: Callable, scenario: Mapping[str, Any], seeds: Sequence, *, executor: Any = None) -> list:
    """Outcomes of ``trial(scenario, numpy.random.default_rng(seed))`` for each seed, in seed order."""
    if executor is None:
        return [trial(scenario, np.random.default_rng(s)) for s in seeds]
    raise NotImplementedError("distributed executors are not available yet")
