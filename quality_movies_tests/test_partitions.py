import pytest

from quality_movies.partitions import partition_key_for, relative_key_for
from quality_movies.resources.lake import LocalLake

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
