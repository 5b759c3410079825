"""The lake in Amazon S3 (or any S3-compatible store named by `AWS_ENDPOINT_URL`)."""

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import ClassVar

from pydantic import Field

from quality_movies.partitions import bounded_name
from quality_movies.resources.lake import (
    Fingerprint,
    Lake,
    LakeObject,
    LandedFileChangedError,
    Listing,
    RefusedObject,
    key_refusal,
    safe_key,
)
from quality_movies.resources.local_files import SCRATCH_PREFIX, STALE_AFTER_SECONDS, remove_stale_folders

LINK_SECONDS = 7 * 24 * 3600
MIB = 1024 * 1024
# What S3 answers a CopySourceIfMatch (or a HeadObject IfMatch) naming a version the source no longer is.
PRECONDITION_FAILED = frozenset({"412", "PreconditionFailed"})
# What S3 answers a conditional DeleteObject on a key with no object.
NOT_FOUND = frozenset({"404", "NoSuchKey"})


def _as_lake_object(key: str, size: int, etag: str, last_modified) -> LakeObject:
    return LakeObject(key=key, size=size, etag=etag.strip('"'), last_modified=last_modified.timestamp())


class S3Lake(Lake):
    """A bucket; credentials come from the standard AWS chain (variables, profile, instance role)."""

    whole_when_listed: ClassVar[bool] = True  # a PUT or a completed multipart upload appears whole, at once

    bucket: str = Field(description="Bucket holding the landing and output prefixes.")
    region: str | None = Field(default=None, description="AWS region of the bucket.")
    endpoint_url: str | None = Field(default=None, description="S3-compatible endpoint instead of AWS.")
    multipart_bytes: int = Field(
        default=64 * MIB,
        ge=5 * MIB,  # S3's smallest part
        description="Objects from this size on are uploaded and copied in parts of this size (a single request "
        "stops at 5 GB; the transfer widens parts as needed to stay within S3's 10,000).",
    )

    def client(self):
        import boto3  # only the S3 lake needs it: local runs start without loading it

        return boto3.client("s3", region_name=self.region, endpoint_url=self.endpoint_url)

    def transfer_config(self):
        """The managed transfer's settings: multipart from `multipart_bytes` on, in parts of that size."""
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(multipart_threshold=self.multipart_bytes, multipart_chunksize=self.multipart_bytes)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{safe_key(key)}"

    def link(self, key: str) -> str:
        # A presigned GET opens in any browser, on AWS and on S3-compatible stores alike, without a console
        # login; it lasts a week (SigV4's limit), after which the s3:// path and `quality-movies bad-rows` remain.
        params = {"Bucket": self.bucket, "Key": safe_key(key)}
        return self.client().generate_presigned_url("get_object", Params=params, ExpiresIn=LINK_SECONDS)

    def storage_options(self) -> dict[str, str] | None:
        options = {}
        if self.region:
            options["aws_region"] = self.region
        if self.endpoint_url:
            options["aws_endpoint_url"] = self.endpoint_url
            options["aws_allow_http"] = str(self.endpoint_url.startswith("http://")).lower()
        return options or None

    def exists(self, key: str) -> bool:
        found = self.client().list_objects_v2(Bucket=self.bucket, Prefix=safe_key(key), MaxKeys=1)
        return any(item["Key"] == key for item in found.get("Contents", []))

    def describe(self, key: str) -> LakeObject:
        head = self.client().head_object(Bucket=self.bucket, Key=safe_key(key))
        return _as_lake_object(key, head["ContentLength"], head["ETag"], head["LastModified"])

    def survey(self, prefix: str) -> Listing:
        from dagster_aws.s3.sensor import get_objects  # dagster-aws's paginating lister, loaded when used

        listed = get_objects(self.bucket, prefix=f"{safe_key(prefix)}/", client=self.client())
        found = [_as_lake_object(o["Key"], o["Size"], o["ETag"], o["LastModified"]) for o in listed]
        refusals = {o.key: key_refusal(o.key) for o in found}
        return Listing(
            objects=[o for o in found if not refusals[o.key]],
            refused=[RefusedObject(o.key, o.etag, refusals[o.key]) for o in found if refusals[o.key]],
        )

    def write_bytes(self, key: str, data: bytes) -> None:
        self.client().put_object(Bucket=self.bucket, Key=safe_key(key), Body=data)

    def put_file(self, source: Path, key: str) -> None:
        self.client().upload_file(str(source), self.bucket, safe_key(key), Config=self.transfer_config())

    def read_head(self, key: str, size: int) -> bytes:
        found = self.client().get_object(Bucket=self.bucket, Key=safe_key(key), Range=f"bytes=0-{size - 1}")
        return found["Body"].read()

    @contextmanager
    def local_file(self, key: str, expected: Fingerprint | None = None) -> Iterator[Path]:
        expected = expected or self.describe(key).fingerprint
        with self.scratch() as folder:
            path = folder / bounded_name(PurePosixPath(key).name)  # S3 allows longer names than a local folder
            self.confirm_unchanged(key, expected)
            self.client().download_file(self.bucket, safe_key(key), str(path))  # streamed to disk, in parts
            # The same version before and after, and the parts of one download are of one version (the
            # transfer pins the ETag it found): these are the fingerprinted bytes.
            self.confirm_unchanged(key, expected)
            if path.stat().st_size != expected.size:
                raise LandedFileChangedError(f"{self.uri(key)}: downloaded {path.stat().st_size} bytes, not {expected}")
            yield path

    def archive(self, key: str, target_key: str, expected: Fingerprint) -> None:
        self.confirm_unchanged(key, expected)
        self.copy_version(key, target_key, expected.etag)
        if self.describe(target_key).size != expected.size:  # an S3 look-alike that ignores the condition
            self.delete(target_key)
            raise LandedFileChangedError(f"{self.uri(key)} changed while it was archived (fingerprinted as {expected})")

    def copy_version(self, source_key: str, target_key: str, etag: str) -> None:
        """Copy `source_key` to `target_key` only while it is the version `etag`, whatever its size.

        The managed copy is one CopyObject below `multipart_bytes` and parts copied in parallel above (a single
        request stops at 5 GB). CopySourceIfMatch is one of s3transfer's allowed copy arguments: its HeadObject
        asks IfMatch and every part copy carries the condition, so S3 refuses (412) a source that is another
        version by then, before or while the parts are copied; that refusal is `LandedFileChangedError`.
        """
        client = self.client()
        try:
            self._managed_copy(source_key, target_key, {"CopySourceIfMatch": f'"{etag}"'}, client)
        except client.exceptions.ClientError as error:  # botocore's, reached without importing it
            if error.response.get("Error", {}).get("Code") not in PRECONDITION_FAILED:
                raise
            raise LandedFileChangedError(
                f"{self.uri(source_key)} is no longer the version {etag} (S3 refused the copy): not copied"
            ) from error

    def _managed_copy(self, source_key: str, target_key: str, extra_args: dict[str, str] | None = None, client=None):
        source = {"Bucket": self.bucket, "Key": safe_key(source_key)}
        target = safe_key(target_key)
        client = client or self.client()
        client.copy(source, self.bucket, target, ExtraArgs=extra_args, Config=self.transfer_config())

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        folder = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def store(self, source: Path, key: str) -> None:
        self.put_file(source, key)
        source.unlink()

    def copy(self, source_key: str, target_key: str) -> None:
        self._managed_copy(source_key, target_key)  # in parts past `multipart_bytes`: objects over 5 GB copy too

    def delete(self, key: str) -> None:
        self.client().delete_object(Bucket=self.bucket, Key=safe_key(key))

    def remove_version(self, key: str, expected: Fingerprint) -> bool:
        """A conditional DeleteObject: S3 removes the object only while its ETag is the expected one (If-Match).

        S3 checks and deletes as one operation, so an upload completing meanwhile is either the one refused (412)
        or lands after the delete; either way it stays. On a versioned bucket the delete adds a delete marker.
        A store that ignored If-Match would delete whatever is there (moto honours it, and tests it).
        """
        client = self.client()
        try:
            client.delete_object(Bucket=self.bucket, Key=safe_key(key), IfMatch=f'"{expected.etag}"')
        except client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in PRECONDITION_FAILED | NOT_FOUND:
                return False
            raise
        return True

    def delete_prefix(self, prefix: str) -> None:
        client = self.client()
        keys = [{"Key": found.key} for found in self.list_objects(prefix)]
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000 keys
            client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys[start : start + 1000]})

    def remove_stale_leftovers(self, older_than: float = STALE_AFTER_SECONDS) -> list[str]:
        # S3 writes leave no partial objects; only the local scratch folders of killed runs remain.
        return remove_stale_folders(Path(tempfile.gettempdir()), SCRATCH_PREFIX, time.time() - older_than)
