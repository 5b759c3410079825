"""The shape of outcomes: Glue's columns, laziness, scores, and row conservation."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from quality_movies import dqdl
from quality_movies_tests.dqdl.helpers import NOW

RULESET = """Rules = [
    RowCount > 0,
    IsComplete "a",
    ColumnValues "b" between 0 and 50,
    ColumnValues "a" in ["x","y"] with threshold >= 0.5,
    Uniqueness "b" > 0.5,
    (IsComplete "a") or (ColumnLength "a" = 1)
]"""


def test_outcome_columns_are_appended_with_glues_names_and_types() -> None:
    frame = pl.DataFrame({"a": ["x", None], "b": [1, 2]})
    rows = dqdl.evaluate(RULESET, frame, now=NOW).rows
    assert rows.columns == ["a", "b", *dqdl.OUTCOME_COLUMNS]
    assert rows.schema[dqdl.PASS_COLUMN] == pl.List(pl.String)
    assert rows[dqdl.RESULT_COLUMN].to_list() == ["Passed", "Failed"]
    # The reference counts a null as length 0, so the composite fails the null row too.
    assert rows[dqdl.FAIL_COLUMN].to_list()[1] == ['IsComplete "a"', '(IsComplete "a") OR (ColumnLength "a" = 1)']


def test_annotate_is_lazy_and_matches_evaluate() -> None:
    frame = pl.DataFrame({"a": ["x", None, "z"], "b": [1, 2, 2]})
    annotated = dqdl.annotate(RULESET, frame.lazy(), now=NOW)
    assert isinstance(annotated, pl.LazyFrame)
    assert annotated.collect().equals(dqdl.evaluate(RULESET, frame, now=NOW).rows)


def test_rule_outcomes_come_in_ruleset_order_with_rendered_text() -> None:
    frame = pl.DataFrame({"a": ["x"], "b": [1]})
    outcomes = dqdl.evaluate(RULESET, frame, now=NOW).rules
    assert [o.rule for o in outcomes] == [dqdl.render(r) for r in dqdl.parse(RULESET).rules]


def test_score_is_formatted_like_glue() -> None:
    assert dqdl.format_score(41, 43) == "41/43 rules passed (95%)"
    assert dqdl.format_score(0, 0) == "0/0 rules passed (no rule evaluated)"


def test_evaluating_an_empty_frame_gives_no_rows_and_verdicts_for_every_rule() -> None:
    frame = pl.DataFrame({"a": [], "b": []}, schema={"a": pl.String, "b": pl.Int64})
    evaluation = dqdl.evaluate(RULESET, frame, now=NOW)
    assert evaluation.rows.height == 0
    assert len(evaluation.rules) == 6


values = st.one_of(st.none(), st.sampled_from(["x", "y", "zz", ""]))
numbers = st.one_of(st.none(), st.integers(-10, 60))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(values, numbers), min_size=0, max_size=30))
def test_every_row_is_kept_and_every_rule_lands_in_exactly_one_list(data: list[tuple]) -> None:
    frame = pl.DataFrame(data, schema={"a": pl.String, "b": pl.Int64}, orient="row")
    evaluation = dqdl.evaluate(RULESET, frame, now=NOW)
    rows = evaluation.rows
    assert rows.select("a", "b").equals(frame)
    texts = [o.rule for o in evaluation.rules]
    for row in rows.iter_rows(named=True):
        listed = row[dqdl.PASS_COLUMN] + row[dqdl.FAIL_COLUMN] + row[dqdl.SKIP_COLUMN]
        assert sorted(listed) == sorted(texts)
        assert row[dqdl.RESULT_COLUMN] == ("Failed" if row[dqdl.FAIL_COLUMN] else "Passed")
    failing = {o.rule: o.failing_rows for o in evaluation.rules if o.failing_rows is not None}
    for rule, count in failing.items():
        assert sum(rule in fails for fails in rows[dqdl.FAIL_COLUMN].to_list()) == count
