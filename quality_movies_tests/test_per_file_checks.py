"""Checks are evaluated per landed file: one file failing a rule shows red on its own partition only.

Asserted as the UI reads it, through Dagster's GraphQL API on an in-process workspace of the project's
definitions (the API `dagster dev` serves), and in the instance's check-evaluation records.
"""

import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from dagster._core.test_utils import in_process_test_workspace
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster_graphql.test.utils import execute_dagster_graphql

from quality_movies.assets.quality import ROWS_CONSERVED
from quality_movies.assets.warehouse import LOADED_MATCHES_GOOD
from quality_movies_tests.conftest import read_imdb
from quality_movies_tests.data_files import IMDB_CSV

YEAR_RULE = "columnvalues_released_year_matches_0_9_4"
RATING_RULE = "columnvalues_imdb_rating_between_8_5_and_10_3"
CHECK_STATUSES = """
query ($assetKey: AssetKeyInput!) {
  assetNodeOrError(assetKey: $assetKey) {
    ... on AssetNode {
      assetChecksOrError {
        ... on AssetChecks {
          checks {
            name
            partitionStatuses { ... on AssetCheckDefaultPartitionStatuses { succeededPartitions failedPartitions } }
          }
        }
      }
    }
  }
}
"""


def _clean_file(folder: Path) -> Path:
    """The IMDb rows every default rule keeps: a file that passes all seven rule checks."""
    rating = pl.col("imdb_rating").cast(pl.Float64, strict=False)
    kept = read_imdb().filter((rating > 8.5) & pl.col("released_year").str.contains(r"^[0-9]{4}$"))
    path = folder / "clean_movies.csv"
    kept.write_csv(path)
    return path


@pytest.fixture
def two_files(pipeline, tmp_path):
    """A clean file and the real IMDb file (which fails the rating and year rules), each run by the ingest job.

    On an instance kept in a folder, as `dagster dev` keeps one (the workspace refuses an ephemeral one).
    """
    with dg.instance_for_test() as instance:
        pipeline.instance = instance
        clean, real = pipeline.land(_clean_file(tmp_path)), pipeline.land(IMDB_CSV)
        assert pipeline.run(clean).success and pipeline.run(real).success
        yield clean, real


def _statuses(instance: dg.DagsterInstance, asset_key: list[str]) -> dict[str, dict[str, list[str]]]:
    origin = LoadableTargetOrigin(
        executable_path=sys.executable, module_name="quality_movies.definitions", attribute="defs"
    )
    # Entered as the webserver enters each request's context: dynamic partitions are read through it.
    with in_process_test_workspace(instance, origin) as context, context:
        result = execute_dagster_graphql(context, CHECK_STATUSES, {"assetKey": {"path": asset_key}})
    checks = result.data["assetNodeOrError"]["assetChecksOrError"]["checks"]
    return {check["name"]: check["partitionStatuses"] for check in checks}


def test_a_failed_rule_is_red_on_its_file_only_in_the_graphql_api(pipeline, two_files):
    clean, real = two_files

    rules = _statuses(pipeline.instance, ["dq_evaluated_rows"])

    assert len(rules) == 7
    for name in (YEAR_RULE, RATING_RULE):
        assert rules[name] == {"succeededPartitions": [clean], "failedPartitions": [real]}
    passing = [name for name in rules if name not in (YEAR_RULE, RATING_RULE)]
    for name in passing:
        assert sorted(rules[name]["succeededPartitions"]) == sorted([clean, real])
        assert rules[name]["failedPartitions"] == []
    for asset, check in ((["good_rows"], ROWS_CONSERVED), (["movies", "imdb_movies_rating"], LOADED_MATCHES_GOOD)):
        status = _statuses(pipeline.instance, asset)[check]
        assert sorted(status["succeededPartitions"]) == sorted([clean, real]) and status["failedPartitions"] == []


def test_each_check_evaluation_is_recorded_with_its_file(pipeline, two_files):
    clean, real = two_files
    key = dg.AssetCheckKey(dg.AssetKey("dq_evaluated_rows"), YEAR_RULE)

    records = pipeline.instance.event_log_storage.get_asset_check_execution_history(key, limit=10)

    outcomes = {record.partition: record.event.asset_check_evaluation.passed for record in records}
    assert outcomes == {clean: True, real: False}


def test_the_evaluated_rows_carry_plottable_figures_per_file(pipeline, two_files):
    clean, real = two_files
    records = pipeline.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("dq_evaluated_rows"), asset_partitions=[real]), limit=1
    ).records
    metadata = {k: v.value for k, v in records[0].asset_materialization.metadata.items()}

    assert metadata["dq_score_percent"] == 71.4  # 5 of 7 rules passed
    assert (metadata["rows_in"], metadata["rows_good"], metadata["rows_bad"]) == (1000, 33, 967)
    assert metadata[f"{RATING_RULE}: failing_rows"] == 967 and metadata[f"{YEAR_RULE}: failing_rows"] == 1
    assert metadata[f"{RATING_RULE}: Column.imdb_rating.Maximum"] == 9.3
