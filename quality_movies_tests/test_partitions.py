import pytest

from quality_movies.partitions import NAME_MAX_BYTES, bounded_name, partition_key_for, relative_key_for
from quality_movies.resources.local_lake import LocalLake

KEYS = ["imdb.csv", "2024/07/top movies.csv", "a,b.csv", "100%/x.csv", "Björnstrand é.csv", "%2F.csv"]


@pytest.mark.parametrize("key", KEYS)
def test_partition_key_round_trips_to_the_object_key(key):
    assert relative_key_for(partition_key_for(key)) == key


@pytest.mark.parametrize("key", KEYS)
def test_partition_key_has_no_slash_or_comma(key):
    encoded = partition_key_for(key)
    assert "/" not in encoded and "," not in encoded


def test_partition_key_keeps_spaces_and_non_ascii_readable():
    assert partition_key_for("2024/top é.csv") == "2024%2Ftop é.csv"


def test_landing_key_and_partition_key_are_inverse_under_the_landing_prefix():
    lake = LocalLake(root="/tmp/unused", landing_prefix="landing/csv")
    assert lake.landing_key("2024%2Fx.csv") == "landing/csv/2024/x.csv"
    assert lake.partition_key("landing/csv/2024/x.csv") == "2024%2Fx.csv"


def test_a_name_that_fits_one_path_segment_is_kept_as_it_is():
    name = "é" * 120 + ".csv"  # 244 bytes
    assert bounded_name(name) == name
    assert bounded_name("2024%2Fx.csv", reserve=len("source_file=")) == "2024%2Fx.csv"


@pytest.mark.parametrize("reserve", [0, len(".parquet"), 42])
def test_a_longer_name_is_bounded_readable_distinct_and_keeps_its_extension(reserve):
    first, second = "é" * 200 + "a.csv.gz", "é" * 200 + "b.csv.gz"

    bounded = bounded_name(first, reserve)

    assert len(bounded.encode()) <= NAME_MAX_BYTES - reserve
    assert bounded.startswith("ééé") and bounded.endswith(".csv.gz")
    assert bounded == bounded_name(first, reserve) != bounded_name(second, reserve)
