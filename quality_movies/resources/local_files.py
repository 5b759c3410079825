"""Files written whole, as S3 writes objects, and what killed writes leave behind.

Used by the local lake and the local catalog (a write in progress is never seen part-done) and by the S3
lake for its local scratch folders.
"""

import os
import re
import shutil
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
