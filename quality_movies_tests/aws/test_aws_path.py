"""The whole AWS path against a real HTTP endpoint: S3 lake, Glue catalog, SNS, sensor-triggered runs."""

import json
import urllib.request

import dagster as dg
import polars as pl
import pytest

from quality_movies.definitions import build_definitions, resources_from_env
from quality_movies.partitions import landed_files
from quality_movies.sensors import landing_sensor
from quality_movies_tests.conftest import IMDB_CSV, expected_good, read_imdb

pytestmark = pytest.mark.aws

EXPECTED_GOOD = expected_good()


def _tick(home, instance: dg.DagsterInstance, cursor: str | None = None) -> dg.SensorResult:
    """One evaluation of the landing sensor, its partition requests applied as the daemon would."""
    lake = resources_from_env(home)["lake"]
    with dg.build_sensor_context(instance_ref=instance.get_ref(), cursor=cursor, resources={"lake": lake}) as context:
        result = landing_sensor(context)
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def test_a_file_put_into_the_bucket_is_sensed_loaded_quarantined_catalogued_and_announced(aws, home, empty_warehouse):
    aws.client("s3").upload_file(str(IMDB_CSV), aws.bucket, "input_data/imdb_movies_rating.csv")
    defs = build_definitions(home)

    with dg.instance_for_test() as instance:
        tick = _tick(home, instance)
        (request,) = tick.run_requests
        assert instance.get_dynamic_partitions(landed_files.name) == ["imdb_movies_rating.csv"]
        result = defs.resolve_job_def("ingest_landed_file").execute_in_process(
            partition_key=request.partition_key, instance=instance, tags=request.tags
        )
        assert result.success
        assert _tick(home, instance, tick.cursor).run_requests == []
        materialized = result.asset_materializations_for_node("quality_stage")
        (bad_rows,) = [m for m in materialized if m.asset_key.path == ["bad_rows"]]

    (bad_key,) = aws.keys("bad_records/")
    bad = pl.read_ndjson(f"s3://{aws.bucket}/{bad_key}", storage_options=aws.storage_options())
    assert bad.height == 1000 - EXPECTED_GOOD
    with urllib.request.urlopen(bad_rows.metadata["open_bad_records"].value) as opened:  # the UI's link
        assert len(opened.read().splitlines()) == 1000 - EXPECTED_GOOD
    assert (bad["DataQualityEvaluationResult"] == "Failed").all()
    assert len(aws.keys("rule_outcome/")) == 1
    assert aws.keys("processed/") == [
        f"processed/source_file=imdb_movies_rating.csv/run_id={result.run_id}/imdb_movies_rating.csv"
    ]
    assert empty_warehouse.query_one("count_file_rows", ("input_data/imdb_movies_rating.csv",))[0] == EXPECTED_GOOD

    table = aws.client("glue").get_table(DatabaseName=aws.database, Name="input_data")["Table"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert len(columns) == 16 and columns["imdb_rating"] == "double" and columns["no_of_votes"] == "bigint"
    assert table["StorageDescriptor"]["Location"] == f"s3://{aws.bucket}/input_data/"

    messages = {m["MessageAttributes"]["event"]["Value"]: m for m in aws.messages()}
    assert messages.keys() == {"data_quality", "pipeline_status"}
    quality = json.loads(messages["data_quality"]["MessageAttributes"]["summary"]["Value"])
    assert (quality["rows_bad"], quality["rows_in"]) == (1000 - EXPECTED_GOOD, 1000)
    assert f"Bad rows: {1000 - EXPECTED_GOOD} of 1000" in messages["data_quality"]["Message"]
    status = json.loads(messages["pipeline_status"]["MessageAttributes"]["summary"]["Value"])
    assert status["status"] == "SUCCEEDED" and status["warehouse_rows"] == EXPECTED_GOOD
    assert messages["pipeline_status"]["Subject"] == "quality_movies SUCCEEDED: input_data/imdb_movies_rating.csv"


def test_an_unreachable_topic_never_fails_the_load(aws, home, empty_warehouse, monkeypatch):
    monkeypatch.setenv("QUALITY_MOVIES_SNS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:no-such-topic")
    aws.client("s3").upload_file(str(IMDB_CSV), aws.bucket, "input_data/imdb_movies_rating.csv")
    defs = build_definitions(home)

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(landed_files.name, ["imdb_movies_rating.csv"])
        result = defs.resolve_job_def("ingest_landed_file").execute_in_process(
            partition_key="imdb_movies_rating.csv", instance=instance
        )

    assert result.success
    assert empty_warehouse.query_one("count_file_rows", ("input_data/imdb_movies_rating.csv",))[0] == EXPECTED_GOOD
    assert aws.messages() == []


def test_a_crawl_with_other_columns_reports_drift_and_glue_keeps_the_loaded_schema(
    aws, home, empty_warehouse, tmp_path
):
    renamed = tmp_path / "renamed.csv"
    read_imdb().rename({"gross": "gross_usd"}).write_csv(renamed)
    s3 = aws.client("s3")
    s3.upload_file(str(IMDB_CSV), aws.bucket, "input_data/a.csv")
    s3.upload_file(str(renamed), aws.bucket, "input_data/b.csv")
    defs = build_definitions(home)

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(landed_files.name, ["a.csv", "b.csv"])
        job = defs.resolve_job_def("ingest_landed_file")
        assert job.execute_in_process(partition_key="a.csv", instance=instance).success  # registers its crawl
        second = job.execute_in_process(
            partition_key="b.csv", instance=instance, asset_selection=[dg.AssetKey("crawled_table")]
        )

    (check,) = second.get_asset_check_evaluations()
    assert (check.check_name, check.passed) == ("schema_matches_previous_crawl", False)
    assert check.metadata["drift"].value == {"added": ["gross_usd"], "removed": ["gross"], "retyped": []}
    glue_columns = aws.client("glue").get_table(DatabaseName=aws.database, Name="input_data")["Table"]
    names = [c["Name"] for c in glue_columns["StorageDescriptor"]["Columns"]]
    assert "gross" in names and "gross_usd" not in names  # a crawl alone never replaces the last loaded schema
