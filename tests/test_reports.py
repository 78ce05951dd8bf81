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
NOT_REFUTED = {"law": {"name": "gaussian"}, "N": 16, "d": 1024, "L": 3, "r": 2}
REFUTED = {"law": {"name": "repeated"}, "N": 16, "d": 1024, "L": 2, "r": 2}
SEED = 20211
SWEEP_ALPHA = 1e-3  # the report test's sweep is judged at its own alpha (12 points cannot resolve 1e-10)


def small_run(directory: Path, seed: int = SEED) -> list:
    """Write the records of a small real run into ``directory`` (a RecordSink) and return them.

    Thm 3.2 at one in-regime scenario (verified: power reached), the same with an explicit trial count too
    small for the planned power (not refuted), repeated points outside the hypotheses (refuted: λ_min = 0);
    the exact proof steps; a λ_min-against-d sweep judged by the one judge (theorems.inference); two planted
    false variants of the lower bound — ×1000 (past the measured slack of 40–90: refuted) and ×1.5 (inside
    it: not refuted, which the report must flag as a check without power against it); a deterministic
    control (detected) and a control that asserts nothing (reported)."""
    import ntk
    from generators.seeds import trial_rngs
    from theorems import sec3
    from theorems.catalog import load_all
    from theorems.harness import Context, record_exact, record_judgement, run_check
    from theorems.inference import judge_scaling
    from theorems.records import RecordSink
    from theorems.variants import scaled

    load_all()
    recs = []
    with RecordSink(directory, worker_id="test") as sink:
        ctx = Context(session_seed=seed, alpha=1e-10, sink=sink, test_id="tests/test_reports.py::small_run")
        recs.append(run_check(ctx, "Thm 3.2", "asymptotic-bounds", VERIFIED))
        # an explicit experiment with too few trials for the planned power: "not refuted", never "verified"
        recs.append(run_check(ctx, "Thm 3.2", "asymptotic-bounds", NOT_REFUTED, trials=30))
        # repeated rows violate i.i.d. continuity: λ_min = 0 < the lower bound in every trial
        recs.append(run_check(ctx, "Thm 3.2", "asymptotic-bounds", REFUTED, trials=20))
        # planted false variants, judged by the same code path (records labelled planted)
        recs.append(run_check(ctx, "Thm 3.2", "asymptotic-bounds", VERIFIED, trials=20,
                              variant=scaled("Thm 3.2", "lower", 1000.0)))
        recs.append(run_check(ctx, "Thm 3.2", "asymptotic-bounds", VERIFIED, trials=20,
                              variant=scaled("Thm 3.2", "lower", 1.5)))
        X = np.random.default_rng(3).standard_normal((8, 32))
        for key, step in sec3.proof_steps(X, 3, 2).items():
            recs.append(record_exact(ctx, "Thm 3.2", f"step-{key}", {"N": 8, "d": 32, "L": 3, "r": 2, "data_seed": 3},
                                     holds=step.holds, slack=step.slack, measured={"lhs": step.lhs, "rhs": step.rhs}, reason=step.name))
        ds = [256, 512, 1024, 2048]
        lam = []
        for d in ds:
            s = {"law": {"name": "gaussian"}, "N": 8, "d": d, "L": 2, "r": 2}
            lam.append([sec3.lambda_over_d(s, g) * d for g in trial_rngs(seed, "Thm 3.2", "report-sweep", s, 3)])
        sweep_ctx = Context(session_seed=seed, alpha=SWEEP_ALPHA, sink=sink, test_id=ctx.test_id)
        jd = judge_scaling(ds, lam, exponent=1.0, window=0.1, alpha=SWEEP_ALPHA)
        recs.append(record_judgement(sweep_ctx, "Thm 3.2", "scaling-d (report test)", {"N": 8, "L": 2, "d": ds}, jd,
                                     trials=12, measured={"x": ds, "y": np.mean(lam, axis=1).tolist(), "y_trials": lam,
                                                          "xlabel": "d", "ylabel": "λ_min(K^(L))", "expected_exponent": 1.0}))
        X = np.repeat(np.random.default_rng(4).standard_normal((4, 16)), 2, axis=0)
        e = ntk.lambda_min(ntk.limiting_ntk(X, 2).ntk)
        det = abs(e.value) <= 4 * e.floor  # deterministic: repeated rows make K^(L) singular for any X
        recs.append(record_exact(ctx, "Thm 3.2", "control: repeated points (report test)", {"N": 8, "d": 16, "L": 2},
                                 holds=det, verdict="detected" if det else "not detected",
                                 measured={"lambda_min": e.value, "floor": e.floor, "hypothesis_violated": "i.i.d. continuous data"}))
        recs.append(record_exact(ctx, "Thm 3.2", "control: heavy tails (report test, reported)", {"N": 8, "d": 16, "L": 2},
                                 holds=True, verdict="reported", reason="observation only: the paper claims nothing here",
                                 measured={"lambda_min": e.value, "hypothesis_violated": "A2.2 (sub-Gaussian tails)"}))
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
    # every verdict on random draws states its power with a numeric detectable
    random_draws = [r for r in data["records"] if isinstance(r.get("alpha"), float)]
    assert len(random_draws) == 6 and all(isinstance(r["power"]["detectable"], float) for r in random_draws)
    # and the schema is not vacuous: a record without a verdict, or an unknown verdict, is rejected
    v = jsonschema.Draft202012Validator(schema)
    bad = json.loads(json.dumps(data))
    bad["records"][0]["verdict"] = "probably"
    assert list(v.iter_errors(bad))
    del bad["records"][0]["verdict"]
    assert list(v.iter_errors(bad))
    # a verdict on random draws without power, or with a non-numeric detectable, is rejected
    i = next(k for k, r in enumerate(data["records"]) if isinstance(r.get("alpha"), float))
    for mutate in (lambda r: r.pop("power"), lambda r: r["power"].pop("detectable"),
                   lambda r: r["power"].update(detectable="nan"), lambda r: r["power"].pop("alternative")):
        bad = json.loads(json.dumps(data))
        mutate(bad["records"][i])
        assert list(v.iter_errors(bad)), "schema accepted a record on random draws without a numeric power"
    # "verified" where the power was not reached is rejected; the same record as "not refuted" is fine
    j = next(k for k, r in enumerate(data["records"]) if r["verdict"] == "not refuted" and r["power"]["reached"] is False)
    bad = json.loads(json.dumps(data))
    bad["records"][j]["verdict"] = "verified"
    errors = list(v.iter_errors(bad))
    assert errors and all(list(e.path)[:2] == ["records", j] for e in errors)
    # the new vocabulary is accepted (and only it): controls and planted variants
    assert {r["verdict"] for r in data["records"]} == {"verified", "not refuted", "inconclusive", "refuted", "detected", "reported"}


def test_report_content(run):
    rep = run["report"]
    t = rep["totals"]
    # claims (controls and planted variants apart): 1 binomial verified + 4 exact proof steps, the short run
    # "not refuted", the sweep inconclusive (12 points), repeated points refuted
    assert (t["verified"], t["not refuted"], t["inconclusive"], t["refuted"], t["claims"]) == (5, 1, 1, 1, 8)
    assert (t["controls"], t["controls_detected"], t["controls_not_detected"], t["controls_reported"]) == (2, 1, 0, 1)
    assert (t["planted"], t["planted_refuted"]) == (2, 1)
    assert t["overall"] == "refuted" and t["records"] == len(run["records"]) == 12
    assert t["headline"] == "v5: verified 5, not refuted 1, inconclusive 1, refuted 1"
    assert t["assertions_on_random_draws"] == 6 and t["flagged"] == 0
    # refuted / inconclusive records and the planted variant that survived carry the one replay command;
    # verified, not refuted, the refuted planted variant and the controls are not listed
    att = {a["record_id"]: a for a in rep["attention"]}
    by_v = {r.verdict: r for r in run["records"] if r.check == "asymptotic-bounds"}
    survived = next(r for r in run["records"] if r.planted and r.verdict != "refuted")
    sweep = next(r for r in run["records"] if r.check.startswith("scaling-d"))
    assert set(att) == {by_v["refuted"].record_id, sweep.record_id, survived.record_id}
    for rid, a in att.items():
        assert a["replay_command"] == f"python -m pytest --ntk-replay {rid}"
    # the planted section: one refuted (power shown), one warning
    pl = {p["label"]: p for p in rep["planted"]}
    assert set(pl) == {"lower bound ×1000", "lower bound ×1.5"}
    assert pl["lower bound ×1000"]["verdict"] == "refuted" and pl["lower bound ×1000"]["warning"] is None
    assert "lacks power" in pl["lower bound ×1.5"]["warning"] and pl["lower bound ×1.5"]["power"]["detectable"] > 0
    (st,) = rep["statements"]
    assert st["planted"] == {"records": 2, "refuted": 1} and st["counts"]["verified"] == 5
    assert all("[planted" not in c["check"] for c in st["checks"])
    # the per-statement table: power over the claims, tightest implied constant and slack per side
    assert st["power"]["records"] == 4 and st["power"]["by_kind"]["failure rate"]["records"] == 3
    assert st["power"]["by_kind"]["slope"]["records"] == 1
    sides = {x["side"]: x for x in st["sides"]}
    assert sides["lower"]["named_constant"]["name"] == "THM32_LOWER" and sides["upper"]["named_constant"]["name"] == "THM32_UPPER"
    from theorems.constants import get as constant

    assert sides["upper"]["named_constant"]["provenance"] == constant("THM32_UPPER").provenance
    ver = next(r for r in run["records"] if r.verdict == "verified" and r.check == "asymptotic-bounds")
    assert sides["upper"]["tightest_implied"] >= ver.measured["implied_upper"]["max"]
    assert sides["upper"]["slack"] == pytest.approx(1.25 / sides["upper"]["tightest_implied"]) and sides["upper"]["holds"]
    # the refuted scenario (repeated points, λ_min = 0) is the tightest on the lower side: slack 0, violated
    assert sides["lower"]["record_id"] == by_v["refuted"].record_id and sides["lower"]["holds"] is False
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
    assert "## Per-statement summary" in md and "| Thm 3.2 | ❌ refuted | failure rate " in md
    assert "planted false variants: refuted 1/2" in md and "**WARNING: not refuted**" in md
    assert "🔷 not refuted" in md and "📝 reported" in md and "controls detected 1/1" in md
    assert "Overall" not in md and "v5: verified 5, not refuted 1, inconclusive 1, refuted 1" in md


def test_render_cli_rerenders_from_stored_records(run, tmp_path):
    """``python -m reports render`` rebuilds the same report from records.json and from report.json."""
    out = tmp_path / "again"
    p = subprocess.run([sys.executable, "-m", "reports", "render", str(run["dir"] / "results" / "records.json"), "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "v5: verified 5, not refuted 1, inconclusive 1, refuted 1" in p.stdout and str(out / "report.html") in p.stdout
    assert "overall" not in p.stdout.lower() and "planted false variants: refuted 1/2" in p.stdout
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
    weaker = next(r for r in new if r.verdict == "verified" and r.check.startswith("step-"))
    weaker.verdict = "not refuted"
    extra = CheckRecord.from_dict({**old[0].to_dict(), "scenario": {**old[0].scenario, "d": 2048}, "record_id": ""})
    new.append(extra)
    c = compare_records(old, new)
    # listed by severity of the new verdict: "not refuted" before "verified"
    assert [(x["old"], x["new"]) for x in c["changed"]] == [("verified", "not refuted"), ("inconclusive", "verified")]
    assert [x["record_id"] for x in c["removed"]] == [old[0].record_id]
    assert [x["scenario"]["d"] for x in c["new"]] == [2048]
    assert "2 changed verdict, 1 new, 1 removed" in compare_text(c)
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


def _synthetic(sid, check, verdict, *, version="v5", kind="exact", **kw):
    from theorems.records import CheckRecord

    return CheckRecord(statement_id=sid, check=check, paper_version=version, kind=kind, scenario={"case": check, **kw.pop("scenario", {})},
                       session_seed=1, verdict=verdict, **kw)


def test_verified_without_reached_power_is_shown_not_refuted_and_flagged(run):
    """A record saying "verified" whose power.reached is false (or that states no power for a verdict on
    random draws) must never be shown as verified: the report shows "not refuted" and flags it."""
    import jsonschema

    from reports.render import build_report
    from reports.render_html import render_html
    from reports.render_md import render_markdown

    short = {"alternative": "true failure rate ≥ 0.4", "detectable": 0.4, "target": 0.1, "reached": False, "factor": 10.0, "trials": 30}
    ok = {**short, "detectable": 0.09, "reached": True, "trials": 300}
    recs = [_synthetic("Thm 3.2", "asymptotic-bounds", "verified", kind="asymptotic", alpha=1e-10, stated_probability=0.99,
                       trials=30, successes=30, power=short),
            _synthetic("Thm 3.2", "asymptotic-bounds", "verified", kind="asymptotic", alpha=1e-10, stated_probability=0.99,
                       trials=300, successes=300, power=ok, scenario={"n": 2})]
    rep, _ = build_report(recs, environment=run["report"]["environment"], figures=[])
    shown = {r["power"]["trials"]: r for r in rep["records"]}
    assert shown[30]["verdict"] == "not refuted" and shown[30]["verdict_recorded"] == "verified" and shown[30]["flags"]
    assert shown[300]["verdict"] == "verified" and not shown[300]["flags"]
    assert (rep["totals"]["verified"], rep["totals"]["not refuted"], rep["totals"]["flagged"]) == (1, 1, 1)
    assert [f["record_id"] for f in rep["flagged"]] == [shown[30]["record_id"]]
    jsonschema.Draft202012Validator(_schema()).validate(json.loads(json.dumps(rep)))
    assert "## Consistency" in render_markdown(rep) and 'id="consistency"' in render_html(rep, {})
    # a verdict on random draws that states no power at all: also not verified, flagged, and the schema rejects it
    legacy = _synthetic("Thm 3.2", "asymptotic-bounds", "verified", kind="asymptotic", alpha=1e-10, stated_probability=0.99,
                        trials=300, successes=300, tolerance=0.1)
    rep, _ = build_report([legacy], environment=run["report"]["environment"], figures=[])
    (r,) = rep["records"]
    assert r["verdict"] == "not refuted" and len(r["flags"]) == 2
    assert list(jsonschema.Draft202012Validator(_schema()).iter_errors(json.loads(json.dumps(rep))))


def test_headline_is_per_version_and_names_the_reconstruction(run):
    """No bare "overall: REFUTED": the headline counts per paper version, and a refutation of the suite's
    reconstruction of the ICML print says so wherever it appears. Controls are counted apart (only
    "detected" counts as detected; a legacy control with a claim verdict is not counted)."""
    import jsonschema

    from reports.render import build_report, summary_text
    from reports.render_html import render_html
    from reports.render_md import render_markdown

    hv = {"hypothesis_violated": "i.i.d. data"}
    recs = [_synthetic("Lemma 5.4", "icml-form", "refuted", version="icml", trials=1),
            _synthetic("Lemma 5.4", "v5-form", "verified", trials=1),
            _synthetic("Thm 3.2", "step-a", "verified", trials=1),
            _synthetic("Thm 3.2", "control: a", "detected", measured=hv),
            _synthetic("Thm 3.2", "control: b", "not detected", measured=hv),
            _synthetic("Thm 3.2", "control: c (reported)", "reported", measured=hv),
            _synthetic("Thm 3.2", "control: legacy", "verified", measured=hv)]
    rep, _ = build_report(recs, environment=run["report"]["environment"], figures=[])
    jsonschema.Draft202012Validator(_schema()).validate(json.loads(json.dumps(rep)))
    t = rep["totals"]
    assert t["headline"] == ("v5: verified 2, not refuted 0, inconclusive 0, refuted 0; icml (reconstructed where marked): "
                             "verified 0, not refuted 0, inconclusive 0, refuted 1 (1 on the suite's reconstruction)")
    assert (t["controls_detected"], t["controls_not_detected"], t["controls_reported"], t["controls_other"]) == (1, 1, 1, 1)
    lem = next(s for s in rep["statements"] if s["id"] == "Lemma 5.4")
    assert lem["verdict"] == "refuted" and lem["refuted_versions"] == ["icml"] and lem["reconstructed_refuted"] == 1
    txt, md, html = summary_text(rep), render_markdown(rep), render_html(rep, {})
    for out in (txt, md, html):
        assert "overall" not in out.lower().replace("overall verdict", "")
        assert "icml (reconstructed where marked): verified 0, not refuted 0, inconclusive 0, refuted 1" in out
        assert "v5: verified 2, not refuted 0, inconclusive 0, refuted 0" in out
    assert "refuted (icml, reconstructed)" in txt and "❌ refuted (icml, reconstructed)" in md
    assert "refuted (icml, reconstructed)" in html and "REFUTED (reconstructed)" in txt
    assert "controls detected 1/2 (NOT detected 1; reported apart (assert nothing) 1; with a claim verdict (not counted) 1)" in txt
    assert "❗ not detected" in md and "verified (not counted)" in md
    att = {a["check"]: a for a in rep["attention"]}
    assert set(att) == {"icml-form", "control: b"} and att["icml-form"]["reconstructed"]


def test_conjectures_are_counted_apart_from_the_paper(run):
    """A user's conjecture (``python -m reports check``) is never counted as a claim of the paper, also when the
    report is re-rendered without its conjecture file loaded (recognised by the replay command it carries)."""
    from reports.render import build_report, summary_text

    recs = [_synthetic("Thm 3.2", "step-a", "verified", trials=1),
            _synthetic("my conjecture", "bounds", "refuted", trials=1, replay="python -m reports check mine.py --seed 1")]
    rep, _ = build_report(recs, environment=run["report"]["environment"], figures=[])
    assert rep["totals"]["headline"] == ("v5: verified 1, not refuted 0, inconclusive 0, refuted 0; conjectures (the user's, "
                                         "not the paper's): verified 0, not refuted 0, inconclusive 0, refuted 1")
    assert "v5: verified 1, not refuted 0, inconclusive 0, refuted 0" in summary_text(rep)
