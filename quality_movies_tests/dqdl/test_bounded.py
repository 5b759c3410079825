"""Bounded by design: no ruleset or header makes the engine backtrack for ever or recurse past Python's stack."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies.dqdl.cursor import MAX_NESTING
from quality_movies_tests.dqdl.helpers import judge

# A name that nearly matches: Python's `re` tries every split of the 40 letters before giving up (it ran
# past 240 s); a linear-time engine reads it once.
NEARLY_MATCHING = "a" * 40 + "!"
EXPONENTIAL = '"([a-z]+_?)+"'


def test_a_backtracking_column_name_pattern_finishes_and_names_the_misfit():
    # In a child process, so that an engine that backtracks is stopped rather than holding up the suite.
    script = textwrap.dedent(
        f"""
        import polars as pl
        from quality_movies_tests.dqdl.helpers import judge
        frame = pl.DataFrame({{{NEARLY_MATCHING!r}: [1], "ok": [2]}})
        result, _ = judge('ColumnNamesMatchPattern {EXPONENTIAL}', frame)
        print(result.outcome, result.failure_reason)
        """
    )
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == f"Failed Columns that do not match the pattern: {NEARLY_MATCHING}"


def test_column_name_patterns_are_whole_name_matches_in_the_values_regex_dialect():
    frame = pl.DataFrame({"movie_id": [1], "Title": ["x"], "aws_x": [2]})
    result, _ = judge('ColumnNamesMatchPattern "[a-z_]+"', frame)
    assert result.failure_reason == "Columns that do not match the pattern: Title"
    assert result.evaluated_metrics == {"Dataset.*.ColumnNamesPatternMatchRatio": 2 / 3}
    result, _ = judge('ColumnNamesMatchPattern "aws_.*|movie_id|Title"', frame)
    assert result.outcome == "Passed"


def test_an_invalid_column_name_pattern_is_an_error_with_its_reason():
    result, _ = judge('ColumnNamesMatchPattern "([a-z]"', pl.DataFrame({"a": [1]}))
    assert result.outcome == "Error"
    assert "invalid pattern '([a-z]'" in result.failure_reason


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 200, 5000])
def test_a_deeply_parenthesised_ruleset_is_a_syntax_error_not_a_recursion_error(depth):
    rules = "(" * depth + 'IsComplete "a"' + ")" * depth
    with pytest.raises(dqdl.DqdlSyntaxError, match=f"parentheses nested more than {MAX_NESTING} deep"):
        dqdl.parse(f"Rules = [ {rules} ]")


def test_deeply_parenthesised_values_are_a_syntax_error_too():
    value = "(" * 200 + "1" + ")" * 200
    with pytest.raises(dqdl.DqdlSyntaxError, match="nested more than"):
        dqdl.parse(f'Rules = [ ColumnValues "a" = {value} ]')


def test_nesting_up_to_the_cap_still_parses():
    composite = 'IsComplete "a"'
    for _ in range(MAX_NESTING - 1):
        composite = f'({composite}) and (IsComplete "b")'
    (rule,) = dqdl.parse(f"Rules = [ {composite} ]").rules
    assert rule.render().count("IsComplete") == MAX_NESTING
