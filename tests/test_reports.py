"""Reports (issue 5; DESIGN.md "Reports"): report.json against reports/schema.json, the Markdown and
figures, re-rendering from stored records, comparing runs, promoting refuted scenarios.

The report is produced from a small real run made here: registered Thm 3.2 checks on small scenarios
through ``run_check`` (one verified, one inconclusive by an explicit too-small trial count, one refuted
— repeated points, outside the hypotheses, where λ_min = 0), the exact proof steps on a fixed data set,
a λ_min-against-d sweep and a negative control, all written to a temporary sink.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent

VERIFIED = {"law": {"name": "gaussian"}, "N": 16, "d": 1024, "L": 2, "r": 2}
INCONCLUSIVE = {"law": {"name": "gaussian"}, "N": 16, "d": 1024, "L": 3, "r": 2}
REFUTED = {"law": {"name": "repeated"}, "N": 16, "d": 1024, "L": 2, "r": 2}
SEED = 20211


def small_run(directory: Path, seed: int = SEED) -> list:
    """Write the records of a small real run into ``directory`` (a RecordSink) and return them."""
    import ntk
    from generators.seeds import trial_rngs
    from theorems import sec3
    from theorems.catalog import load_all
    from theorems.harness import Context, record_exact, run_check
    from theorems.records import RecordSink
    from theorems.stats import fit_power_law

    load_all()
    recs = []
    with RecordSink(directory, worker_id="test") as sink:
        ctx = Context(session_seed=seed, alpha=1e-10, tolerance=0.1, sink=sink, test_id="tests/test_reports.py::small_run")
        recs.append(run_check(ctx, "Thm 3.2", "asymptotic-bounds", VERIFIED))
        # an explicit experiment with too few trials to verify at alpha: inconclusive, honestly
        recs.append(run_check(ctx, "Thm 3.2", "asymptotic-bounds", INCONCLUSIVE, trials=30))
        # repeated rows violate i.i.d. continuity: λ_min = 0 < the lower bound in every trial
        recs.append(run_check(ctx, "Thm 3.2", "asymptotic-bounds", REFUTED, trials=20))
        X = np.random.default_rng(3).standard_normal((8, 32))
        for key, step in sec3.proof_steps(X, 3, 2).items():
            recs.append(record_exact(ctx, "Thm 3.2", f"step-{key}", {"N": 8, "d": 32, "L": 3, "r": 2, "data_seed": 3},
                                     holds=step.holds, slack=step.slack, measured={"lhs": step.lhs, "rhs": step.rhs}, reason=step.name))
        ds = [256, 512, 1024, 2048]
        lam = []
        for d in ds:
            s = {"law": {"name": "gaussian"}, "N": 8, "d": d, "L": 2, "r": 2}
            lam.append(float(np.mean([sec3.lambda_over_d(s, g) * d for g in trial_rngs(seed, "Thm 3.2", "report-sweep", s, 3)])))
        fit = fit_power_law(ds, lam)
        recs.append(record_exact(ctx, "Thm 3.2", "scaling-d (report test)", {"N": 8, "L": 2, "d": ds},
                                 holds=abs(fit.exponent - 1) <= 0.1, slack=0.1 - abs(fit.exponent - 1),
                                 measured={"x": ds, "y": lam, "xlabel": "d", "ylabel": "λ_min(K^(L))", "exponent": fit.exponent,
                                           "ci_low": fit.ci_low, "ci_high": fit.ci_high}))
        X = np.repeat(np.random.default_rng(4).standard_normal((4, 16)), 2, axis=0)
        e = ntk.lambda_min(ntk.limiting_ntk(X, 2).ntk)
        recs.append(record_exact(ctx, "Thm 3.2", "control: repeated points (report test)", {"N": 8, "d": 16, "L": 2},
                                 holds=abs(e.value) <= 4 * e.floor,
                                 measured={"lambda_min": e.value, "floor": e.floor, "hypothesis_violated": "i.i.d. continuous data"}))
    return recs


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A small run, merged into records.json, and its report rendered to ``out``."""
    from reports.render import build_report, write_report
    from theorems.records import merge_records, write_merged

    d = tmp_path_factory.mktemp("run")
    small_run(d / "results")
    records = merge_records(d / "results")
    write_merged(records, d / "results" / "records.json")
    report, figs = build_report(list(records), source={"source": str(d / "results" / "records.json")})
    out = write_report(report, figs, d / "report")
    return {"dir": d, "records": list(records), "report": report, "out": out}


def _schema():
    return json.loads((ROOT / "reports" / "schema.json").read_text(encoding="utf-8"))


def test_report_json_validates_against_schema(run):
    import jsonschema

    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads((run["out"] / "report.json").read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    # and the schema is not vacuous: a record without a verdict, or an unknown verdict, is rejected
    bad = json.loads(json.dumps(data))
    bad["records"][0]["verdict"] = "probably"
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(bad))
    del bad["records"][0]["verdict"]
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(bad))


def test_report_content(run):
    rep = run["report"]
    t = rep["totals"]
    assert (t["verified"], t["refuted"], t["inconclusive"], t["controls"], t["controls_detected"]) == (6, 1, 1, 1, 1)
    assert t["overall"] == "refuted" and t["records"] == len(run["records"]) == 9
    # every refuted/inconclusive record carries the one replay command; verified ones are not listed
    att = {a["record_id"]: a for a in rep["attention"]}
    by_v = {r.verdict: r for r in run["records"] if r.check == "asymptotic-bounds"}
    assert set(att) == {by_v["refuted"].record_id, by_v["inconclusive"].record_id}
    for rid, a in att.items():
        assert a["replay_command"] == f"python -m pytest --ntk-replay {rid}"
    # evidence fields per record
    rec = next(r for r in rep["records"] if r["record_id"] == by_v["verified"].record_id)
    assert rec["trials"] == rec["successes"] > 0 and rec["interval"]["low"] <= 1.0 and rec["stated_probability"] > 0.9
    assert rec["trial_seeds"]["spawn"] == rec["trials"] and rec["implied_constants"]["n"] == rec["trials"]
    # environment and constants with provenance
    env = rep["environment"]
    assert env["versions"]["numpy"] and env["cores"] >= 1 and isinstance(env["blas"], list)
    from theorems.constants import CONSTANTS

    assert {c["name"] for c in rep["constants"]} == set(CONSTANTS)
    assert all(c["provenance"] for c in rep["constants"])
    # figures: the sweep (with slope), the proof-chain slack, the implied constants
    kinds = {f["kind"] for f in rep["figures"]}
    assert {"sweep", "proof-slack", "implied-constants"} <= kinds
    for f in rep["figures"]:
        png = (run["out"] / f["file"]).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert rep["run"]["figure_render_s"] < 20
    md = (run["out"] / "report.md").read_text(encoding="utf-8")
    for f in rep["figures"]:
        assert f"]({f['file']})" in md
    assert f"python -m pytest --ntk-replay {by_v['refuted'].record_id}" in md
    assert "## Named constants" in md and "THM32_LOWER" in md and "## Negative controls" in md


def test_render_cli_rerenders_from_stored_records(run, tmp_path):
    """``python -m reports render`` rebuilds the same report from records.json and from report.json."""
    out = tmp_path / "again"
    p = subprocess.run([sys.executable, "-m", "reports", "render", str(run["dir"] / "results" / "records.json"), "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "overall: REFUTED" in p.stdout and str(out / "report.html") in p.stdout
    a = json.loads((run["out"] / "report.json").read_text())
    b = json.loads((out / "report.json").read_text())
    assert [r["record_id"] for r in a["records"]] == [r["record_id"] for r in b["records"]]
    assert a["totals"] == {**b["totals"], "timing_s": a["totals"]["timing_s"]}
    from reports.render import load_source

    recs, env, meta = load_source(out / "report.json")
    assert meta["kind"] == "report" and [r.record_id for r in recs] == [r["record_id"] for r in b["records"]]


def test_compare_reports_changed_new_and_removed(run, tmp_path):
    from reports.compare import compare_records, compare_text
    from theorems.records import CheckRecord

    old = run["records"]
    new = [CheckRecord.from_dict(r.to_dict()) for r in old[1:]]  # one removed
    flipped = next(r for r in new if r.verdict == "inconclusive")
    flipped.verdict = "verified"
    extra = CheckRecord.from_dict({**old[0].to_dict(), "scenario": {**old[0].scenario, "d": 2048}, "record_id": ""})
    new.append(extra)
    c = compare_records(old, new)
    assert [(x["old"], x["new"]) for x in c["changed"]] == [("inconclusive", "verified")]
    assert [x["record_id"] for x in c["removed"]] == [old[0].record_id]
    assert [x["scenario"]["d"] for x in c["new"]] == [2048]
    assert "1 changed verdict, 1 new, 1 removed" in compare_text(c)
    # the CLI on two stored runs
    (tmp_path / "new.json").write_text(json.dumps([r.to_dict() for r in new]))
    p = subprocess.run([sys.executable, "-m", "reports", "compare", str(run["dir"] / "results" / "records.json"), str(tmp_path / "new.json"),
                        "--fail-on-change"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "inconclusive -> verified" in p.stdout, p.stdout + p.stderr


def test_promote_refuted_scenario_to_permanent_example(run, tmp_path):
    from hypothesis import given, settings, strategies as st

    from reports.promoted import promote, promoted_examples, with_promoted

    path = tmp_path / "promoted.json"
    refuted = next(r for r in run["records"] if r.verdict == "refuted")
    verified = next(r for r in run["records"] if r.verdict == "verified" and r.check == "asymptotic-bounds")
    with pytest.raises(ValueError, match="not refuted"):
        promote(verified, path=path)
    added, entry = promote(refuted, path=path)
    assert added and entry["record_id"] == refuted.record_id
    assert promote(refuted, path=path)[0] is False  # idempotent
    assert promoted_examples("Thm 3.2", "asymptotic-bounds", path) == [REFUTED]
    assert promoted_examples("Thm 3.2", "explicit-bounds", path) == []
    seen = []

    @with_promoted("Thm 3.2", "asymptotic-bounds", argname="s", path=path)
    @given(s=st.fixed_dictionaries({"N": st.integers(8, 9)}))
    @settings(max_examples=2, database=None)
    def prop(s):
        seen.append(s)

    prop()
    assert REFUTED in seen
    # the package's own promoted-examples file is valid and loads
    from reports.promoted import load_promoted

    assert isinstance(load_promoted()["examples"], list)


def test_renderer_is_robust_to_odd_records_and_draws_lipschitz(tmp_path):
    """Statements other engineers add must render whatever fields they carry: a Lipschitz record, a
    sweep with several series, malformed sweeps, an unregistered statement id."""
    from reports.figures import lipschitz_figures, sweep_figures
    from reports.render import build_report, write_report
    from theorems.records import CheckRecord

    def rec(sid, check, measured, **kw):
        return CheckRecord(statement_id=sid, check=check, paper_version="v5", kind="asymptotic", scenario={"n": len(check), **kw},
                           session_seed=1, verdict="verified", measured=measured)

    recs = [
        rec("Thm 6.2", "lipschitz", {"estimate": {"mean": 3.0, "min": 2.0, "max": 4.0}, "bound": 10.0, "naive": 400.0}),
        rec("Thm 6.2", "lipschitz2", {"estimate": 5.0, "bound": 20.0, "naive": 900.0}),
        rec("Fig 2", "lambda-vs-d", {"x": [1, 2, 4, 8], "y": [[1, 2, 4, 8], [2, 4, 8, 16]], "series": ["L=2", "L=4"]}),
        rec("Fig 2", "bad-sweep", {"x": ["a", "b"], "y": [1, 2]}),
        rec("Fig 2", "short-sweep", {"x": [1, 2, 3], "y": [1, 2]}),
        rec("Lemma X", "odd", {"x": "not a list"}, extra=[1, 2]),
    ]
    assert len(lipschitz_figures([r.to_dict() for r in recs])) == 1
    assert [f.id for f in sweep_figures([r.to_dict() for r in recs])] == ["sweep-fig-2-lambda-vs-d"]
    report, figs = build_report(recs)
    write_report(report, figs, tmp_path)
    assert {f["kind"] for f in report["figures"]} == {"sweep", "lipschitz"}
    assert (tmp_path / "report.html").stat().st_size > 10_000
