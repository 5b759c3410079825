"""ColumnValues, ColumnLength, ColumnDataType and DataFreshness, row by row, worked out by hand."""

from __future__ import annotations

import polars as pl

from quality_movies_tests.dqdl.helpers import judge, outcome, rows

# score: 10, 20, 30, null, "x" (not a number); cat: A, B, null, C, A; name lengths 3, 3, -, 3, 3
FRAME = pl.DataFrame(
    {
        "score": ["10", "20", "30", None, "x"],
        "cat": ["A", "B", None, "C", "A"],
        "name": ["Ann", "Bob", None, "Bob", "Eve"],
    }
)
BLANKS = pl.DataFrame({"t": ["", "  ", "a", None]})
DATES = pl.DataFrame({"d": ["2024-01-01", "2024-03-01", None, "not a date"]})


def test_between_excludes_bounds_skips_nulls_and_fails_unreadable_values() -> None:
    result, letters = judge('ColumnValues "score" between 5 and 30', FRAME)
    assert letters == list("PPFSF")
    assert result.outcome == "Failed"
    assert result.evaluated_metrics == {"Column.score.Minimum": 10.0, "Column.score.Maximum": 30.0}


def test_not_between_passes_values_outside_and_nulls() -> None:
    assert rows('ColumnValues "score" not between 15 and 25', FRAME) == "PFPPF"


def test_comparisons_skip_null_rows() -> None:
    assert rows('ColumnValues "score" > 15', FRAME) == "FPPSF"
    assert rows('ColumnValues "score" >= 20', FRAME) == "FPPSF"
    assert rows('ColumnValues "score" < 20', FRAME) == "PFFSF"
    assert rows('ColumnValues "score" <= 20', FRAME) == "PPFSF"
    assert rows('ColumnValues "score" = 20', FRAME) == "FPFSF"


def test_threshold_compares_the_share_of_passing_evaluated_rows() -> None:
    # 2 of the 4 evaluated rows pass (the null row is skipped).
    result, _ = judge('ColumnValues "score" > 15 with threshold >= 0.5', FRAME)
    assert result.outcome == "Passed"
    assert outcome('ColumnValues "score" > 15 with threshold > 0.5', FRAME) == "Failed"


def test_in_passes_null_rows_as_glue_did_for_certificate() -> None:
    result, letters = judge('ColumnValues "cat" in ["A","B"]', FRAME)
    assert letters == list("PPPFP")
    assert result.outcome == "Failed"
    assert result.evaluated_metrics == {"Column.cat.ColumnValues.Compliance": 0.8}
    assert outcome('ColumnValues "cat" in ["A","B"] with threshold >= 0.8', FRAME) == "Passed"


def test_not_in_and_not_equal_pass_nulls() -> None:
    assert rows('ColumnValues "cat" not in ["A"]', FRAME) == "FPPPF"
    assert rows('ColumnValues "cat" != "A"', FRAME) == "FPPPF"


def test_equality_to_text_skips_nulls() -> None:
    assert rows('ColumnValues "cat" = "A"', FRAME) == "PFSFP"


def test_null_keyword_makes_nulls_explicit() -> None:
    assert rows('ColumnValues "cat" = NULL', FRAME) == "FFPFF"
    assert rows('ColumnValues "cat" != NULL', FRAME) == "PPFPP"
    assert rows('ColumnValues "cat" not in ["A", NULL]', FRAME) == "FPFPF"


def test_numeric_in_list_reads_text_as_numbers() -> None:
    assert rows('ColumnValues "score" in [10, 30]', FRAME) == "PFPPF"


def test_matches_is_a_full_match_and_skips_nulls() -> None:
    assert rows('ColumnValues "name" matches "B.*"', FRAME) == "FPSPF"
    assert rows('ColumnValues "name" matches "[A-Z][a-z]"', FRAME) == "FFSFF"
    assert rows('ColumnValues "name" not matches "B.*"', FRAME) == "PFPFP"


def test_empty_and_whitespaces_only_keywords_tell_blank_text_apart() -> None:
    assert rows('ColumnValues "t" in ["a", EMPTY]', BLANKS) == "PFPP"
    assert rows('ColumnValues "t" in [WHITESPACES_ONLY]', BLANKS) == "FPFP"


def test_text_compared_with_an_order_is_an_error() -> None:
    result, _ = judge('ColumnValues "cat" > "A"', FRAME)
    assert result.outcome == "Error"


def test_invalid_regular_expression_is_an_error_not_an_exception() -> None:
    result, letters = judge('ColumnValues "name" matches "("', FRAME)
    assert result.outcome == "Error"
    assert letters == list("SSSSS")


def test_dates_compare_with_literal_dates_and_now() -> None:
    assert rows('ColumnValues "d" > "2024-02-01"', DATES) == "FPSF"
    # NOW is 2024-03-10 12:00, so the cut-off is 2024-02-09 12:00.
    assert rows('ColumnValues "d" > (now() - 30 days)', DATES) == "FPSF"


def test_data_freshness_measures_age_against_now_and_fails_nulls_as_the_reference() -> None:
    result, letters = judge('DataFreshness "d" <= 10 days', DATES)
    assert letters == list("FPFF")
    assert result.outcome == "Failed"


def test_column_length_counts_a_null_as_length_0_and_excludes_between_bounds() -> None:
    result, letters = judge('ColumnLength "name" between 2 and 4', FRAME)
    assert letters == list("PPFPP")
    assert result.evaluated_metrics == {"Column.name.MinimumLength": 0.0, "Column.name.MaximumLength": 3.0}
    assert rows('ColumnLength "name" between 3 and 4', FRAME) == "FFFFF"
    assert rows('ColumnLength "name" = 3', FRAME) == "PPFPP"
    assert rows('ColumnLength "name" < 1', FRAME) == "FFPFF"


def test_column_length_failing_rows_are_counted() -> None:
    result, _ = judge('ColumnLength "name" < 3', FRAME)
    assert (result.outcome, result.failing_rows) == ("Failed", 4)


def test_column_data_type_checks_that_text_reads_as_the_type_without_row_level_results() -> None:
    result, letters = judge('ColumnDataType "score" = "INTEGER"', FRAME)
    assert letters == list("SSSSS")  # the reference has no row-level results for ColumnDataType
    assert (result.outcome, result.failing_rows) == ("Failed", None)
    assert result.evaluated_metrics == {"Column.score.ColumnDataType.Compliance": 0.75}
    assert outcome('ColumnDataType "score" = "INTEGER" with threshold >= 0.75', FRAME) == "Passed"


def test_column_data_type_of_a_typed_column_is_its_dtype() -> None:
    typed = pl.DataFrame({"n": [1.5, 2.0]})
    assert outcome('ColumnDataType "n" = "DOUBLE"', typed) == "Passed"
    assert outcome('ColumnDataType "n" in ["INTEGER", "LONG"]', typed) == "Failed"


def test_typed_numeric_columns_are_compared_as_numbers() -> None:
    typed = pl.DataFrame({"rating": [7.6, 8.0, None, 9.3]})
    assert rows('ColumnValues "rating" between 7.6 and 9.3', typed) == "FPSF"
