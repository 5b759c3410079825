"""The whole graph on the real IMDb file, against the embedded PostgreSQL."""

import json
import urllib.request

import dagster as dg
import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies.resources.lake import BAD_RECORDS, PROCESSED, RULE_OUTCOME, staged_good_rows_key
from quality_movies.resources.warehouse import ROWS_PER_INSERT
from quality_movies_tests.conftest import expected_good, read_imdb
from quality_movies_tests.data_files import IMDB_CSV, IMDB_LF_CSV

SOURCE = "input_data/imdb_movies_rating.csv"
EXPECTED_GOOD = expected_good()
PIPELINE_CHECKS = (
    "schema_matches_previous_crawl",
    "rows_conserved",
    "warehouse_matches_good_rows",
    "view_counts_every_loaded_row",
)


def _count(warehouse, name, *params):
    return warehouse.query_one(name, params)[0]


def _metadata(result, asset):
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key.path[-1] == asset:
            return {k: v.value for k, v in materialization.metadata.items()}
    raise AssertionError(f"{asset} was not materialized")


def test_the_real_file_flows_through_every_asset_into_the_view(pipeline, warehouse):
    result = pipeline.run(pipeline.land(IMDB_CSV))

    assert result.success
    materialized = {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}
    assert materialized == {
        "landed_file",
        "crawled_table",
        "dq_evaluated_rows",
        "good_rows",
        "bad_rows",
        "imdb_movies_rating",
        "year_aggregated_genre",
        "dq_summary",
    }
    pipeline_checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert {name: pipeline_checks[name] for name in PIPELINE_CHECKS} == dict.fromkeys(PIPELINE_CHECKS, True)
    assert _count(warehouse, "count_file_rows", SOURCE) == EXPECTED_GOOD
    groups, movies = warehouse.query_one("view_summary")
    assert movies == EXPECTED_GOOD and 0 < groups <= EXPECTED_GOOD


def test_every_input_row_is_in_the_warehouse_or_the_quarantine_with_its_reason(pipeline, warehouse):
    pipeline.run(pipeline.land(IMDB_CSV))

    (bad_key,) = pipeline.keys(BAD_RECORDS)
    bad = pipeline.read_ndjson(bad_key)
    assert bad.height + _count(warehouse, "count_file_rows", SOURCE) == 1000
    assert bad.height == 1000 - EXPECTED_GOOD
    assert (bad[dqdl.RESULT_COLUMN] == "Failed").all()
    assert bad[dqdl.FAIL_COLUMN].list.len().min() >= 1
    assert bad["source_row"].n_unique() == bad.height


def test_rule_outcomes_are_written_as_json_lines(pipeline):
    pipeline.run(pipeline.land(IMDB_CSV))

    (outcome_key,) = pipeline.keys(RULE_OUTCOME)
    outcomes = [json.loads(line) for line in pipeline.lake.path(outcome_key).read_text().splitlines()]
    assert [(o["rule"], o["outcome"], o["failing_rows"]) for o in outcomes] == [
        ('IsComplete "imdb_rating"', "Passed", 0),
        ('ColumnValues "imdb_rating" between 8.5 and 10.3', "Failed", 1000 - EXPECTED_GOOD),
        ("RowCount > 0", "Passed", None),
        ('IsComplete "series_title"', "Passed", 0),
        ('IsComplete "genre"', "Passed", 0),
        ('IsComplete "released_year"', "Passed", 0),
        ('ColumnValues "released_year" matches "[0-9]{4}"', "Failed", 1),  # Apollo 13, year 'PG'
    ]
    assert outcomes[1]["metrics"] == {"Column.imdb_rating.Minimum": 7.6, "Column.imdb_rating.Maximum": 9.3}


def test_each_rule_is_an_asset_check_with_its_outcome_metrics_and_failing_sample(pipeline):
    result = pipeline.run(pipeline.land(IMDB_CSV))

    checks = {
        c.check_name: c for c in result.get_asset_check_evaluations() if c.asset_key.path == ["dq_evaluated_rows"]
    }
    assert len(checks) == 7
    year = checks["columnvalues_released_year_matches_0_9_4"]
    assert not year.passed and year.severity == dg.AssetCheckSeverity.WARN
    assert year.metadata["rule"].value == 'ColumnValues "released_year" matches "[0-9]{4}"'
    assert year.metadata["failing_rows"].value == 1
    assert "Apollo 13" in year.metadata["failing_sample"].value and "| PG |" in year.metadata["failing_sample"].value
    assert checks["rowcount_gt_0"].passed and checks["iscomplete_imdb_rating"].passed


def test_rerun_of_a_partition_replaces_its_rows(pipeline, warehouse):
    partition = pipeline.land(IMDB_CSV)
    first = pipeline.run(partition)
    pipeline.land(IMDB_CSV)  # loaded, the file left input_data/: a rerun reads it landed again
    second = pipeline.run(partition)

    assert first.success and second.success
    assert _count(warehouse, "count_file_rows", SOURCE) == EXPECTED_GOOD
    assert _count(warehouse, "count_table_rows") == EXPECTED_GOOD
    with warehouse.connection() as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT DISTINCT run_id FROM movies.imdb_movies_rating")
        assert [list(row) for row in cursor.fetchall()] == [[second.run_id]]
    assert len(pipeline.keys(BAD_RECORDS)) == 1  # the earlier run's quarantine was replaced
    archived = [key.split("/run_id=")[1].split("/")[0] for key in pipeline.keys(PROCESSED)]
    assert archived == [second.run_id]  # and so was its archive copy


def test_crlf_and_lf_copies_of_the_file_give_identical_results(pipeline, warehouse):
    crlf = pipeline.run(pipeline.land(IMDB_CSV))
    lf = pipeline.run(pipeline.land(IMDB_LF_CSV, name="imdb_movies_rating_lf.csv"))

    for asset in ("dq_evaluated_rows", "good_rows", "bad_rows"):
        assert _metadata(crlf, asset)["dagster/row_count"] == _metadata(lf, asset)["dagster/row_count"]
    assert _count(warehouse, "count_table_rows") == 2 * EXPECTED_GOOD
    assert _metadata(lf, "year_aggregated_genre")["movie_count_total"] == 2 * EXPECTED_GOOD


def test_a_file_missing_a_required_column_fails_before_the_warehouse(pipeline, warehouse, tmp_path):
    pipeline.run(pipeline.land(IMDB_CSV))
    broken = tmp_path / "no_rating.csv"
    read_imdb().drop("imdb_rating").write_csv(broken)

    result = pipeline.run(pipeline.land(broken))

    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    assert "no_rating.csv: the header lacks imdb_rating" in failure.step_failure_data.error.cause.message
    assert _count(warehouse, "count_table_rows") == EXPECTED_GOOD


def test_a_row_that_cannot_take_the_warehouse_types_is_quarantined_not_lost(pipeline, warehouse, tmp_path):
    frame = read_imdb().head(20).with_columns(imdb_rating=pl.lit("9.0"))
    frame = frame.with_columns(
        meta_score=pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("eighty")).otherwise(pl.col("meta_score"))
    )
    odd = tmp_path / "odd.csv"
    frame.write_csv(odd)

    result = pipeline.run(pipeline.land(odd))

    assert result.success
    assert _count(warehouse, "count_file_rows", "input_data/odd.csv") == 19
    (bad_key,) = pipeline.keys(BAD_RECORDS)
    bad = pipeline.read_ndjson(bad_key)
    assert bad["ContractViolations"].to_list() == [["meta_score: 'eighty' is not a BIGINT"]]


def test_a_load_that_fails_half_way_leaves_the_table_unchanged(pipeline, warehouse):
    partition = pipeline.land(IMDB_CSV)
    pipeline.run(partition)
    with warehouse.connection() as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT run_id, COUNT(*) FROM movies.imdb_movies_rating GROUP BY run_id")
        before = cursor.fetchall()
    typed = pipeline.lake.read_parquet(staged_good_rows_key(partition))  # the quality step's good rows
    assert typed.height == EXPECTED_GOOD
    # Rows enough for two INSERT statements; the second carries a year too long for VARCHAR(16).
    size = ROWS_PER_INSERT + 100
    rows = pl.concat([typed] * (size // typed.height + 1)).head(size)
    rows = rows.with_columns(
        released_year=pl.when(pl.int_range(pl.len()) == size - 1)
        .then(pl.lit("x" * 40))
        .otherwise(pl.col("released_year"))
    )

    with pytest.raises(Exception, match="too long"):
        warehouse.replace_file_rows(SOURCE, rows.lazy(), "run-that-fails")

    with warehouse.connection() as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT run_id, COUNT(*) FROM movies.imdb_movies_rating GROUP BY run_id")
        assert [list(row) for row in cursor.fetchall()] == [list(row) for row in before]


def test_the_bad_rows_asset_links_to_its_whole_quarantine(pipeline):
    result = pipeline.run(pipeline.land(IMDB_CSV))
    link = _metadata(result, "bad_rows")["open_bad_records"]
    (bad_key,) = pipeline.keys(BAD_RECORDS)
    with urllib.request.urlopen(link) as opened:  # what a browser fetches when the link is clicked
        assert opened.read() == pipeline.lake.path(bad_key).read_bytes()
