"""The landing sensor's cursor, through build_sensor_context and a real instance, on the local lake."""

import os

import dagster as dg
import pytest

from quality_movies.partitions import landed_files
from quality_movies.resources.lake import LocalLake
from quality_movies.sensors import LOOKBACK_SECONDS, LandingCursor, landing_sensor


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


class Landing:
    def __init__(self, root, instance):
        self.lake = LocalLake(root=str(root))
        self.instance = instance
        self.cursor = None

    def drop(self, key: str, content: str = "a,b\n1,2\n", mtime: float | None = None) -> None:
        self.lake.write_bytes(key, content.encode())
        if mtime is not None:
            os.utime(self.lake.path(key), (mtime, mtime))

    def tick(self) -> list[dg.RunRequest]:
        # As a context manager: the context opens an instance that must be closed again.
        with dg.build_sensor_context(
            instance_ref=self.instance.get_ref(), cursor=self.cursor, resources={"lake": self.lake}
        ) as context:
            result = landing_sensor(context)
        for request in result.dynamic_partitions_requests:
            self.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        self.cursor = result.cursor
        return result.run_requests


@pytest.fixture
def landing(tmp_path, instance) -> Landing:
    return Landing(tmp_path, instance)


def test_each_new_csv_gets_a_partition_and_one_run(landing):
    landing.drop("input_data/a.csv")
    landing.drop("input_data/b.csv")

    requests = landing.tick()

    assert sorted(r.partition_key for r in requests) == ["a.csv", "b.csv"]
    assert sorted(landing.instance.get_dynamic_partitions(landed_files.name)) == ["a.csv", "b.csv"]
    assert landing.tick() == []


def test_a_file_landing_with_the_same_timestamp_as_one_already_seen_is_not_missed(landing):
    landing.drop("input_data/a.csv", mtime=1_700_000_000)
    assert [r.partition_key for r in landing.tick()] == ["a.csv"]

    landing.drop("input_data/b.csv", mtime=1_700_000_000)

    assert [r.partition_key for r in landing.tick()] == ["b.csv"]


def test_a_late_arrival_stamped_before_the_newest_seen_is_still_picked_up(landing):
    landing.drop("input_data/new.csv", mtime=1_700_000_600)
    landing.tick()

    landing.drop("input_data/slow_upload.csv", mtime=1_700_000_000)

    assert [r.partition_key for r in landing.tick()] == ["slow_upload.csv"]


def test_a_reupload_with_new_content_runs_the_same_partition_again(landing):
    landing.drop("input_data/a.csv", "a\n1\n", mtime=1_700_000_000)
    (first,) = landing.tick()

    landing.drop("input_data/a.csv", "a\n1\n2\n", mtime=1_700_000_100)
    (second,) = landing.tick()

    assert first.partition_key == second.partition_key == "a.csv"
    assert first.run_key != second.run_key
    assert landing.instance.get_dynamic_partitions(landed_files.name) == ["a.csv"]


def test_non_csv_objects_and_other_prefixes_are_ignored(landing):
    for key in (
        "input_data/notes.txt",
        "input_data/a.csv.tmp",
        "bad_records/x.csv",
        "rule_outcome/y.csv",
        "processed/source_file=a.csv/run_id=r/a.csv",
        "elsewhere/z.csv",
    ):
        landing.drop(key)
    landing.drop("input_data/UPPER.CSV")

    assert [r.partition_key for r in landing.tick()] == ["UPPER.CSV"]


def test_keys_with_spaces_commas_slashes_and_non_ascii_map_to_safe_partition_keys(landing):
    key = "input_data/2024/07/top movies, é.csv"
    landing.drop(key)

    (request,) = landing.tick()

    assert request.partition_key == "2024%2F07%2Ftop movies%2C é.csv"
    assert landing.lake.landing_key(request.partition_key) == key


def test_the_cursor_survives_a_restart_and_stays_bounded(landing):
    landing.drop("input_data/old.csv", mtime=1_700_000_000)
    landing.tick()
    landing.drop("input_data/new.csv", mtime=1_700_000_000 + LOOKBACK_SECONDS + 1)
    landing.tick()

    restored = LandingCursor.from_json(landing.cursor)  # what Dagster hands back after a restart

    assert [version.split("@")[0] for version in restored.seen] == ["input_data/new.csv"]
    assert landing.tick() == []
