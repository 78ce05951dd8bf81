"""Result records of checks, written safely from many pytest-xdist workers (DESIGN.md "Reports").

One :class:`CheckRecord` per check carries the evidence of its verdict (scenario, seeds, trials,
successes, confidence interval, stated probability, implied constants, worst case, replay command).

Writing: each process appends JSON lines to its own file ``<dir>/records-<worker_id>-<pid>.jsonl``
(:class:`RecordSink`); every record is written as one line, flushed and ``fsync``-ed, so a crashed
worker loses at most the record in flight (a truncated last line).  Reading: :func:`merge_records`
collects all files, skips (and counts) truncated last lines, de-duplicates by ``record_id`` keeping the
last written, and sorts.  :func:`write_merged` writes the merged list as one JSON file.

JSON encoding: numpy scalars/arrays become plain Python numbers/lists, enums their values, tuples
lists; non-finite floats are encoded as the strings ``"nan"``, ``"inf"``, ``"-inf"`` (the output is
strict JSON, ``allow_nan=False``) and decoded back to floats by :meth:`CheckRecord.from_json` inside
the numeric fields and the ``scenario`` / ``implied_constants`` / ``worst_case`` / ``measured`` dicts
(so those three strings are reserved there).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CheckRecord",
    "RecordSink",
    "MergedRecords",
    "merge_records",
    "write_merged",
    "to_jsonable",
    "canonical_json",
    "make_record_id",
]

_NONFINITE = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


def to_jsonable(value: Any) -> Any:
    """Convert ``value`` to plain JSON-able Python (strict JSON: non-finite floats become strings).

    Handles numpy scalars and arrays, enums (their value), tuples/lists/sets (lists; sets sorted),
    mappings (keys converted to ``str``), ``Path`` (``str``).  Raises TypeError naming the type otherwise.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()] if value.ndim else to_jsonable(value.item())
    if isinstance(value, Mapping):
        return {str(to_jsonable(k)) if not isinstance(k, str) else k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_jsonable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, complex):
        raise TypeError(f"complex value {value!r} is not JSON-able; store real and imaginary parts")
    raise TypeError(f"value of type {type(value).__name__} is not JSON-able: {value!r}")


def _decode_nonfinite(value: Any) -> Any:
    """Inverse of the non-finite encoding of :func:`to_jsonable`, recursively."""
    if isinstance(value, str):
        return _NONFINITE.get(value, value)
    if isinstance(value, list):
        return [_decode_nonfinite(v) for v in value]
    if isinstance(value, dict):
        return {k: _decode_nonfinite(v) for k, v in value.items()}
    return value


def canonical_json(value: Any) -> str:
    """Canonical strict JSON (sorted keys, no whitespace) of :func:`to_jsonable` of ``value``."""
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True)


def make_record_id(statement_id: str, check: str, scenario: Mapping[str, Any], session_seed: int) -> str:
    """Stable id: ``sha256`` hex[:16] of statement id, check, canonical JSON scenario and session seed.

    Independent of dict order, process, platform and run; changes with any of the four inputs.
    """
    payload = canonical_json([str(statement_id), str(check), scenario, int(session_seed)])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")


_FLOAT_FIELDS = ("stated_probability", "alpha", "tolerance", "p_value", "ci_low", "ci_high", "timing_s")
_DICT_FIELDS = ("scenario", "implied_constants", "worst_case", "measured", "power")


@dataclass(kw_only=True)
class CheckRecord:
    """The evidence of one check.  Keyword-only; ``record_id`` is computed when left empty.

    ``trial_seeds`` is either the explicit list of per-trial seeds or a compact description such as
    ``{"entropy": <root entropy>, "spawn": m}`` (``numpy.random.SeedSequence(entropy).spawn(m)``).
    ``stated_probability``/``alpha``/``p_value``/``ci_*`` are ``None`` for exact checks.
    """

    statement_id: str
    check: str
    paper_version: str
    kind: str
    scenario: dict
    session_seed: int
    verdict: str
    record_id: str = ""
    trial_seeds: Any = field(default_factory=list)
    trials: int = 0
    successes: int = 0
    stated_probability: float | None = None
    alpha: float | None = None
    tolerance: float | None = None
    p_value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    reason: str = ""
    power: dict = field(default_factory=dict)
    planted: str = ""
    implied_constants: dict = field(default_factory=dict)
    worst_case: dict = field(default_factory=dict)
    measured: dict = field(default_factory=dict)
    timing_s: float = 0.0
    test_id: str = ""
    replay: str = ""
    created: str = field(default_factory=_now_iso)

    def __post_init__(self):
        self.kind = to_jsonable(self.kind)
        self.verdict = to_jsonable(self.verdict)
        self.paper_version = str(self.paper_version)
        if isinstance(self.session_seed, bool) or not isinstance(self.session_seed, (int, np.integer)):
            raise ValueError(f"session_seed must be an integer, got {self.session_seed!r}")
        self.session_seed = int(self.session_seed)
        for name in _DICT_FIELDS:
            v = getattr(self, name)
            if not isinstance(v, Mapping):
                raise ValueError(f"CheckRecord.{name} must be a mapping, got {type(v).__name__}")
            setattr(self, name, dict(v))
        expected = make_record_id(self.statement_id, self.check, self.scenario, self.session_seed)
        if not self.record_id:
            self.record_id = expected
        elif self.record_id != expected:
            raise ValueError(
                f"record_id {self.record_id!r} does not match its statement/check/scenario/seed ({expected!r})"
            )

    # ------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain JSON-able dict (strict: non-finite floats as strings)."""
        return {f.name: to_jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def to_json(self) -> str:
        """One line of strict JSON (no raw newlines; ``allow_nan=False``)."""
        return json.dumps(self.to_dict(), allow_nan=False, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CheckRecord":
        """Inverse of :meth:`to_dict`; ValueError on unknown keys."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown CheckRecord fields {unknown}")
        d = dict(data)
        for name in _FLOAT_FIELDS:
            if name in d and isinstance(d[name], str):
                d[name] = _decode_nonfinite(d[name])
        for name in _DICT_FIELDS:
            if name in d:
                d[name] = _decode_nonfinite(d[name])
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> "CheckRecord":
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_judgement(
        cls,
        statement: Any,
        check: str,
        scenario: Mapping[str, Any],
        session_seed: int,
        judgement: Any,
        **evidence: Any,
    ) -> "CheckRecord":
        """A record for a binomial check judged by :func:`theorems.stats.judge`.

        ``statement`` supplies ``id``, ``paper_version`` and ``kind``; ``judgement`` (a
        :class:`theorems.stats.BinomialJudgement`) supplies trials, successes, stated probability,
        alpha, tolerance, p-value, interval, verdict and reason.  ``evidence`` sets any remaining field
        (``trial_seeds``, ``implied_constants``, ``worst_case``, ``measured``, ``timing_s``, ``test_id``,
        ``replay``, ...); an unknown name raises TypeError.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(evidence) - names)
        if unknown:
            raise TypeError(f"unknown CheckRecord fields in evidence: {unknown}")
        fields_ = dict(
            statement_id=statement.id,
            check=check,
            paper_version=statement.paper_version,
            kind=statement.kind,
            scenario=dict(scenario),
            session_seed=session_seed,
            trials=int(judgement.trials),
            successes=int(judgement.successes),
            stated_probability=float(judgement.p_stated),
            alpha=float(judgement.alpha),
            tolerance=float(judgement.tolerance),
            p_value=float(judgement.p_value),
            ci_low=float(judgement.ci_low),
            ci_high=float(judgement.ci_high),
            verdict=judgement.verdict,
            reason=str(judgement.reason),
        )
        fields_.update(evidence)
        return cls(**fields_)


# --------------------------------------------------------------------------------------------------
# writing from many processes


def _worker_id_default() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


class RecordSink:
    """Appends records as JSON lines to ``<directory>/records-<worker_id>-<pid>.jsonl``.

    The file is opened in append mode on first write; each record is one line followed by ``flush``
    and ``os.fsync``, so a crash loses at most the record in flight.  ``worker_id`` defaults to the
    ``PYTEST_XDIST_WORKER`` environment variable (``"main"`` without xdist).  A forked child gets its own
    file (the pid is re-read on every write).  Usable as a context manager.

    If the file already exists and ends in a fragment (an earlier process with the same worker id and
    pid crashed mid-record), the fragment is terminated with a newline before the first write, so it
    cannot corrupt our records; :func:`merge_records` then reports it as corruption unless
    ``strict=False``.
    """

    def __init__(self, directory: str | os.PathLike, worker_id: str | None = None) -> None:
        self.directory = Path(directory)
        wid = _worker_id_default() if worker_id is None else str(worker_id)
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", wid):
            raise ValueError(f"worker_id must match [A-Za-z0-9_.-]+, got {wid!r}")
        self.worker_id = wid
        self._fh = None
        self._pid: int | None = None

    @property
    def path(self) -> Path:
        """The file this process writes to."""
        return self.directory / f"records-{self.worker_id}-{os.getpid()}.jsonl"

    def _handle(self):
        pid = os.getpid()
        if self._fh is None or self._pid != pid:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.path
            # A previous process with the same pid and worker id may have died mid-line; terminate its
            # fragment so that our first record starts on a fresh line.
            if path.exists() and path.stat().st_size > 0:
                with open(path, "rb") as f:
                    f.seek(-1, os.SEEK_END)
                    dangling = f.read(1) != b"\n"
            else:
                dangling = False
            self._fh = open(path, "a", encoding="utf-8")
            self._pid = pid
            if dangling:
                self._fh.write("\n")
                self._fh.flush()
        return self._fh

    def write(self, record: CheckRecord) -> None:
        """Append one record (one line, flushed and fsync-ed)."""
        line = record.to_json()
        fh = self._handle()
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())

    def close(self) -> None:
        if self._fh is not None and self._pid == os.getpid():
            self._fh.close()
        self._fh = None
        self._pid = None

    def __enter__(self) -> "RecordSink":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------------------------------
# merging


class MergedRecords(list):
    """A ``list[CheckRecord]`` with merge statistics: ``files`` read, ``lines`` parsed, ``truncated``
    lines skipped, ``duplicates`` dropped."""

    files: int = 0
    lines: int = 0
    truncated: int = 0
    duplicates: int = 0


def merge_records(
    directory: str | os.PathLike,
    statement_order: Sequence[str] | None = None,
    *,
    strict: bool = True,
) -> MergedRecords:
    """Read every ``*.jsonl`` file in ``directory`` and return the merged records.

    * A line that does not parse and is the last line of its file is a write cut short by a crash:
      skipped and counted in ``.truncated``.  An unparseable line elsewhere is corruption: ValueError
      naming file and line (or skipped and counted when ``strict=False``).
    * Duplicates by ``record_id`` keep the last written, ordering writes by ``created`` then file name
      and line number; dropped copies are counted in ``.duplicates``.
    * Sorted by position of ``statement_id`` in ``statement_order`` (ids not listed come after, by
      id), then ``record_id``.  Without ``statement_order``: by ``statement_id`` then ``record_id``.
    """
    directory = Path(directory)
    result = MergedRecords()
    entries: list[tuple[str, str, int, CheckRecord]] = []
    files = sorted(directory.glob("*.jsonl"))
    result.files = len(files)
    for path in files:
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                rec = CheckRecord.from_json(line)
            except (ValueError, TypeError) as exc:
                if i == len(lines) - 1 or not strict:
                    result.truncated += 1
                    continue
                raise ValueError(f"{path}: line {i + 1} is not a valid record ({exc})") from exc
            result.lines += 1
            entries.append((rec.created, path.name, i, rec))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    latest: dict[str, CheckRecord] = {}
    for *_, rec in entries:
        if rec.record_id in latest:
            result.duplicates += 1
        latest[rec.record_id] = rec
    order = {sid: i for i, sid in enumerate(statement_order or ())}
    big = len(order)

    def key(r: CheckRecord):
        return (order.get(r.statement_id, big), r.statement_id if r.statement_id not in order else "", r.record_id)

    result.extend(sorted(latest.values(), key=key))
    return result


def write_merged(records: Iterable[CheckRecord], path: str | os.PathLike) -> Path:
    """Write ``records`` as one JSON file (a list of record dicts), atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = [r.to_dict() for r in records]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, allow_nan=False, ensure_ascii=False, indent=1)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path
