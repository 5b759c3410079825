"""Carried columns (``carry=``) travel with the rows, unchanged and in place, but no rule sees them."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies_tests.dqdl.helpers import NOW, judge, outcome, rows

# age as crawled (bigint, "x" did not fit), the raw landed text of age, and the stage's line numbers.
FRAME = pl.DataFrame(
    {
        "age": [30, 15, None],
        "name": ["Ann", "Bob", None],
        "raw_age": ["30", "15", "x"],
        "__line": [2, 3, 4],
    }
)
CARRY = ("raw_age", "__line")


def test_column_count_does_not_count_carried_columns() -> None:
    assert outcome("ColumnCount = 4", FRAME) == "Passed"
    result, _ = judge("ColumnCount = 2", FRAME, carry=CARRY)
    assert (result.outcome, result.evaluated_metrics) == ("Passed", {"Dataset.*.ColumnCount": 2.0})


def test_column_exists_does_not_find_a_carried_column() -> None:
    assert outcome('ColumnExists "raw_age"', FRAME) == "Passed"
    result, _ = judge('ColumnExists "RAW_AGE"', FRAME, carry=CARRY)
    assert result.outcome == "Failed"
    assert result.failure_reason == 'Column "RAW_AGE" does not exist in the data'


def test_column_names_match_pattern_ignores_carried_columns() -> None:
    result, _ = judge('ColumnNamesMatchPattern "[a-z]+"', FRAME)
    assert result.failure_reason == "Columns that do not match the pattern: raw_age, __line"
    assert outcome('ColumnNamesMatchPattern "[a-z]+"', FRAME, carry=CARRY) == "Passed"


def test_rules_and_where_clauses_naming_a_carried_column_are_errors() -> None:
    for rule in (
        'IsComplete "raw_age"',
        'ColumnValues "raw_age" in ["x"]',
        'IsComplete "name" where "raw_age = \'x\'"',
        'RowCount > 0 where "__line > 2"',
    ):
        result, letters = judge(rule, FRAME, carry=CARRY)
        assert result.outcome == "Error", rule
        assert letters == list("SSS"), rule


def test_custom_sql_primary_has_no_carried_columns() -> None:
    count, _ = judge('CustomSql "select count(*) from primary" = 3', FRAME, carry=CARRY)
    assert (count.outcome, count.evaluated_metrics) == ("Passed", {"Dataset.*.CustomSQL": 3.0})
    for rule in (
        'CustomSql "select count(*) from primary where raw_age is not null" > 0',
        'CustomSql "select count(raw_age) from primary" > 0',
        'CustomSql "select raw_age from primary"',
    ):
        result, _ = judge(rule, FRAME, carry=CARRY)
        assert (result.outcome, result.evaluated_metrics) == ("Error", {}), rule
        assert "raw_age" in result.failure_reason


def test_row_level_custom_sql_selecting_every_column_joins_back_onto_the_carried_rows() -> None:
    assert rows('CustomSql "select * from primary where age > 14"', FRAME, carry=CARRY) == "PPF"


RULESET = """Rules = [
    IsComplete "age",
    ColumnValues "age" between 10 and 20,
    CustomSql "select name from primary where age > 14",
    RowCount = 3
]"""


def test_carried_columns_survive_unchanged_and_in_place() -> None:
    evaluation = dqdl.evaluate(RULESET, FRAME, now=NOW, carry=CARRY)
    assert evaluation.rows.columns == [*FRAME.columns, *dqdl.OUTCOME_COLUMNS]
    assert evaluation.rows.select(FRAME.columns).equals(FRAME)
    assert evaluation.rows[dqdl.RESULT_COLUMN].to_list() == ["Failed", "Passed", "Failed"]


def test_carried_columns_survive_a_streaming_sink_of_the_annotated_rows(tmp_path: Path) -> None:
    target = tmp_path / "rows.parquet"
    dqdl.annotate(RULESET, FRAME.lazy(), now=NOW, carry=CARRY).sink_parquet(target, engine="streaming")
    streamed = pl.read_parquet(target)
    assert streamed.equals(dqdl.evaluate(RULESET, FRAME, now=NOW, carry=CARRY).rows)
    assert streamed.select(FRAME.columns).equals(FRAME)


def test_carrying_a_column_the_frame_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="raw_title"):
        dqdl.prepare(RULESET, FRAME, carry=["raw_title"])
