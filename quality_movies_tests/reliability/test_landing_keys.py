"""Keys are data: a key the lake cannot hold is refused alone, with its reason; long keys and deep paths ingest.

The sensor ticks through `build_sensor_context` on a real instance; long and deep files then run through the
whole Dagster job into the embedded warehouse, as the daemon would run the sensor's requests.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import dagster as dg
import pytest

from quality_movies.partitions import NAME_MAX_BYTES
from quality_movies.resources.lake import BAD_RECORDS, PROCESSED, RULE_OUTCOME, Lake, UnsafeKeyError
from quality_movies.resources.local_lake import LocalLake
from quality_movies.resources.s3_lake import S3Lake
from quality_movies.sensors import landing_sensor
from quality_movies_tests.conftest import IMDB_CSV, Pipeline, expected_good, read_imdb

GOOD = b"a,b\n1,2\n"


class _Recorded(logging.Handler):
    """Keeps the messages logged to it."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(logging.INFO)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _tick(lake: Lake, instance: dg.DagsterInstance, cursor: str | None, log: list[str]) -> dg.SensorResult:
    """One evaluation of the landing sensor, its partitions added as the daemon would, its log kept in `log`."""
    with dg.build_sensor_context(instance_ref=instance.get_ref(), cursor=cursor, resources={"lake": lake}) as context:
        context.log.addHandler(_Recorded(log))  # what the UI shows as the tick's log
        result = landing_sensor(context)
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def _ticks(lake: Lake, instance: dg.DagsterInstance, count: int, log: list[str]) -> list[list[dg.RunRequest]]:
    """The run requests of `count` consecutive ticks."""
    cursor, requested = None, []
    for _ in range(count):
        result = _tick(lake, instance, cursor, log)
        cursor = result.cursor
        requested.append(list(result.run_requests))
    return requested


def _refusals(messages: list[str]) -> list[str]:
    return [message for message in messages if message.startswith("not ingesting")]


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_a_backslash_key_is_refused_alone_with_its_reason_once(tmp_path, instance):
    lake, log = LocalLake(root=str(tmp_path / "lake")), []
    lake.write_bytes("input_data/good.csv", GOOD)
    (lake.path("input_data") / "back\\slash.csv").write_bytes(GOOD)  # a valid file name on Linux, and on S3

    ticks = _ticks(lake, instance, 3, log)

    assert [[r.partition_key for r in requests] for requests in ticks] == [[], ["good.csv"], []]
    (refusal,) = _refusals(log)  # once for this version, not at every tick
    assert "back\\\\slash.csv" in refusal and "backslash" in refusal


def test_a_name_that_is_not_utf8_is_refused_alone(tmp_path, instance):
    lake, log = LocalLake(root=str(tmp_path / "lake")), []
    lake.write_bytes("input_data/good.csv", GOOD)
    with open(os.path.join(os.fsencode(lake.path("input_data")), b"latin1 \xe9t\xe9.csv"), "wb") as landed:
        landed.write(GOOD)

    ticks = _ticks(lake, instance, 2, log)

    assert [r.partition_key for requests in ticks for r in requests] == ["good.csv"]
    (refusal,) = _refusals(log)
    assert "not valid UTF-8" in refusal


def test_a_symlink_to_a_file_outside_the_lake_is_refused_and_never_read(tmp_path, instance):
    outside = tmp_path / "secret.csv"
    outside.write_text("password,owner\nhunter2,root\n")
    lake, log = LocalLake(root=str(tmp_path / "lake")), []
    lake.write_bytes("input_data/good.csv", GOOD)
    (lake.path("input_data") / "link.csv").symlink_to(outside)

    ticks = _ticks(lake, instance, 2, log)

    assert [r.partition_key for requests in ticks for r in requests] == ["good.csv"]
    (refusal,) = _refusals(log)
    assert "link.csv" in refusal and "outside the lake" in refusal
    assert [o.key for o in lake.list_objects("input_data")] == ["input_data/good.csv"]
    with pytest.raises(UnsafeKeyError, match="outside the lake"):
        lake.read_head("input_data/link.csv", 100)


def _sensed_and_run(pipeline: Pipeline, source: Path, key: str) -> tuple[str, dg.ExecuteInProcessResult]:
    """Land `source` at `key`, let the sensor request it, and run the request through the job."""
    pipeline.lake.put_file(source, key)
    with dg.instance_for_test() as sensing:  # the pipeline's instance is ephemeral: it has no ref to tick with
        (request,) = [r for requests in _ticks(pipeline.lake, sensing, 2, []) for r in requests]
    pipeline.instance.add_dynamic_partitions("landed_files", [request.partition_key])
    return request.partition_key, pipeline.run(request.partition_key)


@pytest.mark.parametrize(
    "relative",
    [
        "é" * 60 + "n" * 116 + ".csv",  # 240 bytes: one short of what the old hidden partial name allowed
        "/".join(f"level_{n:02d}" for n in range(30)) + "/movies.csv",  # a 30-level deep path
    ],
    ids=["240-byte-name", "30-level-path"],
)
def test_long_names_and_deep_paths_ingest_through_the_job(clean_home, empty_warehouse, tmp_path, relative):
    assert len(relative.encode()) >= 240
    source = tmp_path / "slice.csv"
    lines = IMDB_CSV.read_bytes().splitlines(keepends=True)
    source.write_bytes(b"".join(lines[:80]))
    pipeline = Pipeline(clean_home)
    key = f"input_data/{relative}"

    partition, result = _sensed_and_run(pipeline, source, key)

    assert result.success
    assert empty_warehouse.query_one("count_file_rows", (key,))[0] == expected_good(read_imdb(source)) > 0
    outputs = [key for prefix in (PROCESSED, RULE_OUTCOME, BAD_RECORDS, "staging") for key in pipeline.keys(prefix)]
    assert len(outputs) >= 4 and all(len(part.encode()) <= NAME_MAX_BYTES for o in outputs for part in o.split("/"))
    (archived,) = pipeline.keys(PROCESSED)
    assert pipeline.lake.path(archived).read_bytes() == source.read_bytes()
    assert partition == key.removeprefix("input_data/").replace("/", "%2F")  # partition keys as they were


@pytest.fixture
def s3_home(clean_home: Path, s3_bucket: str) -> Path:
    """The test home with its lake in a bucket on a local S3 endpoint (moto's server over HTTP)."""
    return clean_home


@pytest.mark.aws
def test_on_s3_a_backslash_key_is_refused_alone_and_a_300_byte_name_ingests(s3_home, empty_warehouse, tmp_path):
    pipeline = Pipeline(s3_home)
    assert isinstance(pipeline.lake, S3Lake)
    source = tmp_path / "slice.csv"
    source.write_bytes(b"".join(IMDB_CSV.read_bytes().splitlines(keepends=True)[:60]))
    long_key = "input_data/" + "x" * 296 + ".csv"  # S3 holds it; no local folder holds a 300-byte name
    pipeline.lake.put_file(source, long_key)
    pipeline.lake.client().put_object(
        Bucket=pipeline.lake.bucket, Key="input_data/back\\slash.csv", Body=source.read_bytes()
    )
    log: list[str] = []

    with dg.instance_for_test() as sensing:
        (requests,) = _ticks(pipeline.lake, sensing, 1, log)  # an S3 object is whole when listed: taken at once

    (request,) = requests
    (refusal,) = _refusals(log)
    assert "back\\\\slash.csv" in refusal
    pipeline.instance.add_dynamic_partitions("landed_files", [request.partition_key])
    assert pipeline.run(request.partition_key).success
    assert empty_warehouse.query_one("count_file_rows", (long_key,))[0] == expected_good(read_imdb(source)) > 0
