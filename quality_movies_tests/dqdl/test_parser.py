"""Parsing and canonical rendering: examples from AWS's DQDL reference and the Glue job's own rules."""

from __future__ import annotations

import pytest

from quality_movies import dqdl
from quality_movies.dqdl.model import Keyword, Str

# (as written in AWS's DQDL reference, as Glue prints it back: the reference's DQRule.toString writes the
# logical operators in capitals, whatever case they were typed in)
DOCUMENTED = [
    ('(IsComplete "id") and (IsUnique "id")', '(IsComplete "id") AND (IsUnique "id")'),
    (
        '(Mean "Star_Rating" > 3) and (Mean "Order_Total" > 500) and (IsComplete "Order_Id")',
        '(Mean "Star_Rating" > 3) AND (Mean "Order_Total" > 500) AND (IsComplete "Order_Id")',
    ),
    (
        '(Mean "Star_Rating" > 3) and ((Mean "Order_Total" > 500) or (IsComplete "Order_Id"))',
        '(Mean "Star_Rating" > 3) AND ((Mean "Order_Total" > 500) OR (IsComplete "Order_Id"))',
    ),
    (
        '(RowCount > 0) or ((IsComplete "colA") and (IsUnique "colA"))',
        '(RowCount > 0) OR ((IsComplete "colA") AND (IsUnique "colA"))',
    ),
    (
        'ColumnValues "Country" in [ "US", "CA", "UK", NULL, EMPTY, WHITESPACES_ONLY ]',
        'ColumnValues "Country" in ["US","CA","UK",NULL,EMPTY,WHITESPACES_ONLY]',
    ),
    (
        'ColumnValues "gender" in ["F", "M"] where "weightinkgs < 10"',
        'ColumnValues "gender" in ["F","M"] where "weightinkgs < 10"',
    ),
    ('ColumnValues "First_Name" matches "[a-zA-Z]*"', None),
    ('ColumnValues "Load_Date" > (now() - 3 days)', None),
    ('ColumnValues "Customer_ID" between 1 and 2000', None),
    ('(ColumnValues "Age" > 21) OR (ColumnValues "Age" = NULL)', None),
    ('ColumnValues "Age" != 21', None),
    ('ColumnValues "Age" not in [21, 22, 23]', 'ColumnValues "Age" not in [21,22,23]'),
    ('(ColumnValues "Age" != 21) AND (ColumnValues "Age" != NULL)', None),
    ('ColumnValues "Age" not in [21, 22, 23, NULL]', 'ColumnValues "Age" not in [21,22,23,NULL]'),
    ('CustomSql "select count(*) from primary" between 10 and 20', None),
    ('CustomSql "select Name from primary where Age > 18"', None),
    ('CustomSql "select Name from primary where Age > 18" with threshold > 3', None),
    ('ColumnCorrelation "height" "weight" > 0.8', None),
    ('ColumnDataType "colA" = "INTEGER"', None),
    ('ColumnDataType "colA" = "INTEGER" with threshold > 0.9', None),
    ('ColumnExists "Middle_Name"', None),
    ('ColumnLength "Postal_Code" = 5', None),
    ('ColumnNamesMatchPattern "aws_.*"', None),
    ('Completeness "First_Name" > 0.95', None),
    ('DataFreshness "Order_Date" <= 24 hours', None),
    ('DataFreshness "Order_Date" between 2 days and 5 days', None),
    ('DatasetMatch "reference" "ID1->ID2" >= 0.95', None),
    ('DistinctValuesCount "State" > 3', None),
    ('Entropy "Star_Rating" > 1', None),
    ('IsPrimaryKey "Customer_ID" "Customer_Name"', None),
    ('Mean "Star_Rating" > 3', None),
    ('ReferentialIntegrity "city,state" "reference.{ref_city,ref_state}" = 1.0', None),
    ('RowCountMatch "reference" = 1.0', None),
    ('StandardDeviation "Star_Rating" < 1.5', None),
    ('Sum "transaction_total" > 500000', None),
    ('SchemaMatch "reference" = 1.0', None),
    ('Uniqueness "email" = 1.0', None),
    ('UniqueValueRatio "test_score" between 0 and 0.5', None),
    ('DetectAnomalies "Completeness" "colA"', None),
    ("RowCount > avg(last(10)) * 0.8", None),
    ('Completeness "colA" between min(last(5)) - 1 and max(last(5)) + 1', None),
]


@pytest.mark.parametrize(("written", "canonical"), DOCUMENTED, ids=[d[0][:50] for d in DOCUMENTED])
def test_documented_example_parses_and_renders_canonically(written: str, canonical: str | None) -> None:
    ruleset = dqdl.parse(f"Rules = [ {written} ]")
    assert [dqdl.render(rule) for rule in ruleset.rules] == [canonical or written]


def test_every_glue_reference_rule_round_trips_unchanged(glue_ruleset_text: str, glue_rule_lines: list[str]) -> None:
    ruleset = dqdl.parse(glue_ruleset_text)
    assert len(ruleset.rules) == 40
    assert [dqdl.render(rule) for rule in ruleset.rules] == glue_rule_lines


def test_rendered_ruleset_parses_back_to_the_same_rules(glue_ruleset_text: str) -> None:
    ruleset = dqdl.parse(glue_ruleset_text)
    assert dqdl.parse(dqdl.render(ruleset)) == ruleset


def test_comments_blank_lines_and_crlf_are_ignored() -> None:
    text = 'Rules = [\r\n  # completeness first\r\n\r\n  IsComplete "a", # trailing\r\n  RowCount > 0\r\n]\r\n'
    assert [r.render() for r in dqdl.parse(text).rules] == ['IsComplete "a"', "RowCount > 0"]


def test_empty_ruleset_is_rejected_as_by_the_reference_parser() -> None:
    with pytest.raises(dqdl.DqdlSyntaxError, match="at least one rule"):
        dqdl.parse("Rules = [ ]")


def test_metadata_section_before_rules_is_accepted() -> None:
    ruleset = dqdl.parse('Metadata = { "Version": "1.0" }\nRules = [ RowCount > 0 ]')
    assert ruleset.metadata == {"Metadata": {"Version": "1.0"}}


def test_and_binds_tighter_than_or() -> None:
    rule = dqdl.parse_rule('(RowCount > 0) or (IsComplete "a") and (IsComplete "b")')
    assert isinstance(rule, dqdl.Composite) and rule.op == "or"
    assert rule.render() == '(RowCount > 0) OR ((IsComplete "a") AND (IsComplete "b"))'


def test_rule_parts_are_modelled() -> None:
    rule = dqdl.parse_rule('ColumnValues "c" in ["U", NULL, "5"] where "x > 1" with threshold >= 0.91')
    assert rule.columns == ("c",)
    assert rule.condition.op == "in"
    assert rule.condition.operands == (Str("U"), Keyword("NULL"), Str("5"))
    assert rule.where == "x > 1"
    assert rule.threshold.render() == ">= 0.91"


def test_threshold_written_before_where_is_rejected_as_by_the_reference_grammar() -> None:
    with pytest.raises(dqdl.DqdlSyntaxError):
        dqdl.parse_rule('ColumnValues "c" > 1 with threshold > 0.5 where "x = 1"')
    rule = dqdl.parse_rule('ColumnValues "c" > 1 where "x = 1" with threshold > 0.5')
    assert rule.render() == 'ColumnValues "c" > 1 where "x = 1" with threshold > 0.5'


def test_escaped_quotes_in_strings_round_trip() -> None:
    text = r'ColumnValues "title" in ["say \"hi\"", "back\\slash"]'
    rule = dqdl.parse_rule(text)
    assert [op.value for op in rule.condition.operands] == ['say "hi"', "back\\slash"]
    assert rule.render() == r'ColumnValues "title" in ["say \"hi\"","back\\slash"]'


def test_negative_and_decimal_numbers_keep_their_text() -> None:
    assert dqdl.parse_rule('ColumnValues "t" between -10.50 and 0.0').render() == (
        'ColumnValues "t" between -10.50 and 0.0'
    )
