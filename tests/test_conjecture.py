"""A user's conjecture is checked like a paper statement (theorems/conjecture.py; issue 8 item 8).

The two worked examples of the README: Thm 3.2's upper bound without its factor L is refuted (the
binomial check at its stated probability and the path judge along L both see it), and with the factor L
it is verified; the records replay exactly from the seed; bad declarations name the offending field."""

from __future__ import annotations

from pathlib import Path

import pytest

from theorems.conjecture import check_file, conjecture
from theorems.harness import Context

ROOT = Path(__file__).resolve().parents[1]


def _ctx(seed, alpha):
    return Context(session_seed=seed, alpha=alpha)


def test_no_depth_factor_is_refuted(ntk_context):
    recs = check_file(_ctx(ntk_context.session_seed, ntk_context.alpha), ROOT / "examples" / "conjecture_no_depth_factor.py")
    by = {r.check: r for r in recs}
    assert by["upper implied constant along L"].verdict == "refuted", by["upper implied constant along L"].reason
    assert any(r.check == "bounds" and r.verdict == "refuted" for r in recs)
    assert all(r.power for r in recs)


def test_depth_linear_is_verified(ntk_context):
    recs = check_file(_ctx(ntk_context.session_seed, ntk_context.alpha), ROOT / "examples" / "conjecture_depth_linear.py")
    assert not [r for r in recs if r.verdict == "refuted"], [(r.check, r.reason) for r in recs if r.verdict == "refuted"]
    assert {r.verdict for r in recs if r.check == "bounds"} == {"verified"}
    assert all(r.power.get("reached") for r in recs if r.check == "bounds")


def test_records_replay_from_the_seed():
    """Same file, seed and scenario: the same record (id, verdict, counts) — the bounds check of one scenario
    run twice through the registered conjecture check."""
    from theorems.conjecture import BOUNDS, load_file
    from theorems.harness import run_check

    c = load_file(ROOT / "examples" / "conjecture_depth_linear.py")[0]
    s = c.paths["L"][0]
    a, b = (run_check(_ctx(3, 1e-10), c.statement.id, BOUNDS, s) for _ in range(2))
    assert (a.record_id, a.verdict, a.successes, a.trials) == (b.record_id, b.verdict, b.successes, b.trials)


@pytest.mark.parametrize("bad,match", [
    (dict(upper=None), "lower or an upper bound"),
    (dict(paths={}), "at least one regime path"),
    (dict(paths={"d": [{"d": 4}, {"d": 4}, {"d": 4}]}), "must vary"),
    (dict(paths={"d": [{"d": 4}, {"d": 8}]}), "at least 3 scenarios"),
])
def test_bad_declarations_name_the_field(bad, match):
    kw = dict(id="conjecture: test-bad", claim="c", measure=lambda s, g: 1.0, upper=lambda s: 1.0,
              paths={"d": [{"d": 4}, {"d": 8}, {"d": 16}]})
    kw.update(bad)
    with pytest.raises(ValueError, match=match):
        conjecture(**kw)


def test_a_file_without_conjectures_is_an_error(tmp_path):
    f = tmp_path / "empty.py"
    f.write_text("x = 1\n")
    with pytest.raises(ValueError, match="declares no conjecture"):
        check_file(_ctx(1, 1e-10), f)
