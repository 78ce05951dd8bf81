"""Empirical NTK ``K̄ = J Jᵀ`` and its layerwise identity (THEOREMS.md §1, proof of Thm 4.1; §4 exact).

Every routine is checked against an independent computation: the explicit Jacobian
:func:`ntk.jacobian` (per-sample chain rule with explicit diagonal matrices) and central finite
differences over every parameter in extended precision (:func:`reference.fd_jacobian`).

Rounding model used throughout (derived, not tuned): every computed ``K̄_ij`` — whatever the summation
order and the grouping into layers — differs from the exact ``Σ_p J_ip J_jp`` by at most
``γ (|J||J|ᵀ)_ij`` with ``γ = (P + 2Σ_l n_{l-1} + 2L) eps`` (P products summed; each factor carries a
chain of dot products of total length ``Σ n_{l-1}``); ``|J|`` is :func:`reference.abs_jacobian`.
Two computations of the same quantity therefore agree to ``2γ |J||J|ᵀ``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import ntk
from tests.ntk import reference as R

EPS = R.EPS

CASES = [  # (widths, N, seed)
    ([4, 6, 5, 1], 4, 0),
    ([3, 5, 1], 5, 1),
    ([5, 4, 6, 3, 1], 3, 2),
    ([2, 7, 7, 1], 6, 3),
]


def _setup(widths, N, seed, betas="standard"):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, widths[0]))
    W = ntk.init_weights(widths, betas=betas, rng=rng)
    return X, W


def _gram_bound(X, W, widths):
    """Entrywise bound ``γ |J||J|ᵀ`` on the rounding error of one computed ``K̄``."""
    Ja = R.abs_jacobian(X, W)
    return R.gram_gamma(widths) * (Ja @ Ja.T), Ja


def _rel_fro(A, B):
    return float(np.linalg.norm(A - B) / np.linalg.norm(B))


# ------------------------------------------------------------------------------- K̄ = J Jᵀ (explicit J)
@pytest.mark.parametrize("widths,N,seed", CASES)
def test_empirical_ntk_equals_JJt_explicit_jacobian(widths, N, seed):
    X, W = _setup(widths, N, seed)
    J = ntk.jacobian(X, W)
    assert J.shape == (N, ntk.parameter_count(W))
    K = ntk.empirical_ntk(X, W)
    bound, _ = _gram_bound(X, W, widths)
    # both sides are computed K̄'s: they agree to 2γ|J||J|ᵀ entrywise
    assert np.all(np.abs(K - J @ J.T) <= 2 * bound), np.max(np.abs(K - J @ J.T) / (2 * bound))
    assert _rel_fro(J @ J.T, K) <= 1e-10


# ------------------------------------------------------------------------ K̄ = J Jᵀ (finite differences)
@pytest.mark.parametrize("widths,N,seed", CASES[:3])
def test_jacobian_and_ntk_match_central_differences(widths, N, seed):
    """Central differences of a function that is linear on the step (no kink crossed — asserted in
    :func:`reference.fd_jacobian`) have no truncation error; only evaluation rounding remains,
    ``≤ 2γS/(2h)`` per entry in long double (see the reference's docstring)."""
    X, W = _setup(widths, N, seed)
    assert R.kink_margin(X, W) > 0
    Jfd, e = R.fd_jacobian(X, W)
    J = ntk.jacobian(X, W)
    _, Ja = _gram_bound(X, W, widths)
    # J's own error: each entry is a product along the chain, ≤ (Σ n_{l-1} + 2L) eps · |J|-majorant
    eJ = (sum(widths[:-1]) + 2 * len(widths)) * EPS * Ja
    assert np.all(np.abs(J - Jfd) <= e + eJ), np.max(np.abs(J - Jfd) / (e + eJ))
    # K̄ against J_fd J_fdᵀ: J_fd = J + E with |E| ≤ e, so
    # |J_fd J_fdᵀ − J Jᵀ| ≤ |J| eᵀ + e |J|ᵀ + e eᵀ, plus the rounding of both Gram computations.
    K = ntk.empirical_ntk(X, W)
    Kfd = Jfd @ Jfd.T
    Jm = Ja + e
    tol = Ja @ e.T + e @ Ja.T + e @ e.T + 2 * R.gram_gamma(widths) * (Jm @ Jm.T)
    assert np.all(np.abs(K - Kfd) <= tol)
    assert _rel_fro(Kfd, K) <= 1e-10


# --------------------------------------------------------------------------------- layer terms
@pytest.mark.parametrize("widths,N,seed", CASES)
def test_terms_sum_to_ntk_and_are_layer_blocks(widths, N, seed):
    X, W = _setup(widths, N, seed)
    terms = ntk.empirical_ntk_terms(X, W)
    L = len(widths) - 1
    assert len(terms) == L
    K = ntk.empirical_ntk(X, W)
    bound, Ja = _gram_bound(X, W, widths)
    # summing L computed terms adds ≤ L eps Σ|terms| ≤ L eps |J||J|ᵀ
    assert np.all(np.abs(sum(terms) - K) <= (L * EPS / R.gram_gamma(widths) + 1) * bound)
    J = ntk.jacobian(X, W)
    start = 0
    for k, T in enumerate(terms):  # term k is the W_{k+1} block
        n = widths[k] * widths[k + 1]
        Jk, Jak = J[:, start : start + n], Ja[:, start : start + n]
        start += n
        tol = 2 * R.gram_gamma(widths) * (Jak @ Jak.T)
        assert np.all(np.abs(T - Jk @ Jk.T) <= tol), (k, np.max(np.abs(T - Jk @ Jk.T)))
        assert np.array_equal(T, T.T)
    assert start == J.shape[1]


@pytest.mark.parametrize("widths,N,seed", CASES)
def test_printed_misprint_B_L_over_sqrt_N_fails_corrected_form_holds(widths, N, seed):
    """THEOREMS.md §1: with ``B_L = 1_N/√N`` the last term is divided by ``N``, so the printed identity is
    off by exactly ``(1 − 1/N) (F_{L-1}F_{L-1}ᵀ)``; with ``B_L = 1_N`` it holds."""
    X, W = _setup(widths, N, seed)
    L = len(widths) - 1
    fwd = ntk.forward(X, W)
    B = ntk.backprop_rows(fwd, W)
    assert np.array_equal(B[-1], np.ones((N, 1)))

    def layerwise(B_L):
        Bs = list(B[:-1]) + [B_L]
        return sum((F @ F.T) * (Bk @ Bk.T) for F, Bk in zip(fwd.features, Bs))

    J = ntk.jacobian(X, W)
    JJ = J @ J.T
    bound, _ = _gram_bound(X, W, widths)
    corrected = layerwise(np.ones((N, 1)))
    printed = layerwise(np.ones((N, 1)) / np.sqrt(N))
    assert np.all(np.abs(corrected - JJ) <= 2 * bound)
    last = fwd.features[L - 1] @ fwd.features[L - 1].T
    # the defect is exactly (1 − 1/N)·last term, up to rounding of the two sums (≤ 2·bound) and of 1/√N² (2 eps)
    defect = JJ - printed
    assert np.all(np.abs(defect - (1 - 1 / N) * last) <= 2 * bound + 2 * EPS * np.abs(last))
    rel = _rel_fro(printed, JJ)
    assert rel > 1e-3 and rel > 1e6 * np.linalg.norm(2 * bound) / np.linalg.norm(JJ), rel


# ------------------------------------------------------------------------------------ batching
@pytest.mark.parametrize("widths,N,seed", CASES)
def test_batched_weights_equal_loop(widths, N, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, widths[0]))
    T = 5
    Wb = ntk.init_weights_batch(widths, rng=rng, trials=T)
    assert [w.shape for w in Wb] == [(T, widths[l], widths[l + 1]) for l in range(len(widths) - 1)]
    Kb = ntk.empirical_ntk(X, Wb)
    termsb = ntk.empirical_ntk_terms(X, Wb)
    Xb = np.broadcast_to(X, (T,) + X.shape).copy()
    Kbb = ntk.empirical_ntk(Xb, Wb)  # batched X as well
    assert Kb.shape == (T, N, N)
    for t in range(T):
        Wt = [w[t] for w in Wb]
        Kt = ntk.empirical_ntk(X, Wt)
        bound, _ = _gram_bound(X, Wt, widths)
        assert np.all(np.abs(Kb[t] - Kt) <= 2 * bound)
        assert np.all(np.abs(Kbb[t] - Kt) <= 2 * bound)
        for Tb, Tt in zip(termsb, ntk.empirical_ntk_terms(X, Wt)):
            assert np.all(np.abs(Tb[t] - Tt) <= 2 * bound)
        assert np.array_equal(Kb[t], Kb[t].T)


@pytest.mark.parametrize("chunk", [None, 64], ids=["one-chunk", "chunked"])
@pytest.mark.parametrize("widths,N,seed", CASES)
def test_empirical_ntk_batch_equals_per_trial(widths, N, seed, chunk, monkeypatch):
    """``empirical_ntk_batch`` (stacked products, trials in chunks) equals ``empirical_ntk`` of each trial within both
    evaluations' rounding bound ``2γ|J||J|ᵀ`` (the same sums in another order), with a shared ``X`` and with a data
    set per trial; exactly symmetric. ``chunk = 64`` floats forces chunks of one or two trials. Meta: trial 0's kernel
    against trial 1's weights misses the bound (the comparison can fail)."""
    import ntk.empirical as E

    if chunk is not None:
        monkeypatch.setattr(E, "_CHUNK_FLOATS", chunk)
    rng = np.random.default_rng(seed)
    T = 5
    Xs = rng.standard_normal((T, N, widths[0]))
    Wb = ntk.init_weights_batch(widths, rng=rng, trials=T)
    shared = ntk.empirical_ntk_batch(Xs[0], Wb)
    per = ntk.empirical_ntk_batch(Xs, Wb)
    assert shared.shape == per.shape == (T, N, N)
    for t in range(T):
        Wt = [w[t] for w in Wb]
        for X, Kb in ((Xs[0], shared[t]), (Xs[t], per[t])):
            bound, _ = _gram_bound(X, Wt, widths)
            assert np.all(np.abs(Kb - ntk.empirical_ntk(X, Wt)) <= 2 * bound)
            assert np.array_equal(Kb, Kb.T)
    other = ntk.empirical_ntk(Xs[0], [w[1] for w in Wb])
    bound, _ = _gram_bound(Xs[0], [w[0] for w in Wb], widths)
    assert np.any(np.abs(shared[0] - other) > 2 * bound)


def test_two_dimensional_path_over_several_panels():
    """``N = 150`` (three 64-row panels of the dsyrk path and of the mirror copy): ``empirical_ntk`` against the explicit
    ``J Jᵀ`` of :func:`ntk.jacobian` within ``2γ|J||J|ᵀ``, and :func:`ntk.gram` against per-entry ``math.fsum`` dot
    products within ``n·eps·(|A||A|ᵀ)``; both exactly symmetric."""
    import math

    widths = [3, 8, 6, 1]
    X, W = _setup(widths, 150, 12)
    K = ntk.empirical_ntk(X, W)
    J = ntk.jacobian(X, W)
    bound, _ = _gram_bound(X, W, widths)
    assert np.array_equal(K, K.T) and np.all(np.abs(K - J @ J.T) <= 2 * bound)
    A = np.random.default_rng(13).standard_normal((150, 7))
    G = ntk.gram(A)
    ref = np.array([[math.fsum(A[i] * A[j]) for j in range(150)] for i in range(150)])
    assert np.array_equal(G, G.T)
    assert np.all(np.abs(G - ref) <= 7 * EPS * (np.abs(A) @ np.abs(A).T))


def test_batched_X_with_unbatched_weights():
    widths, N = [3, 6, 4, 1], 4
    rng = np.random.default_rng(11)
    Xb = rng.standard_normal((3, N, widths[0]))
    W = ntk.init_weights(widths, rng=rng)
    Kb = ntk.empirical_ntk(Xb, W)
    for t in range(3):
        bound, _ = _gram_bound(Xb[t], W, widths)
        assert np.all(np.abs(Kb[t] - ntk.empirical_ntk(Xb[t], W)) <= 2 * bound)


def test_limit_scaling_and_parameter_count():
    assert ntk.limit_scaling([8, 64, 128, 1]) == pytest.approx(2 / 64 * 2 / 128, rel=2 * EPS)
    W = ntk.init_weights([3, 5, 7, 1], rng=0)
    assert ntk.parameter_count(W) == 3 * 5 + 5 * 7 + 7


# ------------------------------------------------------------------------ Hypothesis properties
@st.composite
def scenarios(draw, max_depth=4):
    L = draw(st.integers(2, max_depth))
    d = draw(st.integers(1, 6))
    hidden = draw(st.lists(st.integers(1, 8), min_size=L - 1, max_size=L - 1))
    N = draw(st.integers(1, 7))
    seed = draw(st.integers(0, 2**32 - 1))
    widths = [d] + hidden + [1]
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, d)) * draw(st.sampled_from([1e-2, 1.0, 30.0]))
    W = ntk.init_weights(widths, betas=draw(st.sampled_from(["standard", "he", "lecun"])), rng=rng)
    return widths, X, W


def _forward_masks_stable(X, W, widths, slack=1.0):
    fwd = ntk.forward(X, W)
    gam = slack * R.gram_gamma(widths)
    fa = np.abs(X)
    for l, g in enumerate(fwd.pre[:-1]):
        ga = fa @ np.abs(W[l])
        if np.any((np.abs(g) <= 2 * gam * ga) & (ga > 0)):
            return False
        fa = ga * (g > 0)
    return True


PROPS = settings(max_examples=25, deadline=None)


@PROPS
@given(scenarios(), st.floats(1e-3, 1e3), st.integers(-8, 8))
def test_homogeneity_in_X(sc, c, k):
    widths, X, W = sc
    assume(_forward_masks_stable(X, W, widths, slack=2))
    K = ntk.empirical_ntk(X, W)
    # power of two: every operation scales exactly (no under/overflow at these sizes) — bitwise equal
    p = 2.0**k
    assert np.array_equal(ntk.empirical_ntk(p * X, W), p * p * K)
    # general c: each side within γ|J||J|ᵀ (scaled), and fl(cX) adds eps relative per input entry
    bound, _ = _gram_bound(X, W, widths)
    Kc = ntk.empirical_ntk(c * X, W)
    assert np.all(np.abs(Kc - c * c * K) <= c * c * (2 * bound + 4 * EPS * bound / R.gram_gamma(widths)))


@PROPS
@given(scenarios(), st.data())
def test_per_layer_weight_scaling(sc, data):
    """``W_l → c_l W_l`` (``c_l > 0``, e.g. ``β_l → c_l β_l`` with the same normal draws): ReLU is positively
    homogeneous so ``f_L → (Π c) f_L`` and ``∂f_L/∂W_{k+1} → (Π_{m≠k+1} c_m) ∂f_L/∂W_{k+1}``. Hence term ``k``
    scales by ``(Π c / c_{k+1})²`` — not all of ``K̄`` by ``Π c_l²`` (that would be the scaling of
    ``f_L f_Lᵀ``); for equal ``c_l = c`` it is ``c^{2(L-1)}``."""
    widths, X, W = sc
    L = len(widths) - 1
    cs = data.draw(st.lists(st.floats(0.05, 20.0), min_size=L, max_size=L))
    assume(_forward_masks_stable(X, W, widths, slack=4))
    Wc = [c * Wl for c, Wl in zip(cs, W)]
    terms = ntk.empirical_ntk_terms(X, W)
    terms_c = ntk.empirical_ntk_terms(X, Wc)
    Ja = R.abs_jacobian(X, W)
    P = np.prod(cs)
    gam = R.gram_gamma(widths) + 2 * L * EPS  # + fl(c_l W_l): relative eps per weight, ≤ L factors per path
    start = 0
    for k in range(L):
        n = widths[k] * widths[k + 1]
        Jak = Ja[:, start : start + n]
        start += n
        s = (P / cs[k]) ** 2
        assert np.all(np.abs(terms_c[k] - s * terms[k]) <= 2 * gam * s * (Jak @ Jak.T)), k
    # and through the β parameterisation of init_weights (same seed, same normal draws)
    betas = np.ones(L)
    W1 = ntk.init_weights(widths, betas=betas, rng=5)
    W2 = ntk.init_weights(widths, betas=np.array(cs) * betas, rng=5)
    for a, b, c in zip(W1, W2, cs):
        assert np.allclose(b, c * a, rtol=2 * EPS, atol=0)


@PROPS
@given(scenarios(), st.integers(0, 2**32 - 1))
def test_permutation_equivariance_and_exact_symmetry(sc, seed):
    widths, X, W = sc
    perm = np.random.default_rng(seed).permutation(X.shape[0])
    K = ntk.empirical_ntk(X, W)
    assert np.array_equal(K, K.T)
    Kp = ntk.empirical_ntk(X[perm], W)
    assert np.array_equal(Kp, Kp.T)
    bound, _ = _gram_bound(X, W, widths)
    Kperm = K[np.ix_(perm, perm)]
    assert np.all(np.abs(Kp - Kperm) <= 2 * bound[np.ix_(perm, perm)])


@PROPS
@given(scenarios())
def test_psd_up_to_reported_floor(sc):
    """``K̄ = J Jᵀ ⪰ 0``; the computed ``K̄`` is within ``E = γ|J||J|ᵀ`` of it, so
    ``λ_min(computed) ≥ −‖E‖₂ ≥ −‖E‖_F``; the eigensolver adds its own ``N eps ‖K‖``. Both are in the
    floor reported by :func:`ntk.lambda_min` with ``extra_error = ‖E‖_F``."""
    widths, X, W = sc
    K = ntk.empirical_ntk(X, W)
    bound, _ = _gram_bound(X, W, widths)
    e = ntk.lambda_min(K, extra_error=float(np.linalg.norm(bound)))
    assert e.value >= -e.floor, (e.value, e.floor)


# ------------------------------------------------------------------------------------------ threads
def test_results_do_not_depend_on_the_number_of_threads():
    """From N = 256 on, the kernels are cut into fixed pieces run on as many threads as BLAS may use, each with
    single-threaded BLAS (ntk.empirical.parallel_map): with 1 and with 2 BLAS threads the empirical NTK, the
    limiting K^(L) (both paths) and a chunked batch are bitwise equal, and the BLAS limit is restored afterwards.
    (OpenBLAS's own threading does change the last bits for some shapes; that is what the fixed pieces avoid.)
    Meta: the panel path differs from the serial dsyrk path below N = 256 only by rounding (within 2γ|J||J|ᵀ) —
    the comparison of bits is not vacuous, the two routes are distinct code."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import ntk.empirical as E

    rng = np.random.default_rng(21)
    widths = [7, 40, 30, 1]
    X = rng.standard_normal((300, 7))
    W = ntk.init_weights(widths, "he", rng)
    Wb = ntk.init_weights_batch([5, 30, 20, 1], "he", rng, trials=40)
    runs = []
    for threads in (1, 2):
        with threadpoolctl.threadpool_limits(threads, user_api="blas"):
            before = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
            runs.append((ntk.empirical_ntk(X, W), ntk.limiting_ntk_matrix(X, 3), ntk.limiting_ntk(X, 3).ntk,
                         ntk.empirical_ntk_batch(X[:20, :5], Wb)))
            after = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
            assert before == after
    for a, b in zip(*runs):
        assert np.array_equal(a, b)
    bound, _ = _gram_bound(X[:60], W, widths)
    saved = E._PANEL_MIN_N
    try:
        E._PANEL_MIN_N = 10**9
        serial = ntk.empirical_ntk(X[:60], W)
        E._PANEL_MIN_N = 1
        panels = ntk.empirical_ntk(X[:60], W)
    finally:
        E._PANEL_MIN_N = saved
    assert np.all(np.abs(panels - serial) <= 2 * bound) and np.array_equal(panels, panels.T)


def test_parallel_map_restores_blas_threads_on_error():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from ntk.empirical import parallel_map

    def info():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]

    before = info()
    seen = []

    def fn(i):
        seen.append(info())
        if i == 3:
            raise RuntimeError("piece 3 failed")

    with pytest.raises(RuntimeError, match="piece 3"):
        parallel_map(fn, range(6))
    assert info() == before and all(all(n == 1 for n in s) for s in seen)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_threads_work_in_a_forked_child():
    """The thread pools of a parent that has used them do not exist in a forked child (multiprocessing, Dask
    workers): the child builds its own and computes the same kernel."""
    import multiprocessing as mp

    X = np.random.default_rng(3).standard_normal((300, 4))
    ref = ntk.limiting_ntk_matrix(X, 3)  # the parent's pool is now alive
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(ntk.limiting_ntk_matrix, (X, 3)).get(timeout=120)
    assert np.array_equal(got, ref)
