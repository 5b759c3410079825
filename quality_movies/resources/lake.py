"""The lake: where landed files arrive and where the pipeline leaves its outputs.

The layout mirrors the AWS recipe's bucket, whatever the backend: `input_data/` (landing,
configurable), `bad_records/` (quarantine), `rule_outcome/`, `processed/` (archive of
ingested inputs), `staging/` (good rows waiting for the warehouse load) and `notifications/`.
Per-file outputs are laid out as `<prefix>/source_file=<partition>/run_id=<run>/...`
so that Athena can read them as partitioned tables.
"""

import io
import os
import shutil
import tempfile
import uuid
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import dagster as dg
import polars as pl
from pydantic import Field

from quality_movies.partitions import partition_key_for, relative_key_for

BAD_RECORDS = "bad_records"
RULE_OUTCOME = "rule_outcome"
PROCESSED = "processed"
STAGING = "staging"
NOTIFICATIONS = "notifications"
OUTPUT_PREFIXES = (BAD_RECORDS, RULE_OUTCOME, PROCESSED, STAGING, NOTIFICATIONS)


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A path to write `target`'s new content to, put in place whole once written, as an S3 put does.

    Readers see the old file or all of the new one, never a part; a failed write leaves the old one.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")  # hidden: never listed
    try:
        yield partial
        partial.replace(target)  # an atomic rename within one folder
    finally:
        partial.unlink(missing_ok=True)


def write_whole(target: Path, data: bytes) -> None:
    """Write `data` to `target` through `replacing`."""
    with replacing(target) as partial:
        partial.write_bytes(data)


class UnsafeKeyError(ValueError):
    """An object key that would escape the lake (absolute, or with `..`)."""


class LandedFileChangedError(dg.Failure):
    """The landed object is not (or no longer) the version the run fingerprinted: overwritten or deleted since."""

    def __init__(self, description: str) -> None:
        super().__init__(description=description, allow_retries=False)  # retrying reads the same new version


@dataclass(frozen=True)
class Fingerprint:
    """What identifies one version of an object: its ETag (locally a stamp of modification time and size) and size."""

    etag: str
    size: int


@dataclass(frozen=True)
class LakeObject:
    key: str
    size: int
    etag: str  # S3's ETag; locally a stamp of modification time and size
    last_modified: float  # seconds since the epoch

    @property
    def fingerprint(self) -> Fingerprint:
        return Fingerprint(self.etag, self.size)


def safe_key(key: str) -> str:
    """Return `key` normalised, refusing keys that would leave the lake root."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or "\\" in key:
        raise UnsafeKeyError(f"object key {key!r} must be relative and stay inside the lake")
    return str(path)


def file_output_prefix(prefix: str, partition_key: str) -> str:
    """Folder holding every run's outputs for one landed file under `prefix`."""
    return f"{prefix}/source_file={partition_key}"


def run_output_key(prefix: str, partition_key: str, run_id: str, name: str) -> str:
    """Key of one run's output for one landed file."""
    return f"{file_output_prefix(prefix, partition_key)}/run_id={run_id}/{name}"


def staged_good_rows_key(partition_key: str) -> str:
    """Where the quality step leaves a file's good rows (Parquet, typed as the warehouse stores them) for the load.

    Not per run: a re-execution of the load alone finds the rows the last quality step routed.
    """
    return f"{STAGING}/good_rows/{partition_key}.parquet"


class Lake(dg.ConfigurableResource):
    """Object storage with the recipe's layout; subclasses say where the objects live."""

    landing_prefix: str = Field(default="input_data", description="Prefix where new CSV files land.")

    def landing_key(self, partition_key: str) -> str:
        """The key of the landed file a partition stands for."""
        return f"{self.landing_prefix}/{relative_key_for(partition_key)}"

    def partition_key(self, landed_key: str) -> str:
        """The partition of a key under the landing prefix."""
        return partition_key_for(landed_key.removeprefix(f"{self.landing_prefix}/"))

    @abstractmethod
    def uri(self, key: str) -> str:
        """Where Polars (and a person) finds the object."""

    @abstractmethod
    def link(self, key: str) -> str:
        """A URL a person's browser opens the object at (the Dagster UI shows it as a link)."""

    def storage_options(self) -> dict[str, str] | None:
        """Options Polars and the landed-file reader need to reach the objects (None for local files)."""
        return None

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def describe(self, key: str) -> LakeObject: ...

    @abstractmethod
    def list_objects(self, prefix: str) -> list[LakeObject]:
        """Every object under `prefix`, however many there are."""

    @abstractmethod
    def write_bytes(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def put_file(self, source: Path, key: str) -> None: ...

    @abstractmethod
    def copy(self, source_key: str, target_key: str) -> None: ...

    @abstractmethod
    def read_head(self, key: str, size: int) -> bytes:
        """The object's first `size` bytes (all of it when it is smaller)."""

    @abstractmethod
    def local_file(self, key: str, expected: Fingerprint | None = None) -> AbstractContextManager[Path]:
        """The object as a local file for the time of the `with` block (downloaded once, if it is remote).

        Its bytes are those of the `expected` version (by default the version found on entry): the block
        ends with `LandedFileChangedError` rather than let a run read another version, or part of one.
        """

    @abstractmethod
    def archive(self, key: str, target_key: str, expected: Fingerprint) -> None:
        """Copy the `expected` version of `key` to `target_key`, or raise `LandedFileChangedError` and copy nothing."""

    def confirm_unchanged(self, key: str, expected: Fingerprint) -> None:
        """Raise `LandedFileChangedError` unless `key` is still the `expected` version."""
        if not self.exists(key):
            raise LandedFileChangedError(f"{self.uri(key)} was deleted after it landed (fingerprinted as {expected})")
        found = self.describe(key).fingerprint
        if found != expected:
            raise LandedFileChangedError(
                f"{self.uri(key)} changed after it landed: fingerprinted as {expected}, now {found}; "
                "nothing of this version was stored or loaded (the new version gets a run of its own)"
            )

    @abstractmethod
    def scratch(self) -> AbstractContextManager[Path]:
        """A private local folder for outputs that `store` then puts in the lake; removed afterwards."""

    @abstractmethod
    def store(self, source: Path, key: str) -> None:
        """Put the local file `source` (in `scratch()`) at `key` whole, consuming it."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> None:
        """Remove every object under the folder `prefix` (used to replace a file's previous outputs)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove one object, if it exists."""

    def read_parquet(self, key: str) -> pl.DataFrame:
        return pl.read_parquet(self.uri(key), storage_options=self.storage_options(), glob=False)

    def write_frame(self, key: str, frame: pl.DataFrame, file_format: str) -> None:
        """Write `frame` as `parquet` or `ndjson` (JSON Lines) to `key`."""
        buffer = io.BytesIO()
        getattr(frame, f"write_{file_format}")(buffer)
        self.write_bytes(key, buffer.getvalue())


class LocalLake(Lake):
    """A folder standing in for the S3 bucket, with the same prefixes."""

    root: str = Field(description="Folder that plays the bucket.")

    def path(self, key: str) -> Path:
        return Path(self.root).resolve() / safe_key(key)

    def uri(self, key: str) -> str:
        return str(self.path(key))

    def link(self, key: str) -> str:
        return self.path(key).as_uri()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def describe(self, key: str) -> LakeObject:
        stat = self.path(key).stat()
        return LakeObject(key, stat.st_size, f"{stat.st_mtime_ns:x}-{stat.st_size:x}", stat.st_mtime)

    def list_objects(self, prefix: str) -> list[LakeObject]:
        folder = self.path(prefix)
        base = Path(self.root).resolve()
        files = sorted(folder.rglob("*")) if folder.is_dir() else []
        # Hidden files are not objects: writes in progress here, editors' and copiers' temporary files.
        listed = [file for file in files if file.is_file() and not file.name.startswith(".")]
        return [self.describe(file.relative_to(base).as_posix()) for file in listed]

    def write_bytes(self, key: str, data: bytes) -> None:
        write_whole(self.path(key), data)

    def put_file(self, source: Path, key: str) -> None:
        with replacing(self.path(key)) as partial:
            shutil.copyfile(source, partial)  # not through memory: landed files can be gigabytes

    def copy(self, source_key: str, target_key: str) -> None:
        self.put_file(self.path(source_key), target_key)

    def read_head(self, key: str, size: int) -> bytes:
        with self.path(key).open("rb") as file:
            return file.read(size)

    @contextmanager
    def local_file(self, key: str, expected: Fingerprint | None = None) -> Iterator[Path]:
        # Read in place (files can be gigabytes): checked on entry and again once read, since a write
        # during the read changes the modification time, and so the fingerprint.
        expected = expected or self.describe(key).fingerprint
        self.confirm_unchanged(key, expected)
        yield self.path(key)
        self.confirm_unchanged(key, expected)

    def archive(self, key: str, target_key: str, expected: Fingerprint) -> None:
        self.confirm_unchanged(key, expected)
        with replacing(self.path(target_key)) as partial:
            shutil.copyfile(self.path(key), partial)
            self.confirm_unchanged(key, expected)  # else the partial copy is dropped: no archive of another version

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        # Inside the lake's folder, so that `store` is a rename on the same file system; hidden, never listed.
        root = Path(self.root).resolve() / ".scratch"
        root.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=root))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def store(self, source: Path, key: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)  # atomic: readers see the old object or the whole new one

    def delete_prefix(self, prefix: str) -> None:
        for found in self.list_objects(prefix):
            self.delete(found.key)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
