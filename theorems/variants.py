"""Planted variants: a statement changed on purpose, judged by the same code path (issue 8 item 5).

A :class:`Variant` replaces some of a statement's parts — its lower or upper bound, its stated probability,
the exponents of the scaling law it implies — for one call of :func:`theorems.harness.run_check` or of a
``tests/helpers`` assertion, and labels the records it produces. The paper's statements, their planted false
variants and a user's conjectures therefore meet the same judge (:mod:`theorems.inference`): a planted
variant the suite does not refute is a check without power.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Variant", "plant", "scaled"]


@dataclass(frozen=True)
class Variant:
    """What a planted variant replaces (``None``: the statement's own part). ``label`` names the change
    (it appears in the record's check name as ``[planted: label]``)."""

    statement_id: str
    label: str
    lower: Callable[..., float] | None = None
    upper: Callable[..., float] | None = None
    probability: Callable[[Mapping[str, Any]], float] | None = None
    exponents: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.label, str) or not self.label.strip():
            raise ValueError(f"Variant.label must be a non-empty string, got {self.label!r}")
        for name in ("lower", "upper", "probability"):
            f = getattr(self, name)
            if f is not None and not callable(f):
                raise ValueError(f"Variant.{name} must be callable or None, got {f!r}")
        if not (self.lower or self.upper or self.probability or self.exponents):
            raise ValueError(f"Variant {self.label!r} changes nothing: give lower, upper, probability or exponents")


def plant(statement_id: str, label: str, *, lower=None, upper=None, probability=None, exponents=None) -> Variant:
    """A planted variant of ``statement_id`` (see :class:`Variant`)."""
    return Variant(statement_id, label, lower, upper, probability, dict(exponents or {}))


def scaled(statement_id: str, side: str, factor: float, *, label: str | None = None) -> Variant:
    """The statement with its ``side`` ("lower"/"upper") bound multiplied by ``factor`` — e.g. a lower bound
    moved ×30 past its measured slack. Built from the registered statement's own bound."""
    from .harness import _statement

    st = _statement(statement_id)
    base = getattr(st, side)
    if base is None:
        raise ValueError(f"{statement_id} has no {side} bound to scale")
    fn = lambda s, **kw: factor * base(s, **kw)  # noqa: E731
    return plant(statement_id, label or f"{side} bound ×{factor:g}", **{side: fn})
