"""Statements of the paper as data (DESIGN.md "A statement as code"; THEOREMS.md §3-§4).

A :class:`Statement` carries what a check needs to know about one numbered result: its id
(``"Thm 4.1"``), the paper version it encodes (``"v5"`` by default, ``"icml"`` for the print variant),
a one-line claim, its kind (exact / explicit-probability / asymptotic, THEOREMS.md §4), its hypotheses as
a predicate on a *scenario* (a mapping of the deterministic choices: ``N``, ``d``, widths, ``beta``,
``r``, ``delta``, data law, ...), the measured quantity, the bound expressions and the stated probability
as functions of the scenario.  Hidden constants are not stored here: bound and probability callables
receive them as keyword arguments (``lower(scenario, **constants)``) from the one documented place
that names them.

:data:`REGISTRY` is the single registry object of the package: modules that define statements
register them there (via :func:`statement`) at import time, and tests, reports and the CLI iterate it
in registration order.  No other global state exists.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Kind", "Statement", "Registry", "REGISTRY", "statement", "PAPER_VERSIONS"]

#: Paper versions a statement may encode (THEOREMS.md preamble): arXiv v5 (the corrected one) and the
#: ICML 2021 print.
PAPER_VERSIONS = ("v5", "icml")


class Kind(str, enum.Enum):
    """The three kinds of THEOREMS.md §4."""

    EXACT = "exact"
    EXPLICIT = "explicit-probability"
    ASYMPTOTIC = "asymptotic"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, kw_only=True)
class Statement:
    """One statement of the paper as data.  All fields are keyword-only.

    * ``hypotheses(scenario) -> bool``: whether the scenario is in the statement's regime (``None``:
      always).  Ω/o thresholds appear here through named constants.
    * ``lower(scenario, **constants)`` / ``upper(scenario, **constants)``: the bound expressions on
      ``quantity`` (``None``: no bound on that side).
    * ``probability(scenario, **constants) -> float``: the stated probability; may be ``<= 0`` (a
      vacuous claim at that size) and is clipped to ``[0, 1]`` by :meth:`stated_probability`.  Exact
      statements hold with probability one and must not give one.
    * ``exponents``: the scaling law a Θ-statement implies, one exponent per variable (Thm 3.2:
      ``{"d": 1, "N": 0}``); sweeps read the exponent they test from here (``tests/helpers.assert_scaling``).
    * ``scale(scenario)``: the Θ-scale of the quantity; the implied constant is ``quantity / scale``.
    """

    id: str
    title: str
    paper_version: str = "v5"
    claim: str
    kind: Kind
    hypotheses: Callable[[Mapping[str, Any]], bool] | None = None
    quantity: str
    lower: Callable[..., float] | None = None
    upper: Callable[..., float] | None = None
    probability: Callable[..., float] | None = None
    section: str
    notes: str = ""
    exponents: Mapping[str, float] | None = None
    scale: Callable[[Mapping[str, Any]], float] | None = None

    def __post_init__(self):
        for name in ("id", "title", "claim", "quantity"):
            v = getattr(self, name)
            if not isinstance(v, str) or not v.strip():
                raise ValueError(f"Statement.{name} must be a non-empty string, got {v!r}")
        if not isinstance(self.section, str):
            raise ValueError(f"Statement.section must be a string, got {self.section!r}")
        if "\n" in self.claim:
            raise ValueError(f"Statement.claim must be one line, got {self.claim!r}")
        if self.paper_version not in PAPER_VERSIONS:
            raise ValueError(
                f"Statement {self.id!r}: paper_version must be one of {PAPER_VERSIONS}, got {self.paper_version!r}"
            )
        try:
            kind = Kind(self.kind)
        except ValueError:
            raise ValueError(
                f"Statement {self.id!r}: kind must be one of {[k.value for k in Kind]}, got {self.kind!r}"
            ) from None
        object.__setattr__(self, "kind", kind)
        if self.exponents is not None:
            bad = {k: v for k, v in dict(self.exponents).items() if not isinstance(k, str) or not math.isfinite(float(v))}
            if bad:
                raise ValueError(f"Statement {self.id!r}: exponents must map variable names to finite numbers, got {bad!r}")
            object.__setattr__(self, "exponents", {k: float(v) for k, v in dict(self.exponents).items()})
        for name in ("hypotheses", "lower", "upper", "probability", "scale"):
            f = getattr(self, name)
            if f is not None and not callable(f):
                raise ValueError(f"Statement {self.id!r}: {name} must be callable or None, got {f!r}")
        if kind is Kind.EXACT and self.probability is not None:
            raise ValueError(f"Statement {self.id!r} is exact (holds with probability one); give no probability")

    # ------------------------------------------------------------------------------------------
    def exponent(self, variable: str) -> float:
        """The exponent the statement implies in ``variable``; KeyError naming the known ones otherwise."""
        exps = self.exponents or {}
        if variable not in exps:
            raise KeyError(f"{self.id} declares no exponent in {variable!r}; it declares {sorted(exps)}")
        return exps[variable]

    def in_regime(self, scenario: Mapping[str, Any]) -> bool:
        """Whether ``scenario`` satisfies the hypotheses (``True`` when there are none)."""
        if self.hypotheses is None:
            return True
        return bool(self.hypotheses(scenario))

    def stated_probability(self, scenario: Mapping[str, Any], **constants: Any) -> float:
        """The stated probability at ``scenario``, clipped to ``[0, 1]``; ``1.0`` for exact statements.

        A value ``<= 0`` before clipping means the claim is vacuous at this size (returned as ``0.0``).
        Raises ValueError if a non-exact statement declares no probability or it evaluates to ``nan``.
        """
        if self.kind is Kind.EXACT:
            return 1.0
        if self.probability is None:
            raise ValueError(f"Statement {self.id!r} ({self.kind.value}) declares no probability")
        p = float(self.probability(scenario, **constants))
        if math.isnan(p):
            raise ValueError(f"Statement {self.id!r}: stated probability is nan at scenario {dict(scenario)!r}")
        return min(1.0, max(0.0, p))

    def lower_bound(self, scenario: Mapping[str, Any], **constants: Any) -> float | None:
        """``lower(scenario, **constants)`` as a float, or ``None`` when there is no lower bound."""
        return None if self.lower is None else float(self.lower(scenario, **constants))

    def upper_bound(self, scenario: Mapping[str, Any], **constants: Any) -> float | None:
        """``upper(scenario, **constants)`` as a float, or ``None`` when there is no upper bound."""
        return None if self.upper is None else float(self.upper(scenario, **constants))


class Registry:
    """Ordered mapping ``id -> Statement`` (registration order is report order)."""

    def __init__(self) -> None:
        self._items: dict[str, Statement] = {}

    def register(self, statement: Statement, *, replace: bool = False) -> Statement:
        """Add ``statement``; ValueError if its id is already registered (``replace=True``: a statement of the
        same section may be replaced — a conjecture file loaded again).  Returns the statement."""
        if not isinstance(statement, Statement):
            raise ValueError(f"can only register Statement objects, got {type(statement).__name__}")
        old = self._items.get(statement.id)
        if replace and old is not None and old.section == statement.section:
            self._items[statement.id] = statement
            return statement
        if statement.id in self._items:
            raise ValueError(f"duplicate statement id {statement.id!r}; already registered")
        self._items[statement.id] = statement
        return statement

    def get(self, id: str) -> Statement:
        """The statement with ``id``; KeyError listing the known ids otherwise."""
        try:
            return self._items[id]
        except KeyError:
            raise KeyError(f"unknown statement id {id!r}; known ids: {list(self._items)}") from None

    def ids(self) -> list[str]:
        """Registered ids in registration order."""
        return list(self._items)

    def __iter__(self) -> Iterator[Statement]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, id: object) -> bool:
        return id in self._items

    def __repr__(self) -> str:
        return f"Registry({self.ids()!r})"


#: The package's single registry; see the module docstring.
REGISTRY = Registry()


def statement(*, registry: Registry | None = None, **fields: Any) -> Statement:
    """Build a :class:`Statement` from keyword ``fields`` and register it (in :data:`REGISTRY` unless
    ``registry`` is given).  Returns the statement."""
    st = Statement(**fields)
    (REGISTRY if registry is None else registry).register(st)
    return st
