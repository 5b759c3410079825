"""A ruleset that is not DQDL raises DqdlSyntaxError with the line, column and what was expected."""

from __future__ import annotations

import pytest

from quality_movies import dqdl


def _error(text: str) -> dqdl.DqdlSyntaxError:
    with pytest.raises(dqdl.DqdlSyntaxError) as caught:
        dqdl.parse(text)
    return caught.value


def test_ruleset_must_start_with_rules() -> None:
    error = _error('Rule = [ IsComplete "a" ]')
    assert (error.line, error.column, error.expected) == (1, 1, "'Rules'")


def test_unknown_rule_type_is_reported_where_it_stands() -> None:
    error = _error('Rules = [\n    IsComplete "a",\n    IsCompleet "b"\n]')
    assert (error.line, error.column) == (3, 5)
    assert "unknown rule type" in error.message
    assert "IsCompleet" in str(error)


def test_missing_comma_between_rules() -> None:
    error = _error('Rules = [\n  IsComplete "a"\n  IsComplete "b"\n]')
    assert (error.line, error.column, error.expected) == (3, 3, "',' or ']'")


def test_trailing_comma_expects_another_rule() -> None:
    error = _error('Rules = [ IsComplete "a", ]')
    assert (error.line, error.column) == (1, 27)
    assert "rule type" in error.expected


def test_unclosed_string_points_at_its_opening_quote() -> None:
    error = _error('Rules = [\n  IsComplete "a\n]')
    assert (error.line, error.column, error.expected) == (2, 14, 'a closing "')


def test_rule_without_its_required_condition() -> None:
    error = _error("Rules = [ RowCount ]")
    assert (error.line, error.column) == (1, 20)
    assert "condition" in error.expected


def test_rule_with_too_few_parameters() -> None:
    error = _error("Rules = [ IsComplete ]")
    assert (error.line, error.column) == (1, 11)
    assert error.expected == "1 quoted parameter(s)"


def test_between_needs_and() -> None:
    error = _error('Rules = [ ColumnValues "a" between 1 10 ]')
    assert (error.line, error.column, error.expected) == (1, 38, "'and' between the two bounds")


def test_rules_joined_by_and_need_parentheses() -> None:
    error = _error('Rules = [ IsComplete "a" and (IsComplete "b") ]')
    assert (error.line, error.column, error.expected) == (1, 11, "'('")


def test_threshold_on_a_rule_type_that_takes_none() -> None:
    error = _error('Rules = [ IsComplete "a" with threshold > 0.5 ]')
    assert (error.line, error.column) == (1, 26)
    assert "threshold" in error.message


def test_condition_on_a_rule_type_that_takes_none() -> None:
    error = _error('Rules = [ IsComplete "a" > 0.5 ]')
    assert (error.line, error.column) == (1, 26)


def test_stray_character() -> None:
    error = _error('Rules = [ IsComplete "a" @ ]')
    assert (error.line, error.column) == (1, 26)


def test_text_after_the_rules_list() -> None:
    error = _error('Rules = [ IsComplete "a" ] extra')
    assert (error.line, error.column, error.expected) == (1, 28, "end of ruleset")


def test_message_names_the_place_and_the_expectation() -> None:
    error = _error("Rules = [ RowCount > ]")
    assert str(error).startswith("DQDL syntax error at line 1, column 22:")
    assert "expected a value" in str(error)


def test_syntax_error_is_raised_before_any_data_is_read(tmp_path) -> None:  # noqa: ANN001
    import polars as pl

    missing = pl.scan_csv(tmp_path / "does-not-exist.csv")
    with pytest.raises(dqdl.DqdlSyntaxError):
        dqdl.evaluate("Rules = [ IsComplete ]", missing)
