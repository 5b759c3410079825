"""Dataset-level rules: RowCount, ColumnCount, ColumnExists, ColumnNamesMatchPattern, statistics, CustomSql."""

from __future__ import annotations

import math

import polars as pl
import pytest

from quality_movies_tests.dqdl.helpers import judge, outcome, rows

# score: 10, 20, 30, null, "x" (not a number); cat: A, B, null, C, A
SCORES = pl.DataFrame(
    {
        "id": ["1", "2", "3", "4", "5"],
        "score": ["10", "20", "30", None, "x"],
        "cat": ["A", "B", None, "C", "A"],
    }
)


def test_row_count_between_excludes_its_bounds() -> None:
    assert outcome("RowCount between 4 and 6", SCORES) == "Passed"
    assert outcome("RowCount between 1 and 5", SCORES) == "Failed"
    assert outcome("RowCount = 5", SCORES) == "Passed"


def test_dataset_level_rules_are_skipped_on_every_row() -> None:
    result, letters = judge("RowCount > 0", SCORES)
    assert letters == list("SSSSS")
    assert result.failing_rows is None
    assert result.evaluated_metrics == {"Dataset.*.RowCount": 5.0}


def test_failed_dataset_rule_says_which_value_missed() -> None:
    result, _ = judge("RowCount > 10", SCORES)
    assert result.failure_reason == "Value: 5 does not meet the constraint requirement!"


def test_column_count_counts_the_frames_columns() -> None:
    assert outcome("ColumnCount = 3", SCORES) == "Passed"
    assert outcome("ColumnCount > 3", SCORES) == "Failed"


def test_column_exists_matches_names_case_insensitively() -> None:
    assert outcome('ColumnExists "SCORE"', SCORES) == "Passed"
    result, _ = judge('ColumnExists "rating"', SCORES)
    assert result.outcome == "Failed"
    assert "rating" in result.failure_reason


def test_column_names_match_pattern_lists_the_misfits() -> None:
    assert outcome('ColumnNamesMatchPattern "[a-z]+"', SCORES) == "Passed"
    result, _ = judge('ColumnNamesMatchPattern "s.*"', SCORES)
    assert result.outcome == "Failed"
    assert "id, cat" in result.failure_reason


def test_mean_and_sum_ignore_nulls_and_text_that_is_not_a_number() -> None:
    mean, _ = judge('Mean "score" between 19.9 and 20.1', SCORES)
    assert (mean.outcome, mean.evaluated_metrics) == ("Passed", {"Column.score.Mean": 20.0})
    assert outcome('Sum "score" = 60', SCORES) == "Passed"


def test_standard_deviation_is_the_population_deviation() -> None:
    result, _ = judge('StandardDeviation "score" between 8.16 and 8.17', SCORES)
    assert result.outcome == "Passed"
    assert result.evaluated_metrics["Column.score.StandardDeviation"] == pytest.approx(math.sqrt(200 / 3))


def test_entropy_uses_natural_logarithms() -> None:
    result, _ = judge('Entropy "cat" > 1', SCORES)
    expected = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25))  # A twice, B and C once
    assert result.outcome == "Passed"
    assert result.evaluated_metrics["Column.cat.Entropy"] == pytest.approx(expected)


def test_distinct_values_count_ignores_nulls() -> None:
    assert outcome('DistinctValuesCount "cat" = 3', SCORES) == "Passed"


def test_column_correlation_uses_rows_where_both_are_numbers() -> None:
    result, _ = judge('ColumnCorrelation "id" "score" > 0.99', SCORES)
    assert result.outcome == "Passed"
    assert result.evaluated_metrics["Multicolumn.id,score.ColumnCorrelation"] == pytest.approx(1.0)


def test_custom_sql_compares_the_single_value_of_primary() -> None:
    result, letters = judge('CustomSql "select count(*) from primary where CAT is not null" = 4', SCORES)
    assert (result.outcome, result.evaluated_metrics) == ("Passed", {"Dataset.*.CustomSQL": 4.0})
    assert letters == list("SSSSS")


def test_custom_sql_without_condition_passes_the_rows_it_returns() -> None:
    result, letters = judge("CustomSql \"select id from primary where cat = 'A'\"", SCORES)
    assert letters == list("PFFFP")
    assert result.outcome == "Failed"


def test_custom_sql_threshold_applies_to_the_share_of_returned_rows() -> None:
    assert outcome("CustomSql \"select id from primary where cat = 'A'\" with threshold >= 0.4", SCORES) == "Passed"


def test_custom_sql_returning_several_values_is_an_error() -> None:
    result, _ = judge('CustomSql "select id from primary" > 0', SCORES)
    assert result.outcome == "Error"
    assert "single value" in result.failure_reason


def test_statistics_honour_where_clauses() -> None:
    assert outcome("RowCount = 2 where \"cat = 'A'\"", SCORES) == "Passed"
    assert rows("RowCount = 2 where \"cat = 'A'\"", SCORES) == "SSSSS"
