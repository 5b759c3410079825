"""The lake: where landed files arrive and where the pipeline leaves its outputs.

The layout mirrors the AWS recipe's bucket, whatever the backend: `input_data/` (landing,
configurable), `bad_records/` (quarantine), `rule_outcome/`, `processed/` (archive of
ingested inputs), `staging/` (good rows waiting for the warehouse load) and `notifications/`.
Per-file outputs are laid out as `<prefix>/source_file=<partition>/run_id=<run>/...`
so that Athena can read them as partitioned tables. A folder or file name that would exceed one path
segment (255 bytes: a very long file name, or the partition key of a deeply nested one) is written in
its bounded form (`partitions.bounded_name`: a readable beginning and a hash); shorter names are unchanged.
"""

import io
from abc import abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import ClassVar

import dagster as dg
import polars as pl
from pydantic import Field

from quality_movies.partitions import bounded_name, partition_key_for, relative_key_for
from quality_movies.resources.local_files import STALE_AFTER_SECONDS

BAD_RECORDS = "bad_records"
RULE_OUTCOME = "rule_outcome"
PROCESSED = "processed"
STAGING = "staging"
NOTIFICATIONS = "notifications"
DQ_HISTORY = "dq_history"  # per file and run: each rule's outcome and metrics (quality_movies/history.py)
OUTPUT_PREFIXES = (BAD_RECORDS, RULE_OUTCOME, PROCESSED, STAGING, NOTIFICATIONS, DQ_HISTORY)
SCRATCH = ".scratch"


class UnsafeKeyError(ValueError):
    """An object key the lake cannot hold safely: absolute, with `..` or `\\`, or a link to outside the lake."""


class LandedFileChangedError(dg.Failure):
    """The landed object is not (or no longer) the version the run fingerprinted: overwritten or deleted since."""

    def __init__(self, description: str) -> None:
        super().__init__(description=description, allow_retries=False)  # retrying reads the same new version


@dataclass(frozen=True)
class Fingerprint:
    """What identifies one version of an object: its ETag (locally `local_etag`'s stamp) and size."""

    etag: str
    size: int


@dataclass(frozen=True)
class LakeObject:
    key: str
    size: int
    etag: str  # S3's ETag; locally a stamp of modification time, size and change time (see `local_etag`)
    last_modified: float  # seconds since the epoch

    @property
    def fingerprint(self) -> Fingerprint:
        return Fingerprint(self.etag, self.size)


@dataclass(frozen=True)
class RefusedObject:
    """An object the lake lists but cannot hold as data, with why: it is refused alone, nothing else stops."""

    key: str
    version: str  # changes when the object does, so that a refusal is reported once per version
    reason: str


@dataclass(frozen=True)
class Listing:
    """What is under a prefix: the objects, and those refused with a reason."""

    objects: list[LakeObject]
    refused: list[RefusedObject]


def safe_key(key: str) -> str:
    """Return `key` normalised, refusing keys that would leave the lake root."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts:
        raise UnsafeKeyError(f"object key {key!r} must be relative and stay inside the lake")
    if "\\" in key:  # a path separator on Windows, where `a\..\b` would climb out of its folder
        raise UnsafeKeyError(f"object key {key!r} contains a backslash, which the lake does not hold in keys")
    if "\x00" in key:
        raise UnsafeKeyError(f"object key {key!r} contains a NUL character")
    return str(path)


def key_refusal(key: str) -> str | None:
    """Why the lake cannot hold `key` as data (None when it can): unsafe, or not valid UTF-8."""
    try:
        safe_key(key)
        key.encode("utf-8")
    except UnsafeKeyError as error:
        return str(error)
    except UnicodeEncodeError:
        return f"object key {key!r} is not valid UTF-8"
    return None


def file_output_prefix(prefix: str, partition_key: str) -> str:
    """Folder holding every run's outputs for one landed file under `prefix` (its name bounded to 255 bytes)."""
    folder = "source_file="
    return f"{prefix}/{folder}{bounded_name(partition_key, reserve=len(folder))}"


def run_output_key(prefix: str, partition_key: str, run_id: str, name: str) -> str:
    """Key of one run's output for one landed file."""
    return f"{file_output_prefix(prefix, partition_key)}/run_id={run_id}/{bounded_name(name)}"


def output_run_id(key: str) -> str:
    """The run that wrote an output of `run_output_key`'s layout."""
    return key.split("/run_id=", 1)[1].split("/", 1)[0]


def staged_good_rows_key(partition_key: str) -> str:
    """Where the quality step leaves a file's good rows (Parquet, typed as the warehouse stores them) for the load.

    Not per run: a re-execution of the load alone finds the rows the last quality step routed.
    """
    return f"{STAGING}/good_rows/{bounded_name(partition_key, reserve=len('.parquet'))}.parquet"


class Lake(dg.ConfigurableResource):
    """Object storage with the recipe's layout; subclasses say where the objects live.

    Complete files only: `whole_when_listed` says whether a listed object is always complete. On S3 it is (a PUT
    or a multipart upload's completion makes the object appear whole, at once), so the landing sensor takes an
    object as soon as it is listed. In a folder it is not (a copy in progress is listed, part written), so the
    sensor takes a file once its version (size, modification and change time) is unchanged across two
    consecutive ticks. Writers that want a file taken at once write it under a hidden name (`.name.csv`, never
    listed) and rename it into place, as `replacing` does.
    """

    whole_when_listed: ClassVar[bool] = False

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
    def survey(self, prefix: str) -> Listing:
        """Every object under `prefix`, however many there are, and those the lake cannot hold, each with why."""

    def list_objects(self, prefix: str) -> list[LakeObject]:
        """Every object under `prefix` that the lake can hold."""
        return self.survey(prefix).objects

    def newest_output(self, prefix: str, partition_key: str) -> str | None:
        """The key of the newest output under `prefix` for one landed file (its archive copy, quarantine...)."""
        found = self.list_objects(file_output_prefix(prefix, partition_key))
        return max(found, key=lambda obj: obj.last_modified).key if found else None

    def remove_stale_leftovers(self, older_than: float = STALE_AFTER_SECONDS) -> list[str]:
        """Remove what killed writes left (partial files, scratch folders) untouched for `older_than` seconds.

        Returns what was removed. Nothing younger is touched, so a write in progress is never disturbed.
        """
        return []

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

    @abstractmethod
    def remove_version(self, key: str, expected: Fingerprint) -> bool:
        """Remove `key` only if it is the `expected` version, in one step no upload can slip into.

        True if it was removed; False if it was gone or is another version (a re-upload landed since), which is
        left exactly where it is. Used to take an ingested file out of the landing prefix after its load.
        """

    def read_parquet(self, key: str) -> pl.DataFrame:
        return pl.read_parquet(self.uri(key), storage_options=self.storage_options(), glob=False)

    def write_frame(self, key: str, frame: pl.DataFrame, file_format: str) -> None:
        """Write `frame` as `parquet` or `ndjson` (JSON Lines) to `key`."""
        buffer = io.BytesIO()
        getattr(frame, f"write_{file_format}")(buffer)
        self.write_bytes(key, buffer.getvalue())
