import pytest

from quality_movies.partitions import landing_key, partition_key_for, relative_key_for

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


def test_landing_key_puts_the_file_under_input_data():
    assert landing_key("2024%2Fx.csv") == "input_data/2024/x.csv"
