"""Bias-free deep ReLU networks: weights, forward pass, back-propagated rows (THEOREMS.md §1).

Conventions (exact, no approximation): depth ``L >= 2``; widths ``[d, n_1, ..., n_{L-1}, n_L]``;
``W_l`` has shape ``(n_{l-1}, n_l)`` with i.i.d. ``N(0, β_l²)`` entries; ``g_l = W_lᵀ f_{l-1}``,
``f_l = σ(g_l)`` for ``l < L`` and ``f_L = W_Lᵀ f_{L-1}``; ``σ'(0) = 0``.

Every routine accepts leading batch axes on the weights (shape ``(T, n_{l-1}, n_l)``) so that ``T``
independent networks are evaluated with one call; ``X`` may be ``(N, d)`` or ``(T, N, d)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._validate import as_data, as_weights, check_positive_int, check_widths

__all__ = [
    "BETA_PRESETS",
    "Forward",
    "backprop_rows",
    "forward",
    "init_weights",
    "init_weights_batch",
    "resolve_betas",
]

BETA_PRESETS = ("standard", "he", "lecun")


def resolve_betas(widths: Sequence[int], betas="standard") -> tuple[float, ...]:
    """Per-layer standard deviations ``β_1..β_L`` from a sequence or a named preset.

    Presets (``n_0 = d``): ``"standard"`` β_l = 1; ``"he"`` β_l = √(2/n_{l-1});
    ``"lecun"`` β_l = 1/√n_{l-1}. A sequence must have length ``L = len(widths) - 1`` and finite
    entries ``>= 0`` (β = 0 is allowed: it is the degenerate zero network).
    """
    widths = check_widths(widths)
    L = len(widths) - 1
    if isinstance(betas, str):
        fan_in = np.asarray(widths[:-1], dtype=np.float64)
        if betas == "standard":
            return (1.0,) * L
        if betas == "he":
            return tuple(float(b) for b in np.sqrt(2.0 / fan_in))
        if betas == "lecun":
            return tuple(float(b) for b in 1.0 / np.sqrt(fan_in))
        raise ValueError(f"betas preset must be one of {BETA_PRESETS}, got {betas!r}")
    arr = np.asarray(betas, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(L, float(arr))
    if arr.shape != (L,):
        raise ValueError(f"betas must have one entry per layer (L = {L}), got {list(np.ravel(betas))!r}")
    for l, b in enumerate(arr, start=1):
        if not np.isfinite(b) or b < 0:
            raise ValueError(f"betas[{l - 1}] (β_{l}) must be finite and >= 0, got {b!r}")
    return tuple(float(b) for b in arr)


def init_weights(widths: Sequence[int], betas="standard", rng=None) -> list[np.ndarray]:
    """Draw ``W_l ~ N(0, β_l²)`` of shape ``(n_{l-1}, n_l)`` for ``l = 1..L``.

    ``rng`` is a :class:`numpy.random.Generator` (or a seed for ``default_rng``); it is required so
    that draws are reproducible — there is no hidden global state.
    """
    widths = check_widths(widths)
    b = resolve_betas(widths, betas)
    rng = _as_rng(rng)
    return [rng.standard_normal((widths[l], widths[l + 1])) * b[l] for l in range(len(widths) - 1)]


def init_weights_batch(widths: Sequence[int], betas="standard", rng=None, trials: int = 1) -> list[np.ndarray]:
    """Draw ``trials`` independent networks at once: ``W_l`` of shape ``(trials, n_{l-1}, n_l)``.

    Every routine of :mod:`ntk` broadcasts over the leading axis, so the trials of a Monte Carlo
    check are evaluated in one vectorised call.
    """
    widths = check_widths(widths)
    trials = check_positive_int(trials, "trials")
    b = resolve_betas(widths, betas)
    rng = _as_rng(rng)
    return [rng.standard_normal((trials, widths[l], widths[l + 1])) * b[l] for l in range(len(widths) - 1)]


def _as_rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        raise ValueError("rng must be a numpy Generator or a seed; got None (no hidden global randomness)")
    return np.random.default_rng(rng)


@dataclass(frozen=True)
class Forward:
    """Everything the forward pass produces, indexed by layer.

    ``pre[l-1] = g_l`` (``l = 1..L``; ``g_L`` is the output, shape ``(..., N, 1)``),
    ``features[k] = F_k`` (``k = 0..L-1``; ``F_0 = X``), ``masks[l-1] = σ'(g_l) ∈ {0, 1}``
    (``l = 1..L-1``, float64 so they multiply directly), ``output = F_L`` of shape ``(..., N)``.
    """

    pre: list[np.ndarray]
    features: list[np.ndarray]
    masks: list[np.ndarray]

    @property
    def depth(self) -> int:
        return len(self.pre)

    @property
    def output(self) -> np.ndarray:
        return self.pre[-1][..., 0] if self.pre[-1].shape[-1] == 1 else self.pre[-1]


def forward(X, weights) -> Forward:
    """Forward pass of the bias-free ReLU network (exact up to floating point).

    Returns pre-activations ``g_l``, features ``F_0 = X, …, F_{L-1}`` and activation masks
    ``Σ_l`` with the convention ``σ'(0) = 0``.
    """
    X = as_data(X)
    Ws = as_weights(weights, d=X.shape[-1])
    feats = [X]
    pre, masks = [], []
    F = X
    for l, W in enumerate(Ws, start=1):
        g = F @ W
        pre.append(g)
        if l < len(Ws):
            mask = (g > 0).astype(np.float64)
            masks.append(mask)
            F = g * mask
            feats.append(F)
    return Forward(pre=pre, features=feats, masks=masks)


def backprop_rows(fwd: Forward, weights) -> list[np.ndarray]:
    """The back-propagated rows ``B_1, …, B_L`` of THEOREMS.md §1 (proof of Thm 4.1).

    Row ``i`` of ``B_k ∈ R^{N×n_k}`` is ``Σ_k(x_i) (Π_{l=k+1}^{L-1} W_l Σ_l(x_i)) W_L`` and
    ``B_L = 1_N`` (shape ``(N, 1)``): the derivative of the linear output ``f_L = W_Lᵀ f_{L-1}``
    with respect to ``g_L`` is one. (The paper prints ``1_N/√N``: a misprint that divides the last
    term by ``N``; shown in ``tests/ntk/test_empirical.py``.) Computed by the recursion
    ``B_k = Σ_k ∘ (B_{k+1} W_{k+1}ᵀ)``, exact up to floating point.
    """
    Ws = as_weights(weights)
    L = len(Ws)
    if Ws[-1].shape[-1] != 1:
        raise ValueError(f"the output width n_L must be 1 for the NTK, got W_L of shape {Ws[-1].shape}")
    if fwd.depth != L:
        raise ValueError(f"forward pass has depth {fwd.depth} but weights have depth {L}")
    for l, (g, W) in enumerate(zip(fwd.pre, Ws), start=1):
        if g.shape[-1] != W.shape[-1]:
            raise ValueError(f"forward pass does not match the weights: g_{l} has width {g.shape[-1]}, W_{l} has "
                             f"{W.shape[-1]} columns")
    lead = np.broadcast_shapes(fwd.pre[-1].shape[:-1], Ws[0].shape[:-2] + (1,))
    B = [None] * (L + 1)
    B[L] = np.ones(lead + (1,))
    for k in range(L - 1, 0, -1):
        B[k] = (B[k + 1] @ np.swapaxes(Ws[k], -1, -2)) * fwd.masks[k - 1]
    return B[1:]
