"""DetectAnomalies on ColumnLength and ColumnValues: each of the two metrics their rules report (shortest and longest
length; smallest and largest value) is judged against its own history, and the rule fails if either is anomalous."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies.dqdl.dynamic import SeriesHistory
from quality_movies.history import history_rows
from quality_movies.metric_history import FolderStore, LakeMetricHistory

LENGTHS = 'DetectAnomalies "ColumnLength" "title"'
VALUES = 'DetectAnomalies "ColumnValues" "rating"'
# Newest first. Longest title: median 20, deviations 0, 1, 1, 0, 2 so MAD 1: 20 +- 3.5 / 0.6745 = 14.81 to 25.19.
HISTORY = SeriesHistory(
    {
        "Column.title.MinimumLength": [3, 2, 3, 4, 3],
        "Column.title.MaximumLength": [20, 21, 19, 20, 22],
        "Column.rating.Minimum": [7.5, 7.6, 7.4, 7.5, 7.7],
        "Column.rating.Maximum": [9.3, 9.2, 9.3, 9.1, 9.3],
    }
)


def _frame(longest: int = 20, lowest: float = 7.5) -> pl.DataFrame:
    return pl.DataFrame({"title": ["Up", "Heat", "x" * longest], "rating": [lowest, 8.1, 9.2]})


def _outcome(rule: str, frame: pl.DataFrame, history: dqdl.MetricHistory | None = HISTORY) -> dqdl.RuleOutcome:
    (outcome,) = dqdl.evaluate(f"Rules = [ {rule} ]", frame, history=history).rules
    return outcome


def test_an_outlying_longest_value_fails_column_length_and_says_which_metric() -> None:
    outcome = _outcome(LENGTHS, _frame(longest=60))

    assert outcome.outcome == "Failed"
    assert outcome.failure_reason.startswith("Anomaly: Column.title.MaximumLength 60 is outside the expected range")
    assert "MinimumLength" not in outcome.failure_reason  # 2 is within the shortest lengths' range
    metrics = outcome.evaluated_metrics
    assert (metrics["Column.title.MinimumLength"], metrics["Column.title.MaximumLength"]) == (2, 60)
    assert metrics["Column.title.MaximumLength.LowerBound"] == pytest.approx(20 - 3.5 / 0.6745)
    assert metrics["Column.title.MaximumLength.UpperBound"] == pytest.approx(20 + 3.5 / 0.6745)
    assert "Column.title.MinimumLength.RobustZScore" in metrics


def test_lengths_and_values_within_their_ranges_pass() -> None:
    assert _outcome(LENGTHS, _frame(longest=21)).outcome == "Passed"
    assert _outcome(VALUES, _frame(lowest=7.6)).outcome == "Passed"


def test_an_outlying_smallest_value_fails_column_values() -> None:
    outcome = _outcome(VALUES, _frame(lowest=1.0))

    assert outcome.outcome == "Failed"
    assert outcome.failure_reason.startswith("Anomaly: Column.rating.Minimum 1 is outside the expected range")
    assert outcome.evaluated_metrics["Column.rating.Maximum"] == 9.2


@pytest.mark.parametrize("history", [None, SeriesHistory({}), SeriesHistory({"Column.title.MaximumLength": [1] * 4})])
def test_with_too_little_history_both_are_in_error_never_passed(history) -> None:
    for rule in (LENGTHS, VALUES):
        outcome = _outcome(rule, _frame(), history)
        assert outcome.outcome == "Error" and "too little history" in outcome.failure_reason
        assert len(outcome.evaluated_metrics) == 2  # measured all the same, and so kept in the history


def test_column_values_of_text_or_two_columns_cannot_be_judged() -> None:
    assert "could not be computed" in _outcome('DetectAnomalies "ColumnValues" "title"', _frame()).failure_reason
    assert "takes one column" in _outcome('DetectAnomalies "ColumnLength" "title" "rating"', _frame()).failure_reason


def test_through_the_lake_history_only_the_outlying_file_is_flagged(tmp_path: Path) -> None:
    """Seven files evaluated in turn, each leaving its history as the quality step does: the first five have too
    little history, the sixth is judged and passes, the seventh's 80-character title is flagged."""
    outcomes = []
    for run, longest in enumerate([20, 21, 19, 20, 22, 21, 80]):
        history = LakeMetricHistory(FolderStore(tmp_path), "rules.dqdl", exclude_run=f"run{run}")
        outcome = _outcome(LENGTHS, _frame(longest=longest), history)
        outcomes.append(outcome.outcome)
        summary = {"ruleset": "rules.dqdl", "rows_in": 3, "rules": [_as_summary(outcome)]}
        path = tmp_path / f"dq_history/source_file=f{run}.csv/run_id=run{run}/metrics.parquet"
        path.parent.mkdir(parents=True)
        at = dt.datetime(2026, 11, 1) + dt.timedelta(minutes=run)
        history_rows(summary, {}, f"input_data/f{run}.csv", at).write_parquet(path)

    assert outcomes == ["Error"] * 5 + ["Passed", "Failed"]


def _as_summary(outcome: dqdl.RuleOutcome) -> dict:
    return {"rule": outcome.rule, "outcome": outcome.outcome, "metrics": outcome.evaluated_metrics}
