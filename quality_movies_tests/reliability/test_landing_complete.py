"""Complete files only, none skipped for its timestamp, and no leftovers of killed writes.

The landing sensor ticks through `build_sensor_context` on a real instance over a local lake; the half-copied
file then runs through the whole Dagster job into the embedded warehouse, as the daemon would run the request.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest

from quality_movies.resources.local_files import STALE_AFTER_SECONDS
from quality_movies.resources.local_lake import LocalLake
from quality_movies_tests.conftest import IMDB_CSV, Pipeline, expected_good, read_imdb
from quality_movies_tests.landing_sensor_driver import LandingSensorDriver

DAY = 24 * 3600


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture
def sensor(tmp_path, instance) -> LandingSensorDriver:
    return LandingSensorDriver(LocalLake(root=str(tmp_path / "lake")), instance)


def test_a_half_copied_file_is_taken_whole_once_a_tick_sees_it_unchanged(clean_home, empty_warehouse, tmp_path):
    pipeline = Pipeline(clean_home)
    whole = IMDB_CSV.read_bytes()
    landed = pipeline.lake.path("input_data/imdb.csv")
    landed.parent.mkdir(parents=True)
    with dg.instance_for_test() as sensing:  # the pipeline's instance is ephemeral: it has no ref to tick with
        sensor = LandingSensorDriver(pipeline.lake, sensing)
        with landed.open("wb") as copying:  # a copy in progress, as `cp` leaves it between two writes
            copying.write(whole[: len(whole) // 2])
            copying.flush()
            assert sensor.tick() == []
            copying.write(whole[len(whole) // 2 :])
        assert sensor.tick() == []  # changed since the last tick: perhaps still being written
        (request,) = sensor.tick()

    assert request.tags["quality_movies/etag"] == pipeline.lake.describe("input_data/imdb.csv").etag
    pipeline.instance.add_dynamic_partitions("landed_files", [request.partition_key])
    assert pipeline.run(request.partition_key).success
    assert empty_warehouse.query_one("count_file_rows", ("input_data/imdb.csv",))[0] == expected_good(read_imdb())


def test_files_copied_or_moved_in_with_an_old_modification_time_are_taken(sensor, tmp_path):
    sensor.lake.write_bytes("input_data/today.csv", b"a\n1\n")
    assert sensor.settled_partitions() == ["today.csv"]
    day_old = time.time() - DAY
    kept = tmp_path / "kept.csv"
    kept.write_bytes(b"a\n2\n")
    os.utime(kept, (day_old, day_old))

    shutil.copy2(kept, sensor.lake.path("input_data/copied.csv"))  # `cp -p`: the old modification time kept
    os.rename(kept, sensor.lake.path("input_data/moved.csv"))  # `mv` of a day-old file

    assert sensor.settled_partitions() == ["copied.csv", "moved.csv"]
    assert sensor.settled_partitions() == []


def test_a_same_size_correction_with_the_old_modification_time_is_a_new_version(sensor):
    path = sensor.lake.path("input_data/ratings.csv")
    sensor.lake.write_bytes("input_data/ratings.csv", b"title,rating\nX,8.7\n")
    stamp = path.stat().st_mtime_ns
    assert sensor.settled_partitions() == ["ratings.csv"]

    path.write_bytes(b"title,rating\nX,9.1\n")  # a corrected value, in place: same size
    os.utime(path, ns=(stamp, stamp))  # and the old modification time

    assert sensor.settled_partitions() == ["ratings.csv"]
    assert sensor.settled_partitions() == []


def _aged(path: Path, seconds: float) -> Path:
    """Set `path`'s modification time `seconds` in the past."""
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def _leftovers(lake: LocalLake, age: float) -> list[Path]:
    """A partial file and a scratch folder of a killed write, untouched for `age` seconds."""
    partial = lake.path(f"processed/source_file=x.csv/run_id=r/.x.csv.{uuid.uuid4().hex}.partial")
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_bytes(b"half")
    with lake.scratch() as folder:
        killed = folder.with_name(f"{folder.name}-killed")
        shutil.copytree(folder, killed)  # what a kill leaves behind: `scratch` removes its folder otherwise
    (killed / "good_rows.parquet").write_bytes(b"half")
    _aged(killed / "good_rows.parquet", age)
    return [_aged(partial, age), _aged(killed, age)]


def test_stale_partial_files_and_scratch_folders_are_removed_and_fresh_ones_kept(sensor):
    stale = _leftovers(sensor.lake, STALE_AFTER_SECONDS + 60)
    fresh = _leftovers(sensor.lake, STALE_AFTER_SECONDS - 600)  # perhaps a write in progress
    not_ours = sensor.lake.path("input_data/.draft.csv.partial")  # a hidden file of someone else's
    not_ours.parent.mkdir(parents=True, exist_ok=True)
    not_ours.write_bytes(b"a\n")
    _aged(not_ours, 2 * DAY)

    sensor.tick()

    assert [path.exists() for path in stale] == [False, False]
    assert [path.exists() for path in fresh] == [True, True]
    assert not_ours.exists()
