"""A loaded file leaves the landing prefix after its load's commit, and a re-upload landing meanwhile never does.

The run is split in two parts, as a slow run is seen from outside (see test_fingerprinted_bytes.py): the file is
overwritten after the quality step read and archived its version and before the load commits. The load then
removes only the version it read, so the new upload stays under input_data/, the sensor's next tick asks for a
run of it, and that run loads it (and then removes it in turn). Locally and on a real S3 endpoint (moto).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from quality_movies.assets.run_outputs import archived_meanwhile
from quality_movies.resources import local_files
from quality_movies.resources.lake import PROCESSED, Fingerprint
from quality_movies.resources.local_lake import LocalLake
from quality_movies.resources.s3_lake import S3Lake
from quality_movies_tests.conftest import IMDB_CSV, Pipeline, expected_good, read_imdb
from quality_movies_tests.landing_sensor_driver import LandingSensorDriver

NAME = "leaving.csv"
SOURCE = f"input_data/{NAME}"
CRAWLED_AND_ROUTED = [dg.AssetKey(name) for name in ("landed_file", "crawled_table", "dq_evaluated_rows")]
CRAWLED_AND_ROUTED += [dg.AssetKey("good_rows"), dg.AssetKey("bad_rows")]
LOAD = [dg.AssetKey(["movies", "imdb_movies_rating"]), dg.AssetKey(["movies", "year_aggregated_genre"])]


@pytest.fixture
def sensed_pipeline(clean_home: Path, empty_warehouse) -> Iterator[Pipeline]:
    """A pipeline whose instance the landing sensor can be ticked on (it needs one that is not ephemeral)."""
    yield from _with_persistent_instance(clean_home)


def _with_persistent_instance(home: Path) -> Iterator[Pipeline]:
    pipeline = Pipeline(home)  # built now: the environment names the lake
    with dg.instance_for_test() as instance:
        pipeline.instance = instance
        yield pipeline


def _version(folder: Path, first: int, rows: int) -> Path:
    """Lines `first`..`first+rows` of the real IMDb file under its header."""
    lines = IMDB_CSV.read_bytes().splitlines(keepends=True)
    path = folder / f"v{first}-{rows}.csv"
    path.write_bytes(b"".join([lines[0], *lines[1 + first : 1 + first + rows]]))
    return path


def _landed(pipeline: Pipeline) -> list[str]:
    return pipeline.keys(pipeline.lake.landing_prefix)


def _rows_in_warehouse(warehouse) -> int:
    return warehouse.query_one("count_file_rows", (SOURCE,))[0]


def _run(pipeline: Pipeline, partition: str, selection=None, tags=None) -> dg.ExecuteInProcessResult:
    return pipeline.job.execute_in_process(
        partition_key=partition, instance=pipeline.instance, asset_selection=selection, tags=tags, raise_on_error=False
    )


def _a_reupload_during_the_run_stays_and_is_ingested_next(pipeline: Pipeline, warehouse, folder: Path) -> None:
    read_version, reupload = _version(folder, first=0, rows=80), _version(folder, first=200, rows=50)
    partition = pipeline.land(read_version, NAME)
    assert _run(pipeline, partition, CRAWLED_AND_ROUTED).success  # read and archived

    pipeline.lake.put_file(reupload, SOURCE)  # lands while the run is still going: before its load commits
    assert _run(pipeline, partition, LOAD).success

    assert _rows_in_warehouse(warehouse) == expected_good(read_imdb(read_version))  # the version it read
    assert _landed(pipeline) == [SOURCE]  # the re-upload stays
    with pipeline.lake.local_file(SOURCE) as landed:
        assert landed.read_bytes() == reupload.read_bytes()

    requests = LandingSensorDriver(pipeline.lake, pipeline.instance).settle()
    assert [request.partition_key for request in requests] == [partition]  # sensed as a new version
    assert _run(pipeline, partition, tags=requests[0].tags).success
    assert _rows_in_warehouse(warehouse) == expected_good(read_imdb(reupload))
    assert _landed(pipeline) == []  # loaded, unchanged during its run: it left in turn
    archived = [key for key in pipeline.keys(PROCESSED) if key.endswith(NAME)]
    assert len(archived) == 1  # the archive holds the bytes of the rows the warehouse holds
    with pipeline.lake.local_file(archived[0]) as copy:
        assert copy.read_bytes() == reupload.read_bytes()


def test_a_loaded_file_leaves_the_landing_prefix_and_its_bytes_stay_archived(sensed_pipeline, tmp_path):
    pipeline = sensed_pipeline
    source = _version(tmp_path, first=0, rows=60)
    partition = pipeline.land(source, NAME)

    assert pipeline.run(partition).success

    assert _landed(pipeline) == []
    (archived,) = [key for key in pipeline.keys(PROCESSED) if key.endswith(NAME)]
    assert pipeline.lake.path(archived).read_bytes() == source.read_bytes()
    assert LandingSensorDriver(pipeline.lake, pipeline.instance).settle() == []  # nothing left to sense


def test_a_file_that_fails_is_not_loaded_and_stays_landed(pipeline, empty_warehouse, tmp_path):
    unreadable = tmp_path / "semicolons.csv"
    unreadable.write_bytes(b"Series_Title;Genre;IMDB_Rating\nJoker;Drama;8.4\n")
    partition = pipeline.land(unreadable, NAME)

    assert not pipeline.run(partition).success

    assert _landed(pipeline) == [SOURCE]  # its only copy: nothing of a failed run is archived
    assert [key for key in pipeline.keys(PROCESSED) if key.endswith(NAME)] == []


def test_the_archive_copy_made_while_the_rules_run_stays_only_if_the_block_succeeds(tmp_path):
    lake = LocalLake(root=str(tmp_path / "lake"))
    lake.write_bytes(SOURCE, b"v1")
    read = _fingerprint(lake, SOURCE)

    with pytest.raises(RuntimeError, match="stopped"), archived_meanwhile(lake, SOURCE, "processed/a", read):
        raise RuntimeError("stopped")  # as a stop or an unreadable file ends the quality step, hook or not
    with archived_meanwhile(lake, SOURCE, "processed/b", read) as copying:
        copying.result()

    assert [found.key for found in lake.list_objects(PROCESSED)] == ["processed/b"]
    assert lake.path("processed/b").read_bytes() == b"v1"
    assert _hidden_files(lake.base()) == []


def test_a_local_reupload_during_the_run_stays_landed_and_is_ingested_by_the_next_tick(
    sensed_pipeline, empty_warehouse, tmp_path
):
    assert isinstance(sensed_pipeline.lake, LocalLake)
    _a_reupload_during_the_run_stays_and_is_ingested_next(sensed_pipeline, empty_warehouse, tmp_path)


@pytest.mark.aws
def test_an_s3_reupload_during_the_run_stays_landed_and_is_ingested_by_the_next_tick(
    s3_bucket, clean_home, empty_warehouse, tmp_path
):
    for pipeline in _with_persistent_instance(clean_home):  # built now that the environment names the bucket
        assert isinstance(pipeline.lake, S3Lake) and pipeline.lake.bucket == s3_bucket
        _a_reupload_during_the_run_stays_and_is_ingested_next(pipeline, empty_warehouse, tmp_path)


# ------------------------------------------------------------------ the removal itself, version by version


def _fingerprint(lake, key: str) -> Fingerprint:
    return lake.describe(key).fingerprint


def _hidden_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.rglob(".*"))


def test_a_local_file_is_removed_only_while_it_is_the_version_read(tmp_path):
    lake = LocalLake(root=str(tmp_path / "lake"))
    lake.write_bytes(SOURCE, b"v1")
    read = _fingerprint(lake, SOURCE)
    lake.write_bytes(SOURCE, b"v2")  # a re-upload

    assert lake.remove_version(SOURCE, read) is False
    assert lake.path(SOURCE).read_bytes() == b"v2"
    assert lake.remove_version(SOURCE, _fingerprint(lake, SOURCE)) is True
    assert not lake.exists(SOURCE)
    assert lake.remove_version(SOURCE, read) is False  # gone: nothing to do
    assert _hidden_files(lake.base()) == []


def test_an_upload_landing_at_the_instant_of_the_local_removal_stays(tmp_path, monkeypatch):
    lake = LocalLake(root=str(tmp_path / "lake"))
    real_rename = os.rename

    def upload_then_rename(source, target):  # the upload lands between the version check and the rename
        lake.write_bytes(SOURCE, b"uploaded at that instant")
        real_rename(source, target)

    lake.write_bytes(SOURCE, b"read")
    monkeypatch.setattr(local_files.os, "rename", upload_then_rename)
    removed = lake.remove_version(SOURCE, _fingerprint(lake, SOURCE))
    monkeypatch.undo()

    assert removed is False
    assert lake.path(SOURCE).read_bytes() == b"uploaded at that instant"  # put back, not lost
    assert _hidden_files(lake.base()) == []


def test_an_upload_landing_just_after_the_local_removal_renamed_the_file_aside_stays(tmp_path, monkeypatch):
    lake = LocalLake(root=str(tmp_path / "lake"))
    real_rename = os.rename

    def rename_then_upload(source, target):
        real_rename(source, target)
        lake.write_bytes(SOURCE, b"uploaded just after")

    lake.write_bytes(SOURCE, b"read")
    monkeypatch.setattr(local_files.os, "rename", rename_then_upload)
    removed = lake.remove_version(SOURCE, _fingerprint(lake, SOURCE))
    monkeypatch.undo()

    assert removed is True  # the version read is gone
    assert lake.path(SOURCE).read_bytes() == b"uploaded just after"
    assert _hidden_files(lake.base()) == []


@pytest.mark.aws
def test_s3_removes_an_object_only_while_its_etag_is_the_one_read(s3_bucket):
    lake = S3Lake(bucket=s3_bucket, region="us-east-1", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    lake.write_bytes(SOURCE, b"v1")
    read = _fingerprint(lake, SOURCE)
    lake.write_bytes(SOURCE, b"v2")  # a re-upload

    assert lake.remove_version(SOURCE, read) is False  # S3 refused the conditional delete (412)
    with lake.local_file(SOURCE) as landed:
        assert landed.read_bytes() == b"v2"
    assert lake.remove_version(SOURCE, _fingerprint(lake, SOURCE)) is True
    assert not lake.exists(SOURCE)
    assert lake.remove_version(SOURCE, read) is False  # gone (404)
