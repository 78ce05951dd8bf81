"""``ntk`` against neural-tangents 0.6.5 on the same inputs, in one run (``bench_ntk --against neural-tangents``).

    python -m benchmarks.bench_ntk --against neural-tangents [--quick] [--pairs K] [--json PATH] [-v]
        [--nt-venv DIR] [--nt-python PYTHON] [--rebuild-nt-venv] [--nt-memory-limit-gib G]

neural-tangents 0.6.5 needs jax 0.4.25 / jaxlib 0.4.25 (later jax removed internals it uses) and numpy 1.x
(jaxlib 0.4.25 is built against it), so it cannot share this environment (numpy 2). On request (the first
``--against`` run, or ``--rebuild-nt-venv``) a virtual environment is built under ``.venv-nt/`` (git-ignored;
reused while its marker file lists the same pins): ``pip install`` of :data:`NT_REQUIREMENTS`, then
``pip install --no-deps neural-tangents==0.6.5`` (its declared dependencies include TensorFlow-only extras;
the worker stubs the TensorFlow module, see :mod:`benchmarks._nt_worker`). jaxlib 0.4.25 has wheels for
CPython 3.9–3.12 only; ``--nt-python`` picks another interpreter for the venv.

What is timed (float64, the same ``.npy`` inputs for both libraries):

* limiting NTK ``K^(L)``, ``N = 2048``, ``d = 64``, ``L = 4``: :func:`ntk.limiting_ntk_matrix` against
  ``stax`` ``kernel_fn(X, None, "ntk")`` under ``jax.jit`` (target: ntk ≥ 1.5× faster);
* empirical NTK ``J Jᵀ``, ``N = 1024``, widths ``[64, 512, 1024, 2048, 1]``: :func:`ntk.empirical_ntk` against
  ``nt.empirical_ntk_fn`` under ``jax.jit`` with each ``NtkImplementation`` whose working set fits
  (``JACOBIAN_CONTRACTION`` and ``NTK_VECTOR_PRODUCTS`` hold at least the ``N × P`` Jacobian: skipped above
  ``--nt-memory-limit-gib``, default 4), the fastest one kept (target: ntk ≥ 3× faster).

Protocol: the neural-tangents side runs in a worker process (:mod:`benchmarks._nt_worker`) that compiles
every function first (the warm-up call, with compilation, is never timed) and then times one call per
request; the driver alternates ``ntk, nt | nt, ntk | …`` for ``--pairs`` pairs, so both see the same
machine state, and reports the median of each library's times and the median (min–max) of the per-pair
ratios ``t_nt / t_ntk``. The ntk side also gets one untimed warm-up call. Agreement: ``max|Δ|/max|K|``
between the two kernels, against ``1e-14`` (limiting, off the diagonal) and the rounding bound ``2γ`` of
``bench_ntk`` (empirical). On the diagonal neural-tangents evaluates ``arccos(ρ_ii)`` with ``ρ_ii`` rounded
below 1 (angles of ~1e-8, relative errors of ~1e-8 in ``K_ii``), where ntk's ``K_ii = L‖x_i‖²`` is exact;
both are compared with the correctly rounded value and printed.
"""

from __future__ import annotations

import gc
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import ntk

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "_nt_worker.py"
DEFAULT_VENV = ROOT / ".venv-nt"
NT_PACKAGE = "neural-tangents==0.6.5"
# the versions neural-tangents 0.6.5 works with (jax/jaxlib/numpy: issue 9) and the ones their
# dependencies were tested at here (scipy, ml_dtypes, opt_einsum for jax; frozendict for neural-tangents)
NT_REQUIREMENTS = ("jax==0.4.25", "jaxlib==0.4.25", "numpy==1.26.4", "scipy==1.13.1", "ml_dtypes==0.5.4",
                   "opt_einsum==3.4.0", "frozendict==2.5.1")
MARKER = "ntkverify-venv.json"
IMPLEMENTATIONS = {1: "JACOBIAN_CONTRACTION", 2: "NTK_VECTOR_PRODUCTS", 3: "STRUCTURED_DERIVATIVES"}

FULL = dict(limiting=dict(N=2048, d=64, L=4), empirical=dict(N=1024, widths=[64, 512, 1024, 2048, 1]),
            pairs=7, seed=2021)
QUICK = dict(limiting=dict(N=96, d=8, L=3), empirical=dict(N=48, widths=[8, 16, 24, 32, 1]), pairs=2, seed=2021)
TARGETS = {"limiting": 1.5, "empirical": 3.0}
LIMITING_TOL = 1e-14


class VenvError(RuntimeError):
    """The neural-tangents environment could not be built or does not import."""


# --------------------------------------------------------------------------------------- the venv
def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _marker_content() -> dict:
    return {"requirements": list(NT_REQUIREMENTS), "package": NT_PACKAGE, "no_deps": True}


def ensure_venv(venv: Path = DEFAULT_VENV, *, python: str | None = None, rebuild: bool = False, log=print) -> Path:
    """The interpreter of a working neural-tangents venv at ``venv``, building it if needed (cached).

    Reused when its marker file lists :data:`NT_REQUIREMENTS` and :data:`NT_PACKAGE` and the worker's import
    check passes; otherwise (or with ``rebuild``) removed and built again. Raises :class:`VenvError` with the
    failing command's last lines.
    """
    venv = Path(venv)
    py = venv_python(venv)
    marker = venv / MARKER
    if not rebuild and py.exists() and marker.exists():
        try:
            if json.loads(marker.read_text()) == _marker_content():
                check(py)
                return py
        except (ValueError, VenvError):
            pass
        log(f"neural-tangents venv at {venv} is stale or broken: rebuilding")
    if venv.exists():
        if not (venv / "pyvenv.cfg").exists():
            raise VenvError(f"{venv} exists and is not a virtual environment; refusing to delete it")
        shutil.rmtree(venv)
    log(f"building the neural-tangents venv at {venv} (once; {', '.join(NT_REQUIREMENTS)}, {NT_PACKAGE} --no-deps)")
    _run([python or sys.executable, "-m", "venv", str(venv)], "create the venv")
    pip = [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run(pip + list(NT_REQUIREMENTS), "install jax/jaxlib/numpy (jaxlib 0.4.25 needs CPython 3.9–3.12; see --nt-python)")
    _run(pip + ["--no-deps", NT_PACKAGE], "install neural-tangents")
    versions = check(py)
    marker.write_text(json.dumps(_marker_content()))
    log(f"neural-tangents venv ready: {versions}")
    return py


def check(py: Path) -> dict:
    """Versions reported by the worker's import check in the venv (raises :class:`VenvError`)."""
    proc = subprocess.run([str(py), str(WORKER), "--check"], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise VenvError(f"neural-tangents does not import in {py}: {_tail(proc)}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _run(cmd, what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise VenvError(f"could not {what}: `{' '.join(map(str, cmd))}` exited {proc.returncode}: {_tail(proc)}")


def _tail(proc) -> str:
    lines = (proc.stderr or proc.stdout or "no output").strip().splitlines()
    return " | ".join(lines[-3:])


# ------------------------------------------------------------------------------------- the worker
class Worker:
    """The neural-tangents process: one JSON line per command (see :mod:`benchmarks._nt_worker`)."""

    def __init__(self, py: Path, workdir: Path):
        env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONNOUSERSITE="1")
        env.pop("PYTHONPATH", None)  # nothing of this environment (numpy 2) may leak into the venv
        self.proc = subprocess.Popen([str(py), str(WORKER), str(workdir)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, bufsize=1)

    def ask(self, cmd: str) -> dict:
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read()
            raise VenvError(f"neural-tangents worker died on {cmd!r}: {' | '.join(err.strip().splitlines()[-3:])}")
        res = json.loads(line)
        if "error" in res:
            raise VenvError(f"neural-tangents worker: {res['error']}")
        return res

    def close(self) -> None:
        try:
            self.ask("quit")
        except (VenvError, OSError, ValueError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ----------------------------------------------------------------------------------------- the run
def _time_once(fn) -> float:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    t = time.perf_counter() - t0
    del out
    return t


def _summary(t_ntk, t_nt) -> dict:
    r = np.asarray(t_nt) / np.asarray(t_ntk)
    return dict(ntk_times_s=list(t_ntk), nt_times_s=list(t_nt), ntk_median_s=float(np.median(t_ntk)),
                nt_median_s=float(np.median(t_nt)), ratio_median=float(np.median(r)), ratio_min=float(r.min()),
                ratio_max=float(r.max()), pairs=len(r))


def _pairs(worker: Worker, name: str, ntk_fn, pairs: int) -> dict:
    ntk_fn()  # warm-up (untimed), as the worker's compile call
    t_ntk, t_nt = [], []
    for i in range(pairs):  # ntk, nt | nt, ntk | …: drift of the machine's load cancels in the ratios
        if i % 2 == 0:
            t_ntk.append(_time_once(ntk_fn))
            t_nt.append(worker.ask(f"time {name}")["time_s"])
        else:
            t_nt.append(worker.ask(f"time {name}")["time_s"])
            t_ntk.append(_time_once(ntk_fn))
    return _summary(t_ntk, t_nt)


def run(cfg: dict, py: Path, *, memory_limit: float, log=lambda m: None) -> dict:
    """Time both libraries on the same inputs (see the module docstring); returns all figures."""
    from .bench_ntk import DgemmProbe, gram_tolerance, ntk_flops, param_count

    rng = np.random.default_rng(cfg["seed"])
    lim, emp = cfg["limiting"], cfg["empirical"]
    X_lim = rng.standard_normal((lim["N"], lim["d"]))
    widths = list(emp["widths"])
    X_emp = rng.standard_normal((emp["N"], widths[0]))
    W = ntk.init_weights(widths, "he", rng)
    P = param_count(widths)
    np_bytes = emp["N"] * P * 8
    impls, skipped = [], {}
    for k, name in IMPLEMENTATIONS.items():
        if k in (1, 2) and np_bytes > memory_limit:
            skipped[name] = f"skipped: holds the N×P Jacobian ({np_bytes / 2**30:.1f} GiB > {memory_limit / 2**30:g} GiB)"
        else:
            impls.append(k)
    probe = DgemmProbe(2048 if emp["N"] >= 512 else 256, rng)
    for _ in range(3):
        probe()
    with tempfile.TemporaryDirectory(prefix="ntk-vs-nt-") as tmp:
        tmp = Path(tmp)
        np.save(tmp / "X_limiting.npy", X_lim)
        np.save(tmp / "X_empirical.npy", X_emp)
        for l, w in enumerate(W):
            np.save(tmp / f"W_empirical_{l}.npy", w)
        (tmp / "job.json").write_text(json.dumps(dict(limiting=lim, empirical=dict(widths=widths,
                                                                                   implementations=impls))))
        worker = Worker(py, tmp)
        try:
            log("neural-tangents: compiling (untimed)")
            setup = worker.ask("setup")
            ready = setup["ready"]
            log(f"neural-tangents ready: {ready}; compile {setup['compile_s']}")
            if "limiting" not in ready:
                raise VenvError(f"neural-tangents kernel_fn failed: {setup.get('failed')}")
            # the fastest empirical implementation that ran: one more timed call each, after the warm-up
            trial = {n: worker.ask(f"time {n}")["time_s"] for n in ready if n.startswith("empirical")}
            if not trial:
                raise VenvError(f"no neural-tangents empirical_ntk_fn implementation ran: {setup.get('failed')}")
            best = min(trial, key=trial.get)
            log(f"neural-tangents empirical implementations (one call each): {trial}; fastest {best}")
            log("limiting NTK pairs")
            res_lim = _pairs(worker, "limiting", lambda: ntk.limiting_ntk_matrix(X_lim, lim["L"]), cfg["pairs"])
            log(f"limiting: {res_lim['ratio_median']:.2f}×")
            log("empirical NTK pairs")
            res_emp = _pairs(worker, best, lambda: ntk.empirical_ntk(X_emp, W), cfg["pairs"])
            log(f"empirical: {res_emp['ratio_median']:.2f}×")
            for _ in range(3):
                probe()
            saved = worker.ask("save")["saved"]
            K_nt_lim = np.load(tmp / saved["limiting"])
            K_nt_emp = np.load(tmp / saved[best])
        finally:
            worker.close()
    K_lim = ntk.limiting_ntk_matrix(X_lim, lim["L"])
    K_emp = ntk.empirical_ntk(X_emp, W)
    # off the diagonal both evaluate the same closed forms; on it nt takes arccos(ρ_ii) with ρ_ii rounded below 1
    # (an angle of ~1e-8 instead of 0), ntk sets K_ii = L‖x_i‖² exactly: compared with the correctly rounded value
    off = ~np.eye(lim["N"], dtype=bool)
    res_lim["rel_diff"] = float(np.max(np.abs(K_lim - K_nt_lim)[off]) / np.max(np.abs(K_lim)))
    res_lim["rel_diff_all"] = float(np.max(np.abs(K_lim - K_nt_lim)) / np.max(np.abs(K_lim)))
    exact = lim["L"] * np.array([math.fsum(x * x) for x in X_lim])
    res_lim["diag_rel_err_ntk"] = float(np.max(np.abs(np.diag(K_lim) - exact) / exact))
    res_lim["diag_rel_err_nt"] = float(np.max(np.abs(np.diag(K_nt_lim) - exact) / exact))
    res_lim["tolerance"] = LIMITING_TOL
    res_emp["rel_diff"] = float(np.max(np.abs(K_emp - K_nt_emp)) / np.max(np.abs(K_emp)))
    res_emp["tolerance"] = gram_tolerance(widths)
    res_emp["implementation"] = IMPLEMENTATIONS[int(best.split()[1])]
    res_emp["implementations_one_call_s"] = {IMPLEMENTATIONS[int(n.split()[1])]: t for n, t in trial.items()}
    res_emp["implementations_skipped"] = skipped
    res_emp["implementations_failed"] = {IMPLEMENTATIONS[int(n.split()[1])]: why
                                         for n, why in setup.get("failed", {}).items() if n.startswith("empirical")}
    flops = ntk_flops(emp["N"], widths)
    rate = probe.rate()
    res_emp.update(flops=flops, dgemm_gflops=rate, flop_bound_s=flops / (rate * 1e9),
                   ntk_ratio_to_bound=flops / (rate * 1e9) / res_emp["ntk_median_s"])
    targets = []
    for key, res, what in (("limiting", res_lim, "limiting NTK K^(L)"), ("empirical", res_emp, "empirical NTK")):
        need = TARGETS[key]
        targets.append(dict(name=f"{what}: ntk ≥ {need:g}× faster than neural-tangents", key=key,
                            ok=res["ratio_median"] >= need, need=need,
                            detail=f"{res['ratio_median']:.2f}× (median of {res['pairs']} pairs, "
                                   f"{res['ratio_min']:.2f}–{res['ratio_max']:.2f})"))
        where = " off the diagonal" if key == "limiting" else ""
        targets.append(dict(name=f"{what}: the two libraries agree{where} (max|Δ|/max|K| ≤ {res['tolerance']:.0e})",
                            key=key + "-agreement", ok=res["rel_diff"] <= res["tolerance"],
                            detail=f"max|Δ|/max|K| = {res['rel_diff']:.1e}"))
    return dict(config=cfg, nt_versions=setup["versions"], nt_compile_s=setup["compile_s"],
                nt_peak_rss_mib=setup["peak_rss_mib"], limiting=res_lim, empirical=res_emp, targets=targets)


def render(res: dict, env: dict) -> str:
    v = res["nt_versions"]
    cfg = res["config"]
    lim, emp = res["limiting"], res["empirical"]
    out = [
        f"ntk vs neural-tangents {v['neural_tangents']} (jax {v['jax']}, jaxlib {v['jaxlib']}, numpy {v['numpy']}, "
        f"{', '.join(v['devices'])}, x64 {v['x64']}) — this side: Python {env['python']}, numpy {env['numpy']}, "
        f"{env['cpus']} CPUs",
        f"Same inputs (.npy), float64; {lim['pairs']} interleaved pairs per kernel (ntk, nt | nt, ntk | …), "
        "medians; compilation and one warm-up call per side untimed",
        "",
        "| kernel | sizes | ntk | ntk median s | neural-tangents | nt median s | nt/ntk (median, min–max of pairs) "
        "| target | max|Δ|/max|K| (limiting: off the diagonal) |",
        "|---|---|---|---:|---|---:|---:|---:|---:|",
    ]
    L = cfg["limiting"]
    out.append(f"| limiting NTK K^(L) | N={L['N']}, d={L['d']}, L={L['L']} | ntk.limiting_ntk_matrix | "
               f"{lim['ntk_median_s']:.4f} | stax kernel_fn (jit) | {lim['nt_median_s']:.4f} | "
               f"{lim['ratio_median']:.2f}× ({lim['ratio_min']:.2f}–{lim['ratio_max']:.2f}) | ≥ {TARGETS['limiting']:g}× | "
               f"{lim['rel_diff']:.1e} |")
    E = cfg["empirical"]
    out.append(f"| empirical NTK J Jᵀ | N={E['N']}, widths {E['widths']} | ntk.empirical_ntk | "
               f"{emp['ntk_median_s']:.4f} | empirical_ntk_fn {emp['implementation']} (jit) | {emp['nt_median_s']:.4f} | "
               f"{emp['ratio_median']:.2f}× ({emp['ratio_min']:.2f}–{emp['ratio_max']:.2f}) | ≥ {TARGETS['empirical']:g}× | "
               f"{emp['rel_diff']:.1e} |")
    out.append("")
    calls = ", ".join(f"{k} {t:.3f} s" for k, t in emp["implementations_one_call_s"].items())
    notes = [f"{k}: {why}" for k, why in {**emp["implementations_skipped"], **emp["implementations_failed"]}.items()]
    out.append(f"neural-tangents empirical_ntk_fn implementations, one call each after compilation: {calls}"
               + (f"; {'; '.join(notes)}" if notes else ""))
    out.append(f"empirical NTK FLOP bound: {emp['flops'] / 1e9:.1f} GFLOP at the best dgemm sample "
               f"{emp['dgemm_gflops']:.1f} GFLOP/s = {emp['flop_bound_s']:.4f} s; ntk.empirical_ntk at "
               f"{emp['ntk_ratio_to_bound']:.2f} of it")
    out.append(f"limiting NTK diagonal against L·‖x_i‖² (correctly rounded): ntk max rel. error "
               f"{lim['diag_rel_err_ntk']:.1e}, neural-tangents {lim['diag_rel_err_nt']:.1e} (its arccos of ρ_ii "
               f"rounded below 1); max|Δ|/max|K| over all entries {lim['rel_diff_all']:.1e}")
    out.append(f"neural-tangents compile + first call: " + ", ".join(f"{k} {t:.2f} s" for k, t in res["nt_compile_s"].items()))
    out.append("")
    for t in res["targets"]:
        ok = "PASS" if t["ok"] else ("MISSED" if "need" in t else "FAIL")
        out.append(f"{ok}: {t['name']} — {t['detail']}")
    return "\n".join(out)
