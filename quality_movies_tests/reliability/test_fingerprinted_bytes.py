"""A run loads exactly the bytes its landed_file step fingerprinted, and a failed run changes nothing visible.

The job is run in two parts, as a slow run would be seen from outside: the landed file is overwritten or
deleted between them. Before the quality step reads it, the run fails clearly and the warehouse, the
quarantine, the rule outcomes, the archive and the staged rows stay as the previous successful run left
them. After the quality step, the run goes on with the version it read (archived before the load).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from quality_movies.resources.lake import (
    BAD_RECORDS,
    PROCESSED,
    RULE_OUTCOME,
    STAGING,
    Fingerprint,
    LandedFileChangedError,
)
from quality_movies.resources.local_lake import LocalLake
from quality_movies_tests.conftest import IMDB_CSV, Pipeline, expected_good, read_imdb

NAME = "moving.csv"
SOURCE = f"input_data/{NAME}"
LANDED = [dg.AssetKey("landed_file")]
AFTER_LANDING = [dg.AssetKey(name) for name in ("crawled_table", "dq_evaluated_rows", "good_rows", "bad_rows")] + [
    dg.AssetKey(["movies", "imdb_movies_rating"]),
    dg.AssetKey(["movies", "year_aggregated_genre"]),
]
CRAWLED = [*LANDED, AFTER_LANDING[0]]
QUALITY = AFTER_LANDING[1:4]
WAREHOUSE = AFTER_LANDING[4:]


def _version(folder: Path, first: int, rows: int) -> Path:
    """Lines `first`..`first+rows` of the real IMDb file under its header."""
    lines = IMDB_CSV.read_bytes().splitlines(keepends=True)
    path = folder / f"v{first}-{rows}.csv"
    path.write_bytes(b"".join([lines[0], *lines[1 + first : 1 + first + rows]]))
    return path


def _visible_state(pipeline: Pipeline, warehouse) -> dict[str, object]:
    """What a reader of the lake and the warehouse sees of the file: every output's bytes, and its rows."""
    state: dict[str, object] = {
        key: pipeline.lake.path(key).read_bytes()
        for prefix in (BAD_RECORDS, RULE_OUTCOME, PROCESSED, STAGING)
        for key in pipeline.keys(prefix)
    }
    with warehouse.connection() as conn:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT run_id, count(*) FROM movies.imdb_movies_rating WHERE source_file = %s GROUP BY run_id", (SOURCE,)
        )
        state["warehouse"] = sorted(tuple(row) for row in cursor.fetchall())
    return state


def _run(pipeline: Pipeline, partition: str, selection: list[dg.AssetKey]) -> dg.ExecuteInProcessResult:
    return pipeline.job.execute_in_process(
        partition_key=partition, instance=pipeline.instance, asset_selection=selection, raise_on_error=False
    )


def _failure_text(result: dg.ExecuteInProcessResult) -> str:
    """What the failed steps said: their step names and errors."""
    return " ".join(
        f"{event.step_key}: {event.step_failure_data.error.to_string()}" for event in result.get_step_failure_events()
    )


@pytest.fixture
def loaded_once(pipeline: Pipeline, empty_warehouse, tmp_path: Path) -> tuple[Pipeline, str, dict[str, object]]:
    """The file landed and run successfully once; the state that run left."""
    partition = pipeline.land(_version(tmp_path, first=0, rows=60), NAME)
    assert pipeline.run(partition).success
    return pipeline, partition, _visible_state(pipeline, empty_warehouse)


@pytest.mark.parametrize("change", ["overwritten", "deleted"])
def test_a_file_changed_after_landing_fails_the_run_and_leaves_everything_as_it_was(
    loaded_once, empty_warehouse, tmp_path, change
):
    pipeline, partition, before = loaded_once
    pipeline.lake.put_file(_version(tmp_path, first=100, rows=60), SOURCE)  # the version the next run lands
    assert _run(pipeline, partition, CRAWLED).success

    if change == "overwritten":
        pipeline.lake.put_file(_version(tmp_path, first=300, rows=20), SOURCE)
    else:
        pipeline.lake.delete(SOURCE)
    result = _run(pipeline, partition, QUALITY + WAREHOUSE)

    assert not result.success
    assert [event.step_key for event in result.get_step_failure_events()] == ["quality_stage"]
    assert ("changed after it landed" if change == "overwritten" else "was deleted after it landed") in (
        _failure_text(result)
    )
    assert _visible_state(pipeline, empty_warehouse) == before


def test_a_file_overwritten_after_the_quality_step_loads_and_archives_the_version_read(
    loaded_once, empty_warehouse, tmp_path
):
    pipeline, partition, _ = loaded_once
    read_version = _version(tmp_path, first=100, rows=60)
    pipeline.lake.put_file(read_version, SOURCE)
    assert _run(pipeline, partition, CRAWLED + QUALITY).success

    pipeline.lake.put_file(_version(tmp_path, first=300, rows=20), SOURCE)  # too late for this run
    result = _run(pipeline, partition, WAREHOUSE)

    assert result.success
    expected = expected_good(read_imdb(read_version))
    assert empty_warehouse.query_one("count_file_rows", (SOURCE,))[0] == expected
    archived = [key for key in pipeline.keys(PROCESSED) if key.endswith(NAME)]
    assert read_version.read_bytes() in [pipeline.lake.path(key).read_bytes() for key in archived]


def test_a_local_file_written_while_it_is_read_is_refused(tmp_path):
    lake = LocalLake(root=str(tmp_path / "lake"))
    lake.write_bytes(SOURCE, IMDB_CSV.read_bytes())
    written_meanwhile = pytest.raises(LandedFileChangedError, match="changed after it landed")
    with written_meanwhile, lake.local_file(SOURCE) as landed, landed.open("ab") as file:
        file.write(b"a half-copied line,")


def test_an_archive_of_another_version_is_refused_and_not_written(tmp_path):
    lake = LocalLake(root=str(tmp_path / "lake"))
    lake.write_bytes(SOURCE, IMDB_CSV.read_bytes())
    stale = Fingerprint(etag="0-0", size=1)
    with pytest.raises(LandedFileChangedError):
        lake.archive(SOURCE, "processed/x.csv", stale)
    assert lake.list_objects(PROCESSED) == []


@pytest.mark.aws
def test_an_s3_object_overwritten_after_landing_is_neither_read_nor_archived(monkeypatch):
    from moto.server import ThreadedMotoServer

    from quality_movies.resources.s3_lake import S3Lake

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        lake = S3Lake(bucket="moving", region="us-east-1", endpoint_url=f"http://{host}:{port}")
        lake.client().create_bucket(Bucket="moving")
        lake.write_bytes(SOURCE, IMDB_CSV.read_bytes())
        landed = lake.describe(SOURCE).fingerprint
        lake.write_bytes(SOURCE, IMDB_CSV.read_bytes()[:5000])

        with pytest.raises(LandedFileChangedError, match="changed after it landed"), lake.local_file(SOURCE, landed):
            pass
        with pytest.raises(LandedFileChangedError):
            lake.archive(SOURCE, "processed/x.csv", landed)
        assert lake.list_objects(PROCESSED) == []
        lake.archive(SOURCE, "processed/x.csv", lake.describe(SOURCE).fingerprint)  # the current version is
        assert [found.size for found in lake.list_objects(PROCESSED)] == [5000]
    finally:
        server.stop()
