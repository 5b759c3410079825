import os
import time

import pytest

from quality_movies.partitions import NAME_MAX_BYTES
from quality_movies.resources.lake import UnsafeKeyError, run_output_key, staged_good_rows_key
from quality_movies.resources.local_lake import LocalLake


@pytest.mark.parametrize("key", ["../outside.csv", "input_data/../../x", "/etc/passwd", "", "a\\..\\b"])
def test_keys_that_would_escape_the_lake_are_refused(tmp_path, key):
    with pytest.raises(UnsafeKeyError):
        LocalLake(root=str(tmp_path)).path(key)


def test_put_file_lists_and_describes_the_object(tmp_path):
    source = tmp_path / "src.csv"
    source.write_text("a\n1\n")
    lake = LocalLake(root=str(tmp_path / "lake"))
    lake.put_file(source, "input_data/sub/x.csv")
    (listed,) = lake.list_objects("input_data")
    assert (listed.key, listed.size) == ("input_data/sub/x.csv", 4)
    assert lake.describe("input_data/sub/x.csv") == listed


def test_output_keys_of_short_partitions_keep_their_layout():
    assert (
        run_output_key("processed", "2024%2Fa.csv", "r1", "a.csv")
        == "processed/source_file=2024%2Fa.csv/run_id=r1/a.csv"
    )
    assert staged_good_rows_key("a.csv") == "staging/good_rows/a.csv.parquet"


def test_output_keys_of_a_deep_partition_have_no_segment_over_255_bytes():
    partition = "%2F".join(["level"] * 60) + "%2F" + "n" * 250 + ".csv"

    keys = [run_output_key("bad_records", partition, "r1", "n" * 250 + ".csv"), staged_good_rows_key(partition)]

    assert all(len(part.encode()) <= NAME_MAX_BYTES for key in keys for part in key.split("/"))


def test_a_name_near_the_limit_is_written_through_its_partial_file(tmp_path):
    lake = LocalLake(root=str(tmp_path))
    key = "input_data/" + "n" * 251 + ".csv"

    lake.write_bytes(key, b"a\n1\n")

    assert lake.path(key).read_bytes() == b"a\n1\n"
    assert [o.key for o in lake.list_objects("input_data")] == [key]


def test_a_link_out_of_the_lake_is_refused_and_a_link_within_it_is_read(tmp_path):
    lake = LocalLake(root=str(tmp_path / "lake"))
    lake.write_bytes("input_data/real.csv", b"a\n1\n")
    (tmp_path / "outside.csv").write_bytes(b"secret\n")
    (lake.path("input_data") / "inner.csv").symlink_to(lake.path("input_data/real.csv"))
    (lake.path("input_data") / "outer.csv").symlink_to(tmp_path / "outside.csv")

    listing = lake.survey("input_data")

    assert [o.key for o in listing.objects] == ["input_data/inner.csv", "input_data/real.csv"]
    assert [(r.key, "outside the lake" in r.reason) for r in listing.refused] == [("input_data/outer.csv", True)]
    with pytest.raises(UnsafeKeyError, match="outside the lake"):
        lake.path("input_data/outer.csv")


def test_the_local_version_changes_with_the_content_even_when_size_and_mtime_are_put_back(tmp_path):
    lake = LocalLake(root=str(tmp_path))
    lake.write_bytes("input_data/a.csv", b"a\n1\n")
    before = lake.describe("input_data/a.csv")
    stamp = lake.path("input_data/a.csv").stat().st_mtime_ns
    time.sleep(0.02)  # past the kernel clock's granularity

    lake.path("input_data/a.csv").write_bytes(b"a\n2\n")
    os.utime(lake.path("input_data/a.csv"), ns=(stamp, stamp))

    after = lake.describe("input_data/a.csv")
    assert (after.size, after.last_modified) == (before.size, before.last_modified)
    assert after.etag != before.etag
