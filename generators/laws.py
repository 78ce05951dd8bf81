"""Data laws ``P_X`` for the statements of THEOREMS.md, each saying which assumptions of §2 it satisfies.

THEOREMS.md §2 assumes samples ``x_1, …, x_N`` i.i.d. from ``P_X`` with

* **A2.1 scaling**: ``E‖x‖ = Θ(√d)``, ``E‖x‖² = Θ(d)``, ``E‖x − Ex‖² = Ω(d)``;
* **A2.2 Lipschitz concentration**: ``P(|f(x) − Ef| > t) ≤ 2 exp(−c t²/‖f‖²_Lip)`` for *every* Lipschitz
  ``f`` with an absolute (dimension-free) ``c``;
* **zero-mean** ``E x = 0`` (Thm 3.2 only).

Every law here is a frozen (hashable) dataclass with ``params()`` for scenario records, the exact
population ``mean(d)`` and ``second_moment(d) = E‖x‖²`` (or a documented Monte Carlo estimate, with its
standard error, for :class:`GeneratorPushforward`), the per-coordinate ``variance(d)``, and two tags:
``satisfies`` (a subset of :data:`ASSUMPTION_TAGS`) and ``violates`` (tag → one-line reason). The tags
``"iid-continuous"`` (i.i.d. samples from a law with no atoms, so distinct points a.s.) and
``"full-dimension"`` (the data are not confined to a fixed low-dimensional subspace) name the implicit
assumptions of the paper; a law violating them is a negative control only (DESIGN.md "Negative controls").

In-regime laws all have ``E‖x − Ex‖² = d`` (unit variance per coordinate on average), so A2.1 holds with
the constants 1; the checks in ``tests/generators/test_laws.py`` verify this empirically.
"""

from __future__ import annotations

import abc
import functools
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "ALL_LAWS",
    "ASSUMPTION_TAGS",
    "IMPLICIT_TAGS",
    "BinaryHypercube",
    "DataLaw",
    "Gaussian",
    "GeneratorPushforward",
    "HeavyTailed",
    "Hypercube",
    "LAWS_SATISFYING",
    "LAWS_VIOLATING",
    "LowDimensional",
    "NonCentered",
    "RepeatedPoints",
    "Sphere",
    "law_from_params",
]

#: Assumption tags a law may *satisfy* (THEOREMS.md §2).
ASSUMPTION_TAGS: frozenset[str] = frozenset({"A2.1", "A2.2", "zero-mean"})
#: Implicit assumptions of the paper, only ever *violated* (negative controls).
IMPLICIT_TAGS: frozenset[str] = frozenset({"iid-continuous", "full-dimension"})


def _check_count(name: str, value: Any) -> int:
    """``value`` as an int ≥ 1, else ``TypeError``/``ValueError`` naming ``name`` and the value."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise ValueError(f"{name} must be an int >= 1, got {value!r} ({type(value).__name__})")
    if int(value) < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


def _check_real(name: str, value: Any, *, gt: float | None = None, lt: float | None = None,
                nonzero: bool = False) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if gt is not None and not v > gt:
        raise ValueError(f"{name} must be > {gt}, got {value!r}")
    if lt is not None and not v < lt:
        raise ValueError(f"{name} must be < {lt}, got {value!r}")
    if nonzero and v == 0.0:
        raise ValueError(f"{name} must be nonzero, got {value!r}")
    return v


class DataLaw(abc.ABC):
    """A data law ``P_X`` on ``R^d`` for every ``d ≥ 1`` (THEOREMS.md §2).

    Subclasses are frozen dataclasses implementing :meth:`_sample`, :meth:`_mean`, :meth:`_variance`
    and the tags. The public methods validate arguments (``ValueError`` naming the argument) and fix
    the output to float64 arrays.
    """

    #: assumption tags (⊆ :data:`ASSUMPTION_TAGS`) that hold, and why (in the class docstring)
    satisfies: ClassVar[frozenset[str]] = frozenset()
    #: tag → one-line reason, for each assumption (or implicit assumption) that fails
    violates: ClassVar[Mapping[str, str]] = {}
    #: one-line description for reports
    description: ClassVar[str] = ""

    # -- public API ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Short name with the parameters, e.g. ``HeavyTailed(df=2.5)``."""
        ps = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)]  # type: ignore[arg-type]
        return f"{type(self).__name__}({', '.join(ps)})" if ps else type(self).__name__

    def params(self) -> dict[str, Any]:
        """JSON-able record of the law for scenario records (see :func:`law_from_params`)."""
        out: dict[str, Any] = {"law": type(self).__name__}
        for f in fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            out[f.name] = v.params() if isinstance(v, DataLaw) else v
        return out

    def sample(self, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` samples in ``R^d`` as an ``(n, d)`` float64 array, all randomness from ``rng``."""
        n = _check_count("n", n)
        d = _check_count("d", d)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        x = np.asarray(self._sample(n, d, rng), dtype=np.float64)
        assert x.shape == (n, d), (type(self).__name__, x.shape, (n, d))
        return x

    def mean(self, d: int) -> np.ndarray:
        """Population mean ``E x ∈ R^d`` (exact, except for :class:`GeneratorPushforward`)."""
        return np.asarray(self._mean(_check_count("d", d)), dtype=np.float64).copy()

    def variance(self, d: int) -> np.ndarray:
        """Per-coordinate variances ``Var x_j`` (``E‖x − Ex‖² = variance(d).sum()``)."""
        return np.asarray(self._variance(_check_count("d", d)), dtype=np.float64).copy()

    def total_variance(self, d: int) -> float:
        """``E‖x − Ex‖²`` (A2.1 requires ``Ω(d)``)."""
        return float(self.variance(d).sum())

    def second_moment(self, d: int) -> float:
        """``E‖x‖² = E‖x − Ex‖² + ‖Ex‖²`` (A2.1 requires ``Θ(d)``)."""
        m = self.mean(d)
        return float(self.total_variance(d) + m @ m)

    def mean_standard_error(self, d: int) -> np.ndarray:
        """Standard error of :meth:`mean` per coordinate: zero for exact means (MC estimates override)."""
        return np.zeros(_check_count("d", d))

    def samples_iid(self) -> bool:
        """Whether :meth:`sample` returns i.i.d. rows (false for :class:`RepeatedPoints`)."""
        return "iid-continuous" not in self.violates

    # -- to implement -------------------------------------------------------------------------------
    @abc.abstractmethod
    def _sample(self, n: int, d: int, rng: np.random.Generator) -> np.ndarray: ...

    @abc.abstractmethod
    def _mean(self, d: int) -> np.ndarray: ...

    @abc.abstractmethod
    def _variance(self, d: int) -> np.ndarray: ...


# ----------------------------------------------------------------------------------------------------
# In-regime laws (A2.1 and A2.2; THEOREMS.md §2 names all of them)
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gaussian(DataLaw):
    """Standard Gaussian ``N(0, I_d)`` -- satisfies A2.1, A2.2 and zero-mean (THEOREMS.md §2).

    A2.1: ``E‖x‖² = d`` exactly, ``E‖x‖ = √2 Γ((d+1)/2)/Γ(d/2) ∈ [√(d−1), √d]``. A2.2: Gaussian
    concentration (Tsirelson–Ibragimov–Sudakov) with ``c = 1/2``, dimension-free. Zero mean by symmetry.
    """

    satisfies: ClassVar[frozenset[str]] = frozenset({"A2.1", "A2.2", "zero-mean"})
    violates: ClassVar[Mapping[str, str]] = {}
    description: ClassVar[str] = "standard Gaussian N(0, I_d)"

    def _sample(self, n, d, rng):
        return rng.standard_normal((n, d))

    def _mean(self, d):
        return np.zeros(d)

    def _variance(self, d):
        return np.ones(d)


@dataclass(frozen=True)
class Sphere(DataLaw):
    """Uniform on the sphere ``√d·S^{d−1}`` -- satisfies A2.1, A2.2 and zero-mean (THEOREMS.md §2).

    A2.1: ``‖x‖ = √d`` surely. A2.2: Lévy's isoperimetric inequality on the sphere gives sub-Gaussian
    concentration of Lipschitz functions with a dimension-free constant (Vershynin, HDP Thm 5.1.4).
    Zero mean by symmetry; each coordinate has variance ``E x_j² = ‖x‖²/d = 1``.
    Sampled as ``√d · z/‖z‖`` with ``z ~ N(0, I_d)``.
    """

    satisfies: ClassVar[frozenset[str]] = frozenset({"A2.1", "A2.2", "zero-mean"})
    violates: ClassVar[Mapping[str, str]] = {}
    description: ClassVar[str] = "uniform on the sphere of radius √d"

    def _sample(self, n, d, rng):
        z = rng.standard_normal((n, d))
        norms = np.linalg.norm(z, axis=1, keepdims=True)
        while np.any(norms == 0.0):  # probability zero; redraw those rows to stay exact
            bad = norms[:, 0] == 0.0
            z[bad] = rng.standard_normal((int(bad.sum()), d))
            norms = np.linalg.norm(z, axis=1, keepdims=True)
        return math.sqrt(d) * z / norms

    def _mean(self, d):
        return np.zeros(d)

    def _variance(self, d):
        return np.ones(d)


@dataclass(frozen=True)
class Hypercube(DataLaw):
    """Uniform on the continuous cube ``[−√3, √3]^d`` -- satisfies A2.1, A2.2 and zero-mean (THEOREMS.md §2).

    Each coordinate is uniform with variance ``(2√3)²/12 = 1``, so ``E‖x‖² = d``. A2.2: the uniform law
    on ``[0,1]^d`` is a 1-Lipschitz image of ``N(0, I_d)`` scaled by ``1/√(2π)`` (coordinate-wise normal
    CDF), hence Lipschitz functions concentrate with a dimension-free constant. Zero mean by symmetry.
    """

    satisfies: ClassVar[frozenset[str]] = frozenset({"A2.1", "A2.2", "zero-mean"})
    violates: ClassVar[Mapping[str, str]] = {}
    description: ClassVar[str] = "uniform on the continuous hypercube [−√3, √3]^d (unit variance)"

    def _sample(self, n, d, rng):
        return rng.uniform(-math.sqrt(3.0), math.sqrt(3.0), size=(n, d))

    def _mean(self, d):
        return np.zeros(d)

    def _variance(self, d):
        return np.ones(d)


#: number of latent draws of the fixed Monte Carlo estimate of :class:`GeneratorPushforward`
GENERATOR_MC_DRAWS: int = 2**16
_GENERATOR_MC_CHUNK = 4096
_GENERATOR_MC_TAG = 0x4E544B4D  # "NTKM": domain separation of the MC seed from the weight seed
_GENERATOR_BIAS_STD = 0.5


@dataclass(frozen=True)
class _GeneratorState:
    latent_dim: int
    weights: tuple[np.ndarray, ...]  # W_l of shape (fan_in, fan_out), already divided by √fan_in
    biases: tuple[np.ndarray, ...]   # hidden-layer biases (the output layer has none)
    raw_mean: np.ndarray             # MC estimate of E G(z)
    raw_var: np.ndarray              # MC estimate (unbiased) of Var G(z)_j
    scale: float                     # c with c² Σ_j raw_var_j = d


def _generator_forward(z: np.ndarray, weights, biases) -> np.ndarray:
    h = z
    for l, w in enumerate(weights):
        h = h @ w
        if l < len(weights) - 1:
            h = np.tanh(h + biases[l])
    return h


@functools.lru_cache(maxsize=64)
def _generator_state(latent_dim_ratio: float, depth: int, seed: int, d: int) -> _GeneratorState:
    k = max(1, math.ceil(latent_dim_ratio * d - 1e-9))
    hidden = max(d, k)
    dims = [k] + [hidden] * (depth - 1) + [d]
    wrng = np.random.default_rng(seed)
    weights = tuple(wrng.standard_normal((dims[i], dims[i + 1])) / math.sqrt(dims[i]) for i in range(depth))
    biases = tuple(_GENERATOR_BIAS_STD * wrng.standard_normal(dims[i + 1]) for i in range(depth - 1))
    for a in (*weights, *biases):
        a.setflags(write=False)
    mrng = np.random.default_rng(np.random.SeedSequence([_GENERATOR_MC_TAG, seed, depth, d, k]))
    s1 = np.zeros(d)
    s2 = np.zeros(d)
    shift = None
    for start in range(0, GENERATOR_MC_DRAWS, _GENERATOR_MC_CHUNK):
        m = min(_GENERATOR_MC_CHUNK, GENERATOR_MC_DRAWS - start)
        g = _generator_forward(mrng.standard_normal((m, k)), weights, biases)
        if shift is None:  # shifted sums keep the variance estimate free of cancellation
            shift = g[0].copy()
        g = g - shift
        s1 += g.sum(axis=0)
        s2 += (g * g).sum(axis=0)
    M = GENERATOR_MC_DRAWS
    raw_mean = shift + s1 / M
    raw_var = np.maximum((s2 - s1 * s1 / M) / (M - 1), 0.0)
    total = float(raw_var.sum())
    if not total > 0.0:
        raise ValueError(f"GeneratorPushforward: degenerate generator at d={d} (zero variance)")
    scale = math.sqrt(d / total)
    for a in (raw_mean, raw_var):
        a.setflags(write=False)
    return _GeneratorState(k, weights, biases, raw_mean, raw_var, scale)


@dataclass(frozen=True)
class GeneratorPushforward(DataLaw):
    """``x = c·(G(z) − m̂)`` (``centered``) or ``x = c·G(z)``, ``z ~ N(0, I_k)``: a generator network's output.

    THEOREMS.md §2 names Lipschitz images of the Gaussian ("outputs of a generator network") as A2.2
    laws. Here ``k = max(1, ⌈latent_dim_ratio·d⌉)`` (so ``k ≥ ratio·d``: the support is a ``k``-dimensional
    manifold with ``k ∝ d``, not a low-dimensional set), and ``G`` is a fixed random ``tanh`` network of
    ``depth`` weight layers ``k → h → … → h → d`` (``h = max(d, k)``; hidden layers ``tanh(W u + b)``,
    linear output), weights ``N(0, 1/fan_in)`` and biases ``N(0, 1/4)`` drawn from
    ``numpy.random.default_rng(seed)`` in shapes determined by ``d`` (cached per ``d``). The biases make
    ``E G(z) ≠ 0`` (without them ``G`` would be odd and the mean zero by symmetry).

    Monte Carlo normalisation (the only inexact quantities of the module): ``m̂`` and the per-coordinate
    variances ``v̂`` of ``G(z)`` are estimated once per ``d`` from ``2^16`` latent draws with a fixed seed,
    and ``c = √(d / Σ_j v̂_j)``. Hence

    * ``E‖x − Ex‖² = d·(Σv/Σv̂)``: equal to ``d`` up to the relative MC error of ``Σv̂`` (about
      ``√(Var‖G−m‖²/2^16)/Σv``, measured ≈ 0.2% at ``d = 16``: well under 1%);
    * :meth:`mean` returns the MC estimate (``c·m̂``, or ``0`` when centered) and
      :meth:`mean_standard_error` its standard error ``c·√(v̂_j / 2^16)`` per coordinate (``≈ 1/256``);
      when ``centered`` the true mean is ``c(m − m̂)``, so "zero-mean" is claimed **only up to that MC
      error**, not exactly.

    A2.1 and A2.2 hold: ``x`` is a Lipschitz image of ``N(0, I_k)`` with
    ``‖x‖_Lip ≤ c·Π_l ‖W_l‖_op`` (``tanh`` is 1-Lipschitz), a bounded quantity for random
    ``N(0, 1/fan_in)`` layers of comparable sizes (:meth:`lipschitz_bound` computes it), so Gaussian
    concentration transfers with constant ``1/(2‖x‖²_Lip)``; ``E‖x−Ex‖² = d`` by the choice of ``c``.
    """

    latent_dim_ratio: float = 0.5
    depth: int = 2
    seed: int = 0
    centered: bool = True

    description: ClassVar[str] = "pushforward of N(0, I_k) by a fixed random tanh generator, k ∝ d"

    def __post_init__(self):
        _check_real("latent_dim_ratio", self.latent_dim_ratio, gt=0.0)
        _check_count("depth", self.depth)
        if isinstance(self.seed, bool) or not isinstance(self.seed, (numbers.Integral, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {self.seed!r}")
        if not isinstance(self.centered, (bool, np.bool_)):
            raise ValueError(f"centered must be a bool, got {self.centered!r}")
        object.__setattr__(self, "latent_dim_ratio", float(self.latent_dim_ratio))
        object.__setattr__(self, "depth", int(self.depth))
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "centered", bool(self.centered))

    @property
    def satisfies(self) -> frozenset[str]:  # type: ignore[override]
        return frozenset({"A2.1", "A2.2", "zero-mean"} if self.centered else {"A2.1", "A2.2"})

    @property
    def violates(self) -> Mapping[str, str]:  # type: ignore[override]
        if self.centered:
            return {}
        return {"zero-mean": "not centered: E x = c·E G(z) ≠ 0 (the generator's biases shift the mean)"}

    def _state(self, d: int) -> _GeneratorState:
        return _generator_state(self.latent_dim_ratio, self.depth, self.seed, d)

    def latent_dim(self, d: int) -> int:
        """``k = max(1, ⌈ratio·d⌉)``."""
        return self._state(_check_count("d", d)).latent_dim

    def scale(self, d: int) -> float:
        """The normalising constant ``c`` (MC estimate)."""
        return self._state(_check_count("d", d)).scale

    def lipschitz_bound(self, d: int) -> float:
        """Upper bound ``c·Π_l ‖W_l‖_op`` on the Lipschitz constant of ``z ↦ x``."""
        st = self._state(_check_count("d", d))
        return float(st.scale * np.prod([np.linalg.norm(w, 2) for w in st.weights]))

    def _sample(self, n, d, rng):
        st = self._state(d)
        g = _generator_forward(rng.standard_normal((n, st.latent_dim)), st.weights, st.biases)
        if self.centered:
            g = g - st.raw_mean
        return st.scale * g

    def _mean(self, d):
        st = self._state(d)
        return np.zeros(d) if self.centered else st.scale * st.raw_mean

    def _variance(self, d):
        st = self._state(d)
        return st.scale**2 * st.raw_var

    def mean_standard_error(self, d: int) -> np.ndarray:
        st = self._state(_check_count("d", d))
        return st.scale * np.sqrt(st.raw_var / GENERATOR_MC_DRAWS)


@dataclass(frozen=True)
class BinaryHypercube(DataLaw):
    """Uniform on ``{−1, 1}^d`` -- satisfies A2.1 and zero-mean; **outside A2.2's dimension-free form**.

    A2.1: ``‖x‖ = √d`` surely; zero mean by symmetry. THEOREMS.md §2: the paper lists the binary cube
    among A2.2 laws, but Talagrand's inequality gives dimension-free sub-Gaussian concentration only for
    *convex* Lipschitz ``f``; for general 1-Lipschitz ``f`` (e.g. the distance to a Hamming ball of
    half the points) the fluctuations are dimension-free only with a weaker, non-uniform constant, so
    A2.2 as stated ("every Lipschitz f") is not established. Reported as a separate case.
    """

    satisfies: ClassVar[frozenset[str]] = frozenset({"A2.1", "zero-mean"})
    violates: ClassVar[Mapping[str, str]] = {
        "A2.2": "concentration holds for convex Lipschitz f only (Talagrand), not with a dimension-free "
                "constant for all Lipschitz f",
    }
    description: ClassVar[str] = "uniform on the binary hypercube {−1, 1}^d"

    def _sample(self, n, d, rng):
        return 2.0 * rng.integers(0, 2, size=(n, d)).astype(np.float64) - 1.0

    def _mean(self, d):
        return np.zeros(d)

    def _variance(self, d):
        return np.ones(d)


# ----------------------------------------------------------------------------------------------------
# Violating laws (negative controls, DESIGN.md)
# ----------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _subspace_basis(k: int, d: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, k)))
    q.setflags(write=False)
    return q  # (d, k) with orthonormal columns


@dataclass(frozen=True)
class LowDimensional(DataLaw):
    """Gaussian on a fixed random ``k``-dimensional subspace, scaled so ``E‖x‖² = d`` -- negative control.

    ``x = √(d/k)·U z``, ``z ~ N(0, I_k)``, ``U ∈ R^{d×k}`` orthonormal columns (QR of a Gaussian matrix
    from ``default_rng(seed)``, fixed per ``d``); ``k = min(intrinsic_dim, d)``.

    A2.1 holds literally (``E‖x‖² = E‖x−Ex‖² = d``, ``E‖x‖ = √(d/k)·Eχ_k = Θ(√d)`` for fixed ``k``) and the
    mean is zero, but the law violates A2.2 and full dimensionality, and Thm 3.2's proof fails at
    step (d) (THEOREMS.md §3):

    * ``‖x‖²`` = ``(d/k)χ²_k`` fluctuates at scale ``d/√k``, so the event ``‖x_i‖² = Θ(d)`` for all ``i`` does
      not have probability ``1 − N e^{−Ω(d)}`` (it fails with probability bounded away from 0 in ``d``);
      equivalently the 1-Lipschitz ``f(x) = ‖x‖`` has fluctuations ``√(d/k)``, not ``O(1)``: no
      dimension-free A2.2 constant.
    * ``⟨x_i, x_j⟩ = (d/k)⟨z_i, z_j⟩`` has standard deviation ``d/√k``, not ``√d``: inner products do not
      concentrate at scale ``√d``, so ``max_{i≠j} |⟨x_i,x_j⟩| ≤ d N^{−1/(r−0.5)}`` fails and the Gershgorin
      margin of step (c) is negative.
    * ``XXᵀ`` has rank ``≤ k`` and ``(X^{*r})(X^{*r})ᵀ = (XXᵀ)^{∘r}`` rank ``≤ C(k+r−1, r) ≤ k^r``, so for
      ``N`` beyond that the lower bound of step (b) is zero; ``λ_min(K^{(L)})`` stays positive (distinct
      non-parallel points) but is not ``Ω(d)`` as ``N`` grows.
    """

    intrinsic_dim: int = 2
    seed: int = 0

    satisfies: ClassVar[frozenset[str]] = frozenset({"A2.1", "zero-mean"})
    violates: ClassVar[Mapping[str, str]] = {
        "A2.2": "‖x‖ = √(d/k)·χ_k: the 1-Lipschitz norm fluctuates at scale √(d/k), no dimension-free constant",
        "full-dimension": "data lie in a fixed k-dim subspace: ⟨x_i,x_j⟩ has std d/√k, not √d, and "
                          "rank (XXᵀ)^{∘r} ≤ C(k+r−1, r)",
    }
    description: ClassVar[str] = "Gaussian on a fixed random k-dimensional subspace, E‖x‖² = d"

    def __post_init__(self):
        _check_count("intrinsic_dim", self.intrinsic_dim)
        if isinstance(self.seed, bool) or not isinstance(self.seed, (numbers.Integral, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {self.seed!r}")
        object.__setattr__(self, "intrinsic_dim", int(self.intrinsic_dim))
        object.__setattr__(self, "seed", int(self.seed))

    def basis(self, d: int) -> np.ndarray:
        """The fixed orthonormal basis ``U ∈ R^{d×k}`` of the subspace."""
        d = _check_count("d", d)
        return _subspace_basis(min(self.intrinsic_dim, d), d, self.seed)

    def _sample(self, n, d, rng):
        u = self.basis(d)
        k = u.shape[1]
        return math.sqrt(d / k) * rng.standard_normal((n, k)) @ u.T

    def _mean(self, d):
        return np.zeros(d)

    def _variance(self, d):
        u = self.basis(d)
        return (d / u.shape[1]) * np.sum(u * u, axis=1)


@dataclass(frozen=True)
class NonCentered(DataLaw):
    """``N(shift·1, I_d)``: a Gaussian translated by ``shift`` in every coordinate -- violates zero-mean.

    A2.1 holds (``E‖x‖² = d(1 + shift²)``, ``E‖x − Ex‖² = d``) and A2.2 holds (a translation does not change
    ``f(x) − Ef``'s law up to re-centering: Gaussian concentration, ``c = 1/2``). It violates only Thm 3.2's
    ``E x = 0``: ``⟨x_i, x_j⟩ ≈ shift²·d`` for ``i ≠ j``, so step (d)'s ``max |⟨x_i,x_j⟩| ≤ d N^{−1/(r−0.5)}``
    fails and ``XXᵀ`` has a rank-one spike. Thm 4.1 does not assume zero mean, so this law is in its regime.
    """

    shift: float = 1.0

    satisfies: ClassVar[frozenset[str]] = frozenset({"A2.1", "A2.2"})
    violates: ClassVar[Mapping[str, str]] = {
        "zero-mean": "E x = shift·1 ≠ 0: ⟨x_i,x_j⟩ ≈ shift²·d for i ≠ j (Thm 3.2 step (d) fails)",
    }
    description: ClassVar[str] = "Gaussian N(shift·1, I_d)"

    def __post_init__(self):
        object.__setattr__(self, "shift", _check_real("shift", self.shift, nonzero=True))

    def _sample(self, n, d, rng):
        return rng.standard_normal((n, d)) + self.shift

    def _mean(self, d):
        return np.full(d, self.shift)

    def _variance(self, d):
        return np.ones(d)


@dataclass(frozen=True)
class HeavyTailed(DataLaw):
    """I.i.d. Student-t coordinates (``df`` degrees of freedom) scaled to unit variance -- violates A2.2.

    ``x_j = √((df−2)/df)·t_j`` (``Var t = df/(df−2)`` needs ``df > 2``), so ``E‖x‖² = d`` exactly, zero mean
    and A2.1 hold. A2.2 fails: the 1-Lipschitz ``f(x) = x_1`` has polynomial tails ``P(|x_1| > t) ≍ t^{−df}``,
    not sub-Gaussian ones; for ``df ≤ 4`` the fourth moment (kurtosis) is infinite, and ``‖x_i‖²`` does not
    concentrate at ``d`` with probability ``1 − N e^{−Ω(d)}`` (Thm 3.2 step (d), Thm 4.1's ``N e^{−Ω(d)}``).
    """

    df: float = 2.5

    satisfies: ClassVar[frozenset[str]] = frozenset({"A2.1", "zero-mean"})
    violates: ClassVar[Mapping[str, str]] = {
        "A2.2": "Student-t coordinates have polynomial tails P(|x_1|>t) ≍ t^{−df}: Lipschitz f = x_1 is "
                "not sub-Gaussian",
    }
    description: ClassVar[str] = "i.i.d. Student-t coordinates, unit variance"

    def __post_init__(self):
        object.__setattr__(self, "df", _check_real("df", self.df, gt=2.0))

    def _sample(self, n, d, rng):
        return math.sqrt((self.df - 2.0) / self.df) * rng.standard_t(self.df, size=(n, d))

    def _mean(self, d):
        return np.zeros(d)

    def _variance(self, d):
        return np.ones(d)

    def excess_kurtosis(self) -> float:
        """Excess kurtosis ``6/(df−4)`` of each coordinate (``inf`` for ``df ≤ 4``)."""
        return math.inf if self.df <= 4.0 else 6.0 / (self.df - 4.0)


@dataclass(frozen=True)
class RepeatedPoints(DataLaw):
    """``⌊fraction·n⌋`` i.i.d. draws of ``base``, with the remaining rows copies of them -- violates i.i.d.

    Sampling: ``n_distinct = clip(⌊n_distinct_fraction·n⌋, 1, n−1)`` rows from ``base``, then
    ``n − n_distinct`` rows chosen uniformly among them, all rows randomly permuted. For ``n ≥ 2`` at
    least two rows are equal, so ``XXᵀ``, every ``F_k F_kᵀ`` and both NTKs are singular: ``λ_min = 0``
    exactly (up to round-off) -- the sure refutation of every lower bound. (``n = 1`` cannot repeat and
    returns one base draw.) Each row is still distributed as ``base``, so :meth:`mean` and
    :meth:`variance` are ``base``'s and the marginal tags are ``base``'s; the rows are dependent.
    """

    base: DataLaw = field(default_factory=Gaussian)
    n_distinct_fraction: float = 0.5

    violates_own: ClassVar[Mapping[str, str]] = {
        "iid-continuous": "rows are repeated, so samples are not i.i.d. from an atomless law and λ_min = 0",
    }
    description: ClassVar[str] = "base-law draws with repeated rows"

    def __post_init__(self):
        if not isinstance(self.base, DataLaw):
            raise ValueError(f"base must be a DataLaw, got {self.base!r}")
        object.__setattr__(self, "n_distinct_fraction",
                           _check_real("n_distinct_fraction", self.n_distinct_fraction, gt=0.0, lt=1.0))

    @property
    def satisfies(self) -> frozenset[str]:  # type: ignore[override]
        return self.base.satisfies

    @property
    def violates(self) -> Mapping[str, str]:  # type: ignore[override]
        return {**self.base.violates, **self.violates_own}

    def n_distinct(self, n: int) -> int:
        n = _check_count("n", n)
        return 1 if n == 1 else min(n - 1, max(1, math.floor(self.n_distinct_fraction * n)))

    def _sample(self, n, d, rng):
        k = self.n_distinct(n)
        distinct = self.base.sample(k, d, rng)
        idx = np.concatenate([np.arange(k), rng.integers(0, k, size=n - k)])
        return distinct[rng.permutation(idx)]

    def _mean(self, d):
        return self.base.mean(d)

    def _variance(self, d):
        return self.base.variance(d)

    def mean_standard_error(self, d: int) -> np.ndarray:
        return self.base.mean_standard_error(d)


# ----------------------------------------------------------------------------------------------------
# Catalogue
# ----------------------------------------------------------------------------------------------------

#: one instance of every law, in-regime first
ALL_LAWS: tuple[DataLaw, ...] = (
    Gaussian(),
    Sphere(),
    Hypercube(),
    GeneratorPushforward(),
    BinaryHypercube(),
    LowDimensional(),
    NonCentered(),
    HeavyTailed(),
    RepeatedPoints(),
)

_LAW_TYPES: dict[str, type[DataLaw]] = {type(law).__name__: type(law) for law in ALL_LAWS}


def _normalize_tags(tags: str | Iterable[str]) -> frozenset[str]:
    tags = frozenset({tags} if isinstance(tags, str) else tags)
    unknown = tags - ASSUMPTION_TAGS - IMPLICIT_TAGS
    if unknown:
        raise ValueError(f"unknown assumption tags {sorted(unknown)}; known: "
                         f"{sorted(ASSUMPTION_TAGS | IMPLICIT_TAGS)}")
    return tags


def LAWS_SATISFYING(tags: str | Iterable[str] = ("A2.1", "A2.2")) -> tuple[DataLaw, ...]:  # noqa: N802
    """The laws of :data:`ALL_LAWS` in the regime ``tags`` (⊆ :data:`ASSUMPTION_TAGS`).

    A law qualifies when it satisfies every tag and violates none of the implicit assumptions
    (:data:`IMPLICIT_TAGS`: i.i.d. atomless samples, full dimension), which every statement needs.
    E.g. ``("A2.1", "A2.2")`` (Thm 4.1) includes :class:`NonCentered`; adding ``"zero-mean"`` (Thm 3.2)
    excludes it.
    """
    tags = _normalize_tags(tags)
    if tags & IMPLICIT_TAGS:
        raise ValueError(f"implicit tags {sorted(tags & IMPLICIT_TAGS)} are always required; pass only "
                         f"{sorted(ASSUMPTION_TAGS)}")
    return tuple(law for law in ALL_LAWS
                 if tags <= law.satisfies and not (IMPLICIT_TAGS & set(law.violates)))


def LAWS_VIOLATING(tag: str) -> tuple[DataLaw, ...]:  # noqa: N802
    """The laws of :data:`ALL_LAWS` that violate ``tag`` (for negative controls)."""
    if not isinstance(tag, str):
        raise ValueError(f"tag must be a str, got {tag!r}")
    _normalize_tags(tag)
    return tuple(law for law in ALL_LAWS if tag in law.violates)


def law_from_params(params: Mapping[str, Any]) -> DataLaw:
    """Rebuild a law from its :meth:`DataLaw.params` record (replay from a report)."""
    params = dict(params)
    try:
        cls = _LAW_TYPES[params.pop("law")]
    except KeyError as e:
        raise ValueError(f"unknown law in params {params!r}") from e
    kwargs = {k: law_from_params(v) if isinstance(v, Mapping) and "law" in v else v for k, v in params.items()}
    return cls(**kwargs)
