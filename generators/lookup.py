"""Short names for the data laws used in scenario records: ``{"name": "gaussian"}`` ↔ ``Gaussian()``.

Scenario records stay short and readable; any further key of the spec is passed to the law's
constructor (e.g. ``{"name": "heavy-tailed", "df": 3.0}``). The full parameters of a law are
available from :meth:`generators.laws.DataLaw.params`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from . import laws

__all__ = ["LAW_NAMES", "law_from_spec", "spec_of"]

LAW_NAMES: dict[str, type] = {
    "gaussian": laws.Gaussian,
    "sphere": laws.Sphere,
    "hypercube": laws.Hypercube,
    "pushforward": laws.GeneratorPushforward,
    "binary": laws.BinaryHypercube,
    "lowdim": laws.LowDimensional,
    "noncentered": laws.NonCentered,
    "heavy-tailed": laws.HeavyTailed,
    "repeated": laws.RepeatedPoints,
}


def law_from_spec(spec: Mapping) -> laws.DataLaw:
    """The law named by ``spec["name"]`` with the remaining keys as constructor arguments."""
    if not isinstance(spec, Mapping) or "name" not in spec:
        raise ValueError(f"a law spec must be a mapping with a 'name', got {spec!r}")
    name = spec["name"]
    if name not in LAW_NAMES:
        raise ValueError(f"unknown law name {name!r}; known: {sorted(LAW_NAMES)}")
    return _build(name, tuple(sorted((k, v) for k, v in spec.items() if k != "name")))


@lru_cache(maxsize=64)
def _build(name: str, kwargs: tuple) -> laws.DataLaw:
    return LAW_NAMES[name](**dict(kwargs))


def spec_of(law: laws.DataLaw) -> dict:
    """The short spec of a law instance (its non-default parameters are kept)."""
    for name, cls in LAW_NAMES.items():
        if type(law) is cls:
            default = cls().params() if name != "repeated" else None
            extra = {k: v for k, v in law.params().items() if k != "law" and (default is None or default.get(k) != v)}
            return {"name": name, **extra}
    raise ValueError(f"no short name for law {law!r}")
