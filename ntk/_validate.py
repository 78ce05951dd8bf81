"""Input validation shared by every public routine of :mod:`ntk`.

Every check raises :class:`ValueError` (or :class:`TypeError`) whose message names the offending
argument and value, so that bad input never turns into a NaN that flows into a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "as_data",
    "as_weights",
    "check_depth",
    "check_positive_int",
    "check_widths",
    "nonzero_row_norms",
]


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` after checking it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def check_depth(depth, name: str = "depth") -> int:
    """Depth ``L`` (number of weight matrices) must be an integer ``>= 2`` (THEOREMS.md §1)."""
    return check_positive_int(depth, name, minimum=2)


def check_widths(widths, name: str = "widths") -> tuple[int, ...]:
    """Widths ``[d, n_1, ..., n_{L-1}, n_L]``: at least three integers, each ``>= 1``."""
    if isinstance(widths, (str, bytes)) or not isinstance(widths, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a sequence of integers, got {widths!r}")
    out = tuple(check_positive_int(w, f"{name}[{i}]") for i, w in enumerate(widths))
    if len(out) < 3:
        raise ValueError(
            f"{name} must list d, at least one hidden width and the output width "
            f"(depth L >= 2), got {list(out)!r}"
        )
    return out


def as_data(X, name: str = "X") -> np.ndarray:
    """Return ``X`` as a float64 array of shape ``(..., N, d)`` with ``N, d >= 1`` and finite entries."""
    arr = np.asarray(X)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim < 2:
        raise ValueError(f"{name} must have shape (N, d) (optionally with leading batch axes), got shape {arr.shape}")
    if arr.shape[-2] < 1 or arr.shape[-1] < 1:
        raise ValueError(f"{name} must have N >= 1 rows and d >= 1 columns, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name} must be finite; {name}[{', '.join(map(str, bad))}] = {arr[tuple(bad)]!r}"
        )
    return arr


def nonzero_row_norms(X: np.ndarray, name: str = "X", rowmax: np.ndarray | None = None) -> np.ndarray:
    """Euclidean norms of the rows of ``X``; a zero row is an error (a norm is divided by it).

    Computed as ``m·‖x/m‖`` with ``m = max_j |x_j|`` so that rows of size 1e±200 neither overflow nor
    underflow (the plain ``√Σx²`` loses them). ``rowmax`` may pass ``m`` when the caller has it already."""
    m = np.max(np.abs(X), axis=-1) if rowmax is None else rowmax
    if np.any(m == 0):
        idx = np.argwhere(m == 0)[0]
        raise ValueError(
            f"{name} has a zero row at index {tuple(int(i) for i in idx)}; "
            "the arc-cosine kernels divide by the row norm"
        )
    Y = X / m[..., None]
    return m * np.sqrt(np.einsum("...ij,...ij->...i", Y, Y))


def as_weights(weights, d: int | None = None, name: str = "weights") -> list[np.ndarray]:
    """Validate a list of weight matrices ``W_l`` of shape ``(..., n_{l-1}, n_l)`` forming a chain.

    At least two matrices (depth ``L >= 2``), finite float64 entries, consecutive shapes agreeing,
    and the first input width equal to ``d`` when given. Leading (batch) axes must agree.
    """
    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence):
        raise TypeError(f"{name} must be a list of weight matrices, got {type(weights).__name__}")
    out = []
    for l, W in enumerate(weights, start=1):
        W = as_data(W, f"{name}[{l - 1}] (W_{l})")
        out.append(W)
    if len(out) < 2:
        raise ValueError(f"{name} must hold at least 2 matrices (depth L >= 2), got {len(out)}")
    batch = out[0].shape[:-2]
    for l in range(1, len(out)):
        if out[l].shape[-2] != out[l - 1].shape[-1]:
            raise ValueError(
                f"{name}: W_{l} has shape {out[l - 1].shape} but W_{l + 1} has shape {out[l].shape}; "
                f"rows of W_{l + 1} must equal columns of W_{l}"
            )
        if out[l].shape[:-2] != batch:
            raise ValueError(
                f"{name}: batch axes disagree, W_1 has {batch} and W_{l + 1} has {out[l].shape[:-2]}"
            )
    if d is not None and out[0].shape[-2] != d:
        raise ValueError(
            f"{name}: W_1 has {out[0].shape[-2]} rows but the data have d = {d} columns"
        )
    return out
