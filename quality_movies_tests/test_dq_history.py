"""The data-quality history: every evaluation per file and run, in the lake (Parquet) and the warehouse."""

import datetime as dt
import json
import re
import subprocess
import sys

import dagster as dg
import polars as pl
import pytest

from quality_movies.assets.history import (
    HISTORY_TABLE,
    history_key,
    latest_history_keys,
    record_history,
    replace_run_history,
)
from quality_movies.cli import main
from quality_movies.history import HISTORY_FILE, HISTORY_PREFIX, history_rows
from quality_movies.resources.lake import DQ_HISTORY
from quality_movies_tests.conftest import Pipeline, expected_good
from quality_movies_tests.data_files import IMDB_CSV, IMDB_LF_CSV

SOURCE = "input_data/imdb_movies_rating.csv"
RATING_RULE = 'ColumnValues "imdb_rating" between 8.5 and 10.3'
GOOD = expected_good()


def _metadata(result, asset):
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == asset]
    return {k: v.value for k, v in event.step_materialization_data.materialization.metadata.items()}


def _warehouse_history(warehouse) -> pl.DataFrame:
    with warehouse.connection() as conn:
        cursor = conn.cursor()
        cursor.execute(f"SELECT source_file, run_id, rule_text, metric, metric_value FROM movies.{HISTORY_TABLE}")
        rows = [tuple(row) for row in cursor.fetchall()]
    return pl.DataFrame(rows, schema=["source_file", "run_id", "rule_text", "metric", "metric_value"], orient="row")


def test_the_lake_prefix_is_the_one_the_cli_reads():
    assert DQ_HISTORY == HISTORY_PREFIX


def test_each_evaluation_leaves_its_metrics_in_the_lake_under_an_athena_layout(pipeline):
    partition = pipeline.land(IMDB_CSV)
    first, second = pipeline.run(partition), pipeline.run(pipeline.land(IMDB_CSV))  # loaded files leave: landed again

    keys = sorted(pipeline.keys(DQ_HISTORY))
    assert keys == sorted(history_key(partition, run.run_id) for run in (first, second))
    assert f"dq_history/source_file=imdb_movies_rating.csv/run_id={first.run_id}/{HISTORY_FILE}" in keys
    history = pl.read_parquet(pipeline.lake.path(history_key(partition, first.run_id)))
    assert "source_file" not in history.columns and "run_id" not in history.columns  # they are the folders
    assert history["landed_key"].unique().to_list() == [SOURCE]
    assert history.select("rows_in", "rows_good", "rows_bad", "rules_passed", "rules_total").unique().rows() == [
        (1000, GOOD, 1000 - GOOD, 5, 7)
    ]
    assert history["dq_score"].unique().to_list() == [pytest.approx(5 / 7)]
    metrics = {(r["rule_text"], r["metric"]): r["metric_value"] for r in history.iter_rows(named=True)}
    assert metrics[(RATING_RULE, "Column.imdb_rating.Maximum")] == 9.3
    assert metrics[("RowCount > 0", "Dataset.*.RowCount")] == 1000
    failing = history.filter(pl.col("rule_text") == RATING_RULE)["failing_rows"].unique().to_list()
    assert failing == [1000 - GOOD] and history.height < 100  # a few rows per rule


def test_the_warehouse_history_holds_each_run_once_beside_the_table(pipeline, warehouse):
    partition = pipeline.land(IMDB_CSV)
    first, second = pipeline.run(partition), pipeline.run(pipeline.land(IMDB_CSV))  # loaded files leave: landed again
    other = pipeline.run(pipeline.land(IMDB_LF_CSV, name="imdb_movies_rating_lf.csv"))

    stored = _warehouse_history(warehouse)
    in_lake = pl.read_parquet(pipeline.lake.path(history_key(partition, first.run_id))).height
    per_run = dict(stored.group_by("run_id").len().iter_rows())
    assert per_run == {first.run_id: in_lake, second.run_id: in_lake, other.run_id: in_lake}
    assert _metadata(second, "dq_evaluated_rows")["dq_history_rows"] == in_lake  # written by the quality step
    maximum = stored.filter((pl.col("run_id") == first.run_id) & (pl.col("metric") == "Column.imdb_rating.Maximum"))
    assert maximum.rows() == [(SOURCE, first.run_id, RATING_RULE, "Column.imdb_rating.Maximum", 9.3)]


def test_loading_one_runs_history_again_replaces_it(pipeline, warehouse):
    partition = pipeline.land(IMDB_CSV)
    run = pipeline.run(partition)
    history = pl.read_parquet(pipeline.lake.path(history_key(partition, run.run_id)))

    with warehouse.session() as session:
        again = replace_run_history(session, SOURCE, run.run_id, history)
        once_more = replace_run_history(session, SOURCE, run.run_id, history)

    assert again == once_more == history.height
    assert _warehouse_history(warehouse).height == history.height


def test_the_summary_covers_each_files_latest_evaluation(pipeline):
    partition = pipeline.land(IMDB_CSV)
    pipeline.run(partition)
    pipeline.run(partition)
    last = pipeline.run(pipeline.land(IMDB_LF_CSV, name="imdb_movies_rating_lf.csv"))

    summary = _metadata(last, "dq_summary")

    assert len(latest_history_keys(pipeline.lake)) == 2
    assert (summary["files"], summary["files_with_failed_checks"]) == (2, 2)
    assert (summary["rows_in"], summary["rows_good"], summary["rows_bad"]) == (2000, 2 * GOOD, 2 * (1000 - GOOD))
    assert summary["mean_score_percent"] == summary["lowest_score_percent"] == 71.4
    assert "imdb_movies_rating_lf.csv" in summary["files_table"]


def test_history_prints_each_files_runs_and_one_files_rules(pipeline, monkeypatch, capsys):
    monkeypatch.setenv("QUALITY_MOVIES_HOME", str(pipeline.home))
    partition = pipeline.land(IMDB_CSV)
    first, second = pipeline.run(partition), pipeline.run(pipeline.land(IMDB_CSV))  # loaded files leave: landed again

    assert main(["history", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [run["run_id"] for run in runs] == [first.run_id[:8], second.run_id[:8]]
    assert {(run["file"], run["rows_in"], run["rows_good"], run["score_pct"]) for run in runs} == {
        (SOURCE, 1000, GOOD, 71.4)
    }
    failed = "columnvalues_imdb_rating_between_8_5_and_10_3, columnvalues_released_year_matches_0_9_4"
    assert runs[0]["failed_checks"] == failed

    assert main(["history", "--file", "imdb_movies_rating.csv"]) == 0
    text = capsys.readouterr().out
    assert "| 71.4 " in text and "latest evaluation, by rule:" in text
    assert re.search(r"\| Failed +\| 967 +\| Column\.imdb_rating\.Maximum +\| 9\.3$", text, re.MULTILINE)
    assert main(["history", "--file", "nothing.csv"]) == 1


def test_history_never_imports_dagster(tmp_path):
    script = (
        "import json, sys\n"
        "from quality_movies.cli import main\n"
        "main(['history'])\n"
        "print(json.dumps([m for m in sys.modules if m.split('.')[0].startswith('dagster')]))\n"
    )
    env = {"QUALITY_MOVIES_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    assert json.loads(done.stdout.splitlines()[-1]) == []


STRICT_RULES = 'Rules = [\n    IsComplete "imdb_rating",\n    ColumnValues "imdb_rating" between 8.5 and 10.3\n]\n'
STRICT_RATING = '[rules."ColumnValues \\"imdb_rating\\" between 8.5 and 10.3"]\nseverity = "error"\n'


@pytest.mark.parametrize(
    ("settings", "rows_good"),
    [
        ('on_dataset_failure = "stop"\n' + STRICT_RATING, None),  # nothing routed
        (STRICT_RATING + "blocking = true\n", GOOD),  # routed, then the blocking check fails the step
    ],
    ids=["the-ruleset-stops-the-file", "a-blocking-rule-fails"],
)
def test_an_evaluation_whose_load_never_runs_is_in_the_lake_and_the_warehouse_history(
    settings, rows_good, clean_home, empty_warehouse, tmp_path, monkeypatch
):
    (tmp_path / "strict.dqdl").write_text(STRICT_RULES)
    (tmp_path / "strict.toml").write_text(settings)
    monkeypatch.setenv("QUALITY_MOVIES_RULESET", str(tmp_path / "strict.dqdl"))
    pipeline = Pipeline(clean_home)
    partition = pipeline.land(IMDB_CSV)

    result = pipeline.run(partition)

    assert not result.success
    loaded = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert "imdb_movies_rating" not in loaded  # the load never ran
    history = pl.read_parquet(pipeline.lake.path(history_key(partition, result.run_id)))
    assert history.select("rows_in", "rows_good", "rules_passed").unique().rows() == [(1000, rows_good, 1)]
    assert set(history["outcome"]) == {"Passed", "Failed"}
    stored = _warehouse_history(empty_warehouse)
    assert stored.select("source_file", "run_id").unique().rows() == [(SOURCE, result.run_id)]
    assert stored.height == history.height
    maximum = stored.filter(pl.col("metric") == "Column.imdb_rating.Maximum")["metric_value"].to_list()
    assert maximum == [9.3]


def test_recording_one_runs_evaluation_again_replaces_it_in_the_lake_and_the_warehouse(clean_home, empty_warehouse):
    pipeline = Pipeline(clean_home)
    partition = pipeline.land(IMDB_CSV)
    summary = {
        "ruleset": "movies.dqdl",
        "rows_in": 1000,
        "rules": [{"rule": "RowCount > 0", "outcome": "Passed", "metrics": {"Dataset.*.RowCount": 1000}}],
    }
    names = {"RowCount > 0": "rowcount_gt_0"}

    with dg.build_asset_context(partition_key=partition) as context:  # a retried step: the same file and run
        first = record_history(context, pipeline.lake, empty_warehouse, summary, names, SOURCE)
        again = record_history(context, pipeline.lake, empty_warehouse, summary, names, SOURCE)

    assert first == again == (history_key(partition, context.run_id), 1)
    assert pipeline.keys(DQ_HISTORY) == [first[0]]
    assert _warehouse_history(empty_warehouse).rows() == [
        (SOURCE, context.run_id, "RowCount > 0", "Dataset.*.RowCount", 1000.0)
    ]


def test_analyzers_metrics_join_the_history_without_a_verdict():
    summary = {
        "ruleset": "movies.dqdl",
        "rows_in": 10,
        "rules": [{"rule": "RowCount > 0", "outcome": "Passed", "metrics": {"Dataset.*.RowCount": 10}}],
        "analyzers": [{"analyzer": 'Completeness "genre"', "metrics": {"Column.genre.Completeness": 0.9}}],
    }

    rows = history_rows(summary, {"RowCount > 0": "rowcount_gt_0"}, SOURCE, dt.datetime(2026, 11, 30))

    assert rows.select("rule_text", "outcome", "metric", "metric_value").rows() == [
        ("RowCount > 0", "Passed", "Dataset.*.RowCount", 10.0),
        ('Completeness "genre"', None, "Column.genre.Completeness", 0.9),
    ]
    assert rows["rules_total"].unique().to_list() == [1]  # an analyzer is not a rule
