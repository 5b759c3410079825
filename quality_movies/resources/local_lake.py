"""The local lake: a folder standing in for the S3 bucket, with the same prefixes and the same guarantees."""

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from pydantic import Field

from quality_movies.resources.lake import (
    SCRATCH,
    Fingerprint,
    Lake,
    LakeObject,
    Listing,
    RefusedObject,
    UnsafeKeyError,
    key_refusal,
    safe_key,
)
from quality_movies.resources.local_files import (
    PARTIAL_NAME,
    SCRATCH_PREFIX,
    STALE_AFTER_SECONDS,
    local_etag,
    remove_if_version,
    remove_stale_folders,
    replacing,
    write_whole,
)


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

    def remove_version(self, key: str, expected: Fingerprint) -> bool:
        return remove_if_version(self.path(key), expected.etag)  # the local etag covers the size too

    def remove_stale_leftovers(self, older_than: float = STALE_AFTER_SECONDS) -> list[str]:
        cutoff, base = time.time() - older_than, self.base()
        removed = remove_stale_folders(base / SCRATCH, "", cutoff)  # every folder there is a scratch folder
        for parent, folders, names in os.walk(base, followlinks=False):
            folders[:] = [name for name in folders if name != SCRATCH]
            for name in filter(PARTIAL_NAME.match, names):
                partial = Path(parent) / name
                with suppress(FileNotFoundError):
                    if partial.lstat().st_mtime < cutoff:
                        partial.unlink()
                        removed.append(str(partial))
        return removed
