"""The metrics of previous evaluations, for dynamic rules and DetectAnomalies: a `dqdl.MetricHistory` over the lake.

Every evaluation leaves `dq_history/source_file=<p>/run_id=<r>/metrics.parquet` in the lake (`history.py`): a row
per rule and metric with Glue's metric names and `evaluated_at`. `LakeMetricHistory.previous(metric, k)` answers
with that metric's values in the newest k evaluations of the same ruleset, across files, newest first, the current
run excluded (its history is written after the evaluation; a retried step's own earlier attempt is left out too).

Bounded: one listing of `dq_history/` (keys and modification times only), then history files are read newest
first, one at a time and each at most once per run, only until k values of the metric are found; nothing is read
unless a dynamic rule or DetectAnomalies asks. Files are ordered by when they were written (each is written once,
right after its evaluation, so that is `evaluated_at` order), and the values found are sorted by `evaluated_at`.
An evaluation counts once per metric (the first of its values: several rules may measure `Dataset.*.RowCount`);
an evaluation where the metric could not be computed (null) is skipped.

The ruleset is matched by its file name: a deployment's container path and a local checkout differ.
Works over any store with `list_objects(prefix)` and `read_parquet(key)`: the `Lake` resources (local folder, S3)
or `FolderStore` (a local lake folder, for `quality-movies validate`, without Dagster).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Protocol

import polars as pl

from quality_movies.history import HISTORY_FILE, HISTORY_PREFIX, RUN_DIR


class StoredObject(Protocol):
    key: str
    last_modified: float


class HistoryStore(Protocol):
    """What the history needs of a lake: a listing and a Parquet reader."""

    def list_objects(self, prefix: str) -> list[StoredObject]: ...

    def read_parquet(self, key: str) -> pl.DataFrame: ...


@dataclass(frozen=True)
class _Listed:
    key: str
    last_modified: float


class FolderStore:
    """A local lake folder (`$QUALITY_MOVIES_HOME/lake`) read as the `Lake` resources read it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def list_objects(self, prefix: str) -> list[_Listed]:
        folder = self.root / prefix
        files = folder.rglob("*") if folder.is_dir() else []
        return [_Listed(f.relative_to(self.root).as_posix(), f.stat().st_mtime) for f in files if f.is_file()]

    def read_parquet(self, key: str) -> pl.DataFrame:
        return pl.read_parquet(self.root / key, glob=False)  # keys are data, never patterns


def _ruleset_name(path: str | None) -> str | None:
    return PurePath(path).name if path else None


class LakeMetricHistory:
    """The previous evaluations' metrics of one ruleset in a lake's `dq_history/` (see the module's docstring)."""

    def __init__(self, store: HistoryStore, ruleset: str | Path, exclude_run: str | None = None) -> None:
        self.store = store
        self.ruleset = _ruleset_name(str(ruleset))
        self.exclude_run = exclude_run
        self._pending: list[StoredObject] | None = None  # history files not read yet, newest first
        self._last_read: float | None = None  # when the last file read was written
        self._read: list[pl.DataFrame] = []  # (evaluated_at, metric, value) of the files read, newest first
        self.files_read = 0

    def _listing(self) -> list[StoredObject]:
        if self._pending is None:
            listed = [
                found
                for found in self.store.list_objects(HISTORY_PREFIX)
                if found.key.endswith(f"/{HISTORY_FILE}") and not self._excluded(found.key)
            ]
            self._pending = sorted(listed, key=lambda o: o.last_modified, reverse=True)
        return self._pending

    def _excluded(self, key: str) -> bool:
        return self.exclude_run is not None and f"/{RUN_DIR}{self.exclude_run}/" in key

    def _read_next(self) -> bool:
        """Read the next newest history file of this ruleset; False when none is left."""
        pending = self._listing()
        while pending:
            found = pending.pop(0)
            frame = self.store.read_parquet(found.key)
            self.files_read += 1
            self._last_read = found.last_modified
            if frame.height and _ruleset_name(frame["ruleset"][0]) == self.ruleset:
                measured = frame.filter(pl.col("metric").is_not_null() & pl.col("metric_value").is_not_null())
                self._read.append(measured.select("evaluated_at", "metric", "metric_value"))
                return True
        return False

    def _values(self, metric: str) -> list[tuple[dt.datetime, float]]:
        found = []
        for frame in self._read:
            rows = frame.filter(pl.col("metric") == metric)
            if rows.height:
                found.append((rows["evaluated_at"][0], float(rows["metric_value"][0])))
        return found

    def _tied(self) -> bool:
        """Whether the next file was written in the same instant as the last one read (S3 keeps whole seconds):
        its evaluation may be the newer, so it is read too before the newest k are chosen by `evaluated_at`."""
        pending = self._listing()
        return bool(pending) and self._last_read is not None and pending[0].last_modified >= self._last_read

    def previous(self, metric: str, count: int) -> list[float]:
        """Up to `count` values of `metric` from the newest previous evaluations of the ruleset, newest first."""
        found = self._values(metric)
        while (len(found) < count or self._tied()) and self._read_next():
            found = self._values(metric)
        found.sort(key=lambda pair: pair[0], reverse=True)
        return [value for _, value in found[:count]]


def local_history(lake_root: Path, ruleset: str | Path) -> LakeMetricHistory | None:
    """The history in a local lake folder (`$QUALITY_MOVIES_HOME/lake`), or None if it holds none."""
    if not (lake_root / HISTORY_PREFIX).is_dir():
        return None
    return LakeMetricHistory(FolderStore(lake_root), ruleset)
