"""Meta tests of :mod:`generators.scenarios`: strategies stay valid and inside the budget (THEOREMS.md §1–§3)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.laws import IMPLICIT_TAGS, DataLaw, Gaussian, NonCentered
from generators.scenarios import (
    BETA_PRESETS,
    BUDGETS,
    Architecture,
    Budget,
    DatasetSpec,
    Dims,
    architectures,
    budget_from_env,
    data_laws,
    datasets,
    dims,
    even_r,
    max_n_for_wide_layer,
    pick_beta_preset,
    violating_laws,
    wide_threshold,
)

MANY = settings(max_examples=150)


def _assert_within(arch: Architecture, budget: Budget, d: int):
    assert isinstance(arch, Architecture)
    assert arch.widths[0] == d and arch.widths[-1] == 1
    assert 2 <= arch.depth <= budget.max_depth
    assert len(arch.betas) == arch.depth == len(arch.hidden_widths) + 1
    assert all(1 <= w <= budget.max_width for w in arch.hidden_widths)
    assert all(b > 0 and math.isfinite(b) for b in arch.betas)
    assert Architecture(arch.widths, arch.betas) == arch  # passes its own validation


# ---------------------------------------------------------------------------- budgets


def test_budgets_are_ordered_and_small_in_dev_ci():
    dev, ci, th = BUDGETS["dev"], BUDGETS["ci"], BUDGETS["thorough"]
    for b in (dev, ci):
        assert b.max_n <= 64 and b.max_d <= 128 and b.max_width <= 512
    for k in ("max_n", "max_d", "max_width", "max_depth", "trials_scale"):
        assert getattr(dev, k) <= getattr(ci, k) <= getattr(th, k)
    assert ci.trials(10) == 10 and dev.trials(1) == 1 and th.trials(10) == 40


def test_budget_from_env(monkeypatch):
    monkeypatch.delenv("NTK_BUDGET", raising=False)
    assert budget_from_env() is BUDGETS["dev"]
    monkeypatch.setenv("NTK_BUDGET", "thorough")
    assert budget_from_env() is BUDGETS["thorough"]
    monkeypatch.setenv("NTK_BUDGET", "huge")
    with pytest.raises(ValueError, match="NTK_BUDGET.*'huge'"):
        budget_from_env()


def test_budget_validation():
    with pytest.raises(ValueError, match="name"):
        Budget("big", 8, 8, 8, 2, 1.0)
    with pytest.raises(ValueError, match="max_depth"):
        Budget("dev", 8, 8, 8, 1, 1.0)
    with pytest.raises(ValueError, match="trials_scale"):
        Budget("dev", 8, 8, 8, 2, 0.0)


# ---------------------------------------------------------------------------- architectures


def test_architecture_properties_and_validation():
    a = Architecture([5, 10, 20, 1], [1, 2, 0.5])
    assert a.widths == (5, 10, 20, 1) and a.betas == (1.0, 2.0, 0.5)
    assert a.depth == 3 and a.input_dim == 5 and a.hidden_widths == (10, 20)
    assert a.params() == {"widths": [5, 10, 20, 1], "betas": [1.0, 2.0, 0.5], "depth": 3}
    assert hash(a) == hash(Architecture((5, 10, 20, 1), (1.0, 2.0, 0.5)))
    assert a.wide_layers(4) == (1, 2) and a.wide_layers(5, factor=2.0) == (2,)  # threshold ⌈10 ln 5⌉ = 17
    bad = [
        (([5, 1], [1.0]), "length >= 3"),
        (([5, 0, 1], [1.0, 1.0]), r"widths\[1\] must be an int >= 1, got 0"),
        (([5, 2.0, 1], [1.0, 1.0]), r"widths\[1\]"),
        (([5, 3, 2], [1.0, 1.0]), r"widths\[-1\] must be 1"),
        (([5, 3, 1], [1.0]), "len\\(betas\\) must equal depth L = 2"),
        (([5, 3, 1], [1.0, 0.0]), r"betas\[1\] must be a finite float > 0, got 0.0"),
        (([5, 3, 1], [1.0, math.inf]), r"betas\[1\]"),
        (([5, 3, 1], [-1.0, 1.0]), r"betas\[0\]"),
    ]
    for (w, b), match in bad:
        with pytest.raises(ValueError, match=match):
            Architecture(w, b)


def test_pick_beta_preset():
    w = (4, 8, 2, 1)
    assert pick_beta_preset("standard", w) == (1.0, 1.0, 1.0)
    assert pick_beta_preset("he", w) == pytest.approx((math.sqrt(2 / 4), math.sqrt(2 / 8), math.sqrt(2 / 2)))
    assert pick_beta_preset("lecun", w) == pytest.approx((0.5, 1 / math.sqrt(8), 1 / math.sqrt(2)))
    with pytest.raises(ValueError, match="arbitrary"):
        pick_beta_preset("arbitrary", w)
    with pytest.raises(ValueError, match="one of"):
        pick_beta_preset("xavier", w)


def test_wide_threshold():
    assert wide_threshold(1) == 1 and wide_threshold(2) == 2
    assert wide_threshold(64) == math.ceil(64 * math.log(64)) == 267
    assert wide_threshold(10, 2.0) == math.ceil(20 * math.log(10))
    for name, b in BUDGETS.items():
        n = max_n_for_wide_layer(b)
        assert wide_threshold(n) <= b.max_width and (n == b.max_n or wide_threshold(n + 1) > b.max_width)
    with pytest.raises(ValueError, match="n must be"):
        wide_threshold(0)


@pytest.mark.parametrize("budget_name", sorted(BUDGETS))
@MANY
@given(data=st.data())
def test_architectures_within_budget(budget_name, data):
    b = BUDGETS[budget_name]
    d = data.draw(st.integers(1, b.max_d), label="d")
    preset = data.draw(st.sampled_from(BETA_PRESETS + ("any",)), label="preset")
    arch = data.draw(architectures(d, b, beta_preset=preset))
    _assert_within(arch, b, d)
    assert all(w >= 8 for w in arch.hidden_widths)
    if preset in ("standard", "he", "lecun"):
        assert arch.betas == pick_beta_preset(preset, arch.widths)
    if preset == "arbitrary":
        assert all(0.25 <= x <= 4.0 for x in arch.betas)


@pytest.mark.parametrize("budget_name", sorted(BUDGETS))
@MANY
@given(data=st.data())
def test_wide_layer_architectures(budget_name, data):
    """One wide layer at ``k`` (Thm 4.1's ξ_k = 1), others smaller; ``"none"`` has no wide layer."""
    b = BUDGETS[budget_name]
    size = data.draw(dims(b, wide_factor=1.0))
    n, d = size.n, size.d
    t = wide_threshold(n)
    k = data.draw(st.one_of(st.integers(1, b.max_depth - 1), st.just("any")), label="k")
    arch = data.draw(architectures(d, b, n=n, wide_layer=k, beta_preset="he"))
    _assert_within(arch, b, d)
    wide = arch.wide_layers(n)
    if k != "any":
        assert arch.depth >= k + 1 and k in wide
    assert wide
    if t - 1 >= 8:  # the other layers can be strictly smaller than the threshold (documented)
        assert len(wide) == 1
    none = data.draw(architectures(d, b, n=n, wide_layer="none"))
    _assert_within(none, b, d)
    assert none.wide_layers(n) == ()


@MANY
@given(data=st.data())
def test_architectures_accept_strategies_and_depth_bounds(data):
    b = BUDGETS["ci"]
    arch = data.draw(architectures(st.integers(3, 9), b, min_depth=3, max_depth=3))
    assert arch.depth == 3 and 3 <= arch.input_dim <= 9


@settings(max_examples=20)
@given(data=st.data())
def test_architectures_reject_invalid_requests(data):
    b = BUDGETS["dev"]
    with pytest.raises(ValueError, match="needs n"):
        data.draw(architectures(4, b, wide_layer=1))
    with pytest.raises(ValueError, match="max_width"):
        data.draw(architectures(4, b, n=b.max_n * 100, wide_layer=1))
    with pytest.raises(ValueError, match="wide_layer must be in"):
        data.draw(architectures(4, b, n=4, wide_layer=b.max_depth))
    with pytest.raises(ValueError, match="wide_layer must be"):
        data.draw(architectures(4, b, n=4, wide_layer="some"))
    with pytest.raises(ValueError, match="max_depth"):
        data.draw(architectures(4, b, max_depth=b.max_depth + 1))
    with pytest.raises(ValueError, match="beta preset"):
        data.draw(architectures(4, b, beta_preset="xavier"))


# ---------------------------------------------------------------------------- r, laws, sizes, datasets


@MANY
@given(even_r(8))
def test_even_r(r):
    assert r % 2 == 0 and 2 <= r <= 8


def test_even_r_validation():
    with pytest.raises(ValueError, match="max_r"):
        even_r(1)


@MANY
@given(data_laws(("A2.1", "A2.2"), zero_mean=True))
def test_data_laws_in_regime(law):
    assert isinstance(law, DataLaw)
    assert {"A2.1", "A2.2", "zero-mean"} <= law.satisfies
    assert not (IMPLICIT_TAGS & set(law.violates)) and not law.violates


@MANY
@given(data_laws(("A2.1", "A2.2")))
def test_data_laws_without_zero_mean_may_be_non_centered(law):
    assert {"A2.1", "A2.2"} <= law.satisfies


@MANY
@given(violating_laws("A2.2"))
def test_violating_laws(law):
    assert "A2.2" in law.violates and "A2.2" not in law.satisfies


@pytest.mark.parametrize("budget_name", sorted(BUDGETS))
@MANY
@given(data=st.data())
def test_dims_within_budget(budget_name, data):
    b = BUDGETS[budget_name]
    size = data.draw(dims(b))
    assert isinstance(size, Dims) and 2 <= size.n <= b.max_n and 2 <= size.d <= b.max_d
    wide = data.draw(dims(b, wide_factor=1.0, min_n=1, min_d=1))
    assert wide_threshold(wide.n) <= b.max_width


@MANY
@given(datasets("dev", zero_mean=True))
def test_datasets_sample_with_given_rng(spec):
    assert isinstance(spec, DatasetSpec)
    b = BUDGETS["dev"]
    assert 2 <= spec.n <= b.max_n and 2 <= spec.d <= b.max_d
    x = spec.sample(np.random.default_rng(0))
    assert x.shape == (spec.n, spec.d) and x.dtype == np.float64
    assert np.array_equal(x, spec.sample(np.random.default_rng(0)))
    assert spec.params()["law"] == spec.law.params()


@settings(max_examples=20)
@given(datasets(law=NonCentered(2.0), n=5, d=st.integers(3, 4)))
def test_datasets_fixed_law_and_sizes(spec):
    assert spec.law == NonCentered(2.0) and spec.n == 5 and spec.d in (3, 4)


def test_dataset_spec_validation():
    with pytest.raises(ValueError, match="n must be an int >= 1, got 0"):
        DatasetSpec(Gaussian(), 0, 3)
    with pytest.raises(ValueError, match="law must be a DataLaw"):
        DatasetSpec("Gaussian", 2, 3)
