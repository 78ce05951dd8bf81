"""Input validation of every public routine (ntk/_validate.py): bad input raises ``ValueError`` (or
``TypeError`` for wrong types) whose message names the offending argument — never a silent NaN."""

from __future__ import annotations

import re

import numpy as np
import pytest

import ntk

X = np.random.default_rng(0).standard_normal((3, 4))
XNAN = X.copy()
XNAN[1, 2] = np.nan
XINF = X.copy()
XINF[0, 0] = np.inf
W = ntk.init_weights([4, 5, 3, 1], rng=0)


def _raises(exc, name, f):
    with pytest.raises(exc) as info:
        f()
    msg = str(info.value)
    assert re.search(rf"(?<![A-Za-z_]){re.escape(name)}(?![A-Za-z_])", msg), f"{name!r} not named in: {msg}"


# ---------------------------------------------------------------------------- non-finite data
NONFINITE = [
    ("forward", "X", lambda A: ntk.forward(A, W)),
    ("empirical_ntk", "X", lambda A: ntk.empirical_ntk(A, W)),
    ("empirical_ntk_terms", "X", lambda A: ntk.empirical_ntk_terms(A, W)),
    ("jacobian", "X", lambda A: ntk.jacobian(A, W)),
    ("limiting_ntk", "X", lambda A: ntk.limiting_ntk(A, 3)),
    ("limiting_ntk_matrix", "X", lambda A: ntk.limiting_ntk_matrix(A, 3)),
    ("empirical_ntk_batch", "X", lambda A: ntk.empirical_ntk_batch(A, [w[None] for w in W])),
    ("input_angles", "X", lambda A: ntk.input_angles(A)),
    ("relu_expectation", "F", lambda A: ntk.relu_expectation(A)),
    ("relu_derivative_expectation", "F", lambda A: ntk.relu_derivative_expectation(A)),
    ("lambda_min", "K", lambda A: ntk.lambda_min(A[:, :3])),
    ("sigma_min", "F", lambda A: ntk.sigma_min(A)),
    ("khatri_rao_power", "A", lambda A: ntk.khatri_rao_power(A, 2)),
    ("hadamard_power", "M", lambda A: ntk.hadamard_power(A, 2)),
    ("pattern_jacobian", "Z", lambda A: ntk.pattern_jacobian(A, W, 2)),
    ("hermite_functions", "x", lambda A: ntk.hermite_functions(A[:, 0] * A[:, 2], 3)),
    ("arccos_kernels", "theta", lambda A: ntk.arccos_kernels(np.where(np.isfinite(A[:, 0] * A[:, 2]), 1.0, A[:, 0] * A[:, 2]))),
]


@pytest.mark.parametrize("bad", [XNAN, XINF], ids=["nan", "inf"])
@pytest.mark.parametrize("fname,arg,call", NONFINITE, ids=[n for n, _, _ in NONFINITE])
def test_non_finite_data(fname, arg, call, bad):
    _raises(ValueError, arg, lambda: call(bad))


@pytest.mark.parametrize(
    "call",
    [
        lambda Wb: ntk.forward(X, Wb),
        lambda Wb: ntk.empirical_ntk(X, Wb),
        lambda Wb: ntk.jacobian(X, Wb),
        lambda Wb: ntk.naive_lipschitz_upper(Wb, 1),
        lambda Wb: ntk.parameter_count(Wb),
    ],
)
def test_non_finite_weights(call):
    Wb = [w.copy() for w in W]
    Wb[1][0, 0] = np.nan
    _raises(ValueError, "weights", lambda: call(Wb))


def test_wrong_types():
    _raises(TypeError, "X", lambda: ntk.forward(np.array([["a", "b"]]), W))
    _raises(TypeError, "X", lambda: ntk.empirical_ntk(X + 1j, W))
    _raises(TypeError, "weights", lambda: ntk.forward(X, np.ones((4, 5))))
    _raises(TypeError, "depth", lambda: ntk.limiting_ntk(X, 2.0))
    _raises(TypeError, "widths", lambda: ntk.init_weights("abc", rng=0))
    _raises(TypeError, "widths[1]", lambda: ntk.init_weights([4, 5.0, 1], rng=0))
    _raises(TypeError, "trials", lambda: ntk.init_weights_batch([4, 5, 1], rng=0, trials=2.5))
    _raises(TypeError, "r_max", lambda: ntk.hermite_coefficients(np.tanh, True))
    _raises(TypeError, "k", lambda: ntk.naive_lipschitz_upper(W, 1.0))


# ------------------------------------------------------------------------------ zero rows
def test_zero_rows_in_limiting_ntk():
    """A zero row has no angle (``input_angles`` rejects it), but ``K^(L)`` is defined there (its row and column
    are 0; tests/ntk/test_limiting.py shows they are the limit of shrinking rows), as in the empirical NTK."""
    Xz = X.copy()
    Xz[1] = 0
    _raises(ValueError, "X", lambda: ntk.input_angles(Xz))
    for K in (ntk.limiting_ntk(Xz, 2).ntk, ntk.limiting_ntk_matrix(Xz, 2), ntk.empirical_ntk(Xz, W)):
        assert np.all(K[1] == 0) and np.all(K[:, 1] == 0)


def test_lambda_min_rejects_an_asymmetric_matrix():
    """``[[1, 2], [0, 1]]`` (found by a new user: it used to give λ_min = 2e-17, the symmetric part's 0)."""
    _raises(ValueError, "K", lambda: ntk.lambda_min(np.array([[1.0, 2.0], [0.0, 1.0]])))
    with pytest.raises(ValueError, match=r"not symmetric: ‖\(K − Kᵀ\)/2‖_F = 1\.414e\+00"):
        ntk.lambda_min(np.array([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"K\[1\] is not symmetric"):
        ntk.lambda_min(np.stack([np.eye(2), [[1.0, 2.0], [0.0, 1.0]]]))


def test_limiting_ntk_matrix_arguments():
    _raises(TypeError, "depth", lambda: ntk.limiting_ntk_matrix(X, 2.0))
    _raises(ValueError, "depth", lambda: ntk.limiting_ntk_matrix(X, 1))
    _raises(ValueError, "block", lambda: ntk.limiting_ntk_matrix(X, 2, block=0))
    _raises(ValueError, "cols", lambda: ntk.limiting_ntk_matrix(X, 2, cols=0))
    _raises(ValueError, "cols", lambda: ntk.limiting_ntk(X, 2, cols=-1))
    _raises(ValueError, "X", lambda: ntk.limiting_ntk_matrix(X[None], 2))
    for bad in (np.empty((3, 4)), np.empty((3, 3), dtype=np.float32), np.empty((3, 6))[:, ::2], [[0.0] * 3] * 3):
        _raises(ValueError, "out", lambda: ntk.limiting_ntk_matrix(X, 2, out=bad))


def test_empirical_ntk_batch_arguments():
    Wb = ntk.init_weights_batch([4, 5, 3, 1], rng=0, trials=2)
    _raises(ValueError, "weights", lambda: ntk.empirical_ntk_batch(X, W))  # no trial axis
    _raises(ValueError, "X", lambda: ntk.empirical_ntk_batch(np.stack([X] * 3), Wb))  # 3 data sets, 2 trials
    _raises(ValueError, "W_1", lambda: ntk.empirical_ntk_batch(X[:, :3], Wb))
    _raises(ValueError, "X", lambda: ntk.empirical_ntk_batch(XNAN, Wb))


# -------------------------------------------------------------------------- widths and depth
@pytest.mark.parametrize(
    "call",
    [
        lambda w: ntk.init_weights(w, rng=0),
        lambda w: ntk.init_weights_batch(w, rng=0, trials=2),
        lambda w: ntk.resolve_betas(w),
        lambda w: ntk.limit_scaling(w),
    ],
)
def test_widths_below_one_and_too_short(call):
    _raises(ValueError, "widths[1]", lambda: call([4, 0, 1]))
    _raises(ValueError, "widths[0]", lambda: call([-1, 3, 1]))
    _raises(ValueError, "widths", lambda: call([4, 1]))  # depth L = 1 < 2


def test_depth_below_two():
    _raises(ValueError, "depth", lambda: ntk.limiting_ntk(X, 1))
    _raises(ValueError, "depth", lambda: ntk.limiting_ntk(X, 0))
    _raises(ValueError, "weights", lambda: ntk.forward(X, [W[0]]))
    _raises(ValueError, "weights", lambda: ntk.empirical_ntk(X, [W[0][:, :1]]))
    _raises(ValueError, "weights", lambda: ntk.parameter_count([W[0]]))


# --------------------------------------------------------------------------- shape mismatches
@pytest.mark.parametrize(
    "call",
    [
        lambda A, Ws: ntk.forward(A, Ws),
        lambda A, Ws: ntk.empirical_ntk(A, Ws),
        lambda A, Ws: ntk.empirical_ntk_terms(A, Ws),
        lambda A, Ws: ntk.jacobian(A, Ws),
    ],
)
def test_shape_mismatch_X_W1_and_consecutive_W(call):
    _raises(ValueError, "W_1", lambda: call(X[:, :3], W))  # d = 3 but W_1 has 4 rows
    bad = [W[0], W[1][:4], W[2]]  # W_1 has 5 columns, W_2 has 4 rows
    _raises(ValueError, "W_2", lambda: call(X, bad))


def test_consecutive_shape_mismatch_other_routines():
    bad = [W[0], W[1][:4], W[2]]
    _raises(ValueError, "weights", lambda: ntk.naive_lipschitz_upper(bad, 2))
    _raises(ValueError, "weights", lambda: ntk.pattern_jacobian(X, bad, 2))
    _raises(ValueError, "weights", lambda: ntk.parameter_count(bad))
    _raises(ValueError, "Z", lambda: ntk.pattern_jacobian(X[:, :3], W, 2))
    _raises(ValueError, "n_L", lambda: ntk.empirical_ntk(X, [W[0], np.ones((5, 2))]))
    _raises(ValueError, "K", lambda: ntk.lambda_min(X))  # not square


# ------------------------------------------------------------------------------- β and presets
def test_negative_or_nonfinite_beta_and_unknown_preset():
    _raises(ValueError, "betas[1]", lambda: ntk.resolve_betas([4, 5, 1], [1.0, -0.5]))
    _raises(ValueError, "betas[0]", lambda: ntk.init_weights([4, 5, 1], betas=[np.nan, 1.0], rng=0))
    _raises(ValueError, "betas", lambda: ntk.init_weights([4, 5, 1], betas=-1.0, rng=0))
    _raises(ValueError, "betas", lambda: ntk.init_weights([4, 5, 1], betas=[1.0, 1.0, 1.0], rng=0))
    _raises(ValueError, "betas", lambda: ntk.init_weights_batch([4, 5, 1], betas="xavier", rng=0))
    _raises(ValueError, "betas", lambda: ntk.resolve_betas([4, 5, 1], "Standard"))
    _raises(ValueError, "beta", lambda: ntk.relu_expectation(X, beta=-1.0))
    _raises(ValueError, "beta", lambda: ntk.relu_expectation(X, beta=np.inf))


# ------------------------------------------------------------------------------------- r < 0
def test_negative_orders():
    _raises(ValueError, "r", lambda: ntk.relu_hermite(-2))
    _raises(ValueError, "r", lambda: ntk.relu_hermite(np.array([0, 2, -1])))
    _raises(ValueError, "r", lambda: ntk.relu_hermite(2.5))
    _raises(ValueError, "r", lambda: ntk.hadamard_power(X, -1))
    _raises(ValueError, "r", lambda: ntk.khatri_rao_power(X, 0))
    _raises(ValueError, "r_max", lambda: ntk.hermite_functions(np.zeros(3), -1))
    _raises(ValueError, "r_max", lambda: ntk.hermite_coefficients(np.tanh, -1))
    _raises(ValueError, "nodes", lambda: ntk.hermite_coefficients(np.tanh, 3, nodes=0))


# ----------------------------------------------------------------------------- other arguments
def test_other_arguments():
    _raises(ValueError, "rng", lambda: ntk.init_weights([4, 5, 1]))
    _raises(ValueError, "trials", lambda: ntk.init_weights_batch([4, 5, 1], rng=0, trials=0))
    _raises(ValueError, "block", lambda: ntk.limiting_ntk(X, 2, block=0))
    _raises(ValueError, "k", lambda: ntk.naive_lipschitz_upper(W, 0))
    _raises(ValueError, "k", lambda: ntk.pattern_jacobian(X, W, 4))
    _raises(ValueError, "samples", lambda: ntk.lipschitz_lower_estimate(W, 1, 0, samples=0))
    _raises(ValueError, "extra_error", lambda: ntk.lambda_min(np.eye(2), extra_error=-1.0))
    _raises(ValueError, "extra_error", lambda: ntk.lambda_min(np.eye(2), extra_error=np.nan))
    _raises(ValueError, "theta", lambda: ntk.arccos_kernels(np.array([-0.1])))
    _raises(ValueError, "theta", lambda: ntk.arccos_kernels(np.array([4.0])))
    _raises(ValueError, "activation", lambda: ntk.hermite_coefficients(lambda g: np.where(g > 0, np.inf, 0.0), 3))
    _raises(ValueError, "jacobian", lambda: ntk.jacobian(X, [w[None] for w in W]))


def test_empirical_ntk_overflow_is_an_error():
    X = np.full((3, 2), 1e160)
    W = ntk.init_weights([2, 4, 1], "standard", np.random.default_rng(0))
    with pytest.raises(ValueError, match="overflows float64"):
        ntk.empirical_ntk(X, W)


def test_backprop_rows_rejects_a_forward_pass_of_other_weights():
    rng = np.random.default_rng(0)
    W, W2 = ntk.init_weights([3, 4, 1], "standard", rng), ntk.init_weights([3, 5, 1], "standard", rng)
    fwd = ntk.forward(rng.standard_normal((2, 3)), W)
    with pytest.raises(ValueError, match="does not match the weights"):
        ntk.backprop_rows(fwd, W2)


def test_lambda_min_extra_error_must_be_scalar_for_one_matrix():
    with pytest.raises(ValueError, match="extra_error"):
        ntk.lambda_min(np.eye(3), extra_error=np.array([1e-3, 2e-3]))
