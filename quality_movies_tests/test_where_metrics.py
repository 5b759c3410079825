"""A rule with a where clause measures a subset of the rows: its metrics have names, and so a history, of their own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies.history import history_rows
from quality_movies.metric_history import FolderStore, LakeMetricHistory

FRAME = pl.DataFrame({"x": [1.0, 5.0, 3.0, 9.0], "y": [1, 3, 4, 0]})  # y > 2 keeps x = 5 and 3
WHERE = 'where "y > 2"'
T0 = dt.datetime(2026, 11, 1, 12)


def _metrics(rules: str, frame: pl.DataFrame = FRAME, history: dqdl.MetricHistory | None = None) -> dict:
    evaluation = dqdl.evaluate(f"Rules = [ {rules} ]", frame, history=history)
    return {outcome.rule: outcome.evaluated_metrics for outcome in evaluation.rules}


def test_the_same_rule_with_and_without_a_where_clause_reports_distinct_metrics() -> None:
    measured = _metrics(f'ColumnValues "x" > 0 {WHERE}, ColumnValues "x" > 0')

    assert measured[f'ColumnValues "x" > 0 {WHERE}'] == {
        "Column.x.Minimum.Where[y > 2]": 3.0,
        "Column.x.Maximum.Where[y > 2]": 5.0,
    }
    assert measured['ColumnValues "x" > 0'] == {"Column.x.Minimum": 1.0, "Column.x.Maximum": 9.0}


@pytest.mark.parametrize(
    ("rule", "metric", "value"),
    [
        ("RowCount > 0", "Dataset.*.RowCount.Where[y > 2]", 2.0),
        ('Completeness "x" > 0', "Column.x.Completeness.Where[y > 2]", 1.0),
        ('ColumnLength "y" > 0', "Column.y.MaximumLength.Where[y > 2]", 1.0),
        ('ColumnValues "x" in [5, 3]', "Column.x.ColumnValues.Compliance.Where[y > 2]", 1.0),
    ],
)
def test_every_metric_of_a_where_rule_carries_its_clause(rule: str, metric: str, value: float) -> None:
    (measured,) = _metrics(f"{rule} {WHERE}").values()
    assert measured[metric] == value


def _store(lake: Path, run: int, frame: pl.DataFrame) -> None:
    """An earlier evaluation of both Mean rules, left in the lake's history as the quality step leaves it."""
    rules = [
        {"rule": outcome.rule, "outcome": outcome.outcome, "metrics": outcome.evaluated_metrics}
        for outcome in dqdl.evaluate(f'Rules = [ Mean "x" > 0, Mean "x" > 0 {WHERE} ]', frame).rules
    ]
    summary = {"ruleset": "rules.dqdl", "rows_in": frame.height, "rules": rules}
    path = lake / f"dq_history/source_file=f{run}.csv/run_id=run{run}/metrics.parquet"
    path.parent.mkdir(parents=True)
    history_rows(summary, {}, f"input_data/f{run}.csv", T0 + dt.timedelta(minutes=run)).write_parquet(path)


def test_the_history_of_a_where_rule_holds_only_the_where_rules_values(tmp_path: Path) -> None:
    # The where rule's mean is the one row with y > 2: 10, 20, 30; the whole file's mean is (that + 2 * run) / 3.
    for run in range(3):
        _store(tmp_path, run, pl.DataFrame({"x": [0.0, 10.0 * run + 10, 2.0 * run], "y": [0, 5, 0]}))
    history = LakeMetricHistory(FolderStore(tmp_path), "rules.dqdl")

    assert history.previous("Column.x.Mean.Where[y > 2]", 3) == [30.0, 20.0, 10.0]
    assert history.previous("Column.x.Mean", 3) == pytest.approx([(30 + 4) / 3, (20 + 2) / 3, 10 / 3])
    dynamic = f'Mean "x" >= min(last(3)) {WHERE}'
    (judged,) = _metrics(dynamic, FRAME, history).values()
    assert judged["Column.x.Mean.Where[y > 2].Dynamic[min(last(3))]"] == 10.0  # the where rule's own minimum
