"""Where the Monte Carlo trials run (theorems/executor.py, issue 9) and the progress bars (reports/progress.py).

What is shown here, with a real ``distributed.LocalCluster`` of two worker *processes*:

* the records of a Thm 3.2 check and a Thm 4.1 check are identical in-process and on the cluster (record id,
  verdict, trial and success counts, power, measured values, worst case; only the wall time and the creation
  stamp differ), and the trials really ran in the worker processes, with BLAS capped at cores // 2 there;
* a worker killed (SIGKILL of its pid) while a check runs loses nothing: the check's record equals the
  in-process one;
* a chunk whose workers keep dying raises :class:`theorems.executor.TrialsLost` and no record is written —
  a check is never judged on fewer trials than planned.

The cluster tests are marked ``cluster``; they skip (with the reason) where a LocalCluster of processes cannot
start, except under ``CI``, where a cluster that cannot start fails the run instead of hiding the test.
"""

from __future__ import annotations

import io
import os
import pickle
import signal
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from generators.regimes import thm32_d_min
from generators.seeds import trial_seeds
from reports import progress as P
from theorems import constants as C
from theorems import executor as E
from theorems import sec3, sec4
from theorems.harness import CHECKS, Check, Context, run_check
from theorems.records import RecordSink

SCEN = dict(c_norm=C.value("C_NORM"), c_inner=C.value("C_INNER"))


def _thm32_scenario(N=8):
    d = thm32_d_min(N, 2, C.value("THM32_REGIME_P"), sphere=False, **SCEN)
    return {"law": {"name": "gaussian"}, "N": N, "d": d, "L": 3, "r": 2, **SCEN}


def _thm41_scenario(N=6, L=3, k=1, r=4, delta=0.01):
    z = sec4.regime_sizes(N, L, k, r, delta)
    widths = [z["d"]] + [z["n_wide"] if l == k else (z["n_before"] if l < k else z["n_min"]) for l in range(1, L)] + [1]
    return {"law": {"name": "gaussian"}, "N": N, "d": widths[0], "widths": widths, "betas": "he", "r": r,
            "delta": delta, "k": k}


THM32 = ("Thm 3.2", "asymptotic-bounds", _thm32_scenario())
THM41 = ("Thm 4.1", "bounds", _thm41_scenario())
THM32_KILL = ("Thm 3.2", "asymptotic-bounds", _thm32_scenario(16))  # longer trials: the kill lands mid-chunk
VOLATILE = ("created", "timing_s")  # wall-clock facts, not results


def _comparable(rec) -> dict:
    d = rec.to_dict()
    for k in VOLATILE:
        d.pop(k, None)
    return d


# ------------------------------------------------------------------------------ no cluster needed
@pytest.mark.parametrize("value,kind,detail", [
    (None, "none", ""), ("none", "none", ""), ("", "none", ""), ("local:1", "local", 1), ("local:16", "local", 16),
    ("tcp://127.0.0.1:8786", "tcp", "tcp://127.0.0.1:8786"), ("tcp://node-07.cluster:8786", "tcp", "tcp://node-07.cluster:8786"),
])
def test_parse_scheduler_accepts(value, kind, detail):
    sp = E.parse_scheduler(value)
    assert sp.kind == kind
    if kind == "local":
        assert sp.workers == detail and str(sp) == value
    if kind == "tcp":
        assert sp.address == detail and str(sp) == value


@pytest.mark.parametrize("value", ["local:0", "local:", "local:x", "local:-2", "tcp://host", "tcp://h:99999",
                                   "inproc://x", "slurm", 3])
def test_parse_scheduler_rejects_with_the_value(value):
    with pytest.raises(ValueError, match=repr(value).replace("[", r"\[").replace("(", r"\(")):
        E.parse_scheduler(value)


@pytest.mark.parametrize("m,chunks", [(0, 3), (1, 8), (7, 3), (250, 8), (8, 8), (5, 100)])
def test_chunk_bounds_cover_every_trial_once_in_order(m, chunks):
    b = E.chunk_bounds(m, chunks)
    assert [i for a, z in b for i in range(a, z)] == list(range(m))
    assert len(b) == min(m, chunks)
    if b:
        sizes = [z - a for a, z in b]
        assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


@pytest.mark.parametrize("m,chunks", [(-1, 2), (3, 0), (2.5, 2), (True, 2), (3, None)])
def test_chunk_bounds_reject_bad_input(m, chunks):
    with pytest.raises(ValueError):
        E.chunk_bounds(m, chunks)


def test_in_process_run_is_the_plain_loop():
    sid, name, s = THM32
    seeds = trial_seeds(7, sid, name, s, 5)
    trial = CHECKS[(sid, name)].trial
    got = E.run_trials(trial, s, seeds)
    want = [trial(s, np.random.default_rng(q)) for q in seeds]
    assert pickle.dumps(got) == pickle.dumps(want)
    with pytest.raises(ValueError, match="executor"):
        E.run_trials(trial, s, seeds, executor="local:2")


def test_registered_trials_travel_by_name_and_resolve_to_the_same_function():
    for sid, name, _ in (THM32, THM41):
        trial = CHECKS[(sid, name)].trial
        ref = E._trial_reference(trial)
        assert ref[:3] == ("check", sid, name)
        assert E._resolve(pickle.loads(pickle.dumps(ref))) is trial
    other = E._trial_reference(_pid_trial)
    assert other[0] == "fn" and E._resolve(other) is _pid_trial
    with pytest.raises(RuntimeError, match="different version"):
        E._resolve(("check", THM32[0], THM32[1], "not_the_function"))
    with pytest.raises(LookupError, match="not registered"):
        E._resolve(("check", "Thm 3.2", "no such check", "x"))


def _blas_trial(scenario, rng):
    return tuple(E.worker_blas_threads())


def test_blas_threads_pinned_by_the_environment(monkeypatch):
    seeds = trial_seeds(1, "executor test", "blas", {}, 2)
    monkeypatch.setenv(E.BLAS_ENV, "1")
    assert E.run_trials(_blas_trial, {}, seeds) == [(1,) * len(E.worker_blas_threads())] * 2
    for bad in ("0", "-1", "two", "1.5"):
        monkeypatch.setenv(E.BLAS_ENV, bad)
        with pytest.raises(ValueError, match=repr(bad)):
            E.run_trials(_blas_trial, {}, seeds)
        with pytest.raises(ValueError, match=repr(bad)):  # before any cluster starts
            E.open_executor("local:1")


def test_worker_plugin_caps_blas_at_cores_over_host_threads():
    pytest.importorskip("distributed")
    from threadpoolctl import threadpool_limits

    cores = os.cpu_count() or 1
    worker = SimpleNamespace(address="tcp://10.0.0.5:4000", state=SimpleNamespace(nthreads=1))
    with threadpool_limits(limits=cores):  # restored afterwards whatever the plugin does
        for threads_by_host, pin, want in (({"10.0.0.5": 2}, None, max(1, cores // 2)), ({}, None, cores),
                                           ({"10.0.0.5": 2 * cores}, None, 1), ({"10.0.0.5": 2}, 1, 1)):
            plug = E.BlasLimit(threads_by_host, pin)
            plug.setup(worker)
            assert set(E.worker_blas_threads()) == {want}, (threads_by_host, pin)
            plug.teardown(worker)
    assert pickle.loads(pickle.dumps(E.BlasLimit({"h": 1}))).threads_by_host == {"h": 1}


class _FakeClient:
    """Runs submitted chunks here, synchronously; ``tamper`` may change a chunk's result or raise on gather —
    the meta tests: the integrity checks of :meth:`DaskExecutor.map_trials` and the record comparison of the
    cluster tests must be able to fail."""

    def __init__(self, threads=2, tamper=None, raise_on_gather=None):
        self.threads, self.tamper, self.raise_on_gather, self.cancelled = threads, tamper, raise_on_gather, 0

    def nthreads(self):
        return {f"tcp://127.0.0.1:{i}": 1 for i in range(self.threads)}

    def submit(self, fn, *args, **kwargs):
        out = fn(*args)
        return self.tamper(out) if self.tamper else out

    def gather(self, futures):
        if self.raise_on_gather is not None:
            raise self.raise_on_gather
        return list(futures)

    def cancel(self, futures):
        self.cancelled += 1

    def close(self):
        pass


def test_chunked_dispatch_returns_the_in_process_record():
    sid, name, s = THM32
    ctx0 = Context(session_seed=3, alpha=1e-10)
    ctx1 = Context(session_seed=3, alpha=1e-10, executor=E.DaskExecutor(_FakeClient(threads=3)))
    assert _comparable(run_check(ctx1, sid, name, s)) == _comparable(run_check(ctx0, sid, name, s))


def test_many_jobs_in_order_with_one_progress_item_per_trial():
    jobs = [(_pid_trial, {}, trial_seeds(5, "executor test", f"job {i}", {}, m)) for i, m in enumerate((3, 0, 7))]
    want = [E.run_trials(t, s, q) for t, s, q in jobs]
    for executor in (None, E.DaskExecutor(_FakeClient(threads=2))):
        out = io.StringIO()
        got = E.run_trials_many(jobs, executor=executor, desc="jobs",
                                progress=lambda it, total, desc: P.progress(it, total=total, desc=desc, stream=out, enable=True))
        assert [[x for _, x in g] for g in got] == [[x for _, x in w] for w in want]
        assert "10/10" in out.getvalue()


def test_record_comparison_detects_trials_out_of_order():
    """Meta: an executor that reverses the trials inside each chunk passes the count checks, but the records
    differ (worst-case trial index) — so the cluster tests' equality can fail."""
    sid, name, s = THM32
    rev = E.DaskExecutor(_FakeClient(tamper=lambda out: (out[0], out[1][::-1])))
    rec0 = run_check(Context(session_seed=3, alpha=1e-10), sid, name, s)
    rec1 = run_check(Context(session_seed=3, alpha=1e-10, executor=rev), sid, name, s)
    assert rec1.trials == rec0.trials and _comparable(rec1) != _comparable(rec0)


@pytest.mark.parametrize("tamper,match", [
    (lambda out: (out[0], out[1][:-1]), "outcomes"),   # a trial dropped
    (lambda out: (out[0] + 1, out[1]), "start"),        # a chunk answered for the wrong trials
])
def test_incomplete_chunks_are_never_judged(tamper, match):
    sid, name, s = THM32
    ctx = Context(session_seed=3, alpha=1e-10, executor=E.DaskExecutor(_FakeClient(tamper=tamper)))
    with pytest.raises(E.TrialsLost, match=match):
        run_check(ctx, sid, name, s)


def test_lost_workers_and_scheduler_raise_trials_lost():
    from concurrent.futures import CancelledError

    from distributed import KilledWorker

    sid, name, s = THM32
    seeds = trial_seeds(3, sid, name, s, 4)
    for exc, match in ((KilledWorker("ntk-trials-0-2-x", SimpleNamespace(address="tcp://127.0.0.1:1"), 3), "allowed-failures"),
                       (CancelledError(), "connection to the scheduler"), (OSError("comm closed"), "connection")):
        fake = _FakeClient(raise_on_gather=exc)
        with pytest.raises(E.TrialsLost, match=match):
            E.run_trials(CHECKS[(sid, name)].trial, s, seeds, executor=E.DaskExecutor(fake))
        assert fake.cancelled == 1  # the other chunks are cancelled, not left running
    fake = _FakeClient(raise_on_gather=ZeroDivisionError("in the trial"))
    with pytest.raises(ZeroDivisionError):  # the trial's own error propagates unchanged, as in-process
        E.run_trials(CHECKS[(sid, name)].trial, s, seeds, executor=E.DaskExecutor(fake))


# ------------------------------------------------------------------------------------- progress
def test_progress_is_off_under_ci_or_without_a_terminal(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NTK_PROGRESS", raising=False)
    monkeypatch.setenv("CI", "true")
    assert not P.enabled(Tty())
    items = [1, 2, 3]
    assert P.progress(items, total=3, desc="x", stream=Tty()) is items  # untouched, nothing drawn
    monkeypatch.delenv("CI")
    assert P.enabled(Tty()) and not P.enabled(io.StringIO())
    monkeypatch.setenv("NTK_PROGRESS", "0")
    assert not P.enabled(Tty())
    monkeypatch.setenv("NTK_PROGRESS", "yes")
    with pytest.raises(ValueError, match="'yes'"):
        P.enabled(Tty())
    with pytest.raises(ValueError, match="-1"):
        P.progress(items, total=-1, enable=False)


def test_progress_bar_counts_and_estimates_time_left(monkeypatch):
    out = io.StringIO()
    got = list(P.progress(range(4), total=4, desc="Figure 2", stream=out, enable=True))
    assert got == [0, 1, 2, 3]
    text = out.getvalue()
    assert "Figure 2" in text and "4/4" in text and "<" in text  # tqdm's "elapsed<remaining"


def test_pytest_plugin_counts_finished_tests_across_workers():
    out = io.StringIO()
    plug = P.PytestProgress(stream=out)
    plug.pytest_xdist_node_collection_finished(node=None, ids=["a", "b", "c"])
    for nodeid, failed in (("a", False), ("b", True), ("c", False)):
        for when in ("setup", "call", "teardown"):
            plug.pytest_runtest_logreport(SimpleNamespace(nodeid=nodeid, when=when, failed=failed and when == "call"))
    plug.pytest_sessionfinish(session=None, exitstatus=1)
    text = out.getvalue()
    assert "3/3" in text and "1 failed" in text


# --------------------------------------------------------------------------- with a real cluster
def _pid_trial(scenario, rng):
    """Where did this trial run? (the process id, and one draw to show the seed travelled)."""
    return os.getpid(), float(rng.standard_normal())


def _die_on_a_worker(scenario, rng):
    """Kills the process that runs it unless that is the test process: every worker that takes it dies."""
    if os.getpid() != scenario["client_pid"]:
        os.kill(os.getpid(), signal.SIGKILL)
    return None


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 worker processes; allowed-failures = 1 so that a chunk survives one worker death and
    the second kills it (Dask's default is 3)."""
    import dask
    import distributed  # noqa: F401  (loads its configuration defaults before they are overridden)

    try:
        with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
            ex = E.open_executor("local:2", timeout=90)
    except Exception as exc:  # noqa: BLE001 — any failure to start is reported as the skip reason
        if os.environ.get("CI"):
            raise
        pytest.skip(f"a LocalCluster of worker processes could not start here: {exc!r}")
    yield ex
    ex.close()


WORKER_BLAS = max(1, (os.cpu_count() or 1) // 2)  # the cap of each of the 2 worker processes


@pytest.fixture(scope="module")
def in_process_records(session_seed):
    """The in-process records, computed with the workers' BLAS thread count (bit-identity needs the same count:
    OpenBLAS rounds some products differently with 1 and 2 threads; see theorems/executor.py)."""
    from threadpoolctl import threadpool_limits

    ctx = Context(session_seed=session_seed, alpha=1e-10)
    with threadpool_limits(limits=WORKER_BLAS):
        return {(sid, name, s["N"]): run_check(ctx, sid, name, s) for sid, name, s in (THM32, THM41, THM32_KILL)}


def _rescheduled_chunks(client) -> int:
    """How many trial chunks the scheduler took back from a worker while they were processing (lost worker)."""
    def count(dask_scheduler):
        return sum(1 for key, start, finish, *_ in dask_scheduler.transition_log
                   if str(key).startswith("ntk-trials-") and start == "processing" and finish != "memory" and finish != "erred")
    return client.run_on_scheduler(count)


@pytest.mark.cluster
def test_records_identical_in_process_and_on_a_local_cluster(cluster, in_process_records, session_seed):
    cluster.client.wait_for_workers(2, timeout=60)
    workers = cluster.client.run(os.getpid)
    assert len(workers) == 2 and os.getpid() not in workers.values()
    # the BLAS cap per worker process: cores // workers, as conftest caps it per xdist worker
    caps = cluster.client.run(E.worker_blas_threads)
    assert all(c and set(c) == {WORKER_BLAS} for c in caps.values()), caps
    ctx = Context(session_seed=session_seed, alpha=1e-10, executor=cluster)
    for sid, name, s in (THM32, THM41):
        rec0 = in_process_records[(sid, name, s["N"])]
        rec1 = run_check(ctx, sid, name, s)
        assert rec1.trials == rec0.trials > 1 and rec1.successes == rec0.successes
        assert _comparable(rec1) == _comparable(rec0), (sid, name)
    # and the trials did run in the worker processes, with the seeds derived here
    seeds = trial_seeds(session_seed, "executor test", "pids", {}, 16)
    got = E.run_trials(_pid_trial, {}, seeds, executor=cluster)
    assert {pid for pid, _ in got} <= set(workers.values())
    assert [x for _, x in got] == [x for _, x in E.run_trials(_pid_trial, {}, seeds)]
    # several jobs at once (the Figure 2 command's points), progress fed as chunks complete
    out = io.StringIO()
    many = E.run_trials_many([(_pid_trial, {}, seeds[:5]), (_pid_trial, {}, seeds[5:])], executor=cluster,
                             progress=lambda it, total, desc: P.progress(it, total=total, stream=out, enable=True))
    assert [x for g in many for _, x in g] == [x for _, x in got] and "16/16" in out.getvalue()


@pytest.mark.cluster
def test_a_worker_killed_mid_check_loses_no_trial(cluster, in_process_records, session_seed):
    """One chunk per worker (long chunks, and a different chunking than the default: records do not depend
    on it); SIGKILL the worker running one while the check runs; the scheduler must have taken a chunk back."""
    client = cluster.client
    client.wait_for_workers(2, timeout=60)
    pids = client.run(os.getpid)
    before = _rescheduled_chunks(client)
    sid, name, s = THM32_KILL
    coarse = E.DaskExecutor(client, chunks_per_thread=1)  # shares the client; not closed here
    box: dict = {}

    def run():
        try:
            box["rec"] = run_check(Context(session_seed=session_seed, alpha=1e-10, executor=coarse), sid, name, s)
        except BaseException as exc:  # noqa: BLE001 — handed to the test thread
            box["exc"] = exc

    t = threading.Thread(target=run)
    t.start()
    victim, deadline = None, time.monotonic() + 60
    while victim is None and time.monotonic() < deadline and t.is_alive():
        busy = [a for a, keys in client.processing().items() if any(str(k).startswith("ntk-trials-") for k in keys)]
        if busy:
            victim = busy[0]
        else:
            time.sleep(0.005)
    assert victim is not None, "no chunk of the check was seen running on a worker"
    assert t.is_alive()
    os.kill(pids[victim], signal.SIGKILL)  # the worker process dies with its chunk in flight
    t.join(180)
    assert not t.is_alive(), "the check did not finish after the worker died"
    assert "exc" not in box, box.get("exc")
    rec = box["rec"]
    assert _comparable(rec) == _comparable(in_process_records[(sid, name, s["N"])])
    assert _rescheduled_chunks(client) > before, "the kill did not hit a chunk in flight"
    with pytest.raises(ProcessLookupError):
        os.kill(pids[victim], 0)  # it really died


@pytest.mark.cluster
def test_a_chunk_whose_workers_keep_dying_fails_loudly_and_writes_no_record(cluster, monkeypatch, tmp_path):
    cluster.client.wait_for_workers(2, timeout=60)
    key = ("Thm 3.2", "executor test: every worker dies")
    monkeypatch.setitem(CHECKS, key, Check(key[0], key[1], _die_on_a_worker, None))
    sink = RecordSink(tmp_path, worker_id="t")
    ctx = Context(session_seed=1, alpha=1e-10, sink=sink, executor=cluster)
    with pytest.raises(E.TrialsLost, match="not judged"):
        run_check(ctx, key[0], key[1], {"client_pid": os.getpid()}, trials=1)
    sink.close()
    assert not [p for p in tmp_path.glob("*.jsonl") if p.read_text().strip()]
