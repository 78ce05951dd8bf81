"""Hypothesis strategies for the deterministic hypotheses of the statements (DESIGN.md, THEOREMS.md §1–§3).

Strategies here draw **only** deterministic choices -- sizes ``(N, d)``, a data law, depth and widths,
the scalings ``β_l``, the even exponent ``r`` -- never arrays and never the randomness a theorem quantifies
over: data and weights come from seeded numpy generators (:mod:`generators.seeds`), so Hypothesis
searches the hypotheses of a statement, not its probability space.

Sizes are bounded by one :class:`Budget`, chosen by the ``NTK_BUDGET`` environment variable
(``dev`` by default; ``conftest.py`` sets it from the Hypothesis profile). Every strategy returns a
small frozen dataclass (or an int) with a ``params()`` record usable in a scenario.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from .laws import ALL_LAWS, LAWS_SATISFYING, DataLaw

__all__ = [
    "BETA_PRESETS",
    "BUDGETS",
    "Architecture",
    "Budget",
    "DatasetSpec",
    "Dims",
    "architectures",
    "budget_from_env",
    "data_laws",
    "datasets",
    "dims",
    "even_r",
    "max_n_for_wide_layer",
    "pick_beta_preset",
    "thm62_candidates",
    "thm62_scenarios",
    "violating_laws",
    "wide_threshold",
]


# ----------------------------------------------------------------------------------------------------
# Budget
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """Upper limits on generated sizes, and a multiplier on Monte Carlo trial counts.

    ``max_n`` (samples ``N``), ``max_d`` (input dimension), ``max_width`` (any hidden width ``n_l``),
    ``max_depth`` (``L``, number of weight matrices), ``trials_scale`` (multiplies a check's base
    number of trials; statistically required counts from the false-alarm budget are never scaled down).
    """

    name: str
    max_n: int
    max_d: int
    max_width: int
    max_depth: int
    trials_scale: float

    def __post_init__(self):
        if self.name not in ("dev", "ci", "thorough"):
            raise ValueError(f"Budget.name must be one of dev/ci/thorough, got {self.name!r}")
        for k in ("max_n", "max_d", "max_width"):
            v = getattr(self, k)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 2:
                raise ValueError(f"Budget.{k} must be an int >= 2, got {v!r}")
        if isinstance(self.max_depth, bool) or not isinstance(self.max_depth, numbers.Integral) or self.max_depth < 2:
            raise ValueError(f"Budget.max_depth must be an int >= 2, got {self.max_depth!r}")
        if not (isinstance(self.trials_scale, numbers.Real) and math.isfinite(self.trials_scale)
                and self.trials_scale > 0):
            raise ValueError(f"Budget.trials_scale must be a finite float > 0, got {self.trials_scale!r}")

    def trials(self, base: int) -> int:
        """``max(1, ⌈base·trials_scale⌉)``."""
        return max(1, math.ceil(int(base) * self.trials_scale))

    def params(self) -> dict[str, Any]:
        return {"budget": self.name, "max_n": self.max_n, "max_d": self.max_d,
                "max_width": self.max_width, "max_depth": self.max_depth, "trials_scale": self.trials_scale}


#: named budgets: ``dev`` (fast local runs), ``ci`` (the README's command), ``thorough`` (nightly)
BUDGETS: dict[str, Budget] = {
    "dev": Budget("dev", max_n=32, max_d=64, max_width=256, max_depth=4, trials_scale=0.5),
    "ci": Budget("ci", max_n=64, max_d=128, max_width=512, max_depth=4, trials_scale=1.0),
    "thorough": Budget("thorough", max_n=256, max_d=1024, max_width=4096, max_depth=6, trials_scale=4.0),
}

BUDGET_ENV = "NTK_BUDGET"


def budget_from_env(default: str = "dev") -> Budget:
    """The budget named by the environment variable ``NTK_BUDGET`` (``default`` if unset or empty)."""
    name = os.environ.get(BUDGET_ENV, "").strip() or default
    try:
        return BUDGETS[name]
    except KeyError:
        raise ValueError(f"{BUDGET_ENV} must be one of {sorted(BUDGETS)}, got {name!r}") from None


def _budget(budget: Budget | str | None) -> Budget:
    if budget is None:
        return budget_from_env()
    if isinstance(budget, str):
        if budget not in BUDGETS:
            raise ValueError(f"budget must be one of {sorted(BUDGETS)}, got {budget!r}")
        return BUDGETS[budget]
    if not isinstance(budget, Budget):
        raise TypeError(f"budget must be a Budget, a budget name or None, got {budget!r}")
    return budget


# ----------------------------------------------------------------------------------------------------
# Architectures and β scalings (THEOREMS.md §1)
# ----------------------------------------------------------------------------------------------------

BETA_PRESETS: tuple[str, ...] = ("standard", "he", "lecun", "arbitrary")


def _is_int(v: Any) -> bool:
    return not isinstance(v, (bool, np.bool_)) and isinstance(v, (numbers.Integral, np.integer))


@dataclass(frozen=True)
class Architecture:
    """A deep ReLU network's shape (THEOREMS.md §1): ``widths = (d, n_1, …, n_{L−1}, 1)``, ``betas = (β_1..β_L)``.

    ``W_l ∈ R^{n_{l−1}×n_l}`` has i.i.d. ``N(0, β_l²)`` entries; ``L = len(widths) − 1 ≥ 2``; ``n_L = 1``.
    Lists are converted to tuples (so the object stays hashable).
    """

    widths: tuple[int, ...]
    betas: tuple[float, ...]

    def __post_init__(self):
        widths = tuple(self.widths)
        betas = tuple(self.betas)
        if len(widths) < 3:
            raise ValueError(f"widths must have length >= 3 (depth L >= 2), got widths={widths!r}")
        for i, w in enumerate(widths):
            if not _is_int(w) or w < 1:
                raise ValueError(f"widths[{i}] must be an int >= 1, got {w!r} (widths={widths!r})")
        if widths[-1] != 1:
            raise ValueError(f"widths[-1] must be 1 (scalar output n_L = 1), got widths={widths!r}")
        if len(betas) != len(widths) - 1:
            raise ValueError(f"len(betas) must equal depth L = {len(widths) - 1}, got betas={betas!r}")
        for i, b in enumerate(betas):
            if isinstance(b, (bool, np.bool_)) or not isinstance(b, (numbers.Real, np.floating, np.integer)) \
                    or not math.isfinite(float(b)) or not float(b) > 0:
                raise ValueError(f"betas[{i}] must be a finite float > 0, got {b!r} (betas={betas!r})")
        object.__setattr__(self, "widths", tuple(int(w) for w in widths))
        object.__setattr__(self, "betas", tuple(float(b) for b in betas))

    @property
    def depth(self) -> int:
        """``L``, the number of weight matrices."""
        return len(self.widths) - 1

    @property
    def input_dim(self) -> int:
        """``d = n_0``."""
        return self.widths[0]

    @property
    def hidden_widths(self) -> tuple[int, ...]:
        """``(n_1, …, n_{L−1})``."""
        return self.widths[1:-1]

    def wide_layers(self, n: int, factor: float = 1.0) -> tuple[int, ...]:
        """Hidden layers ``k ∈ [L−1]`` with ``n_k ≥`` :func:`wide_threshold` ``(n, factor)``."""
        t = wide_threshold(n, factor)
        return tuple(k for k, w in enumerate(self.hidden_widths, start=1) if w >= t)

    def params(self) -> dict[str, Any]:
        return {"widths": list(self.widths), "betas": list(self.betas), "depth": self.depth}


def pick_beta_preset(name: str, widths: Iterable[int]) -> tuple[float, ...]:
    """Per-layer ``β_l`` (``l = 1..L``, ``n_0 = d``) for a named preset (THEOREMS.md §3, Thm 4.1).

    ``"standard"``: ``β_l = 1`` (the limiting-NTK setting); ``"he"``: ``β_l = √(2/n_{l−1})``;
    ``"lecun"``: ``β_l = 1/√n_{l−1}``. ``"arbitrary"`` is drawn by :func:`architectures`, not a preset.
    """
    widths = tuple(widths)
    if len(widths) < 3 or any(not _is_int(w) or w < 1 for w in widths):
        raise ValueError(f"widths must be >= 3 ints >= 1, got {widths!r}")
    fan_in = widths[:-1]
    if name == "standard":
        return tuple(1.0 for _ in fan_in)
    if name == "he":
        return tuple(math.sqrt(2.0 / n) for n in fan_in)
    if name == "lecun":
        return tuple(1.0 / math.sqrt(n) for n in fan_in)
    if name == "arbitrary":
        raise ValueError("beta preset 'arbitrary' has no fixed values; draw it with architectures(...)")
    raise ValueError(f"beta preset must be one of {BETA_PRESETS}, got {name!r}")


def wide_threshold(n: int, factor: float = 1.0) -> int:
    """``max(1, ⌈factor·N·ln N⌉)``: the width the suite calls "wide" for ``N`` samples.

    Thm 4.1 / Thm 5.1 ask ``n_k = Ω(N log N log(N/δ))`` with a hidden constant; ``factor`` is that constant
    (times ``log(N/δ)`` if the caller wants the δ term), a convention recorded in the scenario.
    """
    if not _is_int(n) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if not (isinstance(factor, numbers.Real) and math.isfinite(factor) and factor > 0):
        raise ValueError(f"factor must be a finite float > 0, got {factor!r}")
    return max(1, math.ceil(factor * n * math.log(n) - 1e-9))


def max_n_for_wide_layer(budget: Budget | str | None = None, factor: float = 1.0) -> int:
    """Largest ``N ≤ budget.max_n`` whose :func:`wide_threshold` fits in ``budget.max_width``."""
    b = _budget(budget)
    n = b.max_n
    while n > 1 and wide_threshold(n, factor) > b.max_width:
        n -= 1
    return n


def _resolve(draw, value, name: str):
    """``value`` if an int (or None), else draw it from the given strategy."""
    if isinstance(value, SearchStrategy):
        value = draw(value)
    if value is not None and not _is_int(value):
        raise ValueError(f"{name} must be an int or a strategy of ints, got {value!r}")
    return None if value is None else int(value)


@st.composite
def architectures(draw, d: int | SearchStrategy[int], budget: Budget | str | None = None, *,
                  n: int | SearchStrategy[int] | None = None, wide_layer: int | str | None = None,
                  wide_factor: float = 1.0, min_depth: int = 2, max_depth: int | None = None,
                  min_width: int = 8, beta_preset: str = "standard") -> Architecture:
    """Architectures with input dimension ``d`` inside ``budget`` (THEOREMS.md §1).

    ``wide_layer``:

    * ``None``: hidden widths drawn freely in ``[min_width, max_width]``;
    * an int ``k ≥ 1``: layer ``k`` is wide, ``n_k ∈ [wide_threshold(N, wide_factor), max_width]`` (needs
      ``n``), the other hidden layers smaller, ``≤ wide_threshold − 1`` (Thm 4.1's one wide layer); depth is
      drawn ``≥ k+1``;
    * ``"any"``: as an int, with ``k`` drawn in ``[1, L−1]``;
    * ``"none"``: every hidden width ``< wide_threshold`` (negative control "no wide layer").

    (For tiny ``N`` the threshold can be below ``min_width``; the other layers then stay at
    ``min_width`` and may also count as wide. ``"none"`` lowers ``min_width`` to the threshold − 1.)
    ``beta_preset`` in :data:`BETA_PRESETS` or ``"any"``; ``"arbitrary"`` draws each ``β_l`` in
    ``[1/4, 4]``. Raises ``ValueError`` (at draw time) when the request does not fit the budget.
    """
    b = _budget(budget)
    d = _resolve(draw, d, "d")
    n = _resolve(draw, n, "n")
    if d is None or d < 1:
        raise ValueError(f"d must be an int >= 1, got {d!r}")
    max_depth = b.max_depth if max_depth is None else int(max_depth)
    if not (2 <= min_depth <= max_depth <= b.max_depth):
        raise ValueError(f"need 2 <= min_depth <= max_depth <= budget.max_depth={b.max_depth}, "
                         f"got min_depth={min_depth}, max_depth={max_depth}")
    if not (_is_int(min_width) and 1 <= min_width <= b.max_width):
        raise ValueError(f"min_width must be an int in [1, {b.max_width}], got {min_width!r}")
    if wide_layer is not None:
        if n is None:
            raise ValueError(f"wide_layer={wide_layer!r} needs n (the number of samples)")
        threshold = wide_threshold(n, wide_factor)
    if isinstance(wide_layer, str) and wide_layer not in ("any", "none"):
        raise ValueError(f"wide_layer must be None, an int >= 1, 'any' or 'none', got {wide_layer!r}")
    if _is_int(wide_layer):
        if not 1 <= wide_layer <= max_depth - 1:
            raise ValueError(f"wide_layer must be in [1, max_depth-1={max_depth - 1}], got {wide_layer}")
        min_depth = max(min_depth, int(wide_layer) + 1)
    elif wide_layer is not None and not isinstance(wide_layer, str):
        raise ValueError(f"wide_layer must be None, an int >= 1, 'any' or 'none', got {wide_layer!r}")

    L = draw(st.integers(min_depth, max_depth), label="depth")
    hidden_count = L - 1
    if wide_layer is None:
        hidden = [draw(st.integers(min_width, b.max_width)) for _ in range(hidden_count)]
    elif wide_layer == "none":
        hi = min(b.max_width, threshold - 1)
        lo = min(min_width, hi)
        if hi < 1:
            raise ValueError(f"no width < wide_threshold({n}, {wide_factor}) = {threshold} exists")
        hidden = [draw(st.integers(lo, hi)) for _ in range(hidden_count)]
    else:
        k = draw(st.integers(1, hidden_count), label="wide_layer") if wide_layer == "any" else int(wide_layer)
        if threshold > b.max_width:
            raise ValueError(f"wide layer needs width >= {threshold} = wide_threshold({n}, {wide_factor}) > "
                             f"budget.max_width={b.max_width}; use n <= max_n_for_wide_layer(...)="
                             f"{max_n_for_wide_layer(b, wide_factor)}")
        small_hi = min(b.max_width, max(min_width, threshold - 1))
        hidden = []
        for layer in range(1, hidden_count + 1):
            if layer == k:
                hidden.append(draw(st.integers(max(threshold, min_width), b.max_width), label="wide_width"))
            else:
                hidden.append(draw(st.integers(min_width, small_hi)))
    widths = (d, *hidden, 1)

    preset = draw(st.sampled_from(BETA_PRESETS)) if beta_preset == "any" else beta_preset
    if preset == "arbitrary":
        betas = tuple(draw(st.floats(0.25, 4.0, allow_nan=False, allow_infinity=False)) for _ in range(L))
    else:
        betas = pick_beta_preset(preset, widths)
    return Architecture(widths, betas)


# ----------------------------------------------------------------------------------------------------
# Data: exponents, laws, sizes, datasets (THEOREMS.md §2)
# ----------------------------------------------------------------------------------------------------


def even_r(max_r: int = 8) -> SearchStrategy[int]:
    """Even integers ``r ∈ {2, 4, …, max_r}`` (the Hermite order of Thms 3.2, 4.1, 5.1)."""
    if not _is_int(max_r) or max_r < 2:
        raise ValueError(f"max_r must be an int >= 2, got {max_r!r}")
    return st.integers(1, int(max_r) // 2).map(lambda h: 2 * h)


def data_laws(satisfying: str | Iterable[str] = ("A2.1", "A2.2"), zero_mean: bool = False) -> SearchStrategy[DataLaw]:
    """In-regime laws of :data:`generators.laws.ALL_LAWS`: those satisfying ``satisfying`` (+ zero-mean)."""
    tags = {satisfying} if isinstance(satisfying, str) else set(satisfying)
    if zero_mean:
        tags.add("zero-mean")
    laws = LAWS_SATISFYING(tags)
    if not laws:
        raise ValueError(f"no law satisfies {sorted(tags)}")
    return st.sampled_from(laws)


def violating_laws(tag: str) -> SearchStrategy[DataLaw]:
    """Laws of :data:`generators.laws.ALL_LAWS` that violate ``tag`` (negative controls)."""
    laws = tuple(law for law in ALL_LAWS if tag in law.violates)
    if not laws:
        raise ValueError(f"no law violates {tag!r}")
    return st.sampled_from(laws)


@dataclass(frozen=True)
class Dims:
    """Sample count ``N`` and input dimension ``d``."""

    n: int
    d: int

    def params(self) -> dict[str, Any]:
        return {"n": self.n, "d": self.d}


@st.composite
def dims(draw, budget: Budget | str | None = None, *, min_n: int = 2, min_d: int = 2,
         wide_factor: float | None = None) -> Dims:
    """``Dims(n, d)`` with ``min_n ≤ n ≤ max_n`` and ``min_d ≤ d ≤ max_d`` of the budget.

    With ``wide_factor`` the cap on ``n`` is :func:`max_n_for_wide_layer` so a wide layer fits the budget.
    """
    b = _budget(budget)
    max_n = b.max_n if wide_factor is None else max_n_for_wide_layer(b, wide_factor)
    if not (1 <= min_n <= max_n):
        raise ValueError(f"min_n must be in [1, {max_n}], got {min_n!r}")
    if not (1 <= min_d <= b.max_d):
        raise ValueError(f"min_d must be in [1, {b.max_d}], got {min_d!r}")
    return Dims(draw(st.integers(min_n, max_n), label="n"), draw(st.integers(min_d, b.max_d), label="d"))


@dataclass(frozen=True)
class DatasetSpec:
    """``N`` samples in ``R^d`` from ``law``: the deterministic description of a data matrix ``X``."""

    law: DataLaw
    n: int
    d: int

    def __post_init__(self):
        if not isinstance(self.law, DataLaw):
            raise ValueError(f"law must be a DataLaw, got {self.law!r}")
        for k in ("n", "d"):
            v = getattr(self, k)
            if not _is_int(v) or v < 1:
                raise ValueError(f"{k} must be an int >= 1, got {v!r}")
            object.__setattr__(self, k, int(v))

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """``X ∈ R^{N×d}`` (float64), all randomness from ``rng``."""
        return self.law.sample(self.n, self.d, rng)

    def params(self) -> dict[str, Any]:
        return {"law": self.law.params(), "n": self.n, "d": self.d}


@st.composite
def datasets(draw, budget: Budget | str | None = None, *, law: DataLaw | SearchStrategy[DataLaw] | None = None,
             satisfying: str | Iterable[str] = ("A2.1", "A2.2"), zero_mean: bool = False,
             n: int | SearchStrategy[int] | None = None, d: int | SearchStrategy[int] | None = None,
             min_n: int = 2, min_d: int = 2) -> DatasetSpec:
    """A :class:`DatasetSpec`: ``law`` (or one drawn by :func:`data_laws`), and sizes within the budget."""
    b = _budget(budget)
    if law is None:
        law = draw(data_laws(satisfying, zero_mean), label="law")
    elif isinstance(law, SearchStrategy):
        law = draw(law, label="law")
    n = _resolve(draw, n, "n")
    d = _resolve(draw, d, "d")
    if n is None:
        n = draw(st.integers(min_n, b.max_n), label="n")
    if d is None:
        d = draw(st.integers(min_d, b.max_d), label="d")
    return DatasetSpec(law, n, d)



# ----------------------------------------------------------------------------------------------------
# Thm 6.2: architectures where its bound is below the naive Π‖W_l‖²_op
# ----------------------------------------------------------------------------------------------------

#: Largest wide width of the Thm 6.2 families per budget. Thm 6.2's bound is below the naive
#: ``Π ‖W_l‖²_op`` only at wide widths (issue 8; ``scripts/calibrate_thm62.py`` prints the table), and its
#: trials stay cheap there because the narrow widths and the input dimension stay at 16–32 (one search
#: step is ``O(m · s · d)`` flops; the ``d = 2`` sweep ``O(pieces · m · s)``), so these caps exceed
#: ``Budget.max_width`` on purpose. The alternating family of depth 5 likewise exceeds ``max_depth``.
THM62_MAX_WIDE = {"dev": 1024, "ci": 1024, "thorough": 4096}  # the alternating family: ≤ 256 outside thorough
#: ... and of the ``d = 2`` family, whose exact trials cost ``O(m)`` pieces of ``O(s)`` work each (≈ 50 ms at 4096).
THM62_MAX_WIDE_PLANAR = {"dev": 4096, "ci": 4096, "thorough": 16384}
#: Search effort per family and budget (``samples``, ``restarts``, ``steps`` of ntk.lipschitz.lipschitz_search).
THM62_EFFORT = {"dev": (96, 4, 15), "ci": (128, 6, 20), "thorough": (256, 8, 40)}


def thm62_candidates(budget: Budget | str | None = None) -> list[dict[str, Any]]:
    """Every Thm 6.2 scenario of the families the tests draw from, within ``budget`` (all widths and input
    dimensions are powers of two; the calibration of ``THM62_C`` uses none):

    * ``bottleneck``: ``[s, m, s, 1]``, ``k = 2``, ``s ∈ {16, 32}`` — the bound is ``∝ s m log m``, the naive
      product ``∝ m²``;
    * ``planar``: ``[2, m, 16, 1]``, ``k = 2`` — exact Lipschitz constant by the circle sweep (``m`` up to
      :data:`THM62_MAX_WIDE_PLANAR`);
    * ``alternating``: ``[s, m, s, m, s, 1]``, ``k = 4`` (two wide layers) — bound ``∝ s² m² log² m``, naive
      ``∝ m⁴``;
    * ``alternating-3`` (thorough): ``[16, m, 16, m, 1]``, ``k = 3``.

    ``m`` runs over powers of two from 128 to :data:`THM62_MAX_WIDE`. The caller keeps the informative ones
    (``theorems.sec6.informative``: the bound below the naive product — generators do not import theorems)."""
    b = _budget(budget)
    top = THM62_MAX_WIDE[b.name]
    samples, restarts, steps = THM62_EFFORT[b.name]
    eff = {"samples": samples, "restarts": restarts, "steps": steps}
    out = []
    for m in (128, 256, 512, 1024, 2048, 4096, 8192, 16384):
        if m <= THM62_MAX_WIDE_PLANAR[b.name]:
            out.append({"family": "planar", "widths": [2, m, 16, 1], "k": 2})
        if m > top:
            continue
        for sn in (16, 32):
            out.append({"family": "bottleneck", "widths": [sn, m, sn, 1], "k": 2, **eff})
        for sn in (16, 32):
            if m <= 256 or b.name == "thorough":
                out.append({"family": "alternating", "widths": [sn, m, sn, m, sn, 1], "k": 4, **eff})
        if b.name == "thorough":
            out.append({"family": "alternating-3", "widths": [16, m, 16, m, 1], "k": 3, **eff})
    return out


@st.composite
def thm62_scenarios(draw, budget: Budget | str | None = None, *, keep=None):
    """A Thm 6.2 scenario from :func:`thm62_candidates` (those with ``keep(s)`` true, e.g.
    ``theorems.sec6.informative``) with a β preset (standard, He, LeCun). ValueError if none is kept."""
    cands = [c for c in thm62_candidates(budget) if keep is None or keep(c)]
    if not cands:
        raise ValueError(f"no Thm 6.2 candidate scenario is kept within budget {_budget(budget).name!r}")
    s = dict(draw(st.sampled_from(cands), label="thm62 scenario"))
    s["betas"] = draw(st.sampled_from(["standard", "he", "lecun"]), label="betas")
    return s
