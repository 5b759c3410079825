"""A landed file read from a real S3 endpoint (moto's server over HTTP) reads as it does from disk."""

from __future__ import annotations

import codecs
import gzip
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from quality_movies.landed_file import UnreadableFileError, count_landed_rows, read_landed
from quality_movies_tests.conftest import IMDB_CSV

pytestmark = pytest.mark.aws

REGION = "us-east-1"
BUCKET = "landing"


@pytest.fixture(scope="module")
def s3_options(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Polars' storage options for a bucket on a local S3 endpoint, as `S3Lake.storage_options()` gives them."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch_module.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", region_name=REGION, endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    yield {"aws_endpoint_url": endpoint, "aws_allow_http": "true", "aws_region": REGION}
    server.stop()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _put(options: dict[str, str], key: str, data: bytes) -> str:
    client = boto3.client("s3", region_name=REGION, endpoint_url=options["aws_endpoint_url"])
    client.put_object(Bucket=BUCKET, Key=key, Body=data)
    return f"s3://{BUCKET}/{key}"


def test_a_gzipped_file_with_a_bom_reads_from_s3_as_from_disk(s3_options: dict[str, str]) -> None:
    key = "input_data/2024/07/top movies.csv.gz"
    uri = _put(s3_options, key, gzip.compress(codecs.BOM_UTF8 + IMDB_CSV.read_bytes()))
    landed = read_landed(uri, s3_options, source=key)
    on_disk = read_landed(str(IMDB_CSV), None, source=IMDB_CSV.name)
    assert (landed.compression, landed.byte_order_mark) == ("gzip", True)
    assert landed.frame.equals(on_disk.frame)
    assert count_landed_rows(uri, s3_options, source="top movies.csv.gz") == 1000


def test_an_empty_object_on_s3_is_unreadable(s3_options: dict[str, str]) -> None:
    uri = _put(s3_options, "input_data/empty.csv", b"")
    with pytest.raises(UnreadableFileError, match=r"^input_data/empty\.csv: the file is empty"):
        read_landed(uri, s3_options, source="input_data/empty.csv")


def test_a_storage_option_the_reader_does_not_understand_is_refused(s3_options: dict[str, str]) -> None:
    uri = _put(s3_options, "input_data/one.csv", IMDB_CSV.read_bytes())
    with pytest.raises(ValueError, match="storage options aws_unknown_option are not understood"):
        read_landed(uri, s3_options | {"aws_unknown_option": "x"}, source="one.csv")
