"""The landing sensor's cursor, through build_sensor_context and a real instance, on the local lake.

A local file is taken once two consecutive ticks see the same version of it (`Lake.whole_when_listed`), so
`settle` ticks twice; what a single tick does with a file being written is in reliability/test_landing_complete.py.
"""

import os

import dagster as dg
import pytest

from quality_movies.partitions import landed_files
from quality_movies.resources.local_lake import LocalLake
from quality_movies.sensors import LandingCursor
from quality_movies_tests.landing_sensor_driver import LandingSensorDriver


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


class Landing(LandingSensorDriver):
    def __init__(self, root, instance):
        super().__init__(LocalLake(root=str(root)), instance)

    def drop(self, key: str, content: str = "a,b\n1,2\n", mtime: float | None = None) -> None:
        self.lake.write_bytes(key, content.encode())
        if mtime is not None:
            os.utime(self.lake.path(key), (mtime, mtime))


@pytest.fixture
def landing(tmp_path, instance) -> Landing:
    return Landing(tmp_path, instance)


def test_each_new_csv_gets_a_partition_and_one_run(landing):
    landing.drop("input_data/a.csv")
    landing.drop("input_data/b.csv")

    assert landing.tick() == []  # seen once: perhaps still being written
    requests = landing.tick()

    assert sorted(r.partition_key for r in requests) == ["a.csv", "b.csv"]
    assert sorted(landing.instance.get_dynamic_partitions(landed_files.name)) == ["a.csv", "b.csv"]
    assert landing.tick() == []


def test_a_file_landing_with_the_same_timestamp_as_one_already_seen_is_not_missed(landing):
    landing.drop("input_data/a.csv", mtime=1_700_000_000)
    assert [r.partition_key for r in landing.settle()] == ["a.csv"]

    landing.drop("input_data/b.csv", mtime=1_700_000_000)

    assert [r.partition_key for r in landing.settle()] == ["b.csv"]


def test_a_late_arrival_stamped_before_the_newest_seen_is_still_picked_up(landing):
    landing.drop("input_data/new.csv", mtime=1_700_000_600)
    landing.settle()

    landing.drop("input_data/slow_upload.csv", mtime=1_700_000_000)

    assert [r.partition_key for r in landing.settle()] == ["slow_upload.csv"]


def test_a_reupload_with_new_content_runs_the_same_partition_again(landing):
    landing.drop("input_data/a.csv", "a\n1\n", mtime=1_700_000_000)
    (first,) = landing.settle()

    landing.drop("input_data/a.csv", "a\n1\n2\n", mtime=1_700_000_100)
    (second,) = landing.settle()

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

    assert [r.partition_key for r in landing.settle()] == ["UPPER.CSV"]


def test_keys_with_spaces_commas_slashes_and_non_ascii_map_to_safe_partition_keys(landing):
    key = "input_data/2024/07/top movies, é.csv"
    landing.drop(key)

    (request,) = landing.settle()

    assert request.partition_key == "2024%2F07%2Ftop movies%2C é.csv"
    assert landing.lake.landing_key(request.partition_key) == key


def test_the_cursor_survives_a_restart_and_holds_only_the_files_present(landing):
    landing.drop("input_data/old.csv", mtime=1_700_000_000)
    landing.drop("input_data/new.csv", mtime=1_700_000_000 + 24 * 3600)
    assert len(landing.settle()) == 2
    landing.lake.delete("input_data/old.csv")
    landing.settle()

    restored = LandingCursor.from_json(landing.cursor)  # what Dagster hands back after a restart

    assert list(restored.handled) == ["input_data/new.csv"] and restored.pending == {}
    assert landing.tick() == []


def test_a_look_back_cursor_of_earlier_versions_is_read_as_a_fresh_start(landing):
    landing.cursor = '{"newest": 1700000000.0, "seen": {"input_data/a.csv@1-2": 1700000000.0}}'
    landing.drop("input_data/a.csv")

    assert LandingCursor.from_json(landing.cursor) == LandingCursor()
    assert [r.partition_key for r in landing.settle()] == ["a.csv"]
