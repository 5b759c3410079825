"""Where clauses, composite rules, and rules that cannot be evaluated here."""

from __future__ import annotations

import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies_tests.dqdl.helpers import NOW, judge, outcome, rows

FRAME = pl.DataFrame(
    {
        "id": ["1", "2", "3", "4", "5"],
        "name": ["Ann", "Bob", None, "Bob", "Eve"],
        "cat": ["A", "B", None, "C", "A"],
        "age": [30, 15, 40, None, 12],
    }
)


def test_where_clause_skips_the_rows_it_leaves_out() -> None:
    result, letters = judge('IsComplete "name" where "cat = \'B\' or cat is null"', FRAME)
    assert letters == list("SPFSS")
    assert result.evaluated_metrics == {"Column.name.Completeness.Where[cat = 'B' or cat is null]": 0.5}


def test_where_clause_columns_resolve_case_insensitively_and_double_quotes_are_text() -> None:
    assert rows('ColumnValues "name" in ["Ann", "Eve"] where "CAT = \\"A\\""', FRAME) == "PSSSP"


def test_where_clause_on_a_typed_column_compares_numbers() -> None:
    assert rows('ColumnValues "name" != "Bob" where "age > 14"', FRAME) == "PFPSS"


def test_where_clause_that_does_not_type_check_is_an_error() -> None:
    result, letters = judge('IsComplete "name" where "cat > 8"', FRAME)
    assert result.outcome == "Error"
    assert letters == list("SSSSS")


def test_and_composite_fails_rows_where_either_rule_fails() -> None:
    result, letters = judge('(IsComplete "id") and (ColumnValues "cat" in ["A","B"])', FRAME)
    assert letters == list("PPPFP")
    assert result.outcome == "Failed"
    assert result.rule == '(IsComplete "id") AND (ColumnValues "cat" in ["A","B"])'


def test_or_composite_passes_when_one_rule_passes() -> None:
    assert outcome('(IsComplete "id") or (IsComplete "name")', FRAME) == "Passed"


def test_composite_outcome_combines_dataset_verdicts_while_rows_combine_row_verdicts() -> None:
    # Each rule fails on the whole frame (name is incomplete, cat has "C"), but no row fails both.
    result, letters = judge('(IsComplete "name") or (ColumnValues "cat" in ["A","B"])', FRAME)
    assert letters == list("PPPPP")
    assert result.outcome == "Failed"


def test_composite_with_a_dataset_rule_has_no_row_outcomes() -> None:
    result, letters = judge('(RowCount > 3) and (IsComplete "name")', FRAME)
    assert letters == list("SSSSS")
    assert result.outcome == "Failed"


def test_composite_reports_the_metrics_of_its_rules() -> None:
    result, _ = judge('(RowCount > 3) or (IsComplete "name")', FRAME)
    assert result.evaluated_metrics == {"Dataset.*.RowCount": 5.0, "Column.name.Completeness": 0.8}


def test_missing_column_is_an_error_naming_the_column() -> None:
    result, letters = judge('IsComplete "rating"', FRAME)
    assert result.outcome == "Error"
    assert '"rating"' in result.failure_reason
    assert letters == list("SSSSS")


def test_rules_needing_a_reference_dataset_are_errors_never_passes() -> None:
    for rule in (
        'ReferentialIntegrity "id" "reference.{id}" = 1.0',
        'DatasetMatch "reference" "id" >= 0.9',
        'SchemaMatch "reference" = 1.0',
        'RowCountMatch "reference" = 1.0',
        'AggregateMatch "sum(age)" "sum(reference.age)" = 1.0',
    ):
        result, letters = judge(rule, FRAME)
        assert result.outcome == "Error", rule
        assert "reference dataset" in result.failure_reason
        assert set(letters) == {"S"}


def test_dynamic_rules_and_anomaly_detection_are_errors() -> None:
    assert outcome("RowCount > avg(last(10))", FRAME) == "Error"
    assert outcome('Completeness "name" >= min(last(3)) * 0.9', FRAME) == "Error"
    assert outcome('DetectAnomalies "RowCount"', FRAME) == "Error"


def test_custom_sql_with_where_clause_is_rejected_by_the_parser_as_in_the_reference() -> None:
    with pytest.raises(dqdl.DqdlSyntaxError, match="does not take a where clause"):
        dqdl.parse('Rules = [ CustomSql "select count(*) from primary" > 0 where "age > 1" ]')


def test_errors_do_not_fail_rows_but_count_as_not_passed_in_the_score() -> None:
    evaluation = dqdl.evaluate('Rules = [ IsComplete "id", IsComplete "rating", RowCount > 9 ]', FRAME, now=NOW)
    assert [r.outcome for r in evaluation.rules] == ["Passed", "Error", "Failed"]
    assert (evaluation.passed, evaluation.total, evaluation.score) == (1, 3, 1 / 3)
    assert evaluation.score_text == "1/3 rules passed (33%; 1 in error)"
    assert set(evaluation.rows[dqdl.RESULT_COLUMN]) == {"Passed"}


def test_arithmetic_on_constants_is_evaluated() -> None:
    assert outcome("RowCount = (2 + 3) * 1", FRAME) == "Passed"
