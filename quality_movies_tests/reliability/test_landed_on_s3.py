"""A landed file in a real S3 endpoint (moto's server over HTTP) goes through the quality stage as from disk.

The S3 lake downloads the object once (`lake.local_file(key)`) and the stage reads that local file, so the
outputs must be the same, file for file, as those of the same object in a local lake.
"""

from __future__ import annotations

import codecs
import gzip
from collections.abc import Iterator
from pathlib import Path

import boto3
import polars as pl
import pytest
from moto.server import ThreadedMotoServer

from quality_movies.assets.catalog import crawl_landed
from quality_movies.resources.lake import Lake
from quality_movies.resources.local_lake import LocalLake
from quality_movies.resources.s3_lake import S3Lake
from quality_movies.ruleset_config import RulesetConfig
from quality_movies.stage import BAD_RECORDS_FILE, GOOD_ROWS_FILE, StageResult, UnreadableFileError, run_stage
from quality_movies_tests.conftest import IMDB_CSV

pytestmark = pytest.mark.aws

REGION = "us-east-1"
BUCKET = "landing"
KEY = "input_data/2024/07/top movies.csv.gz"


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def s3_lake(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[S3Lake]:
    """A lake in a bucket on a local S3 endpoint, as the AWS deployment configures it."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch_module.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", region_name=REGION, endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    yield S3Lake(bucket=BUCKET, region=REGION, endpoint_url=endpoint)
    server.stop()


def _staged(lake: Lake, key: str, config: RulesetConfig, out: Path) -> StageResult:
    """The quality stage on the landed object, as the Dagster quality step runs it."""
    with lake.local_file(key) as landed:
        return run_stage(landed, config, out, source=key)


def _outputs(result: StageResult) -> tuple[pl.DataFrame, pl.DataFrame]:
    good = pl.read_parquet(result.outputs[GOOD_ROWS_FILE])
    return good, pl.read_ndjson(result.outputs[BAD_RECORDS_FILE], infer_schema_length=None)


def test_a_gzipped_file_with_a_bom_gives_the_same_outputs_from_s3_as_from_a_local_lake(
    s3_lake: S3Lake, config: RulesetConfig, tmp_path: Path
) -> None:
    data = gzip.compress(codecs.BOM_UTF8 + IMDB_CSV.read_bytes())
    local_lake = LocalLake(root=str(tmp_path / "lake"))
    for lake in (s3_lake, local_lake):
        lake.write_bytes(KEY, data)

    from_s3 = _staged(s3_lake, KEY, config, tmp_path / "s3")
    from_disk = _staged(local_lake, KEY, config, tmp_path / "local")
    plain = run_stage(IMDB_CSV, config, tmp_path / "plain", source=KEY)

    assert (from_s3.table.compression, from_s3.table.byte_order_mark) == ("gzip", True)
    assert (from_s3.rows_in, from_s3.rows_good, from_s3.rows_bad) == (1000, 33, 967)
    without_paths = {key: value for key, value in from_s3.summary.items() if key != "outputs"}
    assert without_paths == {key: value for key, value in from_disk.summary.items() if key != "outputs"}
    for result in (from_disk, plain):
        good, bad = _outputs(result)
        assert good.equals(_outputs(from_s3)[0]) and bad.equals(_outputs(from_s3)[1])
    # The catalog reads only the object's head, by range: it crawls the types the stage evaluated on.
    assert crawl_landed(s3_lake, KEY) == crawl_landed(local_lake, KEY) == from_s3.columns


def test_an_empty_object_on_s3_is_unreadable_and_leaves_no_output(
    s3_lake: S3Lake, config: RulesetConfig, tmp_path: Path
) -> None:
    s3_lake.write_bytes("input_data/empty.csv", b"")
    with pytest.raises(UnreadableFileError, match=r"^input_data/empty\.csv: the file is empty"):
        _staged(s3_lake, "input_data/empty.csv", config, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_an_object_is_downloaded_whole_for_the_stage_and_removed_afterwards(s3_lake: S3Lake) -> None:
    data = IMDB_CSV.read_bytes()
    s3_lake.write_bytes("input_data/one.csv", data)
    with s3_lake.local_file("input_data/one.csv") as landed:
        assert landed.name == "one.csv"
        assert landed.read_bytes() == data
    assert not landed.exists() and not landed.parent.exists()
