"""Progress bars with an estimate of the time left, for the long commands (issue 9), drawn by tqdm.

* :func:`progress` wraps an iterable (``progress(points, total=len(points), desc="Figure 2")``): a tqdm bar
  on stderr with rate and ETA, or the iterable unchanged when progress is off.
* :class:`PytestProgress` is a pytest plugin (``-p reports.progress``, added by ``python -m reports verify``)
  counting finished tests against the collected total, on the controller only (pytest-xdist workers report
  to it), so the bar covers the whole run whatever ``-n``.

Progress is **off** when the ``CI`` environment variable is set or stderr is not a terminal (logs and CI
output stay clean); ``NTK_PROGRESS=0`` turns it off and ``NTK_PROGRESS=1`` on regardless.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

import pytest

__all__ = ["PytestProgress", "enabled", "progress"]


def enabled(stream: TextIO | None = None) -> bool:
    """Whether progress is shown on ``stream`` (default stderr): ``NTK_PROGRESS`` if set to 0/1, else off
    under ``CI`` or when the stream is not a TTY."""
    force = os.environ.get("NTK_PROGRESS", "").strip()
    if force in ("0", "1"):
        return force == "1"
    if force:
        raise ValueError(f"NTK_PROGRESS must be 0 or 1, got {force!r}")
    if os.environ.get("CI"):
        return False
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed stream
        return False


def progress(iterable: Iterable, total: int | None = None, desc: str = "", *, unit: str = "it",
             stream: TextIO | None = None, enable: bool | None = None) -> Iterator | Iterable:
    """``iterable`` with a tqdm bar (count, rate, ETA) on ``stream`` (default stderr) when :func:`enabled`
    (or ``enable``); otherwise ``iterable`` itself, untouched. ``total`` defaults to ``len(iterable)``."""
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise ValueError(f"progress: total must be a non-negative integer or None, got {total!r}")
    on = enabled(stream) if enable is None else bool(enable)
    if not on:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc or None, unit=unit, file=sys.stderr if stream is None else stream,
                dynamic_ncols=True, smoothing=0.1)


class PytestProgress:
    """pytest plugin: one bar over the run's tests (total from collection, or from xdist's workers)."""

    def __init__(self, stream: TextIO | None = None, desc: str = "tests"):
        self.stream = stream
        self.desc = desc
        self.total: int | None = None
        self.failed = 0
        self.bar = None

    def _open(self):
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, desc=self.desc, unit="test", file=self.stream or sys.stderr,
                            dynamic_ncols=True, smoothing=0.05)
        return self.bar

    def _set_total(self, n: int) -> None:
        if self.total is None or n > self.total:
            self.total = n
            if self.bar is not None:
                self.bar.total = n
                self.bar.refresh()

    def pytest_collection_finish(self, session):
        if session.items:
            self._set_total(len(session.items))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids):
        self._set_total(len(ids))

    def pytest_runtest_logreport(self, report):
        bar = self._open()
        if report.failed and not hasattr(report, "wasxfail"):
            self.failed += 1
            bar.set_postfix_str(f"{self.failed} failed", refresh=False)
        if report.when == "teardown":
            bar.update(1)

    def pytest_sessionfinish(self, session, exitstatus):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def pytest_configure(config: Any) -> None:
    """Loaded with ``-p reports.progress``: register the bar on the controller when progress is on."""
    if hasattr(config, "workerinput") or not enabled():
        return
    config.pluginmanager.register(PytestProgress(), "ntk-progress")
