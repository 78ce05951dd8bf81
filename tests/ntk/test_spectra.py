"""Smallest eigenvalues / singular values with their numerical floor (DESIGN.md "Numerics").

Reference: ``numpy.linalg.eigvalsh`` / ``numpy.linalg.svd`` (LAPACK ``syevd`` / ``gesdd``, other drivers
than ntk's ``syevr``). Both are backward stable: each computed eigenvalue is within ``p(N) eps ‖K‖₂`` of
the exact one (Weyl), and ntk's floor is ``N eps ‖K‖₂`` with the safe worst-case ``p(N) = N``; the
backward errors LAPACK's symmetric solvers actually attain are a small multiple of ``eps ‖K‖₂``
(Householder tridiagonalisation, Demmel §5.4), so two solvers agree within one floor — that is asserted.
(Strictly, only ``2·floor`` follows from the worst-case bound; the other comparisons here use ``2·floor``.)
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ntk

EPS = np.finfo(np.float64).eps


def _matrix(N, seed, kind):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((N, N))
    if kind == "psd":
        return A @ A.T
    if kind == "lowrank":  # PSD with exact zero eigenvalues: λ_min is at the floor
        B = rng.standard_normal((N, max(1, N // 2)))
        return B @ B.T
    if kind == "scaled":
        return 1e8 * (A + A.T)
    return A + A.T  # indefinite


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**32 - 1), st.sampled_from(["psd", "lowrank", "indefinite", "scaled"]))
def test_lambda_min_vs_numpy(N, seed, kind):
    K = _matrix(N, seed, kind)
    e = ntk.lambda_min(K)
    w = np.linalg.eigvalsh(K)
    norm = max(abs(w[0]), abs(w[-1]))
    assert e.floor > 0 or norm == 0
    # Each backward-stable solver returns λ_min within N·eps·‖K‖₂ (= floor) of the exact value, so the two
    # computed values differ by at most twice the floor (found by Hypothesis: N = 3, "scaled", gap 1.06 floor).
    assert abs(e.value - w[0]) <= 2 * e.floor, (e, w[0])
    # the floor is N eps ‖K‖₂ (‖K‖₂ itself from another solver: within 2 N eps relative)
    assert abs(e.norm - norm) <= 2 * N * EPS * norm
    assert e.floor == pytest.approx(N * EPS * e.norm, rel=4 * EPS)
    if kind == "lowrank" and N >= 2:
        assert not e.resolved  # exact zero eigenvalue: indistinguishable from 0
    if kind == "psd":
        assert e.value >= -e.floor


def test_floor_scales_with_N_and_norm():
    f = []
    for N in (4, 8, 16, 32):
        K = np.eye(N) * 3.0
        e = ntk.lambda_min(K)
        assert e.value == pytest.approx(3.0, rel=N * EPS)
        f.append(e.floor)
        assert ntk.lambda_min(K * 1e6).floor == pytest.approx(1e6 * e.floor, rel=4 * EPS)
    assert np.allclose(np.array(f) / np.array([4, 8, 16, 32]), 3 * EPS, rtol=4 * EPS)
    assert ntk.lambda_min(np.eye(3), extra_error=0.5).floor == pytest.approx(0.5 + 3 * EPS)


@pytest.mark.parametrize("kind", ["psd", "indefinite", "lowrank"])
def test_lambda_min_batch_equals_loop(kind):
    Ks = np.stack([_matrix(12, s, kind) for s in range(6)])
    eb = ntk.lambda_min(Ks, extra_error=np.arange(6) * 1e-3)
    assert eb.value.shape == eb.floor.shape == eb.norm.shape == (6,)
    for t in range(6):
        et = ntk.lambda_min(Ks[t], extra_error=t * 1e-3)
        assert abs(eb.value[t] - et.value) <= 2 * (eb.floor[t] - t * 1e-3)
        assert eb.norm[t] == pytest.approx(et.norm, rel=2 * 12 * EPS)
        assert eb.floor[t] == pytest.approx(et.floor, rel=2 * 12 * EPS)


@pytest.mark.parametrize("N", [2, 7, 40])
def test_lambda_min_symmetrises_rounding_level_asymmetry(N):
    """Every entry of a symmetric ``K₀`` perturbed independently by up to ``√N·u`` relative (``u = eps/2``): then
    ``‖(K − Kᵀ)/2‖_F ≤ √N·u·‖K₀‖_F ≤ N·u·‖K₀‖₂`` — half the floor ``N·eps·‖K‖₂`` — so ``K`` is accepted, and the
    value is ``λ_min`` of its symmetric part within two floors (numpy's solver as the reference)."""
    rng = np.random.default_rng(N)
    K0 = _matrix(N, N, "psd")
    K = K0 * (1 + np.sqrt(N) * EPS / 2 * rng.uniform(-1, 1, (N, N)))
    assert not np.array_equal(K, K.T)
    e = ntk.lambda_min(K)
    assert abs(e.value - np.linalg.eigvalsh(0.5 * (K + K.T))[0]) <= 2 * e.floor


@pytest.mark.parametrize("N", [2, 7, 40])
def test_lambda_min_rejects_asymmetry_beyond_its_floor(N):
    """``K = K₀ + t·A`` with ``A`` antisymmetric, ``t`` from half to twice the floor: ``K`` is rejected (a ValueError
    naming ``K``) exactly when its antisymmetric part, measured independently (numpy's ``norm`` of ``(K − Kᵀ)/2``;
    ``fl(K₀ + tA)`` rounds the perturbation to ulps, so the measured size is used), exceeds ``N·eps·‖K_s‖₂`` with
    ``‖K_s‖₂`` from numpy's solver — the check sits at the floor, neither looser nor tighter (half accepted, twice
    rejected, both asserted). ``extra_error`` widens the admissible asymmetry by itself. In a batch the offending
    matrix is named."""
    rng = np.random.default_rng(100 + N)
    K0 = _matrix(N, N + 1, "psd")
    B = rng.standard_normal((N, N))
    A = (B - B.T) / np.linalg.norm(B - B.T)
    floor0 = ntk.lambda_min(K0).floor
    seen = set()
    for f in (0.5, 0.8, 0.95, 1.05, 1.25, 2.0):
        K = K0 + f * floor0 * A
        asym = np.linalg.norm(K - K.T) / 2
        w = np.linalg.eigvalsh(0.5 * (K + K.T))
        floor = N * EPS * max(abs(w[0]), abs(w[-1]))
        if abs(asym / floor - 1) < 1e-3:
            continue  # within the rounding of the two floor computations: either answer is right
        rejected = asym > floor
        if rejected:
            with pytest.raises(ValueError, match=r"^K is not symmetric"):
                ntk.lambda_min(K)
            assert ntk.lambda_min(K, extra_error=asym - floor + 0.01 * floor).floor > asym
        else:
            assert ntk.lambda_min(K).floor >= asym
        seen.add((f, rejected))
    assert (0.5, False) in seen and (2.0, True) in seen
    batch = np.stack([K0, K0 + 3 * floor0 * A, K0])
    with pytest.raises(ValueError, match=r"K\[1\] is not symmetric"):
        ntk.lambda_min(batch)
    assert ntk.lambda_min(np.stack([K0, K0 + 0.5 * floor0 * A])).value.shape == (2,)


def test_lambda_min_asymmetric_examples():
    """``[[1, 2], [0, 1]]`` (its symmetric part has eigenvalue 0, which is not an eigenvalue of K) and a non-symmetric
    rotation are rejected; a Gram formed by a GEMM without mirroring (``A @ B.T``, ``B`` a copy) is accepted."""
    for K in (np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([[0.0, -1.0], [1.0, 0.0]])):
        with pytest.raises(ValueError, match="not symmetric"):
            ntk.lambda_min(K)
    A = np.random.default_rng(5).standard_normal((30, 300))
    K = A @ A.copy().T
    assert abs(ntk.lambda_min(K).value - np.linalg.eigvalsh(K)[0]) <= 2 * ntk.lambda_min(K).floor


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_sigma_min_vs_numpy_svd(N, n, seed):
    F = np.random.default_rng(seed).standard_normal((N, n))
    e = ntk.sigma_min(F)
    s = np.linalg.svd(F, compute_uv=False)
    if n < N:
        assert e.value == 0.0  # rank ≤ n < N: the N-th singular value is exactly 0
    else:
        assert abs(e.value - s[-1]) <= 2 * e.floor
    assert e.norm == pytest.approx(s[0], rel=2 * max(N, n) * EPS)
    assert e.floor == pytest.approx(max(N, n) * EPS * e.norm, rel=4 * EPS)
    # σ_min(F)² = λ_min(F Fᵀ) (Thm 5.1's quantity), within both floors (λ error ≤ σ-floor·2σ_max)
    lam = ntk.lambda_min(F @ F.T)
    assert abs(e.value**2 - max(lam.value, 0.0)) <= lam.floor + 2 * e.floor * e.norm + 2 * N * EPS * e.norm**2


def test_sigma_min_batch():
    F = np.random.default_rng(0).standard_normal((4, 5, 7))
    eb = ntk.sigma_min(F)
    for t in range(4):
        et = ntk.sigma_min(F[t])
        assert abs(eb.value[t] - et.value) <= 2 * et.floor
    assert np.all(ntk.sigma_min(np.random.default_rng(1).standard_normal((3, 6, 4))).value == 0.0)


def test_clustered_spectrum_where_syevr_fails():
    """X Xᵀ of 14 orthogonal rows of norm² 1.96e4·… (c·I plus rounding): LAPACK syevr reports an internal
    error on this clustered spectrum (found by Hypothesis in the thorough profile); the fallback solver is used
    and the value is c within the floor."""
    from generators.regimes import ArbitraryData

    X = ArbitraryData(N=14, d=14, scale=100.0, structure="orthogonal", seed=14).build()
    G = ntk.limiting_ntk(X, 2).G[1]
    e = ntk.lambda_min(G)
    c = float(np.mean(np.diag(G)))
    assert abs(e.value - c) <= 2 * e.floor + 14 * EPS * c
