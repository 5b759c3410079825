"""Glue keeps the last good schema as the local catalog does: a file failing before routing never replaces it."""

import dagster as dg
import polars as pl
import pytest

from quality_movies.definitions import build_definitions
from quality_movies.partitions import landed_files
from quality_movies_tests.conftest import IMDB_CSV, read_imdb

pytestmark = pytest.mark.aws


def _glue_columns(aws) -> list[str]:
    table = aws.client("glue").get_table(DatabaseName=aws.database, Name="input_data")["Table"]
    return [column["Name"] for column in table["StorageDescriptor"]["Columns"]]


def _drift(result: dg.ExecuteInProcessResult) -> dict:
    (check,) = [c for c in result.get_asset_check_evaluations() if c.check_name == "schema_matches_previous_crawl"]
    return check.metadata["drift"].value


def test_glue_keeps_the_last_loaded_schema_and_drift_is_measured_against_it(aws, home, empty_warehouse, tmp_path):
    no_genre, widened = tmp_path / "no_genre.csv", tmp_path / "widened.csv"
    read_imdb().drop("genre").write_csv(no_genre)
    read_imdb().with_columns(studio=pl.lit("MGM")).write_csv(widened)
    s3 = aws.client("s3")
    for name, source in (("a.csv", IMDB_CSV), ("b.csv", no_genre), ("c.csv", widened)):
        s3.upload_file(str(source), aws.bucket, f"input_data/{name}")
    job = build_definitions(home).resolve_job_def("ingest_landed_file")

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(landed_files.name, ["a.csv", "b.csv", "c.csv"])
        runs = {
            name: job.execute_in_process(partition_key=name, instance=instance, raise_on_error=False)
            for name in ("a.csv", "b.csv")
        }
        assert runs["a.csv"].success and not runs["b.csv"].success
        assert "genre" in _glue_columns(aws)  # b.csv failed (no genre column): Glue still holds a.csv's schema
        widened_run = job.execute_in_process(partition_key="c.csv", instance=instance)

    assert _drift(widened_run) == {"added": ["studio"], "removed": [], "retyped": []}  # against a.csv, not b.csv
    assert _glue_columns(aws)[-1] == "studio"
