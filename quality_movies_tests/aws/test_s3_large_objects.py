"""Copies in parts: single-request CopyObject stops at 5 GB, so the lake copies through the managed transfer.

With the multipart threshold lowered to S3's smallest part (5 MiB), an 11 MiB object takes the multipart path
that a 6 GB landed file takes on AWS (its copy's ETag ends in the part count), against moto's S3 server.
"""

import os

import pytest

from quality_movies.resources.lake import Fingerprint, LandedFileChangedError
from quality_movies.resources.s3_lake import MIB, S3Lake

pytestmark = pytest.mark.aws

SOURCE, ARCHIVED = "input_data/big.csv", "processed/big.csv"
SIZE = 11 * MIB  # three parts of 5 MiB (the last one 1 MiB)


@pytest.fixture
def lake(aws) -> S3Lake:
    lake = S3Lake(bucket=aws.bucket, region="us-east-1", endpoint_url=aws.endpoint, multipart_bytes=5 * MIB)
    lake.write_bytes(SOURCE, os.urandom(SIZE))
    return lake


def _etag(lake: S3Lake, key: str) -> str:
    return lake.client().head_object(Bucket=lake.bucket, Key=key)["ETag"].strip('"')


def test_archive_of_an_object_past_the_threshold_is_copied_in_parts_and_whole(lake):
    landed = lake.describe(SOURCE).fingerprint

    lake.archive(SOURCE, ARCHIVED, landed)

    assert _etag(lake, ARCHIVED).endswith("-3")  # a multipart object: three UploadPartCopy requests
    assert lake.read_head(ARCHIVED, SIZE) == lake.read_head(SOURCE, SIZE)


def test_plain_copy_of_an_object_past_the_threshold_is_copied_in_parts(lake):
    lake.copy(SOURCE, "copied/big.csv")

    assert _etag(lake, "copied/big.csv").endswith("-3")
    assert lake.describe("copied/big.csv").size == SIZE


def test_multipart_copy_of_a_changed_source_is_refused_and_writes_nothing(lake):
    landed = lake.describe(SOURCE).fingerprint
    lake.write_bytes(SOURCE, os.urandom(SIZE))  # replaced after it was fingerprinted, same size

    with pytest.raises(LandedFileChangedError, match="no longer the version"):
        lake.copy_version(SOURCE, ARCHIVED, landed.etag)  # the copy archive() makes, past its own look
    with pytest.raises(LandedFileChangedError, match="changed after it landed"):
        lake.archive(SOURCE, ARCHIVED, landed)
    assert lake.list_objects("processed") == []


def test_the_current_version_is_still_archived_after_a_refusal(lake):
    with pytest.raises(LandedFileChangedError):
        lake.archive(SOURCE, ARCHIVED, Fingerprint(etag="0" * 32, size=SIZE))

    lake.archive(SOURCE, ARCHIVED, lake.describe(SOURCE).fingerprint)
    assert lake.describe(ARCHIVED).size == SIZE


def test_parts_smaller_than_s3_allows_are_refused_by_the_setting():
    with pytest.raises(ValueError, match="greater than or equal"):
        S3Lake(bucket="b", multipart_bytes=MIB)
