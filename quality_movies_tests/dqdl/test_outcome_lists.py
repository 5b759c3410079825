"""Outcome lists built by pattern lookup equal those assembled row by row, in order, streamed or not."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quality_movies import dqdl
from quality_movies.dqdl import outcome_lists
from quality_movies_tests.dqdl.helpers import NOW

RULESET = """Rules = [
    RowCount > 0,
    IsComplete "a",
    ColumnValues "b" between 0 and 50,
    ColumnValues "a" in ["x","y"] with threshold >= 0.5,
    Uniqueness "b" > 0.5,
    (IsComplete "a") or (ColumnLength "a" = 1),
    ColumnValues "a" matches "[xyz]" where "b > 10"
]"""


def _row_by_row(frame: pl.DataFrame) -> pl.DataFrame:
    """The outcome columns as rulesets too large for the lookup get them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(outcome_lists, "MAX_LOOKUP_RULES", 0)
        return dqdl.evaluate(RULESET, frame, now=NOW).rows


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["x", "y", "z", "xx", None]), st.one_of(st.none(), st.integers(-5, 60))),
        min_size=1,
        max_size=30,
    )
)
def test_lookup_and_row_by_row_give_the_same_outcome_columns(rows: list[tuple[str | None, int | None]]) -> None:
    frame = pl.DataFrame(rows, schema={"a": pl.String, "b": pl.Int64}, orient="row")
    assert dqdl.evaluate(RULESET, frame, now=NOW).rows.equals(_row_by_row(frame))


def test_streamed_lookup_keeps_the_row_order_of_a_large_frame() -> None:
    size = 200_000  # several morsels of the streaming engine
    frame = pl.DataFrame(
        {
            "a": pl.Series(["x", "y", None, "zz"] * (size // 4)),
            "b": pl.int_range(0, size, eager=True) % 97,
        }
    )
    streamed = dqdl.annotate(RULESET, frame.lazy(), now=NOW).collect(engine="streaming")
    assert streamed.equals(_row_by_row(frame))


def test_a_ruleset_without_row_level_rules_skips_every_rule_on_every_row() -> None:
    rows = dqdl.evaluate("Rules = [ RowCount > 0, ColumnCount = 2 ]", pl.DataFrame({"a": [1, 2], "b": [3, 4]})).rows
    assert rows[dqdl.SKIP_COLUMN].to_list() == [["RowCount > 0", "ColumnCount = 2"]] * 2
    assert rows[dqdl.RESULT_COLUMN].to_list() == ["Passed", "Passed"]


def test_prepared_measures_collected_apart_from_the_rows_give_evaluates_outcomes(tmp_path: Path) -> None:
    frame = pl.DataFrame({"a": ["x", None, "z"], "b": [1, 2, 70]})
    prepared = dqdl.prepare(RULESET, frame.lazy(), now=NOW)
    prepared.rows.sink_ndjson(tmp_path / "rows.jsonl")
    outcomes = prepared.outcomes(pl.collect_all(prepared.measures))
    assert outcomes == dqdl.evaluate(RULESET, frame, now=NOW).rules
    assert pl.read_ndjson(tmp_path / "rows.jsonl").height == 3
