"""Independent reference computations for the tests of :mod:`ntk` (written from scratch).

Nothing here calls the routine it is used to check. The references are deliberately naive: one sample
and one parameter at a time, explicit loops, scalar quadrature, arbitrary-precision arithmetic.

* :func:`forward_ref` — per-sample forward pass in any float type (``numpy.longdouble`` for finite
  differences), returning every pre-activation.
* :func:`fd_jacobian` — central finite differences over every parameter, with a step chosen so that
  no ReLU kink is crossed (asserted), and the rounding error bound of each entry.
* :func:`abs_jacobian` — ``|J|``-like majorant used in every rounding bound of a Gram sum.
* :func:`quad_limiting_ntk` — the limiting-NTK recursion with every expectation evaluated by
  per-entry quadrature of the defining 2-D Gaussian integral (polar coordinates, split at the kinks).
* :func:`mp_limiting_ntk` — the arc-cosine recursion in mpmath at 50 digits from the exact float input.
* :func:`limiting_tolerance` — the rounding-error model of the float64 arc-cosine recursion.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.integrate

EPS = np.finfo(np.float64).eps
LD = np.longdouble
EPS_LD = float(np.finfo(np.longdouble).eps)


# ------------------------------------------------------------------------------------------ networks
def forward_ref(x, weights, dtype=np.float64):
    """Pre-activations ``[g_1, …, g_L]`` of one sample ``x`` (1-D), evaluated in ``dtype``.

    ``g_l = W_lᵀ f_{l-1}``, ``f_l = max(g_l, 0)``; ``g_L`` is the (length-1) output.
    """
    f = np.asarray(x, dtype=dtype)
    pre = []
    for l, W in enumerate(weights, start=1):
        g = np.asarray(W, dtype=dtype).T @ f
        pre.append(g)
        if l < len(weights):
            f = np.where(g > 0, g, dtype(0))
    return pre


def abs_chain(x, weights):
    """``|W_L|ᵀ ⋯ |W_1|ᵀ |x|`` with ReLU: the majorant ``S`` of every partial sum in the forward pass.

    Standard forward error analysis of a chain of matrix–vector products with 1-Lipschitz, exactly
    evaluated ReLUs: ``|fl(f_L) − f_L| ≤ γ_n · S`` with ``γ_n = n u/(1 − n u)``, ``n = Σ_l n_{l-1}``
    (the summed dot-product lengths) and ``u`` the unit roundoff.
    """
    f = np.abs(np.asarray(x, dtype=np.float64))
    for W in weights:
        f = np.abs(W).T @ f
    return float(f[0])


def abs_jacobian(X, weights):
    """``|J|`` majorant: entry ``(i, p)`` for ``p ∈ W_{k+1}`` is ``|f_k|[a] · v_abs[b]`` where the
    activations are the true ones and ``v_abs = D_{k+1}|W_{k+2}| D_{k+2} ⋯ |W_L|``.

    Every computed ``K̄_ij`` (any summation order, any grouping into layers) is within
    ``γ · (|J| |J|ᵀ)_ij`` of the exact value, with ``γ ≈ (P + 2 Σ_l n_{l-1} + 2L) u`` (P products
    summed, each factor of which carries a chain of dot-product errors).
    """
    L = len(weights)
    rows = []
    for x in np.asarray(X, dtype=np.float64):
        pre = forward_ref(x, weights)
        masks = [(g > 0).astype(np.float64) for g in pre[:-1]]
        fa = [np.abs(x)]
        for l in range(L - 1):
            fa.append(masks[l] * (np.abs(weights[l]).T @ fa[-1]))
        blocks = []
        for k in range(L):
            v = np.ones(1)
            for l in range(L - 1, k, -1):
                v = masks[l - 1] * (np.abs(weights[l]) @ v)
            blocks.append(np.outer(fa[k], v).ravel())
        rows.append(np.concatenate(blocks))
    return np.asarray(rows)


def gram_gamma(widths, P=None):
    """``γ`` of :func:`abs_jacobian`'s bound: ``(P + 2 Σ_l n_{l-1} + 2L) · eps`` (a safe constant)."""
    widths = list(widths)
    L = len(widths) - 1
    if P is None:
        P = sum(widths[l] * widths[l + 1] for l in range(L))
    return (P + 2 * sum(widths[:-1]) + 2 * L) * EPS


def kink_margin(X, weights):
    """``min |g_l(x_i)_j|`` over samples and hidden layers ``l < L`` (0 means a point on a kink)."""
    m = np.inf
    for x in np.asarray(X, dtype=np.float64):
        pre = forward_ref(x, weights)
        for g in pre[:-1]:
            m = min(m, float(np.min(np.abs(g))))
    return m


def fd_jacobian(X, weights, dtype=LD):
    """Central-difference Jacobian over all parameters (order ``vec(W_1), …, vec(W_L)``, row-major).

    Why it is exact up to rounding. Perturbing the single entry ``W_l[a, b]`` by ``t`` changes only
    ``g_l[b]`` (by ``t f_{l-1}[a]``) and, downstream, ``g_m`` for ``m > l`` by at most
    ``|t| ‖f_{l-1}‖_∞ Π_{q=l+1}^{m} ‖W_q‖_op`` (ReLU is 1-Lipschitz). Hence, with
    ``c_l = max_i ‖f_{l-1}(x_i)‖_∞ · max_{m<L} Π_{q=l+1}^{m} max(1, ‖W_q‖_op)`` and a step
    ``h_l`` with ``h_l c_l < margin = min |g_m(x_i)_j|``, no pre-activation changes sign on
    ``[−h_l, h_l]``: ``f_L`` is *linear* in ``t`` there and the central difference has zero truncation
    error. (For ``W_L`` the output is linear in the parameter outright.) The condition is asserted.

    Rounding: ``f`` is evaluated in ``dtype`` (default ``longdouble``) with error ``≤ γ S_i``,
    ``γ = n u/(1 − n u)`` (see :func:`abs_chain`); the difference quotient divides the difference of
    two such values by ``p − m`` (``p, m`` the perturbed parameter values, representable, so
    ``(f(p) − f(m))/(p − m)`` is the slope of the linear piece up to ``2γS/(p − m) + 2u|slope|``).

    Returns ``(J, bound)`` with ``bound`` the entrywise error bound.
    """
    X = np.asarray(X, dtype=np.float64)
    Ws = [np.asarray(W, dtype=np.float64) for W in weights]
    L = len(Ws)
    widths = [Ws[0].shape[0]] + [W.shape[1] for W in Ws]
    margin = kink_margin(X, Ws)
    assert margin > 0, "a pre-activation is exactly 0: the network is not differentiable there"
    ops = [max(1.0, float(np.linalg.norm(W, 2))) for W in Ws]
    finf = [0.0] * L  # max_i ‖f_{l-1}(x_i)‖_∞ for l = 1..L
    for x in X:
        pre = forward_ref(x, Ws)
        feats = [x] + [np.maximum(g, 0) for g in pre[:-1]]
        for l in range(L):
            finf[l] = max(finf[l], float(np.max(np.abs(feats[l]))))
    u = float(np.finfo(dtype).eps) / 2
    n = sum(widths[:-1])
    gamma = n * u / (1 - n * u)
    base = [[g > 0 for g in forward_ref(x, Ws)[:-1]] for x in X]
    cols, bounds = [], []
    for l in range(L):  # W_{l+1}
        if l < L - 1:
            prod = max(math.prod(ops[l + 1 : m + 1]) for m in range(l, L - 1))
            c = finf[l] * prod
            h = 2.0 ** math.floor(math.log2(0.25 * margin / c)) if c > 0 else 1.0
            h = min(h, 1.0)
            assert h * c < margin, "finite-difference step would cross a ReLU kink"
        else:
            h = 1.0
        W = Ws[l]
        for a in range(W.shape[0]):
            for b in range(W.shape[1]):
                Wp = [Wq.astype(dtype) for Wq in Ws]
                Wm = [Wq.astype(dtype) for Wq in Ws]
                p = dtype(W[a, b]) + dtype(h)
                m = dtype(W[a, b]) - dtype(h)
                Wp[l][a, b] = p
                Wm[l][a, b] = m
                Wabs = [np.abs(Wq) for Wq in Ws]
                Wabs[l][a, b] = abs(W[a, b]) + h  # majorant at both ends of the step
                col = np.empty(len(X), dtype=dtype)
                S = np.empty(len(X))
                for i, x in enumerate(X):
                    prep = forward_ref(x, Wp, dtype)
                    prem = forward_ref(x, Wm, dtype)
                    # sanity check of the a-priori argument: same activation pattern at both ends
                    for gp, gm, g0 in zip(prep[:-1], prem[:-1], base[i]):
                        assert np.array_equal(gp > 0, g0) and np.array_equal(gm > 0, g0)
                    col[i] = (prep[-1][0] - prem[-1][0]) / (p - m)
                    S[i] = abs_chain(x, Wabs)
                cols.append(col)
                bounds.append(2 * gamma * S / float(p - m) + 2 * u * np.abs(col.astype(np.float64)))
    J = np.stack(cols, axis=1).astype(np.float64)
    bound = np.stack(bounds, axis=1) + EPS * np.abs(J)  # + the final cast to float64
    return J, bound


# ------------------------------------------------------------------------------ limiting NTK (quad)
def _gauss_pair_factors(Gii, Gij, Gjj):
    """Rows ``a, b ∈ R²`` with ``[[a·a, a·b], [a·b, b·b]] = [[Gii, Gij], [Gij, Gjj]]`` (Cholesky)."""
    a = np.array([math.sqrt(Gii), 0.0])
    # the second component from the 2×2 determinant, so that an exactly repeated pair (i = j) gives
    # b = a exactly; near-collinear distinct pairs remain ill-conditioned (angle error ~ √eps), so the
    # quadrature reference is used on well-separated rows only
    b = np.array([Gij / math.sqrt(Gii), math.sqrt(max(Gii * Gjj - Gij * Gij, 0.0)) / math.sqrt(Gii)])
    return a, b


def _angular_pieces(a, b):
    """Breakpoints in ``[0, 2π]`` where ``⟨a, e(φ)⟩`` or ``⟨b, e(φ)⟩`` changes sign."""
    pts = {0.0, 2 * math.pi}
    for v in (a, b):
        if np.any(v != 0):
            phi0 = math.atan2(v[1], v[0])
            for s in (-0.5 * math.pi, 0.5 * math.pi):
                pts.add((phi0 + s) % (2 * math.pi))
    return sorted(pts)


_RADIAL = {}


def _radial(power):
    """``∫_0^∞ r^{power} e^{−r²/2} dr / (2π)`` by quadrature (``power = 3``: σσ, ``1``: σ'σ')."""
    if power not in _RADIAL:
        val, err = scipy.integrate.quad(lambda r: r**power * math.exp(-0.5 * r * r), 0, 40.0, epsabs=0, epsrel=1e-13, limit=200
        )  # the tail beyond 40 is < 40³e^{−800}
        _RADIAL[power] = (val / (2 * math.pi), err / (2 * math.pi))
    return _RADIAL[power]


def gaussian_pair_expectations(Gii, Gij, Gjj):
    """``(2E[σ(u)σ(v)], 2E[σ'(u)σ'(v)])`` for ``(u, v) ~ N(0, [[Gii, Gij], [Gij, Gjj]])``, by quadrature.

    Write ``(u, v) = (⟨a, z⟩, ⟨b, z⟩)`` with ``z ~ N(0, I_2)`` and ``z = r e(φ)`` in polar coordinates.
    The 2-D integral factors exactly into a radial integral (by homogeneity of σ and of the indicator
    σ') and an angular one, ``∫_0^{2π} σ(⟨a,e⟩)σ(⟨b,e⟩) dφ``, whose integrand is a trigonometric
    polynomial on each arc between the (at most four) kink angles. Each arc is integrated by adaptive
    Gauss–Kronrod (scipy ``quad``), which is accurate to rounding on such smooth pieces — this avoids
    the algebraic convergence of Gauss–Hermite on the kinked integrand. Returns the two values and
    the summed absolute error estimate reported by ``quad``.
    """
    a, b = _gauss_pair_factors(Gii, Gij, Gjj)
    pts = _angular_pieces(a, b)
    r3, e3 = _radial(3)
    r1, e1 = _radial(1)

    def relu_prod(phi):
        e = (math.cos(phi), math.sin(phi))
        return max(a[0] * e[0] + a[1] * e[1], 0.0) * max(b[0] * e[0] + b[1] * e[1], 0.0)

    def step_prod(phi):
        e = (math.cos(phi), math.sin(phi))
        return float(a[0] * e[0] + a[1] * e[1] > 0 and b[0] * e[0] + b[1] * e[1] > 0)

    s1 = s0 = err1 = err0 = 0.0
    for lo, hi in zip(pts[:-1], pts[1:]):
        if hi - lo <= 0:
            continue
        v, e = scipy.integrate.quad(relu_prod, lo, hi, epsabs=0, epsrel=1e-13, limit=200)
        s1 += v
        err1 += e
        # σ'σ' is constant on the arc: evaluate at its midpoint (exact), quad adds nothing here
        s0 += step_prod(0.5 * (lo + hi)) * (hi - lo)
        err0 += 4 * EPS * (hi - lo)
    G = 2 * r3 * s1
    Gd = 2 * r1 * s0
    err = 2 * (r3 * err1 + e3 * s1) + 2 * (r1 * err0 + e1 * s0)
    return G, Gd, err


def quad_limiting_ntk(X, depth):
    """Naive limiting-NTK recursion: every ``G^(l)_ij``, ``Ġ^(l)_ij`` by per-entry quadrature.

    Returns ``(G, Gdot, K, quad_err)`` as 1-indexed lists (index 0 unused), ``quad_err`` the largest
    summed quad error estimate of one entry.
    """
    X = np.asarray(X, dtype=np.float64)
    N = X.shape[0]
    G1 = np.array([[float(np.dot(X[i], X[j])) for j in range(N)] for i in range(N)])
    G, Gd, K = [None, G1], [None, None], [None, G1.copy()]
    worst = 0.0
    for _ in range(2, depth + 1):
        Gp = G[-1]
        Gn, Gdn = np.empty((N, N)), np.empty((N, N))
        for i in range(N):
            for j in range(N):
                g, gd, e = gaussian_pair_expectations(Gp[i, i], Gp[i, j], Gp[j, j])
                Gn[i, j], Gdn[i, j] = g, gd
                worst = max(worst, e)
        G.append(Gn)
        Gd.append(Gdn)
        K.append(K[-1] * Gdn + Gn)
    return G, Gd, K, worst


# ------------------------------------------------------------------------------ limiting NTK (mpmath)
def mp_limiting_ntk(X, depth, dps=50):
    """The arc-cosine recursion in mpmath (``dps`` digits) from the exact binary values of ``X``.

    Returns float64 arrays ``(G, Gdot, K)`` (1-indexed lists) rounded once at the end: each is within
    half an ulp of the exact value (the 50-digit computation has error ≪ 1e-40 relative).
    """
    import mpmath

    with mpmath.workdps(dps):
        X = np.asarray(X, dtype=np.float64)
        N, d = X.shape
        Xm = [[mpmath.mpf(float(v)) for v in row] for row in X]
        G = [[mpmath.fsum(Xm[i][k] * Xm[j][k] for k in range(d)) for j in range(N)] for i in range(N)]
        K = [row[:] for row in G]
        Gs, Gds, Ks = [None, G], [None, None], [None, K]
        pi = mpmath.pi
        for _ in range(2, depth + 1):
            Gn = [[None] * N for _ in range(N)]
            Gdn = [[None] * N for _ in range(N)]
            for i in range(N):
                for j in range(N):
                    nn = mpmath.sqrt(G[i][i] * G[j][j])
                    rho = G[i][j] / nn
                    rho = max(min(rho, mpmath.mpf(1)), mpmath.mpf(-1))
                    th = mpmath.acos(rho)
                    Gn[i][j] = nn * (mpmath.sin(th) + (pi - th) * mpmath.cos(th)) / pi
                    Gdn[i][j] = (pi - th) / pi
            K = [[K[i][j] * Gdn[i][j] + Gn[i][j] for j in range(N)] for i in range(N)]
            G = Gn
            Gs.append(Gn)
            Gds.append(Gdn)
            Ks.append(K)

        def to_np(M):
            return None if M is None else np.array([[float(v) for v in row] for row in M])

        return [to_np(M) for M in Gs], [to_np(M) for M in Gds], [to_np(M) for M in Ks]


def limiting_tolerance(d, depth):
    """Absolute error bound, in units of the entry scale, of the float64 arc-cosine recursion.

    Model. (i) Input angle: the unit rows carry relative error ≲ (d + 2)u per component after the
    norm and the division, so ``θ_ij`` (from ``arccos ρ`` with ``|ρ| ≤ 1/2``, where
    ``|arccos'| ≤ 2/√3``, or from ``2 atan2(‖u−v‖, ‖u+v‖)``, both norms accurate to (d + 2)u) is
    within ``≈ 2(d + 2) u`` absolutely. (ii) Each layer: ``κ_1`` and ``κ_0`` are Lipschitz with
    constants ``1`` and ``1/π`` in ``θ``, the angle map ``θ ↦ θ'`` of the next layer does not expand
    errors by more than a factor ~1 (``dθ'/dθ = (π−θ) sin θ /(π sin θ') ≤ 1``), and each layer's own
    formulas add ≲ 10 u (a dozen flops with relative error u each, on values ≤ 1). So after ``l``
    layers the angle error is ``≲ (2(d + 2) + 10 l) u`` and ``G^(l)``, ``Ġ^(l)`` are within that,
    times the entry scale ``√(G_ii G_jj)`` (resp. 1). (iii) ``K^(L)`` sums ``L`` such terms, each
    multiplied by factors ``≤ 1``. Bound: ``L (2(d + 2) + 10 L) u`` per unit of ``√(K_ii K_jj)``
    (1.7e-14 for d = 8, L = 3; observed errors are ~1 eps).
    """
    u = EPS / 2
    return depth * (2 * (d + 2) + 10 * depth) * u


def entry_scale(M):
    """``√(M_ii M_jj)``: the natural scale of entry ``(i, j)`` of a PSD kernel (Cauchy–Schwarz)."""
    dg = np.sqrt(np.abs(np.diagonal(M, axis1=-2, axis2=-1)))
    return dg[..., :, None] * dg[..., None, :]


def random_orthogonal(d, rng):
    """Haar-random orthogonal ``Q`` (QR of a Gaussian matrix with the sign fix of Mezzadri)."""
    A = rng.standard_normal((d, d))
    Q, R = np.linalg.qr(A)
    return Q * np.sign(np.diag(R))
