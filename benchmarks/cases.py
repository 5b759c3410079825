"""One measured case, run in a fresh process so that its peak memory is its own.

    python benchmarks/cases.py CASE CSV OUT_DIR

prints one JSON object: seconds (the work only, not the imports, nor the counts that check it),
rows, peak RSS and peak heap (anonymous memory; RSS also counts file pages a reader maps, which the
system can drop at will).
"""

from __future__ import annotations

import json
import re
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

MIB = 1024 * 1024


class HeapWatcher:
    """Samples the process's anonymous resident memory (Linux), keeping the peak."""

    def __init__(self, every: float = 0.02) -> None:
        self.peak = 0
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        status = Path("/proc/self/status")
        while not self._stop.is_set():
            found = re.search(r"RssAnon:\s+(\d+) kB", status.read_text()) if status.exists() else None
            if found:
                self.peak = max(self.peak, int(found.group(1)) * 1024)
            self._stop.wait(self.every)

    def __enter__(self) -> HeapWatcher:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# The work's result; a value may be a callable, evaluated after the clock stops (a check, not work).
Work = Callable[[], dict[str, Any]]


def polars_read(csv_path: Path, _: Path) -> Work:
    """The floor: Polars reading the CSV into memory, every field as text."""
    import polars as pl

    return lambda: {"rows": pl.read_csv(csv_path, infer_schema=False).height}


def polars_copy(csv_path: Path, out_dir: Path) -> Work:
    """Writing alone: Polars streaming the CSV into JSON Lines (the quarantine's format), every row, no rules."""
    import polars as pl

    target = out_dir / "copy.jsonl"

    def work() -> dict[str, Any]:
        pl.scan_csv(csv_path, infer_schema=False).sink_ndjson(target)
        return {"rows": lambda: pl.scan_ndjson(target, infer_schema_length=1).select(pl.len()).collect().item()}

    return work


def quality_stage(csv_path: Path, out_dir: Path) -> Work:
    """The whole stage: default ruleset, contract, outcome columns, the three output files written."""
    from quality_movies.ruleset_config import load_ruleset
    from quality_movies.stage import validate_file

    def work() -> dict[str, Any]:
        summary = validate_file(csv_path, load_ruleset(), out_dir)
        return {"rows": summary["rows_in"], "rows_good": summary["rows_good"]}

    return work


def pandera_pandas(csv_path: Path, out_dir: Path) -> Work:
    """The same rules in pandera's pandas backend, doing the same work."""
    import pandas_baseline

    return lambda: pandas_baseline.run(csv_path, out_dir)


# Each case imports what it needs, then returns the work to time: imports are not measured.
CASES: dict[str, Callable[[Path, Path], Work]] = {
    "polars-read": polars_read,
    "polars-copy": polars_copy,
    "quality-stage": quality_stage,
    "pandera-pandas": pandera_pandas,
}


def main(case: str, csv_path: str, out_dir: str) -> None:
    work = CASES[case](Path(csv_path), Path(out_dir))
    with HeapWatcher() as heap:
        start = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - start
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    result = {key: value() if callable(value) else value for key, value in result.items()}
    print(json.dumps({"case": case, "seconds": seconds, "peak_rss": peak_rss, "peak_heap": heap.peak} | result))


if __name__ == "__main__":
    main(*sys.argv[1:4])
