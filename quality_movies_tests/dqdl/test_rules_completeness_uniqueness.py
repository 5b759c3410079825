"""IsComplete, Completeness, IsUnique, Uniqueness, UniqueValueRatio, IsPrimaryKey on a hand-made frame."""

from __future__ import annotations

import polars as pl
import pytest

from quality_movies_tests.dqdl.helpers import judge, outcome, rows

# name: Ann, Bob, null, Bob, Eve -> 4 values, Bob twice; cat: A, B, null, C, A
PEOPLE = pl.DataFrame(
    {
        "id": ["1", "2", "3", "4", "5"],
        "name": ["Ann", "Bob", None, "Bob", "Eve"],
        "cat": ["A", "B", None, "C", "A"],
    }
)


def test_is_complete_fails_null_rows_and_the_rule() -> None:
    result, letters = judge('IsComplete "name"', PEOPLE)
    assert letters == list("PPFPP")
    assert (result.outcome, result.failing_rows) == ("Failed", 1)
    assert result.evaluated_metrics == {"Column.name.Completeness": 0.8}


def test_is_complete_passes_a_column_without_nulls() -> None:
    assert outcome('IsComplete "id"', PEOPLE) == "Passed"


def test_completeness_compares_the_share_of_non_null_rows() -> None:
    assert outcome('Completeness "name" >= 0.8', PEOPLE) == "Passed"
    assert outcome('Completeness "name" > 0.8', PEOPLE) == "Failed"


def test_completeness_reports_null_rows_as_failed_rows() -> None:
    assert rows('Completeness "name" >= 0.8', PEOPLE) == "PPFPP"


def test_is_unique_fails_rows_sharing_a_value_and_passes_nulls() -> None:
    result, letters = judge('IsUnique "name"', PEOPLE)
    assert letters == list("PFPFP")
    # 2 of the 4 non-null values (Ann, Eve) occur once.
    assert (result.outcome, result.evaluated_metrics) == ("Failed", {"Column.name.Uniqueness": 0.5})


def test_uniqueness_can_pass_while_duplicate_rows_fail() -> None:
    result, letters = judge('Uniqueness "name" >= 0.5', PEOPLE)
    assert result.outcome == "Passed"
    assert letters == list("PFPFP")


def test_unique_value_ratio_divides_single_values_by_distinct_values() -> None:
    result, _ = judge('UniqueValueRatio "name" between 0.6 and 0.7', PEOPLE)
    assert result.outcome == "Passed"
    assert result.evaluated_metrics["Column.name.UniqueValueRatio"] == pytest.approx(2 / 3)


def test_is_primary_key_needs_complete_and_unique_values() -> None:
    assert outcome('IsPrimaryKey "id"', PEOPLE) == "Passed"
    result, letters = judge('IsPrimaryKey "name"', PEOPLE)
    assert letters == list("PFFFP")
    assert result.outcome == "Failed"


def test_is_primary_key_over_two_columns_checks_the_combination() -> None:
    result, letters = judge('IsPrimaryKey "name" "cat"', PEOPLE)
    assert letters == list("PPFPP")  # (Bob, B) and (Bob, C) differ; row 3 is incomplete
    assert result.outcome == "Failed"  # completeness of each column is 0.8
    assert result.evaluated_metrics["Multicolumn.name,cat.Uniqueness"] == 1.0
    assert result.evaluated_metrics["Column.cat.Completeness"] == 0.8


def test_column_names_resolve_case_insensitively() -> None:
    assert rows('IsComplete "NAME"', PEOPLE) == "PPFPP"
