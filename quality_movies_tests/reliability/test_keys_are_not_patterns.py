"""Keys are data, never glob patterns: a landed key with `*`, `?` or `[` loads its own rows and no other file's.

Each file is run through the whole Dagster job beside `apollo.csv`, which every one of the names would match
as a pattern; on the local lake and on a real S3 endpoint (moto's server over HTTP).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quality_movies.resources.s3_lake import S3Lake
from quality_movies_tests.conftest import IMDB_CSV, Pipeline, expected_good, read_imdb

PATTERN_NAMES = ["a*.csv", "a?ollo.csv", "[a]pollo.csv"]
REGION = "us-east-1"


def _slice_csv(folder: Path, name: str, first: int, rows: int) -> Path:
    """Lines `first`..`first+rows` of the real IMDb file under its header, as a new file."""
    lines = IMDB_CSV.read_bytes().splitlines(keepends=True)
    path = folder / name.replace("*", "_").replace("?", "_").replace("[", "_").replace("]", "_")
    path.write_bytes(b"".join([lines[0], *lines[1 + first : 1 + first + rows]]))
    return path


def _good_rows(path: Path) -> int:
    return expected_good(read_imdb(path))


def _assert_each_file_loads_its_own_rows(home: Path, warehouse, tmp_path: Path) -> Pipeline:
    pipeline = Pipeline(home)
    apollo = _slice_csv(tmp_path, "apollo.csv", first=0, rows=60)
    assert pipeline.run(pipeline.land(apollo)).success
    for n, name in enumerate(PATTERN_NAMES):
        source = _slice_csv(tmp_path, name, first=100 + 20 * n, rows=20)
        partition = pipeline.land(source, name)
        assert pipeline.run(partition).success, name
        in_table = warehouse.query_one("count_file_rows", (f"input_data/{name}",))[0]
        assert in_table == _good_rows(source), name  # its own rows, not apollo's too
    assert warehouse.query_one("count_file_rows", ("input_data/apollo.csv",))[0] == _good_rows(apollo)
    return pipeline


def test_glob_characters_in_a_local_key_load_only_that_file(clean_home, empty_warehouse, tmp_path):
    _assert_each_file_loads_its_own_rows(clean_home, empty_warehouse, tmp_path)


@pytest.mark.aws
def test_glob_characters_in_an_s3_key_load_only_that_file(s3_bucket, clean_home, empty_warehouse, tmp_path):
    pipeline = _assert_each_file_loads_its_own_rows(clean_home, empty_warehouse, tmp_path)
    assert isinstance(pipeline.lake, S3Lake) and pipeline.lake.bucket == s3_bucket
    # Loaded, it left input_data/; its archive copy keeps the key as it was, `*` and all.
    assert any(key.endswith("/a*.csv") for key in pipeline.keys("processed"))
