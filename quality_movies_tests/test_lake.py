import pytest

from quality_movies.resources.lake import LocalLake, UnsafeKeyError


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
