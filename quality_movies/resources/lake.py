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
import os
import re
import shutil
import tempfile
import time
import uuid
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import ClassVar

import dagster as dg
import polars as pl
from pydantic import Field

from quality_movies.partitions import bounded_name, partition_key_for, relative_key_for

BAD_RECORDS = "bad_records"
RULE_OUTCOME = "rule_outcome"
PROCESSED = "processed"
STAGING = "staging"
NOTIFICATIONS = "notifications"
DQ_HISTORY = "dq_history"  # per file and run: each rule's outcome and metrics (quality_movies/history.py)
OUTPUT_PREFIXES = (BAD_RECORDS, RULE_OUTCOME, PROCESSED, STAGING, NOTIFICATIONS, DQ_HISTORY)
SCRATCH = ".scratch"
# A partial file or scratch folder nothing has written to for this long belongs to a killed write: a write in
# progress touches its file continually, so it is never this old.
STALE_AFTER_SECONDS = 3600
SCRATCH_PREFIX = "quality_movies-"
_PARTIAL_AFFIXES = len(".") + len(".") + 32 + len(".partial")  # around the name: `.<name>.<uuid hex>.partial`
_PARTIAL_NAME = re.compile(r"^\..*\.[0-9a-f]{32}\.partial$", re.DOTALL)


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A path to write `target`'s new content to, put in place whole once written, as an S3 put does.

    Readers see the old file or all of the new one, never a part; a failed write leaves the old one.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    # Hidden, so never listed; its name bounded, so that a name near the 255-byte limit still has a partial file.
    partial = target.with_name(f".{bounded_name(target.name, _PARTIAL_AFFIXES)}.{uuid.uuid4().hex}.partial")
    try:
        yield partial
        partial.replace(target)  # an atomic rename within one folder
    finally:
        partial.unlink(missing_ok=True)


def write_whole(target: Path, data: bytes) -> None:
    """Write `data` to `target` through `replacing`."""
    with replacing(target) as partial:
        partial.write_bytes(data)


def _newest_change(path: Path) -> float:
    """The latest modification time of `path` or of anything under it."""
    newest = path.lstat().st_mtime
    for folder, _, files in os.walk(path):
        for name in files:
            with suppress(FileNotFoundError):
                newest = max(newest, (Path(folder) / name).lstat().st_mtime)
    return newest


def remove_stale_folders(parent: Path, prefix: str, cutoff: float) -> list[str]:
    """Remove the folders in `parent` named `prefix...` in which nothing changed since `cutoff` (epoch seconds)."""
    if not parent.is_dir():
        return []
    removed = []
    for folder in sorted(p for p in parent.iterdir() if p.name.startswith(prefix)):
        with suppress(FileNotFoundError):  # removed meanwhile by the run that owns it
            if folder.is_dir() and not folder.is_symlink() and _newest_change(folder) < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(str(folder))
    return removed


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


def local_etag(stat: os.stat_result) -> str:
    """A local file's version: modification time, size and change time (st_ctime_ns).

    The modification time can be set back (`cp -p`, `touch -d`, `mv` keeps it), so a same-size correction stamped
    with the old time would look unchanged. The kernel sets the change time on every write, rename and `utime`,
    and no call sets it back: with it, every new content is a new version. A metadata-only change (`chmod`,
    `mv` in) is then a new version too, which costs one more run of identical content, never a missed one.
    """
    return f"{stat.st_mtime_ns:x}-{stat.st_size:x}-{stat.st_ctime_ns:x}"


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

    def base(self) -> Path:
        """The lake's folder, with any symbolic link in its own path resolved."""
        return Path(self.root).resolve()

    def path(self, key: str) -> Path:
        """The file of `key`, refusing a key whose file is (or lies under) a symbolic link to outside the lake."""
        base = self.base()
        path = base / safe_key(key)
        target = path.resolve()
        if not target.is_relative_to(base):
            raise UnsafeKeyError(f"object key {key!r} is a symbolic link to {target}, outside the lake {base}")
        return path

    def uri(self, key: str) -> str:
        return str(self.path(key))

    def link(self, key: str) -> str:
        return self.path(key).as_uri()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def describe(self, key: str) -> LakeObject:
        stat = self.path(key).stat()
        return LakeObject(key, stat.st_size, local_etag(stat), stat.st_mtime)

    def survey(self, prefix: str) -> Listing:
        base, objects, refused = self.base(), [], []
        for file in self._files_under(self.path(prefix)):
            key = file.relative_to(base).as_posix()
            with suppress(FileNotFoundError):  # deleted since the folder was read: not there any more
                reason = key_refusal(key) or self._link_refusal(file, base)
                if reason:
                    refused.append(RefusedObject(key, local_etag(file.lstat()), reason))
                elif file.is_file():  # not a folder behind a link, a pipe or a dangling link
                    stat = file.stat()
                    objects.append(LakeObject(key, stat.st_size, local_etag(stat), stat.st_mtime))
        return Listing(objects, refused)

    @staticmethod
    def _files_under(folder: Path) -> list[Path]:
        """The entries under `folder` that may be files, in key order; links to folders are not followed.

        Hidden files are not objects: writes in progress here, editors' and copiers' temporary files.
        """
        found = []
        for parent, _, names in os.walk(folder, followlinks=False):
            found += [Path(parent) / name for name in names if not name.startswith(".")]
        return sorted(found)

    @staticmethod
    def _link_refusal(file: Path, base: Path) -> str | None:
        """Why `file` is refused as a symbolic link out of the lake (None if it is not one)."""
        target = file.resolve() if file.is_symlink() else base
        if not target.is_relative_to(base):
            return f"a symbolic link to {target}, outside the lake {base}: only files in the lake are read"
        return None

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
        root = self.base() / SCRATCH
        root.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=root))
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

    def remove_stale_leftovers(self, older_than: float = STALE_AFTER_SECONDS) -> list[str]:
        cutoff, base = time.time() - older_than, self.base()
        removed = remove_stale_folders(base / SCRATCH, "", cutoff)  # every folder there is a scratch folder
        for parent, folders, names in os.walk(base, followlinks=False):
            folders[:] = [name for name in folders if name != SCRATCH]
            for name in filter(_PARTIAL_NAME.match, names):
                partial = Path(parent) / name
                with suppress(FileNotFoundError):
                    if partial.lstat().st_mtime < cutoff:
                        partial.unlink()
                        removed.append(str(partial))
        return removed
