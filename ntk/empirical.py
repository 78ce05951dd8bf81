"""Empirical NTK ``K̄ = J Jᵀ`` of a bias-free deep ReLU network, without forming ``J``.

Layerwise identity (THEOREMS.md §1, proof of Thm 4.1; exact)::

    K̄ = Σ_{k=0}^{L-1} (F_k F_kᵀ) ∘ (B_{k+1} B_{k+1}ᵀ),     B_L = 1_N.

It follows from ``∂f_L(x)/∂W_{k+1} = f_k(x) ⊗ b_{k+1}(x)`` (``b_{k+1}`` the row of ``B_{k+1}``), so
the ``W_{k+1}`` block of ``⟨J_i, J_j⟩`` is ``⟨f_k(x_i), f_k(x_j)⟩⟨b_{k+1}(x_i), b_{k+1}(x_j)⟩``.
Cost: ``Σ_k N²(n_k + n_{k+1})/2`` multiply-adds for the Grams (one BLAS ``dsyrk`` each, upper triangles)
plus the forward and backward products, memory ``O(N² + N Σ n_k)``; the ``N × P`` Jacobian is never
allocated. :func:`empirical_ntk_batch` computes the kernels of many networks of one architecture with
stacked products. :func:`jacobian` forms it explicitly, by a different route
(per-sample chain rule with explicit diagonal matrices), for small cross-checks only.
"""

from __future__ import annotations

import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.linalg.blas as _blas

from ._validate import as_data, as_weights, check_widths
from .network import Forward, backprop_rows, forward

__all__ = [
    "empirical_ntk",
    "empirical_ntk_batch",
    "empirical_ntk_terms",
    "gram",
    "gram_upper",
    "jacobian",
    "limit_scaling",
    "parameter_count",
]


def gram(A: np.ndarray) -> np.ndarray:
    """``A Aᵀ`` over the last two axes, exactly symmetric.

    A 2-D float64 ``A`` takes one BLAS ``dsyrk`` (:func:`gram_upper`: the upper triangle, half the flops
    of the full product) and mirrors it (:func:`mirror_upper`), so the result is exactly symmetric.
    Batched inputs use ``matmul`` and are symmetrised explicitly.
    """
    A = np.ascontiguousarray(A)
    if A.ndim == 2 and A.dtype == np.float64:
        return mirror_upper(gram_upper(A, np.empty((A.shape[0], A.shape[0]))))
    if A.ndim == 2:  # other dtypes: numpy's product (syrk for floating types) keeps the dtype
        return A @ A.T
    G = A @ np.swapaxes(A, -1, -2)
    G += np.swapaxes(G, -1, -2)
    G *= 0.5
    return G


def _terms(fwd: Forward, Bs: list[np.ndarray]):
    """Yield ``(F_k F_kᵀ) ∘ (B_{k+1} B_{k+1}ᵀ)`` for ``k = 0..L-1`` (each a fresh array)."""
    L = fwd.depth
    for k in range(L):
        T = gram(fwd.features[k])
        if k + 1 < L:  # B_L B_Lᵀ = 1 1ᵀ: nothing to multiply
            BB = gram(Bs[k])
            if BB.shape == T.shape:
                T *= BB
            else:  # unbatched X (F_0 = X) with batched weights
                T = T * BB
        elif T.shape[:-2] != Bs[-1].shape[:-2]:
            T = np.broadcast_to(T, Bs[-1].shape[:-2] + T.shape[-2:]).copy()
        yield T


def empirical_ntk_terms(X, weights) -> list[np.ndarray]:
    """The ``L`` layer terms ``(F_k F_kᵀ) ∘ (B_{k+1} B_{k+1}ᵀ)``, ``k = 0..L-1`` (exact).

    Term ``k`` is the contribution of the parameters ``W_{k+1}``; their sum is :func:`empirical_ntk`.
    Shapes ``(..., N, N)``; leading axes broadcast over batched weights (:func:`ntk.init_weights_batch`).
    """
    fwd = forward(X, weights)
    return list(_terms(fwd, backprop_rows(fwd, weights)))


def empirical_ntk(X, weights) -> np.ndarray:
    """``K̄ = J Jᵀ`` by the layerwise identity; exactly symmetric, shape ``(..., N, N)`` (exact).

    Not normalised: multiply by :func:`limit_scaling` to compare with the limiting NTK ``K^(L)``
    when all ``β_l = 1``.

    Unbatched inputs take :func:`_empirical_ntk_2d` (one ``dsyrk`` per Gram, upper triangles only, three
    ``N × N`` buffers); batched inputs (leading axes on ``X`` and/or the weights) take
    :func:`_empirical_ntk_stacked`, as :func:`empirical_ntk_batch` does.
    """
    X = as_data(X)
    Ws = as_weights(weights, d=X.shape[-1])
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported by _finite
        if X.ndim == 2 and Ws[0].ndim == 2:
            return _finite(_empirical_ntk_2d(X, Ws))
        return _finite(_empirical_ntk_stacked(X, Ws))


def empirical_ntk_batch(X, weights) -> np.ndarray:
    """``T`` empirical NTKs of one architecture at once: ``K̄[t] = J_t J_tᵀ`` (exact), shape ``(T, N, N)``.

    ``weights[l]`` has shape ``(T, n_{l-1}, n_l)`` (e.g. :func:`ntk.init_weights_batch`); ``X`` is
    ``(T, N, d)`` (a data set per trial) or ``(N, d)`` (shared). The ``T`` kernels are computed together
    with stacked matrix products (:func:`_empirical_ntk_stacked`: ``O(L)`` numpy calls whatever ``T``), so
    a Monte Carlo check of many small kernels pays the per-call overhead once. Each ``K̄[t]`` equals
    ``empirical_ntk(X[t], [W[t] for W in weights])`` up to rounding (the same sums, in another order)
    and is exactly symmetric.
    """
    X = as_data(X)
    Ws = as_weights(weights, d=X.shape[-1])
    if Ws[0].ndim != 3:
        raise ValueError(f"weights must carry one leading trial axis, shapes (T, n_(l-1), n_l); got W_1 of shape "
                         f"{Ws[0].shape} (use empirical_ntk for one network)")
    T = Ws[0].shape[0]
    if X.ndim not in (2, 3) or (X.ndim == 3 and X.shape[0] != T):
        raise ValueError(f"X must have shape (N, d) or (T, N, d) with T = {T} trials, got {X.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite(_empirical_ntk_stacked(X, Ws))


def _empirical_ntk_stacked(X: np.ndarray, Ws: list[np.ndarray]) -> np.ndarray:
    """Layerwise sum over leading (trial) axes with stacked ``matmul``, accumulated in place.

    ``K = F_{L-1}F_{L-1}ᵀ + Σ_{k<L-1} (F_kF_kᵀ) ∘ (B_{k+1}B_{k+1}ᵀ)`` (features and rows of
    :func:`_features_and_rows`, which broadcast over the leading axes), then ``K ← (K + Kᵀ)/2``: the
    halving is exact and ``fl(a + b) = fl(b + a)``, so the result is exactly symmetric; it differs from the
    sum of exactly symmetric terms by rounding only. With one trial axis the trials are taken in chunks
    whose features fit in cache (the elementwise passes are then not memory bound), run by
    :func:`parallel_map` when there are several.
    """
    if Ws[0].ndim == 3 and X.ndim in (2, 3):  # one trial axis: chunks of trials whose features fit in L2
        T, N = Ws[0].shape[0], X.shape[-2]
        chunk = max(1, _CHUNK_FLOATS // (N * max(W.shape[-1] for W in Ws)))
        if chunk < T:
            out = np.empty((T, N, N))

            def run(sl):
                out[sl] = _stacked(X if X.ndim == 2 else X[sl], [W[sl] for W in Ws])

            parallel_map(run, [slice(a, min(a + chunk, T)) for a in range(0, T, chunk)])
            return out
    return _stacked(X, Ws)


_CHUNK_FLOATS = 1 << 15  # trials per chunk of _empirical_ntk_stacked: N × (widest layer) × chunk ≈ 256 KiB


def _stacked(X, Ws):
    Fs, Bs = _features_and_rows(X, Ws)
    L = len(Ws)
    top = Fs[L - 1]
    K = top @ np.swapaxes(top, -1, -2)
    for k in range(L - 2, -1, -1):
        BB = Bs[k] @ np.swapaxes(Bs[k], -1, -2)
        BB *= Fs[k] @ np.swapaxes(Fs[k], -1, -2)  # F_0 = X may be unbatched: it broadcasts
        K += BB
    K += np.swapaxes(K, -1, -2)
    K *= 0.5
    return K


# ------------------------------------------------------------------------------------------ threads
# Large kernels are cut into a fixed set of independent pieces (row chunks, row panels, tiles: the cut
# depends on the shapes only) run by as many threads as BLAS may use at the time of the call, each piece
# with single-threaded BLAS. The result is then bitwise the same whatever the number of threads (OpenBLAS's
# own threading partitions products differently with 1 and 2 threads, which changes the last bits for some
# shapes), and on a loaded machine the idle threads sleep instead of spinning in BLAS's thread hand-off.
# ``threadpoolctl.threadpool_limits(1)`` (as the test suite sets per worker) therefore makes ntk serial.
# Without threadpoolctl the pieces run serially under BLAS's own threading.
_CONTROLLER = None
_BLAS_LOCK = threading.Lock()
_BLAS_DEPTH = 0
_BLAS_SAVED: list = []


def _blas_libs():
    global _CONTROLLER
    if _CONTROLLER is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # optional here: then no threads of ntk's own
            _CONTROLLER = False
        else:
            _CONTROLLER = ThreadpoolController().select(user_api="blas")
    return _CONTROLLER.lib_controllers if _CONTROLLER else None


@functools.lru_cache(maxsize=8)
def _executor(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ntk")


def _after_fork_in_child() -> None:
    """A forked child (multiprocessing, Dask workers) has none of the parent's threads: fresh pools and lock."""
    global _BLAS_LOCK, _BLAS_DEPTH, _BLAS_SAVED
    _executor.cache_clear()
    _BLAS_LOCK, _BLAS_DEPTH, _BLAS_SAVED = threading.Lock(), 0, []


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def parallel_map(fn, items) -> None:
    """``fn(item)`` for every item (independent pieces writing disjoint outputs), on as many threads as BLAS
    may use now, with BLAS single-threaded meanwhile (restored afterwards; nested and concurrent calls share one
    limit). Exceptions propagate. See the comment above for why."""
    global _BLAS_DEPTH, _BLAS_SAVED
    items = list(items)
    libs = _blas_libs()
    if libs is None:
        for it in items:
            fn(it)
        return
    with _BLAS_LOCK:
        if _BLAS_DEPTH == 0:
            _BLAS_SAVED = [lc.num_threads for lc in libs]
            for lc in libs:
                lc.set_num_threads(1)
            workers = min(min(_BLAS_SAVED, default=1), os.cpu_count() or 1, len(items))
        else:
            workers = 1
        _BLAS_DEPTH += 1
    try:
        if workers <= 1:
            for it in items:
                fn(it)
        else:
            for _ in _executor(workers).map(fn, items):
                pass
    finally:
        with _BLAS_LOCK:
            _BLAS_DEPTH -= 1
            if _BLAS_DEPTH == 0:
                for lc, n in zip(libs, _BLAS_SAVED):
                    lc.set_num_threads(n)


def gram_upper(A: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The upper triangle (diagonal included) of ``A Aᵀ`` written into the C-contiguous square ``out``.

    One BLAS ``dsyrk`` call: half the flops of the full product, and one call rather than many small
    ones (OpenBLAS' thread hand-off on small products is slow on a loaded machine). ``out``'s strictly
    lower triangle is left as it was. ``A`` is ``(N, n)`` float64, ``out`` ``(N, N)`` float64 C-contiguous.
    """
    # out is C-ordered, so out.T is a Fortran array whose lower triangle is out's upper one; A.T is the
    # Fortran view of a C-ordered A, and trans=1 gives (A.T)ᵀ(A.T) = A Aᵀ
    r = _blas.dsyrk(1.0, A.T, beta=0.0, c=out.T, trans=1, lower=1, overwrite_c=1)
    if not np.shares_memory(r, out):  # f2py copied (only if out was not C-contiguous float64)
        iu = np.triu_indices(out.shape[0])
        out[iu] = r.T[iu]
    return out


_PANEL = 64  # rows per panel of the elementwise passes and of the mirror copy (a 64-row strip stays in L1/L2)


def mirror_upper(K: np.ndarray, panel: int = _PANEL) -> np.ndarray:
    """Copy the strictly upper triangle of the square ``K`` onto its lower triangle, in place (exact symmetry).

    Panel by panel: the panel's diagonal square by its triangle indices, the part below it as one
    transposed copy of the strip to its right (contiguous destination rows, source lines reused from cache).
    """
    N = K.shape[0]
    for r0 in range(0, N, panel):
        r1 = min(r0 + panel, N)
        sq = K[r0:r1, r0:r1]
        il = np.tril_indices(r1 - r0, -1)
        sq[il] = sq.T[il]
        if r1 < N:
            K[r1:, r0:r1] = K[r0:r1, r1:].T
    return K


def _features_and_rows(X: np.ndarray, Ws: list[np.ndarray]):
    """``F_0..F_{L-1}`` and ``B_1..B_{L-1}``, in place where possible; leading (trial) axes broadcast.

    Same quantities as :func:`ntk.forward` / :func:`ntk.backprop_rows` (``σ(g) = max(g, 0)``, and
    ``σ'(g_k) = 1[F_k > 0]`` since ``F_k > 0 ⇔ g_k > 0``), without storing pre-activations or masks.
    """
    L = len(Ws)
    if Ws[-1].shape[-1] != 1:
        raise ValueError(f"the output width n_L must be 1 for the NTK, got W_L of shape {Ws[-1].shape}")
    Fs = [X]
    f = X
    for l in range(L - 1):
        f = f @ Ws[l]
        np.maximum(f, 0.0, out=f)
        Fs.append(f)
    Bs = [None] * (L - 1)
    b = np.multiply(Fs[L - 1] > 0, np.swapaxes(Ws[L - 1], -1, -2))  # B_{L-1} = Σ_{L-1} ∘ (1_N W_Lᵀ)
    Bs[L - 2] = b
    for k in range(L - 2, 0, -1):  # B_k = Σ_k ∘ (B_{k+1} W_{k+1}ᵀ)
        b = b @ np.swapaxes(Ws[k], -1, -2)
        np.multiply(b, Fs[k] > 0, out=b)
        Bs[k - 1] = b
    return Fs, Bs


_PANEL_MIN_N = 256  # from this N on, the 2-D path works on fixed row panels (threads, see parallel_map)
_ROWS = 128  # at most this many rows per Gram panel of _empirical_ntk_panels
_FWD_ROWS = 256  # at most this many rows per chunk of its forward and backward pass


def _piece_rows(N: int, most: int) -> int:
    """Rows per piece: ``most``, but at least 8 pieces (for threads to share) and at least 32 rows (a function of
    ``N`` only, so the cut — hence every bit of the result — does not depend on the number of threads)."""
    return max(32, min(most, N // 8))


def _empirical_ntk_panels(X: np.ndarray, Ws: list[np.ndarray]) -> np.ndarray:
    """Layerwise sum for ``X`` of shape ``(N, d)``, ``N >= _PANEL_MIN_N``, on fixed row panels (:func:`parallel_map`).

    Forward and backward pass on chunks of rows (rows are independent; :func:`_piece_rows`), in place into
    ``F_1..F_{L-1}``, ``B_1..B_{L-1}``; then for every panel ``[r0:r1]`` of the upper triangle
    ``K[r0:r1, r0:] = F_{L-1}[r]F_{L-1}[r0:]ᵀ + Σ_k (F_k[r]F_k[r0:]ᵀ) ∘ (B_{k+1}[r]B_{k+1}[r0:]ᵀ)`` by GEMM with
    two panel-sized scratch arrays per thread, mirrored onto the lower triangle by the same task (the
    destinations of different panels are disjoint). Operation count: the Grams of the upper triangle plus
    ``N·p/2`` entries per Gram (``p`` rows per panel), and the forward and backward products.
    """
    L = len(Ws)
    if Ws[-1].shape[-1] != 1:
        raise ValueError(f"the output width n_L must be 1 for the NTK, got W_L of shape {Ws[-1].shape}")
    N = X.shape[0]
    Fs = [X] + [np.empty((N, W.shape[1])) for W in Ws[:-1]]
    Bs = [np.empty((N, W.shape[1])) for W in Ws[:-1]]
    wL = Ws[L - 1][:, 0]

    def rows(sl):  # same operations as _features_and_rows, on rows sl
        for l in range(L - 1):
            f = Fs[l + 1][sl]
            np.matmul(Fs[l][sl], Ws[l], out=f)
            np.maximum(f, 0.0, out=f)
        b = Bs[L - 2][sl]
        np.multiply(Fs[L - 1][sl] > 0, wL, out=b)
        for k in range(L - 2, 0, -1):
            nb = Bs[k - 1][sl]
            np.matmul(b, Ws[k].T, out=nb)
            np.multiply(nb, Fs[k][sl] > 0, out=nb)
            b = nb

    fr = _piece_rows(N, _FWD_ROWS)
    parallel_map(rows, [slice(a, min(a + fr, N)) for a in range(0, N, fr)])
    K = np.empty((N, N))
    local = threading.local()
    pr = _piece_rows(N, _ROWS)

    def panel(sl):
        r0, r1 = sl.start, sl.stop
        m, w = r1 - r0, N - r0
        buf = getattr(local, "buf", None)
        if buf is None:
            buf = local.buf = np.empty((2, pr * N))
        t, u = buf[0, : m * w].reshape(m, w), buf[1, : m * w].reshape(m, w)
        Kt = K[r0:r1, r0:]
        np.matmul(Fs[L - 1][sl], Fs[L - 1][r0:].T, out=t)
        np.copyto(Kt, t)
        for k in range(L - 2, -1, -1):
            np.matmul(Fs[k][sl], Fs[k][r0:].T, out=t)
            np.matmul(Bs[k][sl], Bs[k][r0:].T, out=u)
            t *= u
            Kt += t
        sq = K[r0:r1, r0:r1]
        il = np.tril_indices(m, -1)
        sq[il] = sq.T[il]
        if r1 < N:
            K[r1:, r0:r1] = K[r0:r1, r1:].T

    parallel_map(panel, [slice(a, min(a + pr, N)) for a in range(0, N, pr)])
    return K


def _empirical_ntk_2d(X: np.ndarray, Ws: list[np.ndarray]) -> np.ndarray:
    """Layerwise sum for ``X`` of shape ``(N, d)`` and unbatched weights, in three ``N × N`` buffers.

    ``K = F_{L-1}F_{L-1}ᵀ``, then for ``k = L-2..0``: ``T = F_kF_kᵀ``, ``U = B_{k+1}B_{k+1}ᵀ``,
    ``K += T ∘ U`` — every Gram by one ``dsyrk`` into the upper triangle (:func:`gram_upper`), the
    Hadamard products and sums on the upper triangle only (row panels), and one mirror copy at the end
    (:func:`mirror_upper`). Operation count: ``N(N+1)/2 · Σ(n_k + n_{k+1})`` multiply-adds for the
    Grams plus the forward and backward products (``benchmarks.bench_ntk.ntk_flops``).
    """
    N = X.shape[0]
    if N >= _PANEL_MIN_N:
        return _empirical_ntk_panels(X, Ws)
    Fs, Bs = _features_and_rows(X, Ws)
    L = len(Ws)
    K = np.empty((N, N))
    gram_upper(Fs[L - 1], K)
    if L > 1:
        T, U = np.empty((N, N)), np.empty((N, N))
        for k in range(L - 2, -1, -1):
            gram_upper(Fs[k], T)
            gram_upper(Bs[k], U)
            for r0 in range(0, N, _PANEL):
                r1 = min(r0 + _PANEL, N)
                t = T[r0:r1, r0:]
                t *= U[r0:r1, r0:]
                K[r0:r1, r0:] += t
    return mirror_upper(K)


def _finite(K: np.ndarray) -> np.ndarray:
    """``K`` if finite; otherwise the inputs were too large for float64 (never a silent inf/NaN)."""
    if not np.all(np.isfinite(K)):
        raise ValueError("X and weights are too large: the empirical NTK overflows float64 "
                         "(rescale X or the weights; K̄ is homogeneous of degree 2 in X and in each W_l)")
    return K


def limit_scaling(widths) -> float:
    """``Π_{l=1}^{L-1} 2/n_l``: the factor with ``(Π 2/n_l) K̄ → K^(L)`` (all ``β_l = 1``)."""
    hidden = np.asarray(check_widths(widths)[1:-1], dtype=np.float64)
    return float(np.prod(2.0 / hidden))


def parameter_count(weights) -> int:
    """``P = Σ_l n_{l-1} n_l``, the number of columns of the Jacobian."""
    return int(sum(W.shape[-2] * W.shape[-1] for W in as_weights(weights)))


def jacobian(X, weights) -> np.ndarray:
    """The explicit Jacobian ``J = ∂F_L/∂θ ∈ R^{N×P}`` — small cases and cross-checks only.

    Independent of :func:`empirical_ntk`'s recursion: for every sample the chain rule is evaluated
    with explicit diagonal matrices ``D_l = diag(σ'(g_l(x)))``,
    ``∂f_L/∂W_{k+1} = f_k ⊗ (D_{k+1} W_{k+2} D_{k+2} ⋯ W_L)``. Parameters are ordered
    ``vec(W_1), …, vec(W_L)``, each flattened row-major. Unbatched weights only.
    """
    X = as_data(X)
    Ws = as_weights(weights, d=X.shape[-1])
    if X.ndim != 2 or Ws[0].ndim != 2:
        raise ValueError("jacobian takes unbatched X (N, d) and weights (n_{l-1}, n_l)")
    if Ws[-1].shape[1] != 1:
        raise ValueError(f"the output width n_L must be 1, got W_L of shape {Ws[-1].shape}")
    L = len(Ws)
    N = X.shape[0]
    rows = []
    for i in range(N):
        f = [X[i]]
        D = []
        for l in range(L - 1):
            g = Ws[l].T @ f[-1]
            D.append(np.diag((g > 0).astype(np.float64)))
            f.append(D[-1] @ g)
        blocks = []
        for k in range(L):
            # v = D_{k+1} W_{k+2} D_{k+2} ... W_L  (for k = L-1: the scalar 1)
            v = np.ones((1, 1))
            for l in range(L - 1, k, -1):  # build from the output backwards: W_{l+1}, then D_l
                v = D[l - 1] @ (Ws[l] @ v)
            blocks.append(np.outer(f[k], v[:, 0]).ravel())
        rows.append(np.concatenate(blocks))
    return np.asarray(rows)
