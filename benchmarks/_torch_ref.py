"""Empirical NTK by ``torch.func`` (``vmap`` over ``jacrev``), run in its own process by bench_ntk.

Reads a JSON job from argv[1], writes a JSON result to argv[2]: best wall time, peak-RSS increase
(``resource.getrusage`` high-water mark after the first evaluation minus the one before it, in MiB) and
the agreement with :func:`ntk.empirical_ntk` on the same data and weights. Kept in a separate process
so that torch's memory does not blur the numpy measurements and so that its peak RSS is its own.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def main() -> None:
    job = json.loads(open(sys.argv[1]).read())
    out_path = sys.argv[2]
    try:
        import torch
        from torch.func import jacrev, vmap
    except ImportError:
        json.dump({"status": "torch not installed"}, open(out_path, "w"))
        return
    import numpy as np

    import ntk

    rng = np.random.default_rng(job["seed"])
    X = rng.standard_normal((job["N"], job["widths"][0]))
    W = ntk.init_weights(job["widths"], "he", rng)
    Xt = torch.from_numpy(X)
    Wt = [torch.from_numpy(w) for w in W]

    def f(ws, x):
        h = x
        for w in ws[:-1]:
            h = torch.relu(h @ w)  # relu'(0) = 0, the convention of ntk
        return (h @ ws[-1]).squeeze(-1)

    per_sample = vmap(jacrev(f), in_dims=(None, 0))

    def run():
        grads = per_sample(Wt, Xt)
        J = torch.cat([g.reshape(g.shape[0], -1) for g in grads], dim=1)
        return J @ J.T

    base = _maxrss_mib()
    times = []
    K = None
    for _ in range(job["repeats"]):
        t0 = time.perf_counter()
        K = run()
        times.append(time.perf_counter() - t0)
        if len(times) == 1:
            peak = _maxrss_mib() - base
    K = K.numpy()
    Kn = ntk.empirical_ntk(X, W)
    json.dump(
        {
            "status": "ok",
            "time_s": min(times),
            "peak_rss_increase_mib": peak,
            "rel_diff_vs_ntk": float(np.max(np.abs(K - Kn)) / np.max(np.abs(Kn))),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
        },
        open(out_path, "w"),
    )


if __name__ == "__main__":
    main()
