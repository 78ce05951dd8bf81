"""neural-tangents side of ``python -m benchmarks.bench_ntk --against neural-tangents`` (run in its own venv).

Runs under the interpreter of the virtual environment that :mod:`benchmarks.against_nt` builds
(jax 0.4.25, jaxlib 0.4.25, numpy 1.26.4, neural-tangents 0.6.5). It imports nothing from this
repository (numpy there is 1.x): it reads the inputs the driver saved as ``.npy`` files in ``DIR``, and
answers one JSON line per command read from stdin, so that the driver can interleave its own timed calls
with these (pairs ``ntk, nt, nt, ntk, …`` on the same machine state).

    python benchmarks/_nt_worker.py --check            # import check: prints the versions as JSON
    python benchmarks/_nt_worker.py DIR                # serve: reads DIR/job.json and DIR/*.npy

Commands (one per line): ``setup`` (build and compile every function of the job; the warm-up call is
not timed), ``time limiting``, ``time empirical IMPL`` (one timed call each, ``block_until_ready``
included), ``save`` (the kernels to ``DIR/nt_limiting.npy`` and ``DIR/nt_empirical_IMPL.npy``),
``quit``.

The TensorFlow stub. ``neural_tangents/__init__.py`` imports ``neural_tangents.experimental``, whose only
content is the TensorFlow port of the empirical NTK (``jax2tf``, ``tensorflow``, ``tf2jax``); none of it is
used here, so a bare module is registered under that name before the import instead of installing
TensorFlow.

Parameterisations (so that both libraries compute the same matrices):

* limiting NTK ``K^(L)`` of :mod:`ntk.limiting` (``G^(1) = X Xᵀ``, ``G^(l) = 2E[σσ]``, ``Ġ^(l) = 2E[σ'σ']``):
  ``stax.serial(Dense(·, W_std=√d), Relu, Dense(·, W_std=√2), Relu, …, Dense(1, W_std=√2))`` in the NTK
  parameterisation without biases: nt's first layer gives ``(W_std²/d) X Xᵀ = X Xᵀ``, every later one
  ``W_std²·E[σσ] = 2E[σσ]`` and ``W_std²·E[σ'σ'] = 2E[σ'σ']``; ``kernel_fn(X, None, "ntk")`` under ``jax.jit``.
* empirical NTK ``J Jᵀ`` of :func:`ntk.empirical_ntk`: the same network in the standard parameterisation
  without biases (``f(x) = W_Lᵀσ(… σ(W_1ᵀx))``), parameters set to the saved weights,
  ``nt.empirical_ntk_fn(apply_fn, vmap_axes=0, implementation=IMPL)`` under ``jax.jit``.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import types

os.environ.setdefault("JAX_PLATFORMS", "cpu")


def _import_nt():
    sys.modules.setdefault("neural_tangents.experimental", types.ModuleType("neural_tangents.experimental"))
    import jax

    jax.config.update("jax_enable_x64", True)
    import neural_tangents as nt
    import numpy as np

    return jax, nt, np


def _versions(jax, nt, np) -> dict:
    import jaxlib

    return {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "numpy": np.__version__,
            "neural_tangents": nt.__version__, "python": sys.version.split()[0],
            "devices": [str(d) for d in jax.devices()], "x64": bool(jax.config.jax_enable_x64)}


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _limiting_fn(jax, nt, d: int, L: int):
    stax = nt.stax
    layers = [stax.Dense(1, W_std=float(d) ** 0.5, b_std=None, parameterization="ntk")]
    for _ in range(L - 1):
        layers += [stax.Relu(), stax.Dense(1, W_std=2.0**0.5, b_std=None, parameterization="ntk")]
    _, _, kernel_fn = stax.serial(*layers)
    return jax.jit(lambda x: kernel_fn(x, None, "ntk"))


def _empirical_fn(jax, nt, widths, weights, implementation: int):
    stax = nt.stax
    layers = []
    for n in widths[1:-1]:
        layers += [stax.Dense(n, b_std=None, parameterization="standard"), stax.Relu()]
    layers += [stax.Dense(widths[-1], b_std=None, parameterization="standard")]
    _, apply_fn, _ = stax.serial(*layers)
    params, i = [], 0
    for k in range(len(layers)):  # Dense (even positions) carries (W, b) with b = None; Relu carries ()
        if k % 2 == 0:
            params.append((jax.numpy.asarray(weights[i]), None))
            i += 1
        else:
            params.append(())
    fn = nt.empirical_ntk_fn(apply_fn, vmap_axes=0, implementation=nt.NtkImplementation(implementation))
    jitted = jax.jit(lambda x, p: fn(x, None, p))
    return lambda x: jitted(x, params)


def serve(path: str) -> None:
    jax, nt, np = _import_nt()
    job = json.load(open(os.path.join(path, "job.json")))
    inputs = {}
    fns = {}
    out = {}

    def reply(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        try:
            if cmd[0] == "setup":
                info = {"versions": _versions(jax, nt, np), "compile_s": {}, "peak_rss_mib": {}}
                if "limiting" in job:
                    j = job["limiting"]
                    inputs["limiting"] = jax.numpy.asarray(np.load(os.path.join(path, "X_limiting.npy")))
                    fns["limiting"] = _limiting_fn(jax, nt, j["d"], j["L"])
                if "empirical" in job:
                    j = job["empirical"]
                    inputs["empirical"] = jax.numpy.asarray(np.load(os.path.join(path, "X_empirical.npy")))
                    W = [np.load(os.path.join(path, f"W_empirical_{l}.npy")) for l in range(len(j["widths"]) - 1)]
                    for impl in j["implementations"]:
                        fns[f"empirical {impl}"] = _empirical_fn(jax, nt, j["widths"], W, impl)
                for name, fn in fns.items():
                    base = _maxrss_mib()
                    t0 = time.perf_counter()
                    try:
                        out[name] = fn(inputs[name.split()[0]]).block_until_ready()  # compile + first call
                    except Exception as exc:  # e.g. XLA out of memory: reported, not fatal
                        info.setdefault("failed", {})[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
                        continue
                    info["compile_s"][name] = time.perf_counter() - t0
                    info["peak_rss_mib"][name] = _maxrss_mib() - base
                for name in info.get("failed", {}):
                    fns.pop(name, None)
                info["ready"] = sorted(fns)
                reply(info)
            elif cmd[0] == "time":
                name = " ".join(cmd[1:])
                fn, x = fns[name], inputs[cmd[1]]
                t0 = time.perf_counter()
                r = fn(x).block_until_ready()
                t = time.perf_counter() - t0
                out[name] = r
                reply({"name": name, "time_s": t})
            elif cmd[0] == "save":
                saved = {}
                for name, r in out.items():
                    fname = "nt_" + name.replace(" ", "_") + ".npy"
                    a = np.asarray(r, dtype=np.float64)
                    np.save(os.path.join(path, fname), a.reshape(a.shape[0], a.shape[1]))
                    saved[name] = fname
                reply({"saved": saved})
            elif cmd[0] == "quit":
                reply({"bye": True})
                return
            else:
                reply({"error": f"unknown command {line.strip()!r}"})
        except Exception as exc:
            reply({"error": f"{type(exc).__name__}: {exc}"})


def main() -> None:
    if len(sys.argv) == 2 and sys.argv[1] == "--check":
        print(json.dumps(_versions(*_import_nt())))
        return
    if len(sys.argv) != 2:
        sys.exit("usage: _nt_worker.py --check | DIR")
    serve(sys.argv[1])


if __name__ == "__main__":
    main()
