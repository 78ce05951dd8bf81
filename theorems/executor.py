"""Where the independent Monte Carlo trials of a check run: in this process, or on a Dask cluster (issue 9).

:func:`run_trials` evaluates ``trial(scenario, numpy.random.default_rng(seed))`` for every already-derived
seed and returns the outcomes **in trial order**. The seeds are derived before dispatch
(:func:`generators.seeds.trial_seeds`, a pure function of session seed, statement, check and scenario), so a
trial's randomness does not depend on where or when it runs, and the records a check writes — record id,
verdict, trial and success counts, measured values — are the same whatever the backend, bit for bit, as long
as every trial sees the same number of BLAS threads on the same kind of CPU. (Measured here: OpenBLAS' matrix
products of some shapes, e.g. the forward pass of Thm 4.1's networks, round differently with 1 and 2 threads —
last-ulp differences in 6 of the 228 records of a Thm 3.2/4.1 run, no verdict or count changed.) The suite's usual runs
match: ``pytest -n auto`` caps each xdist worker at ``cores // workers`` threads, and a ``local:N`` cluster
caps each worker process at ``cores // N``. For other combinations (``-n 0`` against a cluster, say), set
``NTK_BLAS_THREADS=k`` (:data:`BLAS_ENV`): every trial then runs with ``k`` BLAS threads, here and on every
worker. ``tests/test_executor.py`` compares real records.

Backends (``--ntk-scheduler`` of the test session, ``NTK_SCHEDULER``, and the commands of ``python -m reports``):

* ``none`` (default): in this process, in order; no service, and :mod:`dask` is not even imported.
* ``local:N``: a :class:`distributed.LocalCluster` of ``N`` worker processes (one thread each) on the loopback
  interface, started for the run and closed after it.
* ``tcp://HOST:PORT``: an existing Dask scheduler (e.g. started by ``dask-jobqueue`` on a SLURM/PBS cluster,
  README "Running on a cluster"). The workers need this package installed (``pip install -e .``).

Dispatch. The ``m`` trials are cut into contiguous chunks (about :data:`CHUNKS_PER_THREAD` per worker
thread, so that per-task overhead stays small against the trials and the load still balances); each chunk is
one Dask task returning ``(start, outcomes)``. A registered check's trial function is sent by reference —
``(statement id, check name)`` — and resolved on the worker through :data:`theorems.harness.CHECKS` after
importing :func:`theorems.catalog.load_all`; any other function (a sweep's helper, a test's) is pickled by
cloudpickle. Chunks are gathered in order and checked to cover exactly trials ``0 … m−1``.
:func:`run_trials_many` submits the chunks of many jobs at once (the points of a figure: no idle workers
between points) and can feed a progress bar as chunks complete.

Failures. A worker that dies while running a chunk (killed, out of memory) loses only its in-flight chunks:
the scheduler re-runs them on another worker, with the same seeds, so the result is unchanged. A chunk whose
workers died more than ``distributed.scheduler.allowed-failures`` times (Dask's default 3), or a lost
scheduler connection, raises :class:`TrialsLost` (a ``RuntimeError``): the check is then not judged at all —
never on fewer trials than planned. An exception raised by the trial itself propagates unchanged, as it does
in-process (trials are deterministic, so Dask's ``retries`` would only repeat it).

BLAS threads. Each Dask worker process caps its BLAS pools (threadpoolctl) at ``cores // threads``, where
``threads`` is the number of worker threads on its host (for ``local:N``: ``cores // N``), as ``conftest.py``
does per pytest-xdist worker — or at ``NTK_BLAS_THREADS`` when the client sets it; :func:`worker_blas_threads`
reports the caps in force.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "BLAS_ENV",
    "CHUNKS_PER_THREAD",
    "DaskExecutor",
    "SchedulerSpec",
    "TrialsLost",
    "chunk_bounds",
    "open_executor",
    "parse_scheduler",
    "pinned_blas_threads",
    "run_trials",
    "run_trials_many",
    "start_local_cluster",
    "worker_blas_threads",
]

CHUNKS_PER_THREAD = 4
"""Chunks per worker thread and check: 4 keeps the slowest chunk ≲ 1/4 of a thread's share (load balance,
and little work lost when a worker dies) while the task count stays tiny against the trials."""

BLAS_ENV = "NTK_BLAS_THREADS"
"""Environment variable pinning the BLAS threads of every trial (here and on the workers); unset: no pin."""

_SCHEDULER_HELP = "none (in-process), local:N (a LocalCluster of N worker processes) or tcp://HOST:PORT"


class TrialsLost(RuntimeError):
    """Trials of a check could not be completed on the cluster; the check is not judged."""


# ------------------------------------------------------------------------------------------- the spec
@dataclass(frozen=True)
class SchedulerSpec:
    """A parsed ``--ntk-scheduler`` value: ``kind`` is ``"none"``, ``"local"`` (``workers`` processes)
    or ``"tcp"`` (``address``)."""

    kind: str
    workers: int = 0
    address: str = ""

    def __str__(self) -> str:
        return {"none": "none", "local": f"local:{self.workers}", "tcp": self.address}[self.kind]


def parse_scheduler(value: str | None) -> SchedulerSpec:
    """Parse ``none`` / ``""`` / ``None``, ``local:N`` (N ≥ 1) or ``tcp://HOST:PORT``; ValueError otherwise."""
    if value is None:
        return SchedulerSpec("none")
    if not isinstance(value, str):
        raise ValueError(f"scheduler must be a string ({_SCHEDULER_HELP}), got {value!r}")
    v = value.strip()
    if v.lower() in ("", "none", "in-process"):
        return SchedulerSpec("none")
    m = re.fullmatch(r"local:(\d+)", v)
    if m:
        n = int(m.group(1))
        if n < 1:
            raise ValueError(f"scheduler {value!r}: local:N needs N >= 1 worker processes")
        return SchedulerSpec("local", workers=n)
    m = re.fullmatch(r"tcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})", v)
    if m:
        port = int(m.group(2))
        if not 0 < port < 65536:
            raise ValueError(f"scheduler {value!r}: port {port} is not in 1..65535")
        return SchedulerSpec("tcp", address=v)
    raise ValueError(f"scheduler {value!r} not understood: expected {_SCHEDULER_HELP}")


def run_trials_many(jobs: Sequence[tuple[Callable, Mapping[str, Any], Sequence]], *, executor: Any = None,
                    progress: Callable[..., Iterable] | None = None, desc: str = "") -> list[list]:
    """:func:`run_trials` of every ``(trial, scenario, seeds)`` job, outcomes per job in seed order. On a cluster all
    chunks of all jobs are submitted at once (no idle workers between jobs, e.g. between the points of a figure);
    ``progress(iterable, total=trials, desc=desc)`` (e.g. :func:`reports.progress.progress`) sees one item per
    finished trial."""
    jobs = [(t, s, list(q)) for t, s, q in jobs]
    if executor is not None:
        if not isinstance(executor, DaskExecutor):
            raise ValueError(f"executor must be None or a theorems.executor.DaskExecutor, got {executor!r}")
        return executor.map_many(jobs, progress=progress, desc=desc)
    flat = ((i, t, s, q) for i, (t, s, seeds) in enumerate(jobs) for q in seeds)
    if progress is not None:
        flat = progress(flat, total=sum(len(q) for *_, q in jobs), desc=desc)
    out: list[list] = [[] for _ in jobs]
    pin = pinned_blas_threads()
    from contextlib import nullcontext

    if pin is not None:
        from threadpoolctl import threadpool_limits

        ctx = threadpool_limits(limits=pin)
    else:
        ctx = nullcontext()
    with ctx:
        for i, t, s, q in flat:
            out[i].append(t(s, np.random.default_rng(q)))
    return out


def pinned_blas_threads() -> int | None:
    """``NTK_BLAS_THREADS`` as a positive integer, ``None`` when unset; ValueError naming any other value."""
    raw = os.environ.get(BLAS_ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{BLAS_ENV} must be a positive integer (BLAS threads per trial), got {raw!r}")
    return int(raw)


# ------------------------------------------------------------------------------------------ in order
def chunk_bounds(m: int, chunks: int) -> list[tuple[int, int]]:
    """``chunks`` contiguous ``[start, stop)`` ranges covering ``0 … m−1`` in order, sizes differing by ≤ 1
    (fewer ranges when ``m < chunks``; none when ``m == 0``)."""
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 0:
        raise ValueError(f"chunk_bounds: m must be a non-negative integer, got {m!r}")
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks < 1:
        raise ValueError(f"chunk_bounds: chunks must be a positive integer, got {chunks!r}")
    m, k = int(m), min(int(chunks), int(m))
    if m == 0:
        return []
    q, r = divmod(m, k)
    out, start = [], 0
    for i in range(k):
        stop = start + q + (1 if i < r else 0)
        out.append((start, stop))
        start = stop
    return out


def run_trials(trial: Callable, scenario: Mapping[str, Any], seeds: Sequence, *, executor: Any = None) -> list:
    """Outcomes of ``trial(scenario, numpy.random.default_rng(seed))`` for each seed, in seed order.

    ``executor=None`` runs them here, one after the other; a :class:`DaskExecutor` runs them in chunks on its
    cluster and returns the same list (or raises :class:`TrialsLost`; never a shorter list)."""
    if executor is None:
        pin = pinned_blas_threads()
        if pin is None:
            return [trial(scenario, np.random.default_rng(s)) for s in seeds]
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=pin):
            return [trial(scenario, np.random.default_rng(s)) for s in seeds]
    if not isinstance(executor, DaskExecutor):
        raise ValueError(f"executor must be None or a theorems.executor.DaskExecutor, got {executor!r}")
    return executor.map_trials(trial, scenario, seeds)


# ----------------------------------------------------------------------------- what the worker runs
def _trial_reference(trial: Callable) -> tuple:
    """``("check", statement_id, name, qualname)`` for the trial of a check registered by a statement module
    (resolved on the worker after ``load_all``), else ``("fn", trial)`` (pickled by cloudpickle)."""
    from .catalog import MODULES
    from .harness import CHECKS

    if getattr(trial, "__module__", None) in {f"{__package__}.{m}" for m in MODULES}:
        for (sid, name), chk in CHECKS.items():
            if chk.trial is trial:
                return ("check", sid, name, getattr(trial, "__qualname__", ""))
    return ("fn", trial)


def _resolve(ref: tuple) -> Callable:
    if ref[0] == "fn":
        return ref[1]
    _, sid, name, qualname = ref
    from .harness import CHECKS

    if (sid, name) not in CHECKS:
        from .catalog import load_all

        load_all()
    chk = CHECKS.get((sid, name))
    if chk is None:
        raise LookupError(f"check ({sid!r}, {name!r}) is not registered on this worker: is the same ntkverify installed there?")
    if getattr(chk.trial, "__qualname__", "") != qualname:
        raise RuntimeError(f"check ({sid!r}, {name!r}) is {chk.trial.__qualname__!r} on this worker, {qualname!r} on the "
                           "client: the worker runs a different version of ntkverify")
    return chk.trial


def _run_chunk(ref: tuple, scenario: Mapping[str, Any], seeds: Sequence, start: int) -> tuple[int, list]:
    """One Dask task: trials ``start … start+len(seeds)−1`` of a check, in order."""
    trial = _resolve(ref)
    return start, [trial(scenario, np.random.default_rng(s)) for s in seeds]


def _cores() -> int:
    return os.cpu_count() or 1


class _BlasLimitMixin:
    """Caps the BLAS thread pools of a worker process at ``cores // threads on its host`` (threadpoolctl)."""

    name = "ntkverify-blas-limit"

    def __init__(self, threads_by_host: Mapping[str, int], limit: int | None = None):
        self.threads_by_host = dict(threads_by_host)
        self.limit = limit

    def setup(self, worker):
        from threadpoolctl import threadpool_limits

        host = worker.address.split("://", 1)[-1].rsplit(":", 1)[0]
        threads = self.threads_by_host.get(host) or getattr(worker.state, "nthreads", None) or 1
        n = self.limit or max(1, _cores() // max(1, int(threads)))
        self._limiter = threadpool_limits(limits=n)  # kept alive: the cap holds for the worker's lifetime

    def teardown(self, worker):
        lim = getattr(self, "_limiter", None)
        if lim is not None:
            lim.restore_original_limits()


def _blas_limit_class():
    """``BlasLimit``: the mixin on distributed's WorkerPlugin, built on first use so that importing this module
    (the in-process default) does not import dask; pickled by reference (``theorems.executor.BlasLimit``)."""
    cls = globals().get("BlasLimit")
    if cls is None:
        from distributed.diagnostics.plugin import WorkerPlugin

        cls = type("BlasLimit", (_BlasLimitMixin, WorkerPlugin), {"__module__": __name__, "__qualname__": "BlasLimit"})
        globals()["BlasLimit"] = cls
    return cls


def __getattr__(name: str):
    if name == "BlasLimit":
        return _blas_limit_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def worker_blas_threads() -> list[int]:
    """The BLAS pools' thread counts in this process (run on workers by the tests: ``client.run``)."""
    from threadpoolctl import threadpool_info

    return [int(p["num_threads"]) for p in threadpool_info() if p.get("user_api") == "blas"]


def _trials_done(futures: list, sizes: Mapping[int, int]):
    """One item per finished trial, as chunks complete (real Dask futures), or in order (anything else)."""
    try:
        from distributed import Future, as_completed
    except ImportError:  # pragma: no cover - distributed is a dependency
        Future = None
    if Future is not None and futures and all(isinstance(f, Future) for f in futures):
        for f in as_completed(futures):
            for _ in range(sizes[id(f)]):
                yield None
    else:
        for f in futures:
            for _ in range(sizes[id(f)]):
                yield None


# -------------------------------------------------------------------------------------- the executor
class DaskExecutor:
    """Runs trial chunks on a :class:`distributed.Client`. Use :func:`open_executor` to make one; ``close()``
    (or a ``with`` block) closes the client and, for ``local:N``, the cluster it started."""

    def __init__(self, client, *, cluster=None, spec: str = "", chunks_per_thread: int = CHUNKS_PER_THREAD):
        if isinstance(chunks_per_thread, bool) or not isinstance(chunks_per_thread, int) or chunks_per_thread < 1:
            raise ValueError(f"chunks_per_thread must be a positive integer, got {chunks_per_thread!r}")
        self.client = client
        self.cluster = cluster
        self.spec = spec
        self.chunks_per_thread = chunks_per_thread
        self._closed = False

    def __repr__(self) -> str:
        return f"DaskExecutor({self.spec or self.client.scheduler.address!r})"

    def threads(self) -> int:
        """Worker threads the scheduler knows now (≥ 1)."""
        return max(1, sum(self.client.nthreads().values()))

    def map_trials(self, trial: Callable, scenario: Mapping[str, Any], seeds: Sequence) -> list:
        """The outcomes of every seed, in order (see :func:`run_trials`)."""
        return self.map_many([(trial, scenario, seeds)])[0]

    def map_many(self, jobs: Sequence[tuple[Callable, Mapping[str, Any], Sequence]], *,
                 progress: Callable[..., Iterable] | None = None, desc: str = "") -> list[list]:
        """:func:`run_trials` of every ``(trial, scenario, seeds)`` job, all chunks submitted at once (no barrier
        between jobs), each job's outcomes in seed order; ``progress(iterable, total=trials, desc=desc)`` sees one
        item per finished trial, chunk by chunk."""
        from concurrent.futures import CancelledError

        from distributed import KilledWorker

        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        plans = []  # per job: (what, bounds, futures)
        all_futures: list = []
        chunks = self.threads() * self.chunks_per_thread
        try:
            for trial, scenario, seeds in jobs:
                seeds = list(seeds)
                ref = _trial_reference(trial)
                what = f"{ref[1]} [{ref[2]}]" if ref[0] == "check" else getattr(trial, "__qualname__", repr(trial))
                bounds = chunk_bounds(len(seeds), chunks)
                futs = [self.client.submit(_run_chunk, ref, dict(scenario), seeds[a:b], a, pure=False, retries=0,
                                           key=f"ntk-trials-{a}-{b}-{os.urandom(6).hex()}") for a, b in bounds]
                plans.append((what, bounds, futs, len(seeds)))
                all_futures += futs
            if progress is not None:
                total = sum(m for *_, m in plans)
                sizes = {id(f): b - a for _, bounds, futs, _ in plans for (a, b), f in zip(bounds, futs)}
                for _ in progress(_trials_done(all_futures, sizes), total=total, desc=desc):
                    pass
            results = self.client.gather(all_futures)
        except KilledWorker as exc:
            self.client.cancel(all_futures)
            whose = {f.key: what for what, _, futs, _ in plans for f in futs if hasattr(f, "key")}
            raise TrialsLost(
                f"trials of {whose.get(getattr(exc, 'task', None), 'a check')} lost: a chunk's worker died more than the "
                f"scheduler's allowed-failures times ({exc}); the check is not judged (no partial result)") from exc
        except (CancelledError, OSError) as exc:  # lost scheduler / closed comm
            self.client.cancel(all_futures)
            raise TrialsLost(f"trials lost: the connection to the scheduler failed ({exc!r}); the check is not judged "
                             "(no partial result)") from exc
        except BaseException:
            self.client.cancel(all_futures)
            raise
        out, pos = [], 0
        for what, bounds, futs, m in plans:
            outcomes: list = []
            for a, b in bounds:
                start, chunk = results[pos]
                pos += 1
                if start != a or len(chunk) != b - a:
                    raise TrialsLost(f"trials of {what}: chunk [{a}, {b}) came back as start {start} with {len(chunk)} "
                                     "outcomes; the check is not judged")
                outcomes.extend(chunk)
            if len(outcomes) != m:
                raise TrialsLost(f"trials of {what}: {len(outcomes)} outcomes for {m} seeds; the check is not judged")
            out.append(outcomes)
        return out

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def start_local_cluster(workers: int, **kwargs):
    """A :class:`distributed.LocalCluster` of ``workers`` processes (one thread each) on 127.0.0.1, no
    dashboard, BLAS capped at ``cores // workers`` (or ``NTK_BLAS_THREADS``) per process (environment at spawn;
    :func:`open_executor` then installs the threadpoolctl cap)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"local cluster: workers must be a positive integer, got {workers!r}")
    import logging

    from distributed import LocalCluster

    blas = str(pinned_blas_threads() or max(1, _cores() // workers))
    env = {"OMP_NUM_THREADS": blas, "OPENBLAS_NUM_THREADS": blas, "MKL_NUM_THREADS": blas}
    opts = dict(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR, env=env)
    opts.update(kwargs)
    return LocalCluster(**opts)


def open_executor(spec: str | SchedulerSpec | None = None, *, timeout: float = 60.0) -> DaskExecutor | None:
    """The executor a scheduler spec names (``None`` reads ``NTK_SCHEDULER``): ``None`` for ``none``
    (in-process), else a :class:`DaskExecutor` whose workers have the BLAS cap installed."""
    if spec is None:
        spec = os.environ.get("NTK_SCHEDULER") or "none"
    sp = spec if isinstance(spec, SchedulerSpec) else parse_scheduler(spec)
    if sp.kind == "none":
        return None
    pin = pinned_blas_threads()  # validated before anything starts
    from distributed import Client

    cluster = None
    if sp.kind == "local":
        cluster = start_local_cluster(sp.workers)
        client = Client(cluster, timeout=timeout)
    else:
        try:
            client = Client(sp.address, timeout=timeout)
        except OSError as exc:
            raise OSError(f"cannot reach the Dask scheduler {sp.address!r} within {timeout:g} s: {exc}") from exc
    try:
        client.wait_for_workers(max(1, sp.workers), timeout=timeout)
        threads: dict[str, int] = {}
        for addr, n in client.nthreads().items():
            host = addr.split("://", 1)[-1].rsplit(":", 1)[0]
            threads[host] = threads.get(host, 0) + int(n)
        client.register_plugin(_blas_limit_class()(threads, pin), name=_BlasLimitMixin.name)
    except BaseException:
        client.close()
        if cluster is not None:
            cluster.close()
        raise
    return DaskExecutor(client, cluster=cluster, spec=str(sp))
