"""Test-session configuration for ntkverify (DESIGN.md "Running it").

* Hypothesis profiles ``dev`` (default), ``ci`` (derandomized; selected automatically when the ``CI``
  environment variable is set) and ``thorough``; choose with ``--ntk-profile`` or ``NTK_PROFILE``.
  The profile also fixes the size budget of the scenario strategies (``NTK_BUDGET``), so profiles
  scale sizes, not only example counts.
* ``--ntk-seed``: the session seed from which every trial seed derives (default fixed).
* BLAS threads are capped per xdist worker (threadpoolctl) so that ``-n auto`` does not oversubscribe.
* Every check writes a result record through a per-worker append-only sink; at the end of the session
  the controller merges all workers' records (a crashed worker loses at most its record in flight),
  writes them to the results directory and prints a per-statement summary.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from generators.seeds import DEFAULT_SESSION_SEED

ROOT = Path(__file__).resolve().parent
PROFILES = ("dev", "ci", "thorough")

# deadline: BLAS/eigen work has no meaningful per-example deadline. Health checks suppressed one by one:
# too_slow (examples are Monte Carlo batches by design); function_scoped_fixture (the only function-scoped
# fixture the properties use is the immutable check context, safe to share across examples).
_common = dict(
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile("dev", max_examples=8, **_common)
settings.register_profile("ci", max_examples=12, derandomize=True, **_common)
settings.register_profile("thorough", max_examples=100, **_common)


def _default_profile() -> str:
    if os.environ.get("NTK_PROFILE"):
        return os.environ["NTK_PROFILE"]
    return "ci" if os.environ.get("CI") else "dev"


def pytest_addoption(parser):
    group = parser.getgroup("ntkverify")
    group.addoption("--ntk-profile", choices=PROFILES, default=None,
                    help="size/example profile: dev (default), ci (default when CI is set), thorough")
    group.addoption("--ntk-seed", type=int, default=None,
                    help=f"session seed for all Monte Carlo trials (default {DEFAULT_SESSION_SEED})")
    group.addoption("--ntk-results", default=None,
                    help="directory for result records (default .ntk-results/<timestamp>)")
    group.addoption("--ntk-alpha", type=float, default=1e-6,
                    help="total false-alarm rate of the run, split over its assertions (default 1e-6)")
    group.addoption("--ntk-scheduler", default=None, metavar="SPEC",
                    help="where Monte Carlo trials run (theorems/executor.py): none (in-process, default), local:N "
                         "(a Dask LocalCluster of N worker processes), tcp://HOST:PORT (an existing Dask scheduler); "
                         "also NTK_SCHEDULER")
    _ntk_report_options(group)


def _blas_threads_per_worker(config) -> int:
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def pytest_configure(config):
    profile = config.getoption("--ntk-profile") or _default_profile()
    if profile not in PROFILES:
        raise pytest.UsageError(f"NTK_PROFILE must be one of {PROFILES}, got {profile!r}")
    os.environ["NTK_PROFILE"] = profile
    os.environ.setdefault("NTK_BUDGET", profile)
    settings.load_profile(profile)
    alpha = config.getoption("--ntk-alpha")
    if not 0 < alpha < 1:
        raise pytest.UsageError(f"--ntk-alpha must lie in (0, 1), got {alpha!r}")
    seed = config.getoption("--ntk-seed")
    config.ntk_seed = DEFAULT_SESSION_SEED if seed is None else seed
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:  # controller (or a run without xdist)
        results = config.getoption("--ntk-results") or str(
            ROOT / ".ntk-results" / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        )
        config.ntk_results_dir = Path(results)
        config.ntk_results_dir.mkdir(parents=True, exist_ok=True)
        config.ntk_worker_id = "main"
        config._ntk_failed = _FailedTests()
        config.pluginmanager.register(config._ntk_failed, "ntk-failed-tests")
    else:
        config.ntk_results_dir = Path(workerinput["ntk_results_dir"])
        config.ntk_worker_id = workerinput["workerid"]
        from threadpoolctl import threadpool_limits

        config._ntk_blas_limit = threadpool_limits(limits=_blas_threads_per_worker(config))
    config.ntk_profile = profile
    _ntk_scheduler_configure(config, workerinput)


def pytest_configure_node(node):
    """xdist controller hook: tell each worker where to write its records."""
    node.workerinput["ntk_results_dir"] = str(node.config.ntk_results_dir)
    node.workerinput["ntk_scheduler"] = node.config.ntk_scheduler


@pytest.fixture(scope="session")
def session_seed(pytestconfig) -> int:
    return pytestconfig.ntk_seed


@pytest.fixture(scope="session")
def ntk_profile(pytestconfig) -> str:
    return pytestconfig.ntk_profile


# ------------------------------------------------------------------------------ checks and records
MAX_ASSERTIONS = 10_000
"""Upper bound on the assertions on random draws one run may make (binomial checks, slopes, spreads,
controls, Monte Carlo means, calibration margins: every record that carries an ``alpha``), fixed before
sampling: the run's total false-alarm rate ``--ntk-alpha`` is split evenly (Bonferroni) over this many, so
every assertion uses ``alpha = total / MAX_ASSERTIONS`` whatever subset of tests is selected (verdicts do
not depend on ``-k``). The session summary says how many were made; exceeding it fails the session."""


@pytest.fixture(scope="session")
def record_sink(pytestconfig):
    from theorems.records import RecordSink

    sink = RecordSink(pytestconfig.ntk_results_dir, worker_id=pytestconfig.ntk_worker_id)
    yield sink
    sink.close()


@pytest.fixture
def ntk_context(request, pytestconfig, record_sink, ntk_executor):
    """The :class:`theorems.harness.Context` of one test: seed, per-assertion alpha, sink, replay command."""
    from theorems.harness import Context

    seed = pytestconfig.ntk_seed
    nodeid = request.node.nodeid
    replay = f"pytest '{nodeid}' --ntk-seed {seed} --ntk-profile {pytestconfig.ntk_profile} -p no:randomly"
    return Context(
        session_seed=seed,
        alpha=pytestconfig.getoption("--ntk-alpha") / MAX_ASSERTIONS,
        sink=record_sink,
        test_id=nodeid,
        replay=replay,
        executor=ntk_executor,
    )


class _FailedTests:
    """Plugin (controller only) remembering failed tests — xdist forwards every worker's reports to the
    controller — so that the report can say its verdicts are incomplete."""

    def __init__(self):
        self.nodeids: set[str] = set()

    def pytest_runtest_logreport(self, report):
        if report.failed and not hasattr(report, "wasxfail"):
            self.nodeids.add(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if hasattr(config, "workerinput"):
        return
    config.ntk_failed_tests = sorted(config._ntk_failed.nodeids)
    config._ntk_exitstatus = int(exitstatus)
    from theorems.catalog import load_all
    from theorems.records import merge_records, write_merged

    REGISTRY = load_all()

    try:
        records = merge_records(config.ntk_results_dir, statement_order=REGISTRY.ids(), strict=False)
    except FileNotFoundError:
        records = []
    config.ntk_records = records
    n_prob = sum(1 for r in records if r.alpha is not None)  # every verdict on random draws carries its alpha
    if n_prob > MAX_ASSERTIONS:  # the false-alarm guarantee of the run no longer holds: fail the session
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        config._ntk_budget_exceeded = n_prob
    if records:
        write_merged(records, config.ntk_results_dir / "records.json")
    _ntk_write_report(config, records)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if hasattr(config, "workerinput"):
        return
    records = getattr(config, "ntk_records", None)
    if not records:
        return
    from theorems.summary import summary_lines

    tr = terminalreporter
    tr.section("ntkverify: verdicts per statement")
    from theorems.calibration import calibration_lines

    for line in summary_lines(records, max_assertions=MAX_ASSERTIONS) + calibration_lines(records):
        tr.write_line(line)
    if getattr(config, "_ntk_budget_exceeded", None):
        tr.write_line(f"FAILED: {config._ntk_budget_exceeded} probabilistic assertions exceed MAX_ASSERTIONS = "
                      f"{MAX_ASSERTIONS}: the run's total false-alarm rate is no longer bounded by --ntk-alpha", red=True)
    tr.write_line(f"records: {config.ntk_results_dir / 'records.json'}  (session seed {config.ntk_seed}, profile {config.ntk_profile})")


# ------------------------------------------------------------- trial executor (theorems/executor.py owns these)
def _ntk_scheduler_configure(config, workerinput):
    """``--ntk-scheduler`` / ``NTK_SCHEDULER``: validate it; with ``local:N`` under xdist the controller starts the
    one LocalCluster and its workers connect to it (``workerinput``), so ``-n 2`` does not start two clusters."""
    from theorems.executor import parse_scheduler, start_local_cluster

    if workerinput is not None:
        config.ntk_scheduler = workerinput.get("ntk_scheduler", "none")
        return
    raw = config.getoption("--ntk-scheduler") or os.environ.get("NTK_SCHEDULER") or "none"
    try:
        spec = parse_scheduler(raw)
    except ValueError as exc:
        raise pytest.UsageError(f"--ntk-scheduler / NTK_SCHEDULER: {exc}") from None
    config.ntk_scheduler = str(spec)
    xdist_workers = getattr(config.option, "numprocesses", 0) if getattr(config.option, "dist", "no") != "no" else 0
    if spec.kind == "local" and xdist_workers:
        config._ntk_cluster = start_local_cluster(spec.workers)
        config.ntk_scheduler = config._ntk_cluster.scheduler_address


def pytest_unconfigure(config):
    cluster = getattr(config, "_ntk_cluster", None)
    if cluster is not None:
        config._ntk_cluster = None
        cluster.close()


@pytest.fixture(scope="session")
def ntk_executor(pytestconfig):
    """The executor of this pytest process's trials (``None``: in-process), created on first use, closed at the end."""
    from theorems.executor import open_executor

    ex = open_executor(pytestconfig.ntk_scheduler)
    yield ex
    if ex is not None:
        ex.close()


# ------------------------------------------------------------------ reports and replay (reports/ owns these)
def _ntk_report_options(group):
    """Options of the report writer and the replay (implemented in reports/render.py and reports/replay.py)."""
    group.addoption("--ntk-report", dest="ntk_report", default=None, metavar="DIR",
                    help="base directory of the report written at the end of the run: DIR/latest/ and DIR/runs/<stamp>/ "
                         "(default reports/)")
    group.addoption("--no-ntk-report", dest="no_ntk_report", action="store_true", default=False,
                    help="do not write the report at the end of the run (records are still written)")
    group.addoption("--ntk-replay", dest="ntk_replay", default=None, metavar="RECORD_ID",
                    help="replay exactly one recorded check (its scenario and seeds) instead of the tests, and fail "
                         "if the verdict differs from the recorded one")
    group.addoption("--ntk-replay-records", dest="ntk_replay_records", default=None, metavar="PATH",
                    help="where to find the record for --ntk-replay (records.json, results dir or report.json; "
                         "default: reports/latest, reports/runs/*, .ntk-results/*)")


def _ntk_write_report(config, records):
    """After the merge: write environment.json and the report (reports/latest/ + reports/runs/<stamp>/)."""
    from reports.render import session_report

    session_report(config, records)


def pytest_ignore_collect(collection_path, config):
    if config.getoption("ntk_replay", None):
        from reports.replay import pytest_ignore_collect as _ignore

        return _ignore(collection_path, config)
    return None


def pytest_collection_modifyitems(session, config, items):
    if config.getoption("ntk_replay", None):
        from reports.replay import pytest_collection_modifyitems as _replay_items

        _replay_items(session, config, items)
