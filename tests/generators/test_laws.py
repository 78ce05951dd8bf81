"""Meta tests of :mod:`generators.laws`: each law is the law it claims to be (THEOREMS.md §2).

Statistical assertions use a fixed generator seed (so the tests are deterministic) and thresholds whose
false-fail probability *for a fresh seed* is stated next to them:

* mean: every coordinate of the empirical mean of ``n = 4000`` draws lies within ``5`` standard errors of
  ``law.mean(d)``, the SE computed from the law's known variance (plus the law's own MC error for
  :class:`GeneratorPushforward`). By the CLT ``P(|Z| > 5) = 5.7e−7`` per coordinate, so with ``d = 16``
  the false-fail probability is ``≤ 16·5.7e−7 ≈ 1e−5`` per law (union bound).
* ``E‖x‖²``: the empirical mean of ``‖x‖²`` within ``6`` empirical standard errors (``P ≈ 2e−9``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from generators.laws import (
    ALL_LAWS,
    ASSUMPTION_TAGS,
    IMPLICIT_TAGS,
    LAWS_SATISFYING,
    LAWS_VIOLATING,
    BinaryHypercube,
    DataLaw,
    Gaussian,
    GeneratorPushforward,
    HeavyTailed,
    Hypercube,
    LowDimensional,
    NonCentered,
    RepeatedPoints,
    Sphere,
    law_from_params,
)

SEED = 20211
N = 4000
D = 16
Z_MEAN = 5.0
Z_NORM = 6.0

# laws with i.i.d. rows and finite third moments (so the CLT-based SE thresholds apply)
IID_LAWS = [
    Gaussian(), Sphere(), Hypercube(), GeneratorPushforward(), GeneratorPushforward(centered=False),
    GeneratorPushforward(latent_dim_ratio=1.0, depth=3, seed=3), BinaryHypercube(), LowDimensional(),
    LowDimensional(intrinsic_dim=5), NonCentered(), NonCentered(shift=-0.3),
]
IN_REGIME = [law for law in IID_LAWS if {"A2.1", "A2.2"} <= law.satisfies
             and not (IMPLICIT_TAGS & set(law.violates))]


def _rng(tag: int = 0) -> np.random.Generator:
    return np.random.default_rng([SEED, tag])


def _ids(laws):
    return [law.name for law in laws]


# ---------------------------------------------------------------------------- tags and records


@pytest.mark.parametrize("law", ALL_LAWS + tuple(IID_LAWS), ids=_ids(ALL_LAWS + tuple(IID_LAWS)))
def test_tags_are_consistent(law):
    assert law.satisfies <= ASSUMPTION_TAGS
    assert set(law.violates) <= ASSUMPTION_TAGS | IMPLICIT_TAGS
    assert not (law.satisfies & set(law.violates))
    assert all(isinstance(r, str) and r.strip() for r in law.violates.values())
    # every assumption tag is either satisfied or violated with a reason: no silent gaps
    assert ASSUMPTION_TAGS <= law.satisfies | set(law.violates)
    assert law.description and type(law).__doc__ and "THEOREMS.md" in (type(law).__doc__ + __doc__)


@pytest.mark.parametrize("law", ALL_LAWS + tuple(IID_LAWS), ids=_ids(ALL_LAWS + tuple(IID_LAWS)))
def test_frozen_hashable_and_params_roundtrip(law):
    assert isinstance(law, DataLaw)
    assert hash(law) == hash(law_from_params(law.params()))
    assert law_from_params(law.params()) == law
    with pytest.raises(AttributeError):
        law.some_field = 1  # frozen


def test_laws_satisfying():
    thm32 = set(LAWS_SATISFYING(("A2.1", "A2.2", "zero-mean")))
    assert thm32 == {Gaussian(), Sphere(), Hypercube(), GeneratorPushforward()}
    thm41 = set(LAWS_SATISFYING(("A2.1", "A2.2")))
    assert thm41 == thm32 | {NonCentered()}
    assert BinaryHypercube() in LAWS_SATISFYING(("A2.1", "zero-mean"))
    assert RepeatedPoints() not in LAWS_SATISFYING("A2.1")  # violates the implicit i.i.d. assumption
    assert set(LAWS_VIOLATING("A2.2")) == {BinaryHypercube(), LowDimensional(), HeavyTailed()}
    assert set(LAWS_VIOLATING("zero-mean")) == {NonCentered()}
    assert set(LAWS_VIOLATING("iid-continuous")) == {RepeatedPoints()}
    with pytest.raises(ValueError, match="unknown"):
        LAWS_SATISFYING(("A9",))
    assert len(ALL_LAWS) == len(set(ALL_LAWS)) == 9


# ---------------------------------------------------------------------------- moments


@pytest.mark.parametrize("law", IID_LAWS, ids=_ids(IID_LAWS))
def test_empirical_mean_matches_population_mean(law):
    x = law.sample(N, D, _rng(1))
    se = np.sqrt(law.variance(D) / N + law.mean_standard_error(D) ** 2)
    z = (x.mean(axis=0) - law.mean(D)) / se
    assert np.max(np.abs(z)) < Z_MEAN, f"{law.name}: max |z| = {np.max(np.abs(z)):.2f}; z = {np.round(z, 2)}"


@pytest.mark.parametrize("law", IID_LAWS, ids=_ids(IID_LAWS))
def test_second_moment_and_scaling_a21(law):
    """A2.1: ``E‖x − Ex‖² = d`` (declared), ``E‖x‖²`` matches the sample, ``E‖x‖ = Θ(√d)``."""
    assert law.total_variance(D) == pytest.approx(D, rel=1e-12)
    assert law.second_moment(D) == pytest.approx(D + float(law.mean(D) @ law.mean(D)), rel=1e-12)
    x = law.sample(N, D, _rng(2))
    sq = np.sum(x * x, axis=1)
    mc = getattr(law, "mean_standard_error")(D)  # MC error of the declared moments (0 when exact)
    se = sq.std(ddof=1) * math.sqrt(1.0 / N + (1.0 / 2**16 if np.any(mc > 0) else 0.0))
    gap = abs(sq.mean() - law.second_moment(D))
    assert gap <= Z_NORM * se + 1e-9 * D, f"{law.name}: E‖x‖² sample {sq.mean():.4f} vs {law.second_moment(D):.4f}"
    ratio = np.sqrt(sq).mean() / math.sqrt(law.second_moment(D))
    assert 0.5 < ratio <= 1.0 + 1e-9  # Jensen: E‖x‖ ≤ √E‖x‖²; Θ(√d) with constant ≥ 1/2


@pytest.mark.parametrize("d", [1, 2, 3, 64])
@pytest.mark.parametrize("law", ALL_LAWS, ids=_ids(ALL_LAWS))
def test_shapes_dtype_and_determinism(law, d):
    x = law.sample(7, d, _rng(3))
    assert x.shape == (7, d) and x.dtype == np.float64 and np.all(np.isfinite(x))
    assert np.array_equal(x, law.sample(7, d, _rng(3)))
    assert law.mean(d).shape == law.variance(d).shape == (d,)
    assert law.second_moment(d) > 0


# ---------------------------------------------------------------------------- law-specific facts


def test_sphere_norms_exactly_sqrt_d():
    for d in (1, 2, 16, 257):
        x = Sphere().sample(50, d, _rng(4))
        np.testing.assert_allclose(np.linalg.norm(x, axis=1), math.sqrt(d), rtol=1e-13)


def test_binary_hypercube_entries_are_signs():
    x = BinaryHypercube().sample(200, 33, _rng(5))
    assert set(np.unique(x)) == {-1.0, 1.0}


def test_hypercube_marginal_is_uniform():
    """KS test of the pooled coordinates against U[−√3, √3] (fixed seed; false-fail 1e−6 for a fresh one)."""
    x = Hypercube().sample(2000, 8, _rng(6)).ravel()
    assert np.max(np.abs(x)) <= math.sqrt(3.0)
    assert stats.kstest(x, stats.uniform(-math.sqrt(3.0), 2 * math.sqrt(3.0)).cdf).pvalue > 1e-6


def test_repeated_points_have_duplicates_and_singular_gram():
    law = RepeatedPoints(Gaussian(), 0.5)
    x = law.sample(20, 32, _rng(7))
    assert len(np.unique(x, axis=0)) == law.n_distinct(20) == 10
    assert np.linalg.eigvalsh(x @ x.T)[0] <= 1e-10 * np.trace(x @ x.T)  # λ_min(XXᵀ) = 0 up to round-off
    assert not law.samples_iid() and Gaussian().samples_iid()
    assert np.array_equal(law.mean(5), Gaussian().mean(5))
    assert law.n_distinct(1) == 1 and law.n_distinct(2) == 1 and RepeatedPoints(n_distinct_fraction=0.99).n_distinct(10) == 9
    assert law.sample(1, 3, _rng(7)).shape == (1, 3)


def test_non_centered_mean_is_nonzero():
    law = NonCentered(shift=1.0)
    x = law.sample(N, D, _rng(8))
    assert np.all(law.mean(D) == 1.0)
    assert np.min(np.abs(x.mean(axis=0))) > 10.0 / math.sqrt(N)  # ≥ 10 SE away from zero in every coordinate
    g = x @ x.T
    off = g[~np.eye(N, dtype=bool)]
    assert abs(off.mean() - D) < 1.0  # ⟨x_i,x_j⟩ ≈ shift²·d: the step (d) event of Thm 3.2 fails


def test_heavy_tailed_unit_variance_and_large_kurtosis():
    law = HeavyTailed(df=2.5)
    np.testing.assert_array_equal(law.variance(D), np.ones(D))  # analytic: (df−2)/df · df/(df−2)
    assert law.excess_kurtosis() == math.inf and HeavyTailed(10.0).excess_kurtosis() == pytest.approx(1.0)
    x = law.sample(N, D, _rng(9)).ravel()
    # the sample is the scaled Student-t law (KS; false-fail 1e−6 for a fresh seed) ...
    assert stats.kstest(x, stats.t(2.5, scale=math.sqrt(0.5 / 2.5)).cdf).pvalue > 1e-6
    # ... with huge sample kurtosis (population kurtosis is infinite; Gaussian: 3)
    g = Gaussian().sample(N, D, _rng(9)).ravel()
    assert stats.kurtosis(g, fisher=False) < 3.2
    assert stats.kurtosis(x, fisher=False) > 20.0


def test_low_dimensional_rank_and_inner_product_scale():
    law = LowDimensional(intrinsic_dim=2)
    d = 64
    x = law.sample(300, d, _rng(10))
    assert np.linalg.matrix_rank(x) == 2
    assert law.basis(d).shape == (d, 2)
    np.testing.assert_allclose(law.basis(d).T @ law.basis(d), np.eye(2), atol=1e-12)
    off = (x @ x.T)[~np.eye(300, dtype=bool)]
    # std of ⟨x_i,x_j⟩ is d/√k ≈ 45, far above the √d = 8 of full-dimensional laws (Thm 3.2 step (d))
    assert off.std() > 4 * math.sqrt(d)
    assert np.linalg.matrix_rank(LowDimensional(intrinsic_dim=5).sample(50, 3, _rng(10))) == 3  # k = min(k, d)


def test_generator_pushforward_properties():
    law = GeneratorPushforward()
    for d in (1, 7, 32):
        assert law.latent_dim(d) >= 0.5 * d and law.latent_dim(d) >= 1
    x = law.sample(400, 32, _rng(11))
    assert np.linalg.matrix_rank(x) == 32  # a 16-dim nonlinear manifold spans R^32: not low-dimensional
    assert np.all(law.mean_standard_error(32) < 0.02)  # MC error of the declared mean, ≈ 2^-8 per coord
    assert 0 < law.lipschitz_bound(32) < 20 and 0 < law.lipschitz_bound(128) < 20  # O(1): A2.2 transfers
    assert law.mean(32) is not law.mean(32) and np.array_equal(law.mean(32), law.mean(32))
    un = GeneratorPushforward(centered=False)
    assert "zero-mean" not in un.satisfies and "zero-mean" in law.satisfies
    assert np.linalg.norm(un.mean(32)) > 1.0  # the biases make E G(z) ≠ 0 before centering
    np.testing.assert_allclose(un.variance(32), law.variance(32))


# ---------------------------------------------------------------------------- validation


@pytest.mark.parametrize("law", ALL_LAWS, ids=_ids(ALL_LAWS))
@pytest.mark.parametrize("n, d, bad", [(0, 3, "n"), (3, 0, "d"), (-2, 3, "n"), (2.0, 3, "n"), (True, 3, "n"),
                                       (3, 1.5, "d"), (3, "4", "d")])
def test_sample_validates_sizes(law, n, d, bad):
    value = n if bad == "n" else d
    with pytest.raises(ValueError, match=rf"^{bad} must be an int >= 1, got {value!r}"):
        law.sample(n, d, _rng())


@pytest.mark.parametrize("law", ALL_LAWS, ids=_ids(ALL_LAWS))
def test_moments_validate_d(law):
    for method in (law.mean, law.variance, law.second_moment):
        with pytest.raises(ValueError, match="d must be an int >= 1, got 0"):
            method(0)
    with pytest.raises(TypeError, match="rng"):
        law.sample(2, 2, np.random.RandomState(0))


@pytest.mark.parametrize("ctor, match", [
    (lambda: HeavyTailed(df=2.0), "df must be > 2.0, got 2.0"),
    (lambda: HeavyTailed(df=math.nan), "df must be finite"),
    (lambda: NonCentered(shift=0.0), "shift must be nonzero"),
    (lambda: RepeatedPoints(n_distinct_fraction=1.0), "n_distinct_fraction must be < 1"),
    (lambda: RepeatedPoints(base="Gaussian"), "base must be a DataLaw"),
    (lambda: LowDimensional(intrinsic_dim=0), "intrinsic_dim must be an int >= 1, got 0"),
    (lambda: GeneratorPushforward(latent_dim_ratio=0.0), "latent_dim_ratio must be > 0"),
    (lambda: GeneratorPushforward(depth=0), "depth must be an int >= 1, got 0"),
    (lambda: GeneratorPushforward(seed=-1), "seed must be an int >= 0, got -1"),
])
def test_constructors_validate(ctor, match):
    with pytest.raises(ValueError, match=match):
        ctor()
