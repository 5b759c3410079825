"""The lake: where landed files arrive and where the pipeline leaves its outputs.

The layout mirrors the AWS recipe's bucket, whatever the backend:
`input_data/` (landing), `bad_records/` (quarantine), `rule_outcome/`, `processed/`
(archive of ingested inputs) and `staging/` (frames handed between assets).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import dagster as dg
from pydantic import Field

LANDING = "input_data"
BAD_RECORDS = "bad_records"
RULE_OUTCOME = "rule_outcome"
PROCESSED = "processed"
STAGING = "staging"


class UnsafeKeyError(ValueError):
    """An object key that would escape the lake (absolute, or with `..`)."""


@dataclass(frozen=True)
class LakeObject:
    key: str
    size: int
    etag: str


def run_output_key(prefix: str, partition_key: str, run_id: str, name: str) -> str:
    """Key of one run's output for one landed file, laid out as Hive partitions for Athena."""
    return f"{file_output_prefix(prefix, partition_key)}/run_id={run_id}/{name}"


def file_output_prefix(prefix: str, partition_key: str) -> str:
    """Folder holding every run's outputs for one landed file under `prefix`."""
    return f"{prefix}/source_file={partition_key}"


def safe_key(key: str) -> str:
    """Return `key` normalised, refusing keys that would leave the lake root."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or "\\" in key:
        raise UnsafeKeyError(f"object key {key!r} must be relative and stay inside the lake")
    return str(path)


class LocalLake(dg.ConfigurableResource):
    """A folder standing in for the S3 bucket, with the same prefixes."""

    root: str = Field(description="Folder that plays the bucket.")

    def path(self, key: str) -> Path:
        """Local path of an object; what Polars reads and writes."""
        return Path(self.root).resolve() / safe_key(key)

    def uri(self, key: str) -> str:
        """Where a person (or Athena, on AWS) finds the object."""
        return str(self.path(key))

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def describe(self, key: str) -> LakeObject:
        """Size and content hash of one object (the hash plays S3's ETag)."""
        path = self.path(key)
        digest = hashlib.md5(usedforsecurity=False)
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return LakeObject(key=key, size=path.stat().st_size, etag=digest.hexdigest())

    def put_file(self, source: Path, key: str) -> str:
        """Copy a local file into the lake under `key`."""
        target = self.writable_path(key)
        shutil.copyfile(source, target)
        return key

    def writable_path(self, key: str) -> Path:
        """Path to write `key` to, its folders created."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def delete_prefix(self, prefix: str) -> None:
        """Remove every object under `prefix` (used to replace a file's previous outputs)."""
        shutil.rmtree(self.path(prefix), ignore_errors=True)

    def list_keys(self, prefix: str) -> list[str]:
        """Keys of the objects under `prefix`, sorted."""
        base = Path(self.root).resolve()
        folder = self.path(prefix)
        if not folder.is_dir():
            return []
        return sorted(str(p.relative_to(base).as_posix()) for p in folder.rglob("*") if p.is_file())
