"""Lipschitz constant of the pre-activation map ``g_k : R^d → R^{n_k}`` (Lemma 6.1, Thm 6.2).

``g_k`` is continuous and piecewise linear; on the open region with activation pattern
``A_{1→k-1}(z)`` (no zero pre-activation) its Jacobian is the pattern Jacobian
``J(g_k)(z) = W_kᵀ Σ_{k−1}(z) W_{k−1}ᵀ ⋯ Σ_1(z) W_1ᵀ`` (exact). Hence:

* every ``‖J(g_k)(z)‖_op`` at such a point is a certified *lower* bound of ``‖g_k‖_Lip``
  (:func:`certify_point` recomputes it at one input and checks the margin against rounding);
  :func:`lipschitz_lower_estimate` (sampling + (1+1)-ES) and the stronger :func:`lipschitz_search`
  (smoothed-pattern ascent, boundary crossings) search for large ones;
* ``Π_{l≤k} ‖W_l‖_op`` is a certified *upper* bound (the naive bound of Thm 6.2's discussion), and
  :func:`certified_lipschitz_upper` a smaller one (two-layer blocks bounded over every pattern,
  :func:`pair_norm_bound`);
* for ``d = 2`` :func:`planar_lipschitz` computes ``‖g_k‖_Lip`` exactly by a sweep of the unit circle.

``g_k`` is positively homogeneous (``g_k(cz) = c g_k(z)``, ``c > 0``), so its Jacobian is constant
along rays and inputs can be searched on the unit sphere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_data, as_weights, check_positive_int

_EPS = np.finfo(np.float64).eps

__all__ = [
    "LipschitzEstimate",
    "PlanarLipschitz",
    "certified_lipschitz_upper",
    "certify_point",
    "lipschitz_lower_estimate",
    "lipschitz_search",
    "naive_lipschitz_upper",
    "pair_norm_bound",
    "pattern_jacobian",
    "planar_lipschitz",
]


def _check_k(weights, k):
    Ws = as_weights(weights)
    k = check_positive_int(k, "k")
    if k > len(Ws):
        raise ValueError(f"k must be <= L = {len(Ws)}, got {k}")
    if Ws[0].ndim != 2:
        raise ValueError("Lipschitz tools take unbatched weights")
    return Ws, k


def pattern_jacobian(Z, weights, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Pattern Jacobians ``J(g_k)(z)`` (shape ``(M, n_k, d)``) at the rows of ``Z`` ``(M, d)``.

    Also returns the smallest ``|g_l(z)|`` over ``l < k`` for each point: where it is ``> 0`` the
    point lies in the interior of its activation region and the Jacobian is the true derivative.
    """
    Ws, k = _check_k(weights, k)
    Z = as_data(Z, "Z")
    if Z.ndim != 2 or Z.shape[1] != Ws[0].shape[0]:
        raise ValueError(f"Z must have shape (M, d = {Ws[0].shape[0]}), got {Z.shape}")
    M, d = Z.shape
    J = np.broadcast_to(Ws[0].T, (M,) + Ws[0].T.shape)  # (M, n_1, d)
    g = Z @ Ws[0]
    margin = np.full(M, np.inf)
    for l in range(1, k):
        margin = np.minimum(margin, np.abs(g).min(axis=1))
        mask = g > 0
        J = np.matmul(Ws[l].T, mask[:, :, None] * J)  # batched GEMMs (an einsum here is ~6× slower)
        g = (g * mask) @ Ws[l]
    return np.array(J), margin


def naive_lipschitz_upper(weights, k: int) -> float:
    """``Π_{l=1}^{k} ‖W_l‖_op`` — a certified upper bound of ``‖g_k‖_Lip`` (exact up to the SVD)."""
    Ws, k = _check_k(weights, k)
    return float(np.prod([np.linalg.norm(W, 2) for W in Ws[:k]]))


@dataclass(frozen=True)
class LipschitzEstimate:
    """A certified lower estimate of ``‖g_k‖_Lip``: ``value = ‖J(g_k)(argmax)‖_op`` at a point with
    no zero pre-activation (``margin > 0``), after ``evaluations`` Jacobian evaluations."""

    value: float
    argmax: np.ndarray
    margin: float
    evaluations: int

    @property
    def certified(self) -> bool:
        return self.margin > 0


def _opnorms(J: np.ndarray) -> np.ndarray:
    return np.linalg.norm(J, ord=2, axis=(1, 2))


def lipschitz_lower_estimate(weights, k: int, rng, *, samples: int = 256, ascent_steps: int = 30, starts: int = 8) -> LipschitzEstimate:
    """Max of ``‖J(g_k)(z)‖_op`` over random inputs, then local ascent from the best ``starts``.

    Sampling: ``samples`` uniform points on the unit sphere. Ascent: a (1+1)-evolution strategy per
    start — perturb ``z`` by a Gaussian step into neighbouring activation regions and keep the move
    if the operator norm grows; the step halves after a failure. Only points with no zero
    pre-activation are counted, so the result is a certified lower bound of ``‖g_k‖_Lip``.
    """
    Ws, k = _check_k(weights, k)
    samples = check_positive_int(samples, "samples")
    starts = min(check_positive_int(starts, "starts"), samples)
    ascent_steps = check_positive_int(ascent_steps, "ascent_steps", minimum=0)
    if rng is None:
        raise ValueError("rng must be a numpy Generator or a seed; got None (no hidden global randomness)")
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    d = Ws[0].shape[0]
    Z = rng.standard_normal((samples, d))
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    J, margin = pattern_jacobian(Z, Ws, k)
    norms = np.where(margin > 0, _opnorms(J), -np.inf)
    evals = samples
    order = np.argsort(norms)[::-1][:starts]
    cur, cur_val = Z[order].copy(), norms[order].copy()
    step = np.full(starts, 0.5)
    for _ in range(ascent_steps):
        prop = cur + step[:, None] * rng.standard_normal(cur.shape) / np.sqrt(d)
        prop /= np.linalg.norm(prop, axis=1, keepdims=True)
        Jp, mp = pattern_jacobian(prop, Ws, k)
        val = np.where(mp > 0, _opnorms(Jp), -np.inf)
        evals += starts
        better = val > cur_val
        cur[better], cur_val[better] = prop[better], val[better]
        step = np.where(better, step, step * 0.5)
    best = int(np.argmax(cur_val))
    _, m = pattern_jacobian(cur[best : best + 1], Ws, k)
    return LipschitzEstimate(float(cur_val[best]), cur[best].copy(), float(m[0]), evals)


# ------------------------------------------------------------------------------ certified upper bounds
def pair_norm_bound(A: np.ndarray, B: np.ndarray) -> float:
    """``max_{0 ⪯ D ⪯ I diagonal} ‖A D B‖_op ≤ (‖A B‖_op + ‖A‖_op ‖B‖_op) / 2`` (exact arithmetic).

    Proof: for unit ``u, v`` put ``x = Aᵀu``, ``y = B v``; then ``uᵀ A D B v = Σ_j d_j x_j y_j ≤ Σ_j (x_j y_j)_+
    = ½ (Σ_j x_j y_j + Σ_j |x_j y_j|) ≤ ½ (uᵀ A B v + ‖x‖ ‖y‖) ≤ ½ (‖AB‖ + ‖A‖ ‖B‖)`` (Cauchy–Schwarz), and
    ``‖ADB‖ = max_{u,v} uᵀADBv``. Every activation pattern ``Σ_l(z)`` is such a ``D``, so for
    ``A = W_{l+1}ᵀ``, ``B = W_lᵀ`` this bounds the two-layer block ``W_{l+1}ᵀ Σ_l(z) W_lᵀ`` of every pattern
    Jacobian — by about half the naive ``‖W_{l+1}‖ ‖W_l‖`` when ``‖AB‖ ≪ ‖A‖‖B‖`` (a wide middle layer).
    """
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
        raise ValueError(f"A and B must be matrices with A.shape[1] == B.shape[0], got {A.shape} and {B.shape}")
    return 0.5 * (float(np.linalg.norm(A @ B, 2)) + float(np.linalg.norm(A, 2)) * float(np.linalg.norm(B, 2)))


def certified_lipschitz_upper(weights, k: int) -> float:
    """A certified upper bound of ``‖g_k‖_Lip`` (exact arithmetic; the SVDs add relative ``O((Σ n_l) eps)``).

    Every pattern Jacobian is a chain ``W_kᵀ Σ_{k−1} W_{k−1}ᵀ ⋯ Σ_1 W_1ᵀ`` with ``0 ⪯ Σ_l ⪯ I``. Cut the chain
    into blocks of one layer (bounded by ``‖W_l‖_op``) or two consecutive layers (bounded by
    :func:`pair_norm_bound`, over *all* diagonal ``0 ⪯ Σ_l ⪯ I``, realised by an input or not); the ``Σ``
    between blocks are contractions, so the product of the block bounds bounds every ``‖J(g_k)(z)‖_op``,
    hence ``‖g_k‖_Lip`` (Lemma 6.1's formula, or directly: ``g_k`` is piecewise linear with these Jacobians).
    Dynamic programming picks the cut with the smallest product; never above
    :func:`naive_lipschitz_upper` (the all-singletons cut).
    """
    Ws, k = _check_k(weights, k)
    ops = [float(np.linalg.norm(W, 2)) for W in Ws[:k]]
    best = [1.0, ops[0]]
    for i in range(2, k + 1):  # best[i]: layers 1..i
        pair = pair_norm_bound(Ws[i - 1].T, Ws[i - 2].T)
        best.append(min(best[i - 1] * ops[i - 1], best[i - 2] * pair))
    return float(best[k])


# ------------------------------------------------------------------------- exact value for d = 2
@dataclass(frozen=True)
class PlanarLipschitz:
    """Result of :func:`planar_lipschitz`: ``value = ‖g_k‖_Lip`` (max over all pieces), ``strict_value`` the
    max over pieces with no identically-zero pre-activation (Lemma 6.1's right side; ``None`` if none),
    ``argmax`` the mid-angle point of the best piece on the unit circle and ``margin`` its smallest
    ``|g_l|`` (``l < k``, recomputed by :func:`pattern_jacobian`), ``pieces`` the number of angular pieces."""

    value: float
    strict_value: float | None
    argmax: np.ndarray
    margin: float
    pieces: int

    @property
    def certified(self) -> bool:
        return self.margin > 0


def _top_sv_2col(M: np.ndarray) -> np.ndarray:
    """Largest singular value of each ``(n, 2)`` matrix of the stack ``M`` (closed form of the 2×2 Gram)."""
    a = np.einsum("ij,ij->i", M[..., 0], M[..., 0])
    c = np.einsum("ij,ij->i", M[..., 1], M[..., 1])
    b = np.einsum("ij,ij->i", M[..., 0], M[..., 1])
    lam = 0.5 * (a + c) + np.sqrt(0.25 * (a - c) ** 2 + b * b)
    return np.sqrt(np.maximum(lam, 0.0))


_INCREMENTAL = 64  # a sector cut into at least this many pieces is swept by rank-one updates
_ANCHOR = 64  # ... recomputed exactly from its pattern every this many pieces (bounds the rounding drift)


def _planar_children(stack, l, k, W, G, D, Mg, a, b, strict):
    """Push the pieces with patterns ``D`` (c, n) of sectors with maps ``Mg`` (c, n, 2): ``M_{l+1} = W_{l+1}ᵀ D M_l``
    (two GEMMs), or, at the last step with ``G = W_k W_kᵀ``, the norms ``‖W_kᵀ D M_{k−1}‖`` (2×2 Gram)."""
    D = D.astype(np.float64)
    N0, N1 = D * Mg[..., 0], D * Mg[..., 1]
    if G is not None:
        GN0 = N0 @ G
        a2 = np.einsum("ij,ij->i", N0, GN0)
        c2 = np.einsum("ij,ij->i", N1, N1 @ G)
        b2 = np.einsum("ij,ij->i", N1, GN0)
        vals = np.sqrt(np.maximum(0.5 * (a2 + c2) + np.sqrt(0.25 * (a2 - c2) ** 2 + b2 * b2), 0.0))
        stack.append((k, a, b, vals, np.broadcast_to(strict, a.shape).copy()))
        return
    Mn = np.stack([N0 @ W, N1 @ W], axis=2)
    stack.append((l + 1, a, b, Mn, np.broadcast_to(strict, a.shape).copy()))


def _planar_incremental(stack, l, k, W, G, M, a, b, j, sgn, strict, chunk):
    """The pieces ``[a_t, b_t]`` (in angular order) of one sector with map ``M`` (n, 2): consecutive pieces
    differ in the sign of the one neuron ``j[t−1]`` whose zero separates them (new sign ``sgn[t−1]``: on
    ``+1``, off ``−1``), so ``M_{l+1}`` changes by the rank-one term ``± W_{l+1}[j]ᵀ M[j]``; a cumulative sum
    gives every piece, re-anchored exactly (pattern read at the mid angle) every ``_ANCHOR`` pieces. At
    the last step with ``G`` the norms come from the 2×2 Grams of ``D M``."""
    c = a.size
    mid = 0.5 * (a + b)
    nxt = W.shape[1]
    if G is None:
        delta = sgn[:, None, None] * (W[j][:, :, None] * M[j][:, None, :])  # (c−1, n_{l+1}, 2)
    else:
        delta = sgn[:, None, None] * (np.eye(M.shape[0])[j][:, :, None] * M[j][:, None, :])  # changes of D M
    out = []
    for s0 in range(0, c, _ANCHOR):
        s1 = min(c, s0 + _ANCHOR)
        D0 = (M @ np.array([np.cos(mid[s0]), np.sin(mid[s0])])) > 0
        base = (W.T @ (D0[:, None] * M)) if G is None else (D0[:, None] * M)
        block = np.concatenate([base[None], delta[s0 : s1 - 1]], axis=0).cumsum(axis=0)
        out.append(block)
    Mn = np.concatenate(out, axis=0)
    if G is None:
        per = max(1, chunk // (2 * nxt))
        for s0 in range(0, c, per):
            stack.append((l + 1, a[s0 : s0 + per], b[s0 : s0 + per], Mn[s0 : s0 + per], np.full(min(per, c - s0), bool(strict))))
        return
    GN0 = Mn[..., 0] @ G
    a2 = np.einsum("ij,ij->i", Mn[..., 0], GN0)
    c2 = np.einsum("ij,ij->i", Mn[..., 1], Mn[..., 1] @ G)
    b2 = np.einsum("ij,ij->i", Mn[..., 1], GN0)
    vals = np.sqrt(np.maximum(0.5 * (a2 + c2) + np.sqrt(0.25 * (a2 - c2) ** 2 + b2 * b2), 0.0))
    stack.append((k, a, b, vals, np.full(c, bool(strict))))


def planar_lipschitz(weights, k: int, *, angle_tol: float = 1e-11, chunk: int = 4_000_000) -> PlanarLipschitz:
    """``‖g_k‖_Lip`` exactly for input dimension ``d = 2`` by a sweep of the unit circle (Lemma 6.1).

    ``g_k`` is positively homogeneous and piecewise linear, its pieces are cones, i.e. angular sectors of
    the plane. On a sector where the patterns of layers ``< l`` are fixed, ``g_l(z) = M_l z`` and each
    ``g_{l,j}(cos θ, sin θ) = ρ_j cos(θ − φ_j)`` vanishes exactly at ``φ_j ± π/2``: splitting every sector at
    those angles (layer by layer) gives every piece, with its pattern read at the piece's mid angle and
    ``J = M_k`` there. Rows with ``M_l[j] = 0`` exactly vanish on the whole sector (inactive, ``σ(0) = 0``;
    the piece is then not *strict*). A zero closer than ``angle_tol`` to a sector's end is taken to be that
    end: a later neuron's zero can *coincide* with an earlier boundary (its row parallel to one earlier
    row, e.g. behind a single active unit), and rounding would otherwise create a sliver read with the
    wrong pattern. Exact up to pieces narrower than ``angle_tol`` (default ``1e-11`` rad, far above the
    ``O((Σ n_l) eps)`` rounding of the angles; for weights with a density a genuine piece that thin has
    probability ``O(angle_tol · pieces)``) and the closed-form 2×2 singular value (relative
    ``O((Σ n_l) eps)``). Cost ``O(pieces · Σ n_{l−1} n_l)``;
    the number of pieces on a circle grows about linearly in the total width for random weights.
    ``chunk`` bounds the floats held at once (sectors × width × 2).
    """
    Ws, k = _check_k(weights, k)
    if Ws[0].shape[0] != 2:
        raise ValueError(f"planar_lipschitz needs input dimension d = 2, got d = {Ws[0].shape[0]}")
    chunk = check_positive_int(chunk, "chunk")
    angle_tol = float(angle_tol)
    if not (np.isfinite(angle_tol) and 0.0 <= angle_tol < 1e-3):
        raise ValueError(f"angle_tol must lie in [0, 1e-3), got {angle_tol!r}")
    two_pi = 2.0 * np.pi
    best_val, best_theta, best_strict = -1.0, 0.0, None
    pieces = 0
    # stack of (layer l, starts a, ends b, M_l stacked (I, n_l, 2), strict flags)
    stack = [(1, np.array([0.0]), np.array([two_pi]), Ws[0].T[None, :, :].copy(), np.array([True]))]
    while stack:
        l, a, b, M, strict = stack.pop()
        if l == k:
            vals = M if M.ndim == 1 else _top_sv_2col(M)  # 1-D: norms already computed by the last step
            pieces += a.size
            i = int(np.argmax(vals))
            if vals[i] > best_val:
                best_val, best_theta = float(vals[i]), 0.5 * (a[i] + b[i])
            if strict.any():
                sv = float(vals[strict].max())
                best_strict = sv if best_strict is None else max(best_strict, sv)
            continue
        I, n = M.shape[0], M.shape[1]
        p, q = M[..., 0], M[..., 1]
        rho = np.hypot(p, q)
        phi = np.arctan2(q, p)
        zeros = np.concatenate([phi + 0.5 * np.pi, phi - 0.5 * np.pi], axis=1) % two_pi  # (I, 2n)
        zeros = np.where(np.concatenate([rho, rho], axis=1) > 0, zeros, np.nan)
        # a zero within angle_tol of a sector's end is that end (a later neuron whose row is parallel to an
        # earlier boundary, e.g. behind a single active unit): splitting there would read a rounding sliver
        inside = (zeros > a[:, None] + angle_tol) & (zeros < b[:, None] - angle_tol)
        ri, ci = np.nonzero(inside)
        zv = zeros[ri, ci]
        srt = np.lexsort((zv, ri))  # by sector, then angle
        ri, ci, zv = ri[srt], ci[srt], zv[srt]
        ncut = np.bincount(ri, minlength=I)
        width = int(ncut.max()) if ri.size else 0
        slot = np.arange(ri.size) - np.concatenate([[0], np.cumsum(ncut)[:-1]])[ri]
        cuts = np.full((I, width), np.inf)
        cuts[ri, slot] = zv
        order = np.zeros((I, width), dtype=np.int64)
        order[ri, slot] = ci
        # zero φ + π/2: the neuron turns off there (cos decreasing through 0); φ − π/2: it turns on
        cut_neuron, cut_sign = order % n, np.where(order < n, -1.0, 1.0)
        # sub-interval endpoints per sector: a, cuts..., b
        lo = np.concatenate([a[:, None], cuts], axis=1)
        hi = np.concatenate([cuts, b[:, None]], axis=1)
        valid = np.arange(width + 1)[None, :] <= ncut[:, None]
        hi = np.where(np.isinf(hi) & valid, b[:, None], hi)
        sec, pos = np.nonzero(valid)
        na, nb = lo[sec, pos], hi[sec, pos]
        pstrict = strict & np.all(rho > 0, axis=1)
        W = Ws[l]  # W_{l+1}: (n_l, n_{l+1})
        nxt = W.shape[1]
        gram = l + 1 == k and n < nxt
        G = W @ W.T if gram else None
        many = ncut + 1 >= _INCREMENTAL
        for i in np.flatnonzero(many):  # a sector with many pieces: rank-one updates between neighbours
            sel = sec == i
            c = int(ncut[i])
            _planar_incremental(stack, l, k, W, G, M[i], na[sel], nb[sel], cut_neuron[i, :c], cut_sign[i, :c],
                                pstrict[i], chunk)
        keep = ~many[sec]
        sec, na, nb = sec[keep], na[keep], nb[keep]
        per = max(1, chunk // (2 * max(nxt, n)))
        for s0 in range(0, sec.size, per):
            sl = slice(s0, s0 + per)
            mid = 0.5 * (na[sl] + nb[sl])
            D = (M[sec[sl]] @ np.stack([np.cos(mid), np.sin(mid)], axis=1)[:, :, None])[..., 0] > 0
            _planar_children(stack, l, k, W, G, D, M[sec[sl]], na[sl], nb[sl], pstrict[sec[sl]])
    z = np.array([np.cos(best_theta), np.sin(best_theta)])
    _, m = pattern_jacobian(z[None, :], Ws, k)
    return PlanarLipschitz(float(best_val), best_strict, z, float(m[0]), int(pieces))


# ------------------------------------------------------------------------------ stronger lower estimate
def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _gram_top(J: np.ndarray):
    """Top singular value and vectors ``(σ, u, v)`` of each matrix of the stack ``J`` (M, n_k, d), from the
    symmetric eigenproblem of the smaller Gram matrix (the top eigenvalue is perfectly conditioned:
    relative error ``O(min(n_k, d)·eps)``; used inside the search only — returned values are recomputed by
    an SVD)."""
    n, d = J.shape[1], J.shape[2]
    if d <= n:
        lam, V = np.linalg.eigh(np.einsum("mij,mik->mjk", J, J))
        v = V[:, :, -1]
        s = np.sqrt(np.maximum(lam[:, -1], 0.0))
        u = np.einsum("mij,mj->mi", J, v) / np.where(s > 0, s, 1.0)[:, None]
    else:
        lam, U = np.linalg.eigh(np.einsum("mij,mkj->mik", J, J))
        u = U[:, :, -1]
        s = np.sqrt(np.maximum(lam[:, -1], 0.0))
        v = np.einsum("mij,mi->mj", J, u) / np.where(s > 0, s, 1.0)[:, None]
    return s, u, v


def _top_pairs(J: np.ndarray):
    return _gram_top(J)


def _fast_opnorms(J: np.ndarray) -> np.ndarray:
    """``‖J_m‖_op`` for a stack, by the smaller Gram's largest eigenvalue (search-internal, see :func:`_gram_top`)."""
    n, d = J.shape[1], J.shape[2]
    G = np.einsum("mij,mik->mjk", J, J) if d <= n else np.einsum("mij,mkj->mik", J, J)
    return np.sqrt(np.maximum(np.linalg.eigvalsh(G)[:, -1], 0.0))


def _smoothed_ascent_direction(Ws, k, Z, u, v, t):
    """Gradient in ``z`` of ``uᵀ J_τ(z) v``, the pattern Jacobian with every hard mask ``Σ_l(z)`` (``l < k``)
    replaced by ``S_l = sigmoid(g_l(z)/τ_l)``, ``τ_l = t · rms(g_l(z))`` (per point). With
    ``right_l = W_lᵀ S_{l−1} ⋯ S_1 W_1ᵀ v`` and ``left_l = W_{l+1} S_{l+1} ⋯ W_k u`` the derivative in ``s_{l,j}``
    is ``left_{l,j} right_{l,j}``, and ``∂s_{l,j}/∂z = s'(g_{l,j}/τ_l)/τ_l ∇g_{l,j}(z)`` with the exact
    ``∇g_l = J(g_l)(z)``; one backward pass through the hard chain sums the layers."""
    g, masks, S, dS = [], [], [], []
    h = Z
    for l in range(k - 1):
        gl = h @ Ws[l]
        tau = t * np.sqrt(np.mean(gl * gl, axis=1, keepdims=True)) + 1e-300
        s = _sigmoid(gl / tau)
        g.append(gl)
        masks.append((gl > 0).astype(np.float64))
        S.append(s)
        dS.append(s * (1.0 - s) / tau)
        h = gl * masks[-1]
    right = [v @ Ws[0]]
    for l in range(1, k - 1):
        right.append((right[-1] * S[l - 1]) @ Ws[l])
    left = [None] * (k - 1)
    left[k - 2] = u @ Ws[k - 1].T
    for l in range(k - 2, 0, -1):
        left[l - 1] = (left[l] * S[l]) @ Ws[l].T
    w = None
    for l in range(k - 2, -1, -1):  # backward through the hard chain: Σ_l J(g_l)ᵀ c_l
        c = left[l] * right[l] * dS[l]
        w = c if w is None else w * masks[l] + c
        w = w @ Ws[l].T
    return w


_OVERSHOOTS = (1e-4, 0.3)


def _layer_gradients(Ws, k, z):
    """Pre-activations ``g_l(z)`` and their exact gradients ``J(g_l)(z)`` (rows) for ``l < k``, at one point."""
    g, grads = [], []
    h, Jl = z, Ws[0].T
    for l in range(k - 1):
        gl = h @ Ws[l]
        g.append(gl)
        grads.append(Jl)
        mask = gl > 0
        h = gl * mask
        if l + 1 < k - 1:
            Jl = Ws[l + 1].T @ (mask[:, None] * Jl)
    return np.concatenate(g), np.vstack(grads)


def _crossing_candidates(Ws, k, z, nearest: int, overshoot: float):
    """Points just across the ``nearest`` closest region boundaries of ``z``: for a unit ``(l, j)`` with
    ``g = g_{l,j}(z)`` and ``a = ∇g_{l,j}(z)`` (linear on the region), ``z − (1 + overshoot) g a/‖a‖²``, on the
    unit sphere (``g_k`` is positively homogeneous). Each is an actual input; its pattern is recomputed."""
    g, A = _layer_gradients(Ws, k, z)
    an = np.einsum("ij,ij->i", A, A)
    ok = an > 0
    dist = np.where(ok, np.abs(g) / np.sqrt(np.where(ok, an, 1.0)), np.inf)
    idx = np.argsort(dist)[:nearest]
    idx = idx[np.isfinite(dist[idx])]
    C = z[None, :] - ((1.0 + overshoot) * g[idx] / an[idx])[:, None] * A[idx]
    nrm = np.linalg.norm(C, axis=1, keepdims=True)
    return C[nrm[:, 0] > 0] / nrm[nrm[:, 0] > 0]


def lipschitz_search(weights, k: int, rng, *, samples: int = 256, restarts: int = 8, steps: int = 40,
                     temperatures: tuple[float, float] = (0.3, 0.01), step_sizes: tuple[float, float] = (0.3, 0.01),
                     polish: int = 20, crossings: int = 8, nearest: int = 16, climbers: int = 2) -> LipschitzEstimate:
    """A certified lower estimate of ``‖g_k‖_Lip`` by a stronger ascent over activation regions (Lemma 6.1).

    1. ``samples`` random points on the unit sphere, plus the top right singular vectors of ``W_1ᵀ`` and of
       the all-active chain ``W_kᵀ ⋯ W_1ᵀ``; the ``restarts`` best (certified) points start the ascent.
    2. ``steps`` steps per start: at ``z`` take the pattern Jacobian's top singular pair ``(u, v)``, move ``z``
       along the tangent gradient of the *smoothed* bilinear form ``uᵀ J_τ(z) v`` (sigmoid masks, see
       :func:`_smoothed_ascent_direction`), which pulls units with ``left_j right_j > 0`` across their
       region boundary into the active side and pushes the others out — region-boundary crossings
       steered by the Jacobian; the temperature ``t`` and the step anneal geometrically
       (``temperatures``, ``step_sizes``); the pattern is recomputed at every step.
    3. ``polish`` (1+1)-evolution steps from each start's best point (random moves into neighbouring regions).
    4. Up to ``crossings`` hill-climbing moves in the region-adjacency graph from the ``climbers`` best
       starts: the candidates are the points across the ``nearest`` closest boundaries, at relative
       overshoots ``1e-4`` (thin regions) and ``0.3`` (:func:`_crossing_candidates`); move to the best if it
       increases ``‖J‖``, stop at a local maximum of the region graph. (Cost ``climbers · crossings ·
       2·nearest`` Jacobians — the defaults keep it near the ascent's.)

    Every candidate is an actual input: its value is ``‖J(g_k)(z)‖_op`` recomputed from
    :func:`pattern_jacobian` at a point with no zero pre-activation (``margin > 0``), so the maximum is a
    certified lower bound of ``‖g_k‖_Lip``. The returned ``value`` is recomputed at ``argmax`` by
    :func:`certify_point` (forward pass, explicit chain, SVD; its margin above the rounding bound of every
    pre-activation is checked — the best start that passes is returned). ``k = 1``: the exact ``‖W_1‖_op``.
    """
    Ws, k = _check_k(weights, k)
    samples = check_positive_int(samples, "samples")
    restarts = min(check_positive_int(restarts, "restarts"), samples)
    steps = check_positive_int(steps, "steps", minimum=0)
    polish = check_positive_int(polish, "polish", minimum=0)
    crossings = check_positive_int(crossings, "crossings", minimum=0)
    nearest = check_positive_int(nearest, "nearest")
    climbers = min(check_positive_int(climbers, "climbers"), restarts)
    for name, pair in (("temperatures", temperatures), ("step_sizes", step_sizes)):
        if len(pair) != 2 or not all(np.isfinite(x) and x > 0 for x in pair):
            raise ValueError(f"{name} must be two finite positive numbers (start, end), got {pair!r}")
    if rng is None:
        raise ValueError("rng must be a numpy Generator or a seed; got None (no hidden global randomness)")
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    d = Ws[0].shape[0]
    Z = rng.standard_normal((samples, d))
    chain = Ws[0].T
    for W in Ws[1:k]:
        chain = W.T @ chain
    extra = [np.linalg.svd(Ws[0].T, full_matrices=False)[2][0], np.linalg.svd(chain, full_matrices=False)[2][0]]
    Z = np.vstack([Z] + [s * e[None, :] for e in extra for s in (1.0, -1.0)])
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    J, margin = pattern_jacobian(Z, Ws, k)
    norms = np.where(margin > 0, _fast_opnorms(J), -np.inf)
    evals = Z.shape[0]
    order = np.argsort(norms)[::-1][:restarts]
    cur, best, best_val = Z[order].copy(), Z[order].copy(), norms[order].copy()
    if k > 1 and steps:
        Jc = J[order]
        for it in range(steps):
            f = it / max(steps - 1, 1)
            t = temperatures[0] * (temperatures[1] / temperatures[0]) ** f
            eta = step_sizes[0] * (step_sizes[1] / step_sizes[0]) ** f
            _, u, v = _top_pairs(Jc)
            grad = _smoothed_ascent_direction(Ws, k, cur, u, v, t)
            grad -= np.sum(grad * cur, axis=1, keepdims=True) * cur
            gn = np.linalg.norm(grad, axis=1, keepdims=True)
            cur = cur + eta * np.where(gn > 0, grad / np.where(gn > 0, gn, 1.0), 0.0)
            cur /= np.linalg.norm(cur, axis=1, keepdims=True)
            Jc, mc = pattern_jacobian(cur, Ws, k)
            val = np.where(mc > 0, _fast_opnorms(Jc), -np.inf)
            evals += cur.shape[0]
            better = val > best_val
            best[better], best_val[better] = cur[better], val[better]
    if k > 1 and polish:
        step = np.full(best.shape[0], 0.1)
        for _ in range(polish):
            prop = best + step[:, None] * rng.standard_normal(best.shape) / np.sqrt(d)
            prop /= np.linalg.norm(prop, axis=1, keepdims=True)
            Jp, mp = pattern_jacobian(prop, Ws, k)
            val = np.where(mp > 0, _fast_opnorms(Jp), -np.inf)
            evals += prop.shape[0]
            better = val > best_val
            best[better], best_val[better] = prop[better], val[better]
            step = np.where(better, step, step * 0.7)
    if k > 1 and crossings:
        # hill climbing in the region-adjacency graph from the best few points: move across whichever
        # nearby boundary increases ‖J‖ most, until no neighbour is better
        for r in np.argsort(best_val)[::-1][:climbers]:
            z, zv = best[r].copy(), best_val[r]
            for _ in range(crossings):
                C = np.vstack([_crossing_candidates(Ws, k, z, nearest, o) for o in _OVERSHOOTS])
                if not C.size:
                    break
                Jc, mc = pattern_jacobian(C, Ws, k)
                val = np.where(mc > 0, _fast_opnorms(Jc), -np.inf)
                evals += C.shape[0]
                j = int(np.argmax(val))
                if not val[j] > zv:
                    break
                z, zv = C[j], val[j]
            best[r], best_val[r] = z, zv
    # the returned point: the best start whose value certify_point confirms (independent recomputation)
    for i in np.argsort(best_val)[::-1]:
        if not np.isfinite(best_val[i]):
            break
        value, ok, _ = certify_point(Ws, k, best[i])
        if ok or k == 1:
            _, m = pattern_jacobian(best[i][None, :], Ws, k)
            return LipschitzEstimate(value, best[i].copy(), float(m[0]), evals)
    return LipschitzEstimate(float("-inf"), best[0].copy(), 0.0, evals)


def certify_point(weights, k: int, z) -> tuple[float, bool, float]:
    """``(‖J(g_k)(z)‖_op, certified, ratio)`` at one input ``z``, recomputed independently of any search.

    The pre-activations come from :func:`ntk.forward`; the chain ``W_kᵀ Σ_{k−1} ⋯ Σ_1 W_1ᵀ`` is multiplied out
    explicitly and its norm taken by an SVD. *Certified* means every ``|g_{l,j}(z)|`` (``l < k``) exceeds its
    forward rounding bound ``2 (Σ_{q≤l} n_{q−1} + l) eps · (|W_l|ᵀ ⋯ |W_1|ᵀ |z|)_j`` (first-order error of the
    products; ReLU and masks only shrink it): then the computed pattern is the true one, ``z`` is interior to
    its region, ``g_k`` is linear around ``z`` with this Jacobian, and the norm is a lower bound of
    ``‖g_k‖_Lip`` up to the SVD's relative ``O((n_k + d) eps)``. ``ratio`` = the smallest ``|g|/bound``."""
    from .network import forward

    Ws, k = _check_k(weights, k)
    z = np.asarray(z, dtype=np.float64).reshape(1, -1)
    fw = forward(z, Ws)
    J = Ws[0].T
    A = np.abs(z[0])
    nsum, ratio = 0, np.inf
    for l in range(1, k):
        W = Ws[l - 1]
        nsum += W.shape[0]
        A = np.abs(W).T @ A
        tol = 2.0 * (nsum + l) * _EPS * A
        g = np.abs(fw.pre[l - 1][0])
        ratio = min(ratio, float(np.min(np.where(tol > 0, g / np.where(tol > 0, tol, 1.0), np.where(g > 0, np.inf, 0.0)))))
        J = Ws[l].T @ (fw.masks[l - 1][0][:, None] * J)
    value = float(np.linalg.svd(J, compute_uv=False)[0]) if J.size else 0.0
    return value, bool(ratio > 1.0), float(ratio)
