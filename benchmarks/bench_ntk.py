"""Speed and memory of :mod:`ntk` against reference implementations, all figures from one run.

    python -m benchmarks.bench_ntk [--quick] [--json PATH] [--torch | --no-torch] [-v]
    python -m benchmarks.bench_ntk --against neural-tangents [--quick] [--pairs K] [--json PATH] [-v]

* Empirical NTK ``K̄`` (widths ``[d, n, n, n, 1]``, float64) for every ``(N, n)``: ``ntk.empirical_ntk``;
  the explicit ``J Jᵀ`` (``J`` built here by per-layer outer products ``f_k ⊗ b_{k+1}``) where the
  ``N × P`` Jacobian fits in ``--explicit-limit``; ``torch.func`` (``vmap`` of ``jacrev``) at the
  smallest ``N`` when torch is importable (own process; peak = increase of its max RSS).
* Achieved GFLOP/s of ``ntk.empirical_ntk`` for the operation count of the layerwise formula with
  symmetric Grams, and ``ratio_to_bound`` = (count / dgemm rate measured in this run) / measured time.
* Peak memory: ``tracemalloc`` (numpy reports its buffers to it), in a separate untimed call.
* Limiting NTK: ``ntk.limiting_ntk_matrix`` (``K^(L)`` alone) and ``ntk.limiting_ntk`` (every layer) against a
  straightforward vectorised numpy recursion written here.
* ``--against neural-tangents``: both kernels timed against neural-tangents 0.6.5 in its own venv, on the same
  inputs, as ratios (:mod:`benchmarks.against_nt`).

Times are the best of several calls (timings on a shared machine are noisy: the minimum is the
least disturbed). Exit status 1 when a target fails (never with ``--quick``, the smoke run).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import scipy
import scipy.linalg.blas as blas

import ntk

MiB = 2.0**20
GiB = 2.0**30
EPS = float(np.finfo(np.float64).eps)
ROOT = Path(__file__).resolve().parent.parent

FULL = dict(
    Ns=(256, 1024, 2048), ns=(512, 1024, 2048), d=64, L=4, seed=2021,
    dgemm=2048, syrk_shape=(2048, 1024), lim_N=2048,
    repeats=7, sample_s=4.0, ref_repeats=3, lim_repeats=7, flop_target_min_N=2048, torch_all_n=True,
)
QUICK = dict(
    Ns=(40, 80), ns=(32, 64), d=8, L=4, seed=2021,
    dgemm=256, syrk_shape=(256, 64), lim_N=80,
    repeats=2, sample_s=0.0, ref_repeats=1, lim_repeats=2, flop_target_min_N=80, torch_all_n=False,
)
FLOP_TARGET = 1.3  # measured time within this factor of the FLOP bound
LIMITING_TOL = 1e-14  # max |ΔK| / max |K| between ntk.limiting_ntk and the reference


# ----------------------------------------------------------------------------------- measuring
def best_time(fn, repeats: int, probe: "DgemmProbe | None" = None) -> float:
    """Minimum wall time of ``repeats`` calls (the result is dropped before the next call); with ``probe``,
    one dgemm probe runs after every call."""
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        del out
        if probe is not None:
            probe()
    return min(times)


class DgemmProbe:
    """``S × S × S`` float64 products timed between the measured calls, so that the dgemm rate is sampled
    under the same (shared-machine) load as the code it bounds; the rate used is the best sample."""

    def __init__(self, S: int, rng):
        self.S = S
        self.A = rng.standard_normal((S, S))
        self.B = rng.standard_normal((S, S))
        self.A @ self.B  # warm the BLAS threads
        self.samples: list[float] = []

    def __call__(self) -> float:
        t0 = time.perf_counter()
        self.A @ self.B
        t = time.perf_counter() - t0
        self.samples.append(t)
        return t

    def rate(self, samples=None) -> float:
        """GFLOP/s of the fastest sample (2 FLOPs per multiply-add)."""
        return 2.0 * self.S**3 / min(self.samples if samples is None else samples) / 1e9


def traced_peak(fn):
    """``(peak bytes allocated during fn(), fn())`` by tracemalloc (the result is counted in the peak)."""
    gc.collect()
    tracemalloc.start()
    try:
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, out


def syrk_check(shape, rng) -> dict:
    """Does numpy's ``A @ A.T`` use BLAS syrk? Time it against ``A @ Bᵀ`` (B a copy), scipy's dsyrk (one
    triangle only, not mirrored) and ``ntk.gram`` (tiled lower triangle by GEMM, mirrored)."""
    A = rng.standard_normal(shape)
    B = A.copy()
    t_aat = best_time(lambda: A @ A.T, 3)
    t_abt = best_time(lambda: A @ B.T, 3)
    t_syrk = best_time(lambda: blas.dsyrk(1.0, A.T, trans=1), 3)
    t_gram = best_time(lambda: ntk.gram(A), 3)
    return {
        "shape": list(shape),
        "numpy_A_At_s": t_aat,
        "numpy_A_Bt_s": t_abt,
        "scipy_dsyrk_s": t_syrk,
        "ntk_gram_s": t_gram,
        "numpy_A_At_gains_from_syrk": bool(t_aat < 0.75 * t_abt),
    }


# ------------------------------------------------------------------------------ operation counts
def param_count(widths) -> int:
    return sum(widths[l] * widths[l + 1] for l in range(len(widths) - 1))


def ntk_flops(N: int, widths) -> int:
    """FLOPs of the layerwise formula with symmetric Grams (2 per multiply-add).

    forward ``Σ_l 2N n_{l-1} n_l``; back-propagation ``Σ_{k=1}^{L-1} 2N n_k n_{k+1}``; Grams by syrk,
    ``N(N+1) n`` each, of ``F_0..F_{L-1}`` and ``B_1..B_{L-1}``; ``L-1`` Hadamard products and ``L-1``
    sums of ``N²`` each.
    """
    L = len(widths) - 1
    fwd = sum(2 * N * widths[l] * widths[l + 1] for l in range(L))
    bwd = sum(2 * N * widths[k] * widths[k + 1] for k in range(1, L))
    grams = sum(N * (N + 1) * widths[k] for k in range(L)) + sum(N * (N + 1) * widths[k] for k in range(1, L))
    return fwd + bwd + grams + 2 * (L - 1) * N * N


def gram_tolerance(widths) -> float:
    """Two computed ``K̄`` agree to ``2γ max|K̄|`` with ``γ = (P + 2Σ n_{l-1} + 2L) eps``.

    (Rounding model of tests/ntk/test_empirical.py; ``(|J||J|ᵀ)_ij ≤ √(K̄_ii K̄_jj) ≤ max|K̄|``.)
    """
    L = len(widths) - 1
    return 2 * (param_count(widths) + 2 * sum(widths[:-1]) + 2 * L) * EPS


# ------------------------------------------------------------------------------------ references
def explicit_jjt(X: np.ndarray, W: list[np.ndarray]) -> np.ndarray:
    """``J Jᵀ`` with ``J ∈ R^{N×P}`` formed explicitly: per-layer outer products ``f_k ⊗ b_{k+1}``.

    Straightforward and independent of :mod:`ntk`: forward pass storing features and masks,
    back-propagated rows ``B_k = (B_{k+1} W_{k+1}ᵀ) ∘ mask_k`` with ``B_L = 1``, then ``J`` block by block.
    """
    N = X.shape[0]
    L = len(W)
    F, masks = [X], []
    h = X
    for l in range(L - 1):
        g = h @ W[l]
        m = (g > 0).astype(np.float64)
        h = g * m
        F.append(h)
        masks.append(m)
    B = [None] * (L + 1)
    B[L] = np.ones((N, 1))
    for k in range(L - 1, 0, -1):
        B[k] = (B[k + 1] @ W[k].T) * masks[k - 1]
    P = param_count([W[0].shape[0]] + [w.shape[1] for w in W])
    J = np.empty((N, P))
    off = 0
    for k in range(L):
        a, b = F[k].shape[1], B[k + 1].shape[1]
        np.multiply(F[k][:, :, None], B[k + 1][:, None, :], out=J[:, off : off + a * b].reshape(N, a, b))
        off += a * b
    return J @ J.T


def reference_limiting(X: np.ndarray, L: int) -> np.ndarray:
    """Limiting NTK by the plain vectorised recursion on full matrices (no blocking, no stabilisation).

    ``ρ = G/√(diag⊗diag)``, ``θ = arccos(clip ρ)``, ``G' = √(G_ii G_jj)(√(1−ρ²) + (π−θ)ρ)/π``,
    ``Ġ = (π−θ)/π``, ``K = K∘Ġ + G'``; the diagonal set exactly (``G_ii = ‖x_i‖²``, ``Ġ_ii = 1``).
    """
    N = X.shape[0]
    idx = np.arange(N)
    G = X @ X.T
    sq = np.einsum("ij,ij->i", X, X)
    G[idx, idx] = sq
    K = G.copy()
    for _ in range(2, L + 1):
        nrm = np.sqrt(np.outer(sq, sq))
        rho = np.clip(G / nrm, -1.0, 1.0)
        theta = np.arccos(rho)
        G = nrm * (np.sqrt(1.0 - rho * rho) + (np.pi - theta) * rho) / np.pi
        Gd = (np.pi - theta) / np.pi
        G[idx, idx] = sq
        Gd[idx, idx] = 1.0
        K = K * Gd + G
    return K


def torch_reference(N: int, widths, seed: int, repeats: int) -> dict:
    """Run benchmarks._torch_ref in a subprocess (own max-RSS; torch's memory stays out of this one)."""
    if importlib.util.find_spec("torch") is None:
        return {"status": "torch not installed"}
    with tempfile.TemporaryDirectory() as tmp:
        job, out = Path(tmp, "job.json"), Path(tmp, "out.json")
        job.write_text(json.dumps({"N": N, "widths": list(widths), "seed": seed, "repeats": repeats}))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks._torch_ref", str(job), str(out)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
        )
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            return {"status": f"torch run failed (exit {proc.returncode}): {tail[0]}"}
        return json.loads(out.read_text())


# ------------------------------------------------------------------------------------- the run
def fmt(v, spec):
    return "–" if v is None else format(v, spec)


def run(cfg: dict, explicit_limit: float, use_torch: bool, log) -> dict:
    rng = np.random.default_rng(cfg["seed"])
    d, L = cfg["d"], cfg["L"]
    probe = DgemmProbe(cfg["dgemm"], rng)
    for _ in range(3):
        probe()
    rate0 = probe.rate()
    log(f"dgemm (before, best of 3): {rate0:.1f} GFLOP/s")
    syrk = syrk_check(cfg["syrk_shape"], rng)
    rows = []
    for N in cfg["Ns"]:
        X = rng.standard_normal((N, d))
        for n in cfg["ns"]:
            widths = [d] + [n] * (L - 1) + [1]
            W = ntk.init_weights(widths, "he", rng)
            P = param_count(widths)
            np_bytes = N * P * 8
            flops = ntk_flops(N, widths)
            # one warm-up call sizes the sample: at least `repeats` calls, more (≤ 25) for fast cases,
            # about `sample_s` seconds in all, so that some calls land in a quiet moment of the machine
            t0 = time.perf_counter()
            ntk.empirical_ntk(X, W)
            reps = int(min(25, max(cfg["repeats"], cfg["sample_s"] // max(time.perf_counter() - t0, 1e-6))))
            t = best_time(lambda: ntk.empirical_ntk(X, W), reps, probe)
            peak, K = traced_peak(lambda: ntk.empirical_ntk(X, W))
            row = dict(case="ntk.empirical_ntk", N=N, n=n, P=P, time_s=t, repeats=reps, peak_MiB=peak / MiB,
                       flops=flops,
                       gflops=flops / t / 1e9, NP_bytes=np_bytes, NN_bytes=N * N * 8)
            row["notes"] = f"peak = {peak / (N * N * 8):.2f}·N²·8 B = {peak / np_bytes:.1e}·N·P·8 B"
            rows.append(row)
            log(f"ntk N={N} n={n}: {t:.4f} s")
            tol = gram_tolerance(widths)
            # explicit J Jᵀ
            ref = dict(case="explicit J Jᵀ", N=N, n=n, P=P)
            if np_bytes < explicit_limit:
                ref["time_s"] = best_time(lambda: explicit_jjt(X, W), cfg["ref_repeats"])
                rpeak, Kref = traced_peak(lambda: explicit_jjt(X, W))
                ref["peak_MiB"] = rpeak / MiB
                diff = float(np.max(np.abs(Kref - K)) / np.max(np.abs(Kref)))
                ref["rel_diff_vs_ntk"] = diff
                ref["agrees"] = diff <= tol
                ref["notes"] = (f"max|Δ|/max|K| vs ntk {diff:.1e} (tol {tol:.0e}); "
                                f"ntk {ref['time_s'] / t:.1f}× faster")
                del Kref
                log(f"explicit N={N} n={n}: {ref['time_s']:.4f} s")
            else:
                ref["notes"] = f"skipped (N×P = {np_bytes / GiB:.1f} GiB)"
            rows.append(ref)
            # torch.func
            if N == cfg["Ns"][0] and (cfg["torch_all_n"] or n == cfg["ns"][0]):
                tr = dict(case="torch.func vmap+jacrev", N=N, n=n, P=P)
                if not use_torch:
                    tr["notes"] = "skipped (--no-torch; default with --quick)"
                elif importlib.util.find_spec("torch") is None:
                    tr["notes"] = "torch not installed"
                elif np_bytes >= explicit_limit:
                    tr["notes"] = f"skipped (N×P = {np_bytes / GiB:.1f} GiB)"
                else:
                    res = torch_reference(N, widths, cfg["seed"] + n, cfg["ref_repeats"])
                    if res.get("status") != "ok":
                        tr["notes"] = res.get("status", "failed")
                    else:
                        tr["time_s"] = res["time_s"]
                        tr["peak_MiB"] = res["peak_rss_increase_mib"]
                        tr["rel_diff_vs_ntk"] = res["rel_diff_vs_ntk"]
                        tr["agrees"] = res["rel_diff_vs_ntk"] <= tol
                        tr["notes"] = (f"peak = max-RSS increase (subprocess); max|Δ|/max|K| vs ntk "
                                       f"{res['rel_diff_vs_ntk']:.1e}; ntk {res['time_s'] / t:.1f}× faster; "
                                       f"torch {res['torch']}, {res['threads']} threads")
                    log(f"torch N={N} n={n}: {tr.get('time_s')}")
                rows.append(tr)
            del K
    # limiting NTK: interleaved, best of lim_repeats each
    N = cfg["lim_N"]
    X = rng.standard_normal((N, d))
    t_ntk, t_mat, t_ref = [], [], []
    for _ in range(cfg["lim_repeats"]):
        t_ref.append(best_time(lambda: reference_limiting(X, L), 1))
        t_ntk.append(best_time(lambda: ntk.limiting_ntk(X, L), 1))
        t_mat.append(best_time(lambda: ntk.limiting_ntk_matrix(X, L), 1))
    p_ntk, lim = traced_peak(lambda: ntk.limiting_ntk(X, L))
    p_mat, Kmat = traced_peak(lambda: ntk.limiting_ntk_matrix(X, L))
    p_ref, Kref = traced_peak(lambda: reference_limiting(X, L))
    agree_full = float(np.max(np.abs(lim.ntk - Kref)) / np.max(np.abs(Kref)))
    agree_mat = float(np.max(np.abs(Kmat - Kref)) / np.max(np.abs(Kref)))
    agree = max(agree_full, agree_mat)
    del lim, Kref, Kmat
    limiting = dict(N=N, d=d, L=L, ntk_time_s=min(t_ntk), matrix_time_s=min(t_mat), ref_time_s=min(t_ref),
                    ntk_peak_MiB=p_ntk / MiB, matrix_peak_MiB=p_mat / MiB, ref_peak_MiB=p_ref / MiB,
                    rel_diff=agree, rel_diff_full=agree_full, rel_diff_matrix=agree_mat)
    rows.append(dict(case="ntk.limiting_ntk", N=N, time_s=min(t_ntk), peak_MiB=p_ntk / MiB,
                     notes=f"all {3 * (L - 1) + 2} N×N matrices of the recursion returned"))
    rows.append(dict(case="ntk.limiting_ntk_matrix", N=N, time_s=min(t_mat), peak_MiB=p_mat / MiB,
                     notes=f"K^(L) only (tile buffers); peak = {p_mat / (N * N * 8):.2f}·N²·8 B"))
    rows.append(dict(case="numpy limiting recursion", N=N, time_s=min(t_ref), peak_MiB=p_ref / MiB,
                     notes=f"K only; max|Δ|/max|K| vs ntk.limiting_ntk {agree_full:.1e}, "
                           f"vs ntk.limiting_ntk_matrix {agree_mat:.1e}"))
    for _ in range(3):
        probe()
    rate1 = probe.rate(probe.samples[-3:])
    rate = probe.rate()
    log(f"dgemm (after, best of 3): {rate1:.1f} GFLOP/s; best of all {len(probe.samples)}: {rate:.1f}")
    for r in rows:
        if r["case"] == "ntk.empirical_ntk":
            bound = r["flops"] / (rate * 1e9)
            r["bound_s"] = bound
            r["ratio_to_bound"] = bound / r["time_s"]
    # targets
    need = 1.0 / FLOP_TARGET
    big = [r for r in rows if r["case"] == "ntk.empirical_ntk" and r["N"] >= cfg["flop_target_min_N"]]
    worst = min(big, key=lambda r: r["ratio_to_bound"])
    ntk_rows = [r for r in rows if r["case"] == "ntk.empirical_ntk"]
    worst_mem = max(ntk_rows, key=lambda r: r["peak_MiB"] * MiB / r["NP_bytes"])
    refs = [r for r in rows if "agrees" in r]
    targets = [
        dict(name=f"empirical NTK within {FLOP_TARGET}× of the FLOP bound (N ≥ {cfg['flop_target_min_N']})",
             ok=all(r["ratio_to_bound"] >= need for r in big),
             detail=f"worst ratio {worst['ratio_to_bound']:.2f} at N={worst['N']}, n={worst['n']} "
                    f"(need ≥ {need:.2f})"),
        dict(name="no N×P allocation (tracemalloc peak < N·P·8 B / 4)",
             ok=all(r["peak_MiB"] * MiB < r["NP_bytes"] / 4 for r in ntk_rows),
             detail=f"largest peak/(N·P·8 B) = {worst_mem['peak_MiB'] * MiB / worst_mem['NP_bytes']:.1e} "
                    f"at N={worst_mem['N']}, n={worst_mem['n']}"),
        dict(name="empirical NTK agrees with explicit J Jᵀ / torch.func (2γ·max|K|)",
             ok=all(r["agrees"] for r in refs),
             detail=f"{len(refs)} comparisons, largest max|Δ|/max|K| = "
                    f"{max((r['rel_diff_vs_ntk'] for r in refs), default=float('nan')):.1e}"),
        dict(name=f"limiting NTK agrees with the numpy recursion (≤ {LIMITING_TOL:g})",
             ok=agree <= LIMITING_TOL, detail=f"max|Δ|/max|K| = {agree:.1e}"),
        dict(name="limiting NTK (K^(L) alone, ntk.limiting_ntk_matrix) at least as fast as the numpy recursion",
             ok=limiting["matrix_time_s"] <= limiting["ref_time_s"],
             detail=f"{limiting['matrix_time_s']:.4f} s vs {limiting['ref_time_s']:.4f} s "
                    f"({limiting['ref_time_s'] / limiting['matrix_time_s']:.2f}× faster)"),
    ]
    return dict(dgemm=dict(size=cfg["dgemm"], before_gflops=rate0, after_gflops=rate1, rate_gflops=rate,
                           samples=len(probe.samples), sample_times_s=probe.samples),
                syrk_check=syrk, rows=rows, limiting=limiting, targets=targets)


def environment() -> dict:
    env = dict(python=platform.python_version(), numpy=np.__version__, scipy=scipy.__version__,
               machine=platform.machine(), cpus=os.cpu_count())
    try:
        from threadpoolctl import threadpool_info

        env["blas"] = sorted({f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads, "
                              f"{i.get('architecture')})" for i in threadpool_info() if i.get("user_api") == "blas"})
    except Exception:  # threadpoolctl is optional here
        pass
    return env


def render(res: dict, cfg: dict, env: dict) -> str:
    out = []
    out.append(f"Environment: Python {env['python']}, numpy {env['numpy']}, scipy {env['scipy']}, "
               f"{env['cpus']} CPUs, BLAS: {'; '.join(env.get('blas', ['?']))}")
    out.append(f"Sizes: d = {cfg['d']}, L = {cfg['L']}, widths [d, n, n, n, 1], float64; "
               f"times: best of {cfg['repeats']}–25 calls (ntk.empirical_ntk, about {cfg['sample_s']:g} s per case), "
               f"{cfg['ref_repeats']} (J Jᵀ, torch), {cfg['lim_repeats']} (limiting NTK, interleaved)")
    out.append("")
    out.append("| case | N | n | P | time_s | peak_MiB | GFLOP/s | ratio_to_bound | notes |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in res["rows"]:
        out.append("| " + " | ".join([
            r["case"], str(r["N"]), fmt(r.get("n"), "d"), fmt(r.get("P"), ","),
            fmt(r.get("time_s"), ".4f"), fmt(r.get("peak_MiB"), ".1f"), fmt(r.get("gflops"), ".1f"),
            fmt(r.get("ratio_to_bound"), ".2f"), r.get("notes", ""),
        ]) + " |")
    g = res["dgemm"]
    out.append("")
    out.append(f"dgemm rate: {g['rate_gflops']:.1f} GFLOP/s ({g['size']}³ product; best of {g['samples']} samples: "
               f"3 before the cases ({g['before_gflops']:.1f}), one after every timed ntk.empirical_ntk call, "
               f"3 after ({g['after_gflops']:.1f}))")
    s = res["syrk_check"]
    out.append(f"syrk check ({s['shape'][0]}×{s['shape'][1]}): numpy A @ A.T {s['numpy_A_At_s']:.4f} s, "
               f"A @ B.T {s['numpy_A_Bt_s']:.4f} s, scipy dsyrk (one triangle) {s['scipy_dsyrk_s']:.4f} s, "
               f"ntk.gram {s['ntk_gram_s']:.4f} s → numpy's A @ A.T at least 25% faster than A @ B.T "
               f"(a syrk gain): {'yes' if s['numpy_A_At_gains_from_syrk'] else 'no'}")
    lim = res["limiting"]
    out.append(f"limiting NTK (N = {lim['N']}, d = {lim['d']}, L = {lim['L']}): ntk.limiting_ntk_matrix "
               f"{lim['matrix_time_s']:.4f} s, ntk.limiting_ntk (all layers) {lim['ntk_time_s']:.4f} s, "
               f"numpy recursion {lim['ref_time_s']:.4f} s "
               f"({lim['ref_time_s'] / lim['matrix_time_s']:.2f}× / {lim['ref_time_s'] / lim['ntk_time_s']:.2f}× faster), "
               f"max|Δ|/max|K| = {lim['rel_diff']:.1e}")
    out.append("")
    for t in res["targets"]:
        out.append(f"{'PASS' if t['ok'] else 'FAIL'}: {t['name']} — {t['detail']}")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_ntk", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (smoke run; exit status ignores targets)")
    ap.add_argument("--json", metavar="PATH", help="also write all figures as JSON to PATH")
    ap.add_argument("--torch", dest="torch", action="store_true", default=None,
                    help="run the torch.func reference (default: on, off with --quick)")
    ap.add_argument("--no-torch", dest="torch", action="store_false", help="skip the torch.func reference")
    ap.add_argument("--explicit-limit-gib", type=float, default=4.0,
                    help="form J (and run torch.func) only where N·P·8 bytes is below this (default 4)")
    ap.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    nt = ap.add_argument_group("against neural-tangents (benchmarks/against_nt.py)")
    nt.add_argument("--against", choices=["neural-tangents"],
                    help="time ntk against neural-tangents 0.6.5 on the same inputs instead (builds its venv once)")
    nt.add_argument("--pairs", type=int, default=None, help="interleaved timing pairs per kernel (default 7, quick 2)")
    nt.add_argument("--nt-venv", default=None, help="where the neural-tangents venv lives (default .venv-nt/)")
    nt.add_argument("--nt-python", default=None,
                    help="interpreter for building that venv (CPython 3.9–3.12; default this one)")
    nt.add_argument("--rebuild-nt-venv", action="store_true", help="rebuild the venv even if it is ready")
    nt.add_argument("--nt-memory-limit-gib", type=float, default=4.0,
                    help="skip empirical_ntk_fn implementations that hold the N×P Jacobian above this (default 4)")
    args = ap.parse_args(argv)
    log = (lambda msg: print(msg, file=sys.stderr, flush=True)) if args.verbose else (lambda msg: None)
    env = environment()
    if args.against:
        return _main_against(args, env, log)
    cfg = dict(QUICK if args.quick else FULL)
    use_torch = (not args.quick) if args.torch is None else args.torch
    res = run(cfg, args.explicit_limit_gib * GiB, use_torch, log)
    print(render(res, cfg, env))
    if args.json:
        Path(args.json).write_text(json.dumps(dict(config=cfg, environment=env, quick=args.quick, **res),
                                              indent=2, default=str))
    failed = [t for t in res["targets"] if not t["ok"]]
    return 0 if args.quick or not failed else 1


def _main_against(args, env: dict, log) -> int:
    from . import against_nt as A

    cfg = dict(A.QUICK if args.quick else A.FULL)
    if args.pairs is not None:
        if args.pairs < 1:
            raise SystemExit(f"--pairs must be >= 1, got {args.pairs}")
        cfg["pairs"] = args.pairs
    venv = Path(args.nt_venv) if args.nt_venv else A.DEFAULT_VENV
    try:
        py = A.ensure_venv(venv, python=args.nt_python, rebuild=args.rebuild_nt_venv,
                           log=lambda m: print(m, file=sys.stderr, flush=True))
        res = A.run(cfg, py, memory_limit=args.nt_memory_limit_gib * GiB, log=log)
    except A.VenvError as exc:
        print(f"neural-tangents comparison not run: {exc}", file=sys.stderr)
        return 2
    print(A.render(res, env))
    if args.json:
        Path(args.json).write_text(json.dumps(dict(environment=env, quick=args.quick, **res), indent=2, default=str))
    missed = [t for t in res["targets"] if not t["ok"]]
    return 0 if args.quick or not missed else 1


if __name__ == "__main__":
    sys.exit(main())
