"""The environment a run was made in: versions, BLAS, cores, platform, profile, session seed.

Captured by the test session's controller when it writes a report (and stored next to the records as
``environment.json``), so that a report re-rendered later from stored records still shows the machine the
evidence was produced on rather than the machine that re-rendered it.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata as _md
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

__all__ = ["capture_environment", "load_environment", "ENVIRONMENT_FILE"]

ENVIRONMENT_FILE = "environment.json"

_PACKAGES = (
    "ntkverify", "numpy", "scipy", "matplotlib", "hypothesis", "pytest", "pytest-xdist",
    "threadpoolctl", "jsonschema",
)

ROOT = Path(__file__).resolve().parent.parent


def _version(dist: str) -> str | None:
    try:
        return _md.version(dist)
    except _md.PackageNotFoundError:
        return None


def _blas() -> list[dict[str, Any]]:
    """The BLAS/OpenMP libraries numpy and scipy loaded (threadpoolctl), with their thread counts."""
    try:
        import numpy  # noqa: F401  (load the libraries first)
        import scipy.linalg  # noqa: F401
        from threadpoolctl import threadpool_info

        out = []
        for lib in threadpool_info():
            out.append({k: lib.get(k) for k in ("user_api", "internal_api", "version", "num_threads", "architecture", "filepath") if k in lib})
        return out
    except Exception as exc:  # pragma: no cover - informative only
        return [{"error": f"{type(exc).__name__}: {exc}"}]


def _git_commit(root: Path = ROOT) -> str | None:
    """The checked-out commit, read from ``.git`` (no git process is started); ``None`` if unknown."""
    try:
        git = root / ".git"
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head or None
        ref = head.split(":", 1)[1].strip()
        p = git / ref
        if p.exists():
            return p.read_text().strip() or None
        packed = git / "packed-refs"
        if packed.exists():
            for line in packed.read_text().splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref:
                    return parts[0]
    except OSError:
        pass
    return None


def capture_environment(*, profile: str | None = None, session_seed: int | None = None,
                        workers: int | None = None, alpha: float | None = None,
                        results_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """A JSON-able description of this machine and run."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = None
    env = {
        "captured": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "cores_available": affinity,
        "versions": {k: v for k in _PACKAGES if (v := _version(k)) is not None},
        "blas": _blas(),
        "git_commit": _git_commit(),
        "profile": profile,
        "session_seed": session_seed,
        "xdist_workers": workers,
        "total_alpha": alpha,
        "results_dir": str(results_dir) if results_dir is not None else None,
    }
    return env


def load_environment(results_dir: str | os.PathLike) -> dict[str, Any] | None:
    """The ``environment.json`` stored in ``results_dir``, or ``None``."""
    p = Path(results_dir) / ENVIRONMENT_FILE
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
