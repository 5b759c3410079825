"""Files written whole, as S3 writes objects, and what killed writes leave behind.

Used by the local lake and the local catalog (a write in progress is never seen part-done) and by the S3
lake for its local scratch folders.
"""

import os
import re
import shutil
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from quality_movies.partitions import bounded_name

# A partial file or scratch folder nothing has written to for this long belongs to a killed write: a write in
# progress touches its file continually, so it is never this old.
STALE_AFTER_SECONDS = 3600
SCRATCH_PREFIX = "quality_movies-"
PARTIAL_AFFIXES = len(".") + len(".") + 32 + len(".partial")  # around the name: `.<name>.<uuid hex>.partial`
PARTIAL_NAME = re.compile(r"^\..*\.[0-9a-f]{32}\.partial$", re.DOTALL)
REMOVING_AFFIXES = len(".") + len(".") + 32 + len(".removing")  # `.<name>.<uuid hex>.removing`


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A path to write `target`'s new content to, put in place whole once written, as an S3 put does.

    Readers see the old file or all of the new one, never a part; a failed write leaves the old one.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    # Hidden, so never listed; its name bounded, so that a name near the 255-byte limit still has a partial file.
    partial = target.with_name(f".{bounded_name(target.name, PARTIAL_AFFIXES)}.{uuid.uuid4().hex}.partial")
    try:
        yield partial
        partial.replace(target)  # an atomic rename within one folder
    finally:
        partial.unlink(missing_ok=True)


def write_whole(target: Path, data: bytes) -> None:
    """Write `data` to `target` through `replacing`."""
    with replacing(target) as partial:
        partial.write_bytes(data)


def remove_if_version(path: Path, etag: str) -> bool:
    """Remove the file `path` only if it is the version `etag` (`local_etag`); True if it was removed.

    A file found to be that version is first renamed aside under a hidden name (atomic): from then on an upload
    landing at `path` lands beside it and is never touched. A rename changes the file's change time, so the file
    renamed is then compared to the one found by what a rename keeps (inode, modification time, size): the same
    file, unwritten since, is deleted. Anything else (replaced or written in the instant between) is put back by a
    hard link, which refuses to replace a file landed at `path` meanwhile: that newer upload stays, and the one
    aside, already replaced by it as a later PUT replaces an object on S3, is dropped. A process killed in between
    leaves the hidden `.removing` file, which nothing deletes by itself.
    """
    try:
        found = path.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(found.st_mode) or local_etag(found) != etag:
        return False
    aside = path.with_name(f".{bounded_name(path.name, REMOVING_AFFIXES)}.{uuid.uuid4().hex}.removing")
    try:
        os.rename(path, aside)
    except FileNotFoundError:  # removed in the instant since it was found
        return False
    moved = aside.lstat()
    if _kept_by_rename(moved) == _kept_by_rename(found):
        aside.unlink()
        return True
    try:
        os.link(aside, path)  # never over an upload landed at `path` meanwhile
    except FileExistsError:
        pass  # a newer upload is at `path`: it stays, and the version aside, replaced by it, goes
    except OSError:  # a file system without hard links: a rename, which could replace an upload of this instant
        os.rename(aside, path)
        return False
    aside.unlink()
    return False


def _kept_by_rename(found: os.stat_result) -> tuple[int, int, int, int]:
    """What identifies a file's content across a rename: device, inode, modification time, size."""
    return found.st_dev, found.st_ino, found.st_mtime_ns, found.st_size


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


def local_etag(stat: os.stat_result) -> str:
    """A local file's version: modification time, size and change time (st_ctime_ns).

    The modification time can be set back (`cp -p`, `touch -d`, `mv` keeps it), so a same-size correction stamped
    with the old time would look unchanged. The kernel sets the change time on every write, rename and `utime`,
    and no call sets it back: with it, every new content is a new version. A metadata-only change (`chmod`,
    `mv` in) is then a new version too, which costs one more run of identical content, never a missed one.
    """
    return f"{stat.st_mtime_ns:x}-{stat.st_size:x}-{stat.st_ctime_ns:x}"
