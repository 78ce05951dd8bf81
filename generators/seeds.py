"""Deterministic randomness for probabilistic checks (DESIGN.md "Probabilistic properties").

The probabilistic statements of THEOREMS.md §3 quantify over random data ``x_i ~ P_X`` (THEOREMS.md §2)
and random weights ``W_l ~ N(0, β_l²)``. Hypothesis must never search over that randomness -- a search
that *chooses* the data would test a different (adversarial) statement. Hypothesis therefore chooses the
deterministic hypotheses only (the *scenario*: shapes, law, β, ``r``, ``δ``), and the ``m`` Monte Carlo
trials draw their randomness from seeds that are a pure function of

    (session seed, statement id, check name, scenario)

through a SHA-256 hash of a canonical JSON encoding of the scenario. Every trial replays exactly from
the record alone: ``numpy.random.default_rng(numpy.random.SeedSequence(entropy, spawn_key=(i,)))`` is the
generator of trial ``i`` (see :func:`replay_seed_description` and :func:`replay_rng`).

Properties (checked in ``tests/generators/test_seeds.py``):

* the same inputs give bit-identical streams in every process and on every platform (no ``hash()``,
  which is salted per process, and no dependence on dict order);
* a change of session seed, statement, check, any scenario value, or the trial index gives a different,
  statistically independent stream (SeedSequence mixing and spawning).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_SESSION_SEED",
    "canonical",
    "replay_rng",
    "replay_seed_description",
    "scenario_entropy",
    "trial_rngs",
    "trial_seeds",
]

#: The session seed used when none is given (``--ntk-seed``). The value is arbitrary but fixed so that a
#: default run is reproducible: 2021 (the paper's year, ICML 2021) followed by ``1`` (first session
#: seed of the suite). Sweep other values with ``--ntk-seed`` to draw fresh Monte Carlo trials.
DEFAULT_SESSION_SEED: int = 20211

_ENTROPY_WORDS = 4  # 128 bits of the SHA-256 digest; SeedSequence mixes them with the session seed


def _to_plain(value: Any, path: str) -> Any:
    """Convert ``value`` to plain JSON types, rejecting non-finite floats (``path`` names the key)."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, str):
        return value
    if isinstance(value, enum.Enum):
        return _to_plain(value.value, path)
    if isinstance(value, (numbers.Integral, np.integer)):
        return int(value)
    if isinstance(value, (numbers.Real, np.floating)):
        f = float(value)
        if not math.isfinite(f):
            raise ValueError(f"canonical: non-finite float {f!r} at key {path or '<root>'!r}")
        return f
    if isinstance(value, (numbers.Complex, np.complexfloating)):
        raise TypeError(f"canonical: complex value {value!r} at key {path or '<root>'!r} is not supported")
    if isinstance(value, np.ndarray):
        return _to_plain(value.tolist(), path)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = k if isinstance(k, str) else json.dumps(_to_plain(k, f"{path}.<key>"), sort_keys=True)
            if key in out:
                raise ValueError(f"canonical: keys collide after conversion to strings: {key!r} at {path or '<root>'!r}")
            out[key] = _to_plain(v, f"{path}.{key}" if path else key)
        return out
    if isinstance(value, (list, tuple)):
        return [_to_plain(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        items = [_to_plain(v, f"{path}{{}}") for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, separators=(",", ":")))
    params = getattr(value, "params", None)
    if callable(params):  # data laws, architectures, dataset specs: their scenario record
        return _to_plain(params(), path)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return _to_plain({"__type__": type(value).__name__, **fields}, path)
    raise TypeError(f"canonical: cannot encode {type(value).__name__} at key {path or '<root>'!r}")


def canonical(scenario: Any) -> str:
    """Canonical JSON of a scenario: the single text from which its seeds are hashed.

    Sorted keys, no whitespace, floats written with ``repr`` (shortest round-trip form, so ``0.1`` is
    ``0.1`` on every platform), tuples and numpy arrays as lists, numpy scalars as Python scalars, sets
    sorted, objects with a ``params()`` method (laws, architectures, dataset specs) as their params.
    ``1`` and ``1.0`` stay distinct (``1`` vs ``1.0``): a scenario should use one type per field.

    Raises ``ValueError`` (naming the key path) on NaN or ±inf, ``TypeError`` on unsupported values.
    """
    plain = _to_plain(scenario, "")
    # json writes floats with float.__repr__; allow_nan=False is a second guard against non-finite floats
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _check_nonneg_int(name: str, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    if int(value) < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return int(value)


def _check_str(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty str, got {value!r}")
    return value


def scenario_entropy(session_seed: int, statement_id: str, check: str, scenario: Mapping[str, Any]) -> list[int]:
    """Entropy for ``numpy.random.SeedSequence``: 4 uint32 words of a SHA-256 digest, then the session seed.

    The digest is of ``canonical({"check": check, "scenario": scenario, "statement": statement_id})``,
    so the statement and check names are part of the hash (two checks of one scenario get independent
    streams). The words are the first 16 bytes of the digest read as big-endian uint32.
    """
    session_seed = _check_nonneg_int("session_seed", session_seed)
    statement_id = _check_str("statement_id", statement_id)
    check = _check_str("check", check)
    if not isinstance(scenario, Mapping):
        raise TypeError(f"scenario must be a Mapping, got {type(scenario).__name__}")
    text = canonical({"check": check, "scenario": scenario, "statement": statement_id})
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    words = [int.from_bytes(digest[4 * i: 4 * i + 4], "big") for i in range(_ENTROPY_WORDS)]
    return words + [session_seed]


def trial_seeds(session_seed: int, statement_id: str, check: str, scenario: Mapping[str, Any],
                trials: int) -> list[np.random.SeedSequence]:
    """``SeedSequence(scenario_entropy(...)).spawn(trials)``: one independent seed per Monte Carlo trial.

    Trial ``i``'s seed is ``SeedSequence(entropy, spawn_key=(i,))``, independent of ``trials`` -- so a
    run with more trials extends, never reshuffles, the trials of a shorter one.
    """
    trials = _check_nonneg_int("trials", trials)
    return np.random.SeedSequence(scenario_entropy(session_seed, statement_id, check, scenario)).spawn(trials)


def trial_rngs(session_seed: int, statement_id: str, check: str, scenario: Mapping[str, Any],
               trials: int) -> list[np.random.Generator]:
    """One ``numpy.random.Generator`` (PCG64) per trial, from :func:`trial_seeds`."""
    return [np.random.Generator(np.random.PCG64(s))
            for s in trial_seeds(session_seed, statement_id, check, scenario, trials)]


def replay_seed_description(session_seed: int, statement_id: str, check: str, scenario: Mapping[str, Any],
                            trials: int) -> dict[str, Any]:
    """JSON-able record from which trial ``i`` replays exactly (see :func:`replay_rng`).

    ``{"entropy": [...], "spawn": trials, "bit_generator": "PCG64", "recipe": ...}``; the generator of trial
    ``i < spawn`` is ``numpy.random.default_rng(numpy.random.SeedSequence(entropy, spawn_key=(i,)))``.
    """
    trials = _check_nonneg_int("trials", trials)
    return {
        "entropy": scenario_entropy(session_seed, statement_id, check, scenario),
        "spawn": trials,
        "bit_generator": "PCG64",
        "recipe": "numpy.random.default_rng(numpy.random.SeedSequence(entropy, spawn_key=(i,))) for trial i",
    }


def replay_rng(description: Mapping[str, Any], trial: int) -> np.random.Generator:
    """The generator of trial ``trial`` from a :func:`replay_seed_description` record."""
    trial = _check_nonneg_int("trial", trial)
    spawn = int(description["spawn"])
    if trial >= spawn:
        raise ValueError(f"trial must be < spawn={spawn}, got {trial}")
    entropy = [int(w) for w in description["entropy"]]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(trial,))))
