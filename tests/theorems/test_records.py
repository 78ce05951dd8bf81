"""Meta tests of result records (theorems/records.py) and statements as data (theorems/statement.py)."""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from theorems.records import CheckRecord, RecordSink, make_record_id, merge_records, to_jsonable, write_merged
from theorems.statement import Kind, Registry, Statement, statement
from theorems.stats import Verdict, judge

ROOT = Path(__file__).resolve().parents[2]


def _statement(id="Lemma C.5", **kw):
    fields = dict(
        id=id,
        title="Hoeffding bound on the activation count",
        claim="| ||Σ_k||_F² − n_k/2 | ≤ n_k/4 with probability ≥ 1 − 2 exp(−n_k/8)",
        kind=Kind.EXPLICIT,
        quantity="||Σ_k(x)||_F²",
        probability=lambda s: 1 - 2 * math.exp(-s["n_k"] / 8),
        section="Appendix C",
    )
    fields.update(kw)
    return Statement(**fields)


def _record(scenario=None, seed=7, check="hoeffding", **kw):
    scenario = {"n_k": 32, "law": "gaussian"} if scenario is None else scenario
    st_ = _statement()
    p = st_.stated_probability(scenario)
    j = judge(990, 1000, p, 1e-6, 0.05)
    return CheckRecord.from_judgement(st_, check, scenario, seed, j, **kw)


# --------------------------------------------------------------------------------------------------
# records


def test_json_round_trip_with_numpy_and_nonfinite():
    rec = _record(
        scenario={"n_k": np.int64(32), "beta": np.float32(0.5), "widths": (8, 16), "law": "gaussian"},
        trial_seeds={"entropy": 2**100 + 3, "spawn": 1000},
        implied_constants={"min": np.float64(0.25), "n": np.int32(3)},
        worst_case={"lam": np.nan, "seed": np.uint64(5), "vec": np.array([1.0, np.inf, -np.inf])},
        measured={"ok": np.bool_(True), "mat": np.eye(2)},
        timing_s=np.float64(1.5),
        test_id="tests/theorems/test_x.py::test_y[a]",
        replay="pytest 'tests/theorems/test_x.py::test_y[a]' --session-seed 7",
    )
    text = rec.to_json()
    assert "\n" not in text
    json.loads(text)  # strict JSON ...
    assert "NaN" not in text and "Infinity" not in text  # ... with no invalid tokens
    back = CheckRecord.from_json(text)
    assert back.to_json() == text
    assert math.isnan(back.worst_case["lam"])
    assert back.worst_case["vec"] == [1.0, math.inf, -math.inf]
    assert back.scenario == {"n_k": 32, "beta": 0.5, "widths": [8, 16], "law": "gaussian"}
    assert back.measured == {"ok": True, "mat": [[1.0, 0.0], [0.0, 1.0]]}
    assert back.trial_seeds == {"entropy": 2**100 + 3, "spawn": 1000}
    assert back.verdict == "verified" and back.kind == "explicit-probability"
    assert back.record_id == rec.record_id
    assert back.successes == 990 and back.trials == 1000 and back.alpha == 1e-6
    with pytest.raises(TypeError, match="complex"):
        to_jsonable(1j)
    with pytest.raises(TypeError, match="object"):
        to_jsonable(object())


def test_from_judgement_rejects_unknown_evidence():
    with pytest.raises(TypeError, match="bogus"):
        _record(bogus=1)


def test_record_id_stable_and_sensitive():
    a = make_record_id("Thm 4.1", "lower", {"N": 10, "d": 3}, 1)
    assert a == make_record_id("Thm 4.1", "lower", {"d": 3, "N": 10}, 1)  # dict order is irrelevant
    assert len(a) == 16 and int(a, 16) >= 0
    assert a != make_record_id("Thm 4.1", "lower", {"N": 11, "d": 3}, 1)
    assert a != make_record_id("Thm 4.1", "upper", {"N": 10, "d": 3}, 1)
    assert a != make_record_id("Thm 4.2", "lower", {"N": 10, "d": 3}, 1)
    assert a != make_record_id("Thm 4.1", "lower", {"N": 10, "d": 3}, 2)
    # Stable across processes and runs (no hash randomization, no time dependence).
    code = "from theorems.records import make_record_id as f; print(f('Thm 4.1','lower',{'N':10,'d':3},1))"
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED="123")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == a
    # A record whose id does not match its content is rejected.
    rec = _record()
    d = json.loads(rec.to_json())
    d["scenario"]["n_k"] = 65
    with pytest.raises(ValueError, match="record_id"):
        CheckRecord.from_dict(d)


def _worker(directory: str, worker_id: str, n: int) -> None:
    with RecordSink(directory, worker_id=worker_id) as sink:
        for i in range(n):
            sink.write(_record(scenario={"n_k": 8 + i, "w": worker_id}, check=f"c{i}"))


def test_sink_from_two_processes_then_merge(tmp_path):
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(str(tmp_path), f"gw{i}", 5)) for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    files = sorted(tmp_path.glob("*.jsonl"))
    assert len(files) == 2
    assert {f.name.split("-")[1] for f in files} == {"gw0", "gw1"}
    assert all(f.name == f"records-{f.name.split('-')[1]}-{f.name.split('-')[2]}" for f in files)
    merged = merge_records(tmp_path)
    assert len(merged) == 10 and merged.truncated == 0 and merged.files == 2
    assert [r.record_id for r in merged] == sorted(r.record_id for r in merged)
    out = write_merged(merged, tmp_path / "out" / "report.json")
    data = json.loads(out.read_text())
    assert [CheckRecord.from_dict(d).record_id for d in data] == [r.record_id for r in merged]


def test_truncated_last_line_is_skipped_and_duplicates_keep_last(tmp_path):
    sink = RecordSink(tmp_path, worker_id="gw0")
    old = _record(scenario={"n_k": 16}, created="2020-01-01T00:00:00.000000+00:00", measured={"v": 1})
    new = _record(scenario={"n_k": 16}, created="2021-01-01T00:00:00.000000+00:00", measured={"v": 2})
    other = _record(scenario={"n_k": 32})
    sink.write(new)
    sink.write(other)
    sink.close()
    # Another worker wrote the older copy; a third crashed mid-record.
    with RecordSink(tmp_path, worker_id="gw1") as s1:
        s1.write(old)
    crashed = tmp_path / "records-gw2-99999999.jsonl"
    line = _record(scenario={"n_k": 64}).to_json()
    crashed.write_text(_record(scenario={"n_k": 128}).to_json() + "\n" + line[: len(line) // 2])
    merged = merge_records(tmp_path)
    assert merged.truncated == 1 and merged.duplicates == 1
    by_n = {r.scenario["n_k"]: r for r in merged}
    assert set(by_n) == {16, 32, 128}
    assert by_n[16].measured == {"v": 2}  # the later of the two copies
    # Corruption that is not a cut-short last line is an error, unless strict=False.
    bad = tmp_path / "records-gw3-1.jsonl"
    bad.write_text("{not json\n" + line + "\n")
    with pytest.raises(ValueError, match="line 1"):
        merge_records(tmp_path)
    assert len(merge_records(tmp_path, strict=False)) == 4


def test_sink_terminates_dangling_fragment(tmp_path):
    sink = RecordSink(tmp_path, worker_id="gw0")
    line = _record(scenario={"n_k": 64}).to_json()
    sink.path.write_text(line[:20])  # a previous process with our pid died mid-line
    sink.write(_record(scenario={"n_k": 8}))
    sink.close()
    merged = merge_records(tmp_path, strict=False)
    assert [r.scenario["n_k"] for r in merged] == [8] and merged.truncated == 1


def test_merge_sorts_by_statement_order(tmp_path):
    st_a = _statement("Thm 3.2", kind=Kind.ASYMPTOTIC)
    st_b = _statement("Lemma C.5")
    st_c = _statement("Cor 4.2", kind=Kind.ASYMPTOTIC)
    j = judge(10, 10, 0.5, 0.01, 0.1)
    with RecordSink(tmp_path, worker_id="main") as sink:
        for s in (st_c, st_b, st_a):
            for n in (1, 2):
                sink.write(CheckRecord.from_judgement(s, "x", {"n_k": n}, 0, j))
    merged = merge_records(tmp_path, statement_order=["Lemma C.5", "Thm 3.2"])
    assert [r.statement_id for r in merged] == ["Lemma C.5"] * 2 + ["Thm 3.2"] * 2 + ["Cor 4.2"] * 2
    for i in range(0, 6, 2):
        assert merged[i].record_id < merged[i + 1].record_id
    assert [r.statement_id for r in merge_records(tmp_path)][::2] == ["Cor 4.2", "Lemma C.5", "Thm 3.2"]


# --------------------------------------------------------------------------------------------------
# statements and the registry


def test_statement_validation_and_probability():
    s = _statement()
    assert s.kind is Kind.EXPLICIT and s.paper_version == "v5"
    assert s.stated_probability({"n_k": 4}) == 0.0  # 1 - 2 e^(-1/2) < 0 is vacuous: clipped to 0
    assert s.stated_probability({"n_k": 8}) == pytest.approx(1 - 2 / math.e)
    assert s.stated_probability({"n_k": 800}) == pytest.approx(1 - 2 * math.exp(-100))
    assert s.in_regime({}) is True
    assert _statement(kind="asymptotic").kind is Kind.ASYMPTOTIC  # coerced from its value
    assert _statement(paper_version="icml").paper_version == "icml"
    with pytest.raises(ValueError, match="paper_version"):
        _statement(paper_version="v4")
    with pytest.raises(ValueError, match="kind"):
        _statement(kind="likely")
    with pytest.raises(ValueError, match="exact"):
        _statement(kind=Kind.EXACT)  # exact statements give no probability
    exact = _statement(kind=Kind.EXACT, probability=None, hypotheses=lambda s: s["N"] >= 2,
                       lower=lambda s, c=1.0: c * s["N"])
    assert exact.stated_probability({"N": 1}) == 1.0
    assert exact.in_regime({"N": 3}) and not exact.in_regime({"N": 1})
    assert exact.lower_bound({"N": 3}, c=2.0) == 6.0 and exact.upper_bound({"N": 3}) is None
    with pytest.raises(ValueError, match="nan"):
        _statement(probability=lambda s: float("nan")).stated_probability({})
    with pytest.raises(ValueError, match="declares no probability"):
        _statement(kind=Kind.ASYMPTOTIC, probability=None).stated_probability({})


def test_registry():
    reg = Registry()
    a = statement(registry=reg, **{**_statement("Thm 4.1").__dict__})
    b = reg.register(_statement("Lemma 5.3"))
    assert reg.ids() == ["Thm 4.1", "Lemma 5.3"] and list(reg) == [a, b] and len(reg) == 2
    assert reg.get("Lemma 5.3") is b and "Thm 4.1" in reg
    with pytest.raises(ValueError, match="duplicate"):
        reg.register(_statement("Thm 4.1"))
    with pytest.raises(KeyError, match="Lemma 5.3"):
        reg.get("Thm 9.9")


def test_verdict_values():
    assert [v.value for v in Verdict] == ["verified", "refuted", "inconclusive", "not refuted"]
    assert [k.value for k in Kind] == ["exact", "explicit-probability", "asymptotic"]
