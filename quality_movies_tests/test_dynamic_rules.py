"""Dynamic rules and DetectAnomalies against the metrics of previous runs: functions on known series, the DQDL
engine with a history, the lake-backed history (bounded reads), the stage and `quality-movies validate`."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from pathlib import Path

import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies.cli import main
from quality_movies.dqdl.conditions import Unevaluable
from quality_movies.dqdl.dynamic import SeriesHistory, detect_anomaly, reduce_series, resolve, robust_z
from quality_movies.history import history_rows
from quality_movies.metric_history import FolderStore, LakeMetricHistory, local_history
from quality_movies.ruleset_config import load_ruleset
from quality_movies.stage import run_stage
from quality_movies_tests.data_files import IMDB_CSV

ROWS = "Dataset.*.RowCount"
DRIFT = [1005.0, 995.0, 1010.0, 990.0, 1000.0]  # newest first: 1000 rows first, then 990, 1010, 995, 1005
T0 = dt.datetime(2026, 11, 1, 12)


def _condition(text: str) -> dqdl.Condition:
    return dqdl.parse_rule(f"RowCount {text}").condition


def _threshold(text: str, series: list[float]) -> float:
    (value,) = resolve(_condition(text), ROWS, SeriesHistory({ROWS: series})).thresholds.values()
    return value


# ------------------------------------------------------------------------------------- dynamic operands


def test_each_reducer_on_a_known_series() -> None:
    series = [4.0, 2.0, 6.0]
    assert reduce_series("avg", series) == 4.0
    assert (reduce_series("min", series), reduce_series("max", series), reduce_series("sum", series)) == (2, 6, 12)
    assert reduce_series("std", series) == pytest.approx(math.sqrt(8 / 3))  # population, as StandardDeviation


def test_last_k_takes_the_newest_k_and_index_counts_from_the_newest() -> None:
    assert _threshold("> avg(last(3))", DRIFT) == pytest.approx((1005 + 995 + 1010) / 3)
    assert _threshold("> max(last(5))", DRIFT) == 1010
    assert _threshold("> index(last(5), 0)", DRIFT) == 1005
    assert _threshold("> index(last(5), 4)", DRIFT) == 1000
    assert _threshold("> last(1)", DRIFT) == 1005


def test_arithmetic_combines_dynamic_values_and_numbers() -> None:
    assert _threshold("> avg(last(3)) * 0.8", DRIFT) == pytest.approx(1003.333333 * 0.8)
    assert _threshold("> (min(last(5)) - 10) / 2", DRIFT) == 490
    assert _threshold("> avg(last(2)) + std(last(2))", DRIFT) == pytest.approx(1000 + 5)
    resolved = resolve(_condition("between min(last(5)) - 1 and max(last(5)) + 1"), ROWS, SeriesHistory({ROWS: DRIFT}))
    assert resolved.condition.render() == "between 989.0 and 1011.0"
    assert resolved.thresholds == {"min(last(5)) - 1": 989, "max(last(5)) + 1": 1011}


def test_too_little_history_is_unevaluable_and_says_how_much_was_found() -> None:
    with pytest.raises(Unevaluable, match=r"last\(3\): Dataset.\*.RowCount has 2 previous value\(s\), 3 needed"):
        resolve(_condition("> avg(last(3))"), ROWS, SeriesHistory({ROWS: [1.0, 2.0]}))
    with pytest.raises(Unevaluable, match="too little history: .* needs the results of previous runs"):
        resolve(_condition("> avg(last(3))"), ROWS, None)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("> last(3)", "reduce it"),
        ("> index(last(3), 3)", "outside last"),
        ("> avg(last(0))", "k >= 1"),
        ("> avg(last(2)) / 0", "division by zero"),
    ],
)
def test_malformed_dynamic_operands_are_unevaluable(text: str, problem: str) -> None:
    with pytest.raises(Unevaluable, match=problem):
        resolve(_condition(text), ROWS, SeriesHistory({ROWS: DRIFT}))


# ------------------------------------------------------------------------------------------ anomalies


def test_the_robust_z_score_of_a_drifting_series() -> None:
    previous = [1000.0, 990.0, 1010.0, 995.0, 1005.0]  # median 1000, MAD 5
    outlier = robust_z(300, previous)
    assert (outlier.median, outlier.scale) == (1000, pytest.approx(5 / 0.6745))
    assert outlier.z == pytest.approx(0.6745 * (300 - 1000) / 5) and outlier.anomalous
    assert (outlier.lower, outlier.upper) == (pytest.approx(1000 - 3.5 * 5 / 0.6745), pytest.approx(1025.946, 1e-6))
    assert not robust_z(1020, previous).anomalous and robust_z(1030, previous).anomalous


def test_one_earlier_outlier_does_not_hide_the_next() -> None:
    previous = [1000.0, 990.0, 1010.0, 300.0, 995.0, 1005.0]  # a mean and standard deviation would widen to ~280
    assert robust_z(700, previous).anomalous


def test_a_history_mostly_of_one_value_uses_the_mean_absolute_deviation_and_a_constant_one_any_change() -> None:
    mostly = robust_z(1.0, [1.0, 1.0, 1.0, 0.9, 1.0])  # MAD 0: mean absolute deviation 0.02 / 0.7979
    assert mostly.scale == pytest.approx(0.02 / 0.7979) and not mostly.anomalous
    assert robust_z(0.5, [1.0, 1.0, 1.0, 0.9, 1.0]).anomalous
    assert robust_z(1.0, [1.0] * 5).z == 0 and robust_z(0.99, [1.0] * 5).z == -math.inf


def test_anomaly_detection_needs_five_previous_values_and_reads_at_most_ten() -> None:
    with pytest.raises(Unevaluable, match="4 previous value.s., at least 5 needed"):
        detect_anomaly(ROWS, 300, SeriesHistory({ROWS: DRIFT[:4]}))
    asked = []

    class Recording(SeriesHistory):
        def previous(self, metric: str, count: int) -> list[float]:
            asked.append((metric, count))
            return super().previous(metric, count)

    assert detect_anomaly(ROWS, 300, Recording({ROWS: DRIFT * 4})).anomalous
    assert asked == [(ROWS, 10)]


# ----------------------------------------------------------------------------------- the DQDL engine

FRAME = pl.DataFrame({"id": range(300), "genre": ["Drama"] * 290 + [None] * 10})
HISTORY = SeriesHistory({ROWS: DRIFT, "Column.genre.Completeness": [0.97, 0.96, 0.97, 0.95, 0.98]})


def _outcomes(rules: str, history: dqdl.MetricHistory | None = HISTORY) -> dict[str, dqdl.RuleOutcome]:
    return {outcome.rule: outcome for outcome in dqdl.evaluate(f"Rules = [ {rules} ]", FRAME, history=history).rules}


def test_a_dynamic_rule_fails_below_its_threshold_and_reports_it() -> None:
    (outcome,) = _outcomes("RowCount > avg(last(3)) * 0.8").values()
    assert outcome.outcome == "Failed"
    assert outcome.evaluated_metrics == {ROWS: 300, f"{ROWS}.Dynamic[avg(last(3)) * 0.8]": pytest.approx(802.6667)}
    assert outcome.failure_reason.endswith("(> avg(last(3)) * 0.8, where avg(last(3)) * 0.8 = 802.667)")
    (passing,) = _outcomes("RowCount > min(last(5)) * 0.2").values()
    assert (passing.outcome, passing.failure_reason) == ("Passed", None)


def test_dynamic_column_rules_and_composites_read_their_own_metric() -> None:
    outcomes = _outcomes('Completeness "genre" >= min(last(5)) * 0.9, (RowCount > 0) AND (RowCount < max(last(2)))')
    completeness = outcomes['Completeness "genre" >= min(last(5)) * 0.9']
    assert completeness.outcome == "Passed"  # 290/300 = 0.967 >= 0.95 * 0.9
    assert completeness.evaluated_metrics["Column.genre.Completeness.Dynamic[min(last(5)) * 0.9]"] == 0.95 * 0.9
    assert outcomes["(RowCount > 0) AND (RowCount < max(last(2)))"].outcome == "Passed"


def test_without_enough_history_a_dynamic_rule_is_in_error_never_passed() -> None:
    for history in (None, SeriesHistory({}), SeriesHistory({ROWS: [1.0, 2.0]})):
        (outcome,) = _outcomes("RowCount > min(last(3)) * 0", history).values()
        assert outcome.outcome == "Error" and "too little history" in outcome.failure_reason
        assert outcome.evaluated_metrics == {ROWS: 300}  # measured all the same, and so kept in the history


def test_detect_anomalies_flags_the_outlier_with_its_expected_range() -> None:
    outcomes = _outcomes('DetectAnomalies "RowCount", DetectAnomalies "Completeness" "genre"')
    rows = outcomes['DetectAnomalies "RowCount"']
    assert rows.outcome == "Failed" and rows.failure_reason.startswith(f"Anomaly: {ROWS} 300 is outside")
    assert rows.evaluated_metrics[f"{ROWS}.LowerBound"] == pytest.approx(974.0549, 1e-6)
    assert rows.evaluated_metrics[f"{ROWS}.UpperBound"] == pytest.approx(1025.9451, 1e-6)
    genre = outcomes['DetectAnomalies "Completeness" "genre"']
    assert genre.outcome == "Passed" and genre.evaluated_metrics["Column.genre.Completeness"] == pytest.approx(29 / 30)


def test_detect_anomalies_has_no_row_level_results_and_streams_as_in_memory(tmp_path: Path) -> None:
    ruleset = 'Rules = [ DetectAnomalies "RowCount" ]'
    evaluation = dqdl.evaluate(ruleset, FRAME, history=HISTORY)
    assert evaluation.rows[dqdl.SKIP_COLUMN].to_list() == [['DetectAnomalies "RowCount"']] * 300
    FRAME.write_parquet(tmp_path / "frame.parquet")
    prepared = dqdl.prepare(ruleset, pl.scan_parquet(tmp_path / "frame.parquet"), history=HISTORY)
    assert prepared.outcomes(pl.collect_all(prepared.measures, engine="streaming")) == evaluation.rules


def test_detect_anomalies_names_the_rule_types_it_takes() -> None:
    (outcome,) = _outcomes('DetectAnomalies "IsComplete" "genre"').values()
    assert outcome.outcome == "Error" and "not 'IsComplete'" in outcome.failure_reason


def test_analyzers_record_metrics_without_a_verdict() -> None:
    text = 'Rules = [ RowCount > 0 ] Analyzers = [ RowCount, Completeness "genre", AllStatistics "id" ]'
    evaluation = dqdl.evaluate(text, FRAME)
    assert [rule.rule for rule in evaluation.rules] == ["RowCount > 0"] and evaluation.score == 1.0
    found = {a.analyzer: (a.metrics, a.error) for a in evaluation.analyzers}
    assert found["RowCount"] == ({ROWS: 300}, None)
    assert found['Completeness "genre"'] == ({"Column.genre.Completeness": pytest.approx(29 / 30)}, None)
    assert found['AllStatistics "id"'][0] == {} and "not supported" in found['AllStatistics "id"'][1]


# ------------------------------------------------------------------------------- the lake's history


def _store_evaluation(root: Path, ruleset: str, run: str, minutes: int, metrics: dict[str, float | None]) -> Path:
    summary = {
        "ruleset": ruleset,
        "rows_in": 1,
        "rules": [{"rule": "RowCount > 0", "outcome": "Passed", "metrics": metrics}],
    }
    frame = history_rows(summary, {}, "input_data/x.csv", T0 + dt.timedelta(minutes=minutes))
    path = root / f"dq_history/source_file=x.csv/run_id={run}/metrics.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def _lake(root: Path, ruleset: str = "/deploy/rules/movies.dqdl") -> None:
    """Six evaluations of movies.dqdl (1000 rows first, 1005 newest) and one of another ruleset in between."""
    for minute, rows in enumerate([1000, 990, 1010, 995, 1005]):
        _store_evaluation(root, ruleset, f"run{minute}", minute, {ROWS: rows, "Column.genre.Completeness": 1.0})
    _store_evaluation(root, "/deploy/rules/other.dqdl", "other", 10, {ROWS: 5})
    _store_evaluation(root, ruleset, "current", 20, {ROWS: 300})


def test_the_lake_history_answers_newest_first_for_the_same_ruleset_without_the_current_run(tmp_path: Path) -> None:
    _lake(tmp_path)
    history = LakeMetricHistory(FolderStore(tmp_path), Path("quality_movies/rules/movies.dqdl"), exclude_run="current")
    assert history.previous(ROWS, 3) == [1005, 995, 1010]
    assert history.files_read == 4  # the other ruleset's file, then the newest three: not the whole history
    assert history.previous(ROWS, 10) == [1005, 995, 1010, 990, 1000]
    assert history.previous("Column.genre.Completeness", 2) == [1.0, 1.0]
    assert history.files_read == 6  # each file read once


def test_an_evaluation_where_the_metric_was_not_computed_does_not_count(tmp_path: Path) -> None:
    _store_evaluation(tmp_path, "movies.dqdl", "a", 0, {"Column.x.Mean": 2.0})
    _store_evaluation(tmp_path, "movies.dqdl", "b", 1, {"Column.x.Mean": None})
    assert LakeMetricHistory(FolderStore(tmp_path), "movies.dqdl").previous("Column.x.Mean", 2) == [2.0]


def test_no_history_folder_means_no_history(tmp_path: Path) -> None:
    assert local_history(tmp_path, "movies.dqdl") is None
    _lake(tmp_path)
    assert local_history(tmp_path, "movies.dqdl").previous(ROWS, 1) == [300]


# ------------------------------------------------------------------------- the stage and the CLI


def _ruleset(folder: Path) -> Path:
    ruleset = folder / "movies.dqdl"
    ruleset.write_text('Rules = [ RowCount > avg(last(3)) * 0.8, DetectAnomalies "RowCount", IsComplete "genre" ]')
    return ruleset


def test_run_stage_judges_the_dynamic_rules_with_the_history_it_is_given(tmp_path: Path) -> None:
    config = load_ruleset(_ruleset(tmp_path))
    judged = run_stage(
        IMDB_CSV, config, tmp_path / "out", history=SeriesHistory({ROWS: [1200.0, 1300, 1210, 1280, 1220]})
    )
    outcomes = {rule["rule"]: rule for rule in judged.summary["rules"]}
    assert outcomes["RowCount > avg(last(3)) * 0.8"]["outcome"] == "Passed"  # 1000 > 989.3
    assert outcomes['DetectAnomalies "RowCount"']["outcome"] == "Failed"
    assert outcomes['DetectAnomalies "RowCount"']["metrics"][f"{ROWS}.LowerBound"] > 1000  # 1220 - 3.5 * 20 / 0.6745
    assert judged.summary["stopped"] is None
    stopped = run_stage(IMDB_CSV, config, tmp_path / "none").summary
    assert stopped["stopped"].startswith('2 rule(s) could not be evaluated (on_error = "stop")')
    assert "too little history" in stopped["stopped"] and stopped["rows_good"] is None


def test_validate_reads_the_local_lake_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    ruleset = _ruleset(tmp_path)
    monkeypatch.setenv("QUALITY_MOVIES_HOME", str(tmp_path / "home"))
    _lake(tmp_path / "home" / "lake")  # newest: 300, 1005, 995, 1010, 990 rows
    args = ["validate", str(IMDB_CSV), "--rules", str(ruleset), "--out", str(tmp_path / "out"), "--json"]
    assert main(args) == 0
    outcomes = {rule["rule"]: rule for rule in json.loads(capsys.readouterr().out)["rules"]}
    dynamic = outcomes["RowCount > avg(last(3)) * 0.8"]
    assert dynamic["outcome"] == "Passed"
    assert dynamic["metrics"][f"{ROWS}.Dynamic[avg(last(3)) * 0.8]"] == pytest.approx((300 + 1005 + 995) / 3 * 0.8)
    assert outcomes['DetectAnomalies "RowCount"']["outcome"] == "Passed"  # median 995 of the five newest


def test_lint_says_which_rules_need_previous_runs(tmp_path: Path, capsys) -> None:
    assert main(["lint", str(_ruleset(tmp_path))]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "previous runs" in line]
    assert [note.split(" is judged")[0] for note in notes] == [
        "note: RowCount > avg(last(3)) * 0.8",
        'note: DetectAnomalies "RowCount"',
    ]
