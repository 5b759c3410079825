"""Every rule family on columns typed as Glue's crawler types them (bigint, double, boolean, the rest text).

Values that did not fit their crawled type arrive as nulls (the quality stage quarantines those rows
itself), so a typed column holds only numbers, booleans or nulls. Expectations are worked out by hand.
"""

from __future__ import annotations

import math

import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies_tests.data_files import IMDB_CSV
from quality_movies_tests.dqdl.helpers import TYPED, crawled, judge, outcome, rows, type_share

# ------------------------------------------------------------------------------------ reported cases


def test_glue_reference_example_custom_sql_compares_a_bigint_column_with_a_number() -> None:
    people = pl.DataFrame({"Name": ["Ann", "Bob", "Cid", "Dee"], "Age": [34, 17, None, 19]})
    result, letters = judge('CustomSql "select Name from primary where Age > 18"', people)
    assert letters == list("PFFP")
    assert (result.outcome, result.failure_reason) == (
        "Failed",
        "2 of 4 evaluated rows do not meet the constraint requirement!",
    )
    assert outcome('CustomSql "select Name from primary where Age > 18" with threshold >= 0.5', people) == "Passed"


def test_row_count_where_age_over_18_counts_the_rows_of_a_bigint_column() -> None:
    people = pl.DataFrame({"age": [19, 40, 18, None, 25, 70]})
    result, letters = judge('RowCount = 4 where "age > 18"', people)
    assert (result.outcome, result.evaluated_metrics) == ("Passed", {"Dataset.*.RowCount.Where[age > 18]": 4.0})
    assert letters == list("SSSSSS")


def test_entropy_of_the_bigint_meta_score_streams_and_matches_the_in_memory_engine() -> None:
    frame = crawled(IMDB_CSV)
    ruleset = 'Rules = [ Entropy "meta_score" > 1 ]'
    prepared = dqdl.prepare(ruleset, frame)
    (streamed,) = prepared.outcomes(pl.collect_all(prepared.measures, engine="streaming"))
    (in_memory,) = dqdl.evaluate(ruleset, frame).rules
    assert streamed.outcome == in_memory.outcome == "Passed"
    entropy = "Column.meta_score.Entropy"
    assert streamed.evaluated_metrics[entropy] == pytest.approx(in_memory.evaluated_metrics[entropy])
    # Worked out from the value counts of the 843 scores present.
    counts = frame["meta_score"].drop_nulls().value_counts()["count"]
    shares = counts / counts.sum()
    assert in_memory.evaluated_metrics[entropy] == pytest.approx(-sum(p * math.log(p) for p in shares))


# ------------------------------------------------------------------------------------- ColumnValues


def test_numbers_compare_as_numbers_not_as_text() -> None:
    # As text, "30", "15" and "12" sort before "9".
    assert rows('ColumnValues "age" > 9', TYPED) == "PPSPP"
    assert rows('ColumnValues "age" = 15', TYPED) == "FPSPF"
    assert rows('ColumnValues "rating" <= 9', TYPED) == "PPPSF"


def test_between_on_bigint_and_double_excludes_bounds_and_reports_numeric_extremes() -> None:
    result, letters = judge('ColumnValues "age" between 12 and 30', TYPED)
    assert letters == list("FPSPF")
    assert result.evaluated_metrics == {"Column.age.Minimum": 12.0, "Column.age.Maximum": 30.0}
    assert rows('ColumnValues "rating" between 8.5 and 10', TYPED) == "FPFSF"
    assert rows('ColumnValues "rating" not between 8.5 and 10', TYPED) == "PFPPP"


def test_in_and_not_in_with_numbers_on_a_bigint_column() -> None:
    assert rows('ColumnValues "age" in [15, 30]', TYPED) == "PPPPF"
    assert rows('ColumnValues "age" not in [15]', TYPED) == "PFPFP"


def test_quoted_values_compare_with_the_text_form_of_numbers_and_booleans() -> None:
    assert rows('ColumnValues "age" = "15"', TYPED) == "FPSPF"
    assert rows('ColumnValues "ok" = "true"', TYPED) == "PFSPP"
    assert rows('ColumnValues "ok" in ["false"]', TYPED) == "FPPFF"


def test_matches_on_numbers_reads_their_text_form() -> None:
    assert rows('ColumnValues "age" matches "1[0-9]"', TYPED) == "FPSPP"
    assert rows('ColumnValues "rating" matches "[0-9][.][0-9]"', TYPED) == "PPFSF"


def test_dates_in_a_text_column_compare_with_dates_and_now() -> None:
    assert rows('ColumnValues "seen" > "2024-02-01"', TYPED) == "PFSPF"
    # NOW is 2024-03-10 12:00: 1.5 days, 69.5 days, null, 9 days 3.5 hours, not a date.
    assert rows('DataFreshness "seen" <= 10 days', TYPED) == "PFFPF"  # a null timestamp fails


def test_iso_timestamps_with_z_or_an_offset_compare_in_utc() -> None:
    stamps = pl.DataFrame({"t": ["2024-03-10T11:10:00Z", "2024-03-10T11:30:00.250Z", "2024-03-10 12:30:00+02:00"]})
    assert rows('ColumnValues "t" > (now() - 1 hours)', stamps) == "PPF"  # NOW is 12:00; +02:00 is 10:30 UTC
    assert rows('DataFreshness "t" <= 1 hours', stamps) == "PPF"


def test_a_column_of_years_compares_as_the_first_day_of_each_year() -> None:
    years = pl.DataFrame({"year": [1994, 2010, None]}, schema={"year": pl.Int64})
    assert rows('ColumnValues "year" > "2000-01-01"', years) == "FPS"
    assert rows('ColumnValues "year" > "2000-01-01"', years.cast(pl.String)) == "FPS"


def test_a_date_condition_on_a_double_column_is_an_error() -> None:
    result, _ = judge('ColumnValues "rating" > "2024-02-01"', TYPED)
    assert result.outcome == "Error"
    assert "not dates" in result.failure_reason


# ------------------------------------------------------------------------- ColumnLength, ColumnDataType


def test_column_length_measures_the_text_form_of_numbers_and_booleans() -> None:
    result, letters = judge('ColumnLength "age" = 2', TYPED)
    assert letters == list("PPFPP")  # the null age has length 0
    assert result.evaluated_metrics == {"Column.age.MinimumLength": 0.0, "Column.age.MaximumLength": 2.0}
    assert rows('ColumnLength "rating" <= 3', TYPED) == "PPFPF"  # "8.5", "9.0", "7.25", null (0), "10.0"
    assert rows('ColumnLength "ok" = 4', TYPED) == "PFFPP"  # "true", "false", null (0), "true", "true"


def test_a_bigint_column_is_integral() -> None:
    assert type_share('ColumnDataType "age" = "INTEGER"', TYPED) == 1.0
    for passing in ("LONG", "DOUBLE", "FLOAT"):
        assert outcome(f'ColumnDataType "age" = "{passing}"', TYPED) == "Passed", passing
    for failing in ("BOOLEAN", "DATE", "TIMESTAMP"):
        assert outcome(f'ColumnDataType "age" = "{failing}"', TYPED) == "Failed", failing


def test_integer_means_fits_in_32_bits_and_long_in_64() -> None:
    big = pl.DataFrame({"n": [1, 3_000_000_000]})
    assert type_share('ColumnDataType "n" = "INTEGER"', big) == 0.5
    assert type_share('ColumnDataType "n" = "LONG"', big) == 1.0


def test_a_double_is_integral_only_where_it_is_whole() -> None:
    assert type_share('ColumnDataType "rating" = "INTEGER"', TYPED) == 0.5  # 9.0 and 10.0 of four
    assert outcome('ColumnDataType "rating" = "DOUBLE"', TYPED) == "Passed"


def test_a_boolean_column_is_boolean_and_nothing_else() -> None:
    assert outcome('ColumnDataType "ok" = "BOOLEAN"', TYPED) == "Passed"
    assert type_share('ColumnDataType "ok" in ["INTEGER", "DOUBLE"]', TYPED) == 0.0


def test_text_timestamps_are_read_in_every_layout_even_when_no_value_is_one() -> None:
    # Polars' format inference raised when no value was a timestamp, and guessed one layout for all.
    stamps = pl.DataFrame({"t": ["soon", "2024-01-02 10:00:00", "2024-01-02T10:00", "2024-01-02", None]})
    assert type_share('ColumnDataType "t" = "TIMESTAMP"', stamps) == 0.75
    assert type_share('ColumnDataType "t" = "TIMESTAMP"', pl.DataFrame({"t": ["soon", "later", None]})) == 0.0
    assert rows('DataFreshness "t" <= 30 days', pl.DataFrame({"t": ["soon", "2024-03-01"]})) == "FP"


# -------------------------------------------------------------------------------------- completeness


def test_is_complete_fails_typed_nulls() -> None:
    result, letters = judge('IsComplete "age"', TYPED)
    assert letters == list("PPFPP")
    assert (result.outcome, result.evaluated_metrics) == ("Failed", {"Column.age.Completeness": 0.8})
    assert outcome('Completeness "ok" >= 0.8', TYPED) == "Passed"
    assert outcome('Completeness "rating" > 0.8', TYPED) == "Failed"


# ---------------------------------------------------------------------------------------- statistics


def test_mean_sum_and_standard_deviation_of_a_bigint_column_ignore_nulls() -> None:
    # 30, 15, 15, 12: sum 72, mean 18, squared deviations 144 + 9 + 9 + 36 = 198.
    mean, _ = judge('Mean "age" = 18', TYPED)
    assert (mean.outcome, mean.evaluated_metrics) == ("Passed", {"Column.age.Mean": 18.0})
    assert outcome('Sum "age" = 72', TYPED) == "Passed"
    deviation, _ = judge('StandardDeviation "age" between 7 and 7.1', TYPED)
    assert deviation.outcome == "Passed"
    assert deviation.evaluated_metrics["Column.age.StandardDeviation"] == pytest.approx(math.sqrt(198 / 4))


def test_mean_of_a_double_column() -> None:
    result, _ = judge('Mean "rating" > 8', TYPED)
    assert result.evaluated_metrics == {"Column.rating.Mean": pytest.approx(34.75 / 4)}


def test_entropy_of_bigint_double_and_boolean_columns() -> None:
    age, _ = judge('Entropy "age" > 1', TYPED)  # 15 twice, 30 and 12 once
    assert age.evaluated_metrics["Column.age.Entropy"] == pytest.approx(1.5 * math.log(2))
    rating, _ = judge('Entropy "rating" > 1', TYPED)  # four distinct values
    assert rating.evaluated_metrics["Column.rating.Entropy"] == pytest.approx(math.log(4))
    ok, _ = judge('Entropy "ok" < 1', TYPED)  # true 3 times, false once
    assert ok.evaluated_metrics["Column.ok.Entropy"] == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))


def test_distinct_values_unique_value_ratio_and_uniqueness_of_a_bigint_column() -> None:
    # 30, 15, 15, 12: three distinct values, two of them (30, 12) occur once, in four present rows.
    assert outcome('DistinctValuesCount "age" = 3', TYPED) == "Passed"
    ratio, _ = judge('UniqueValueRatio "age" > 0.6', TYPED)
    assert ratio.evaluated_metrics == {"Column.age.UniqueValueRatio": pytest.approx(2 / 3)}
    uniqueness, letters = judge('Uniqueness "age" = 0.5', TYPED)
    assert (uniqueness.outcome, letters) == ("Passed", list("PFPFP"))


def test_is_unique_and_is_primary_key_on_bigint_columns() -> None:
    assert outcome('IsUnique "id"', TYPED) == "Passed"
    assert rows('IsUnique "age"', TYPED) == "PFPFP"
    assert outcome('IsPrimaryKey "id"', TYPED) == "Passed"
    result, letters = judge('IsPrimaryKey "age"', TYPED)
    assert (result.outcome, letters) == ("Failed", list("PFFFP"))
    assert outcome('IsPrimaryKey "id" "age"', TYPED) == "Failed"  # age is incomplete


def test_column_correlation_of_two_bigint_columns() -> None:
    # Rows with both: id 1, 2, 4, 5 (mean 3), age 30, 15, 15, 12 (mean 18): -36 / sqrt(10 * 198).
    result, _ = judge('ColumnCorrelation "id" "age" < -0.8', TYPED)
    assert result.outcome == "Passed"
    assert result.evaluated_metrics["Multicolumn.id,age.ColumnCorrelation"] == pytest.approx(-36 / math.sqrt(1980))


# ------------------------------------------------------------------------------- where and CustomSql


def test_where_clauses_compare_typed_columns_as_numbers_and_booleans() -> None:
    assert outcome('RowCount = 3 where "age > 14"', TYPED) == "Passed"
    assert rows('IsComplete "name" where "age > 14"', TYPED) == "PPSPS"
    assert rows('ColumnValues "rating" > 8 where "ok"', TYPED) == "PSSSP"
    mean, _ = judge('Mean "age" = 19 where "rating > 8"', TYPED)  # 30, 15, 12
    assert mean.outcome == "Passed"


def test_custom_sql_sees_typed_columns() -> None:
    assert outcome('CustomSql "select count(*) from primary where age > 14" = 3', TYPED) == "Passed"
    assert outcome('CustomSql "select sum(AGE) from primary where ok" = 57', TYPED) == "Passed"
    average, _ = judge('CustomSql "select avg(rating) from primary" > 8', TYPED)
    assert average.evaluated_metrics == {"Dataset.*.CustomSQL": 34.75 / 4}
    assert rows('CustomSql "select id from primary where rating >= 9"', TYPED) == "FPFFP"


# ----------------------------------------------------------------------------------------- recommend


def test_recommend_proposes_numeric_rules_for_crawled_numbers_and_they_pass() -> None:
    frame = crawled(IMDB_CSV)
    text = dqdl.recommend(frame)
    rules = {dqdl.render(rule) for rule in dqdl.parse(text).rules}
    assert {
        'ColumnValues "meta_score" between 27 and 101',
        'StandardDeviation "meta_score" between 11.75 and 12.99',
        'ColumnValues "no_of_votes" between 25087 and 2343111',
        'ColumnValues "imdb_rating" between 6.6 and 10.3',
    } <= rules
    assert not any(rule.startswith('ColumnLength "meta_score"') for rule in rules)
    evaluation = dqdl.evaluate(text, frame)
    assert [r.rule for r in evaluation.rules if r.outcome != "Passed"] == []
