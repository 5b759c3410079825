"""Each difference from the DQDL reference (AWS's DQDL page and the awslabs/dqdl parser) that issue 15 found,
fixed: documented syntax accepted and evaluated, what the reference parser rejects rejected, exact equality."""

from __future__ import annotations

import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies_tests.dqdl.helpers import judge, outcome, rows

FRAME = pl.DataFrame(
    {
        "id": [1, 2, 3, 4],
        "a": [1, 1, 2, 1],
        "b": ["x", "y", "x", "x"],
        "cat": ["A", "B", "C", None],
        "r": [0.1 + 0.2, 0.3, 1.0, 2.0],
    }
)


# ------------------------------------------------------------------------- documented syntax, accepted


def test_multi_column_is_unique_fails_the_rows_whose_combination_repeats() -> None:
    result, letters = judge('IsUnique "a" "b"', FRAME)
    assert (result.outcome, letters) == ("Failed", list("FPPF"))
    assert result.evaluated_metrics == {"Multicolumn.a,b.Uniqueness": 0.5}


def test_multi_column_uniqueness_compares_the_share_of_unique_combinations() -> None:
    assert outcome('Uniqueness "a" "b" = 0.5', FRAME) == "Passed"
    assert outcome('Uniqueness "a" "b" = 1', FRAME) == "Failed"
    assert rows('Uniqueness "a" "b" > 0.1 where "id > 1"', FRAME) == "SPPP"  # (1, x) occurs once from id 2 on


def test_is_primary_key_with_a_where_clause_is_evaluated() -> None:
    result, _ = judge('IsPrimaryKey "a" "b" where "id < 4"', FRAME)
    assert result.evaluated_metrics["Multicolumn.a,b.Uniqueness.Where[id < 4]"] == 1.0


def test_unquoted_parameters_name_columns() -> None:
    assert dqdl.parse_rule('IsPrimaryKey a "b"').columns == ("a", "b")
    assert outcome('IsPrimaryKey id "b"', FRAME) == "Passed"
    assert outcome("Completeness of cat > 0.7", FRAME) == "Passed"


def test_constants_are_declared_before_the_rules_and_used_in_conditions() -> None:
    text = 'allowed = ["A", "B"]\nbanned = "C"\n'
    text += 'Rules = [ ColumnValues "cat" in $allowed, ColumnValues "cat" != $banned ]'
    ruleset = dqdl.parse(text)
    assert [r.render() for r in ruleset.rules] == ['ColumnValues "cat" in $allowed', 'ColumnValues "cat" != $banned']
    assert dqdl.parse(ruleset.render()) == ruleset
    evaluation = dqdl.evaluate(ruleset, FRAME)
    assert [r.failing_rows for r in evaluation.rules] == [1, 1]  # "C" is neither allowed nor other than C


def test_a_string_constant_can_name_a_rules_column_or_statement() -> None:
    text = 'col = "a"\nsql = "select count(*) from primary"\nRules = [ Mean $col > 1, CustomSql $sql = 4 ]'
    evaluation = dqdl.evaluate(text, FRAME)
    outcomes = [(r.rule, r.outcome) for r in evaluation.rules]
    assert outcomes == [("Mean $col > 1", "Passed"), ("CustomSql $sql = 4", "Passed")]
    assert evaluation.rules[0].evaluated_metrics == {"Column.a.Mean": 1.25}


def test_a_list_constant_is_compared_by_in_only() -> None:
    with pytest.raises(dqdl.DqdlSyntaxError, match="compare with it by 'in'"):
        dqdl.parse('codes = ["A", "B"]\nRules = [ ColumnValues "cat" = $codes ]')


def test_a_constant_must_be_declared() -> None:
    with pytest.raises(dqdl.DqdlSyntaxError, match="no such constant"):
        dqdl.parse('Rules = [ ColumnValues "cat" in $allowed ]')


def test_analyzers_section_is_accepted_and_kept_beside_the_rules() -> None:
    ruleset = dqdl.parse('Rules = [ RowCount > 0 ] Analyzers = [ Completeness "cat", AllStatistics "a" ]')
    assert [a.render() for a in ruleset.analyzers] == ['Completeness "cat"', 'AllStatistics "a"']
    assert [r.outcome for r in dqdl.evaluate(ruleset, FRAME).rules] == ["Passed"]


def test_variance_is_the_population_variance() -> None:
    result, _ = judge('Variance "a" between 0.18 and 0.19', FRAME)  # values 1, 1, 2, 1: 3/16
    assert (result.outcome, result.evaluated_metrics) == ("Passed", {"Column.a.Variance": 0.1875})


# ------------------------------------------------------------------- what the reference parser rejects


@pytest.mark.parametrize(
    "rule",
    [
        'CustomSql "select count(*) from primary" > 0 where "id > 1"',
        'ColumnCount = 2 where "x > 5"',
        'ColumnNamesMatchPattern "[a-z]+" where "id > 1"',
        'ColumnExists "a" where "id > 1"',
        'ColumnLength "b" = 1 with threshold > 0.5',
        'DataFreshness "b" <= 3',
        'ColumnValues "a" in [1, "2"]',
        'ColumnValues "b" in [now(), "x"]',
        'ColumnValues "b" > now() + 1 hours',
        'ColumnValues "b" > 3 days',
        'IsComplete "a" where ""',
    ],
)
def test_the_parser_rejects_what_the_reference_parser_rejects(rule: str) -> None:
    with pytest.raises(dqdl.DqdlSyntaxError):
        dqdl.parse(f"Rules = [ {rule} ]")


def test_an_empty_rules_list_is_rejected() -> None:
    with pytest.raises(dqdl.DqdlSyntaxError, match="at least one rule"):
        dqdl.parse("Rules = [ ]")


def test_date_lists_may_mix_dates_and_now() -> None:
    rule = dqdl.parse_rule('ColumnValues "d" in [now(), (now() - 4 days), "2023-01-01"]')
    assert rule.render() == 'ColumnValues "d" in [now(),(now() - 4 days),"2023-01-01"]'


# -------------------------------------------------------------------------------------------- equality


def test_equality_is_exact_as_in_the_reference() -> None:
    assert rows('ColumnValues "r" = 0.3', FRAME) == "FPFF"  # 0.1 + 0.2 is not 0.3
    assert rows('ColumnValues "r" in [0.3, 2]', FRAME) == "FPFP"
    assert outcome("RowCount = 4.000001", FRAME) == "Failed"


# ---------------------------------------------------------------------------------------------- labels


def test_labels_are_kept_on_rules_with_the_rulesets_defaults_and_do_not_change_verdicts() -> None:
    text = 'DefaultLabels=["team"="data"]\nRules = [ IsComplete "cat" labels=["criticality"="high","gdpr"="no"] ]'
    ruleset = dqdl.parse(text)
    (rule,) = ruleset.rules
    assert (ruleset.default_labels, rule.labels) == ((("team", "data"),), (("criticality", "high"), ("gdpr", "no")))
    assert rule.render() == 'IsComplete "cat" labels=["criticality"="high","gdpr"="no"]'
    assert dqdl.parse(ruleset.render()) == ruleset
    assert [r.outcome for r in dqdl.evaluate(ruleset, FRAME).rules] == ["Failed"]


@pytest.mark.parametrize(
    "labels",
    [
        "[]",
        '["k"=""]',
        '["k"="1","k"="2"]',
        "[" + ",".join(f'"k{i}"="v"' for i in range(11)) + "]",
        '["' + "k" * 129 + '"="v"]',
        'team="data"',
    ],
    ids=["empty", "empty-value", "duplicate-key", "eleven", "long-key", "not-a-list"],
)
def test_labels_follow_the_reference_limits(labels: str) -> None:
    with pytest.raises(dqdl.DqdlSyntaxError):
        dqdl.parse(f'Rules = [ IsComplete "cat" labels={labels} ]')


def test_default_labels_count_towards_a_rules_ten() -> None:
    defaults = "DefaultLabels=[" + ",".join(f'"d{i}"="v"' for i in range(9)) + "]\n"
    assert dqdl.parse(defaults + 'Rules = [ IsComplete "cat" labels=["x"="y"] ]')
    with pytest.raises(dqdl.DqdlSyntaxError, match="more than 10 labels"):
        dqdl.parse(defaults + 'Rules = [ IsComplete "cat" labels=["x"="y","z"="w"] ]')
