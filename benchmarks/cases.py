"""One case measured in a fresh process, so that its peak memory is its own.

    python benchmarks/cases.py CASE INPUT OUT_DIR [ROWS]

prints one JSON object: seconds (the work only: not the imports, the set-up, nor the counts that check
it), rows, peak RSS, peak heap (anonymous memory; RSS also counts file pages a reader maps, which the
system can drop at will) and what the case adds (a load's backend memory, pandas' phases).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from memory import own_heap

# The work's result; a value may be a callable, evaluated after the clock stops (a check, not work).
Work = Callable[[], dict[str, Any]]


def polars_read(csv_path: Path, _: Path, __: int | None) -> Work:
    """The floor: Polars reading the CSV into memory, every field as text."""
    import polars as pl

    return lambda: {"rows": pl.read_csv(csv_path, infer_schema=False).height}


def polars_copy(csv_path: Path, out_dir: Path, _: int | None) -> Work:
    """Writing alone: Polars streaming the CSV into JSON Lines (the quarantine's format), every row, no rules."""
    import polars as pl

    target = out_dir / "copy.jsonl"

    def work() -> dict[str, Any]:
        pl.scan_csv(csv_path, infer_schema=False).sink_ndjson(target)
        return {"rows": lambda: _jsonl_rows(target)}

    return work


def run_stage(csv_path: Path, out_dir: Path, _: int | None) -> Work:
    """The one quality path: `stage.run_stage` with the default ruleset and the contract, outputs written."""
    from quality_movies.ruleset_config import load_ruleset
    from quality_movies.stage import run_stage

    config = load_ruleset()

    def work() -> dict[str, Any]:
        result = run_stage(csv_path, config, out_dir, contract=True)
        return {"rows": result.rows_in, "rows_good": result.rows_good}

    return work


def quarantine_pass(csv_path: Path, out_dir: Path, _: int | None) -> Work:
    """The least `run_stage` can do: its quarantine pass alone (the rules evaluated, every bad row written with
    its landed text, Glue's outcome lists and its reasons), without the measures, the verdict or the good rows."""
    from quality_movies.landed_table import read_then
    from quality_movies.ruleset_config import load_ruleset
    from quality_movies.stage import BAD_RECORDS_FILE, Routing

    config = load_ruleset()
    target, scratch = out_dir / BAD_RECORDS_FILE, out_dir / "scratch"
    scratch.mkdir()

    def work() -> dict[str, Any]:
        read_then(csv_path, scratch, str(csv_path), lambda table: Routing.of(table, config).write_bad_records(target))
        return {"rows_bad": lambda: _jsonl_rows(target)}

    return work


def pandera_pandas(csv_path: Path, out_dir: Path, _: int | None) -> Work:
    """The same rules in pandera's pandas backend, doing the same work."""
    import pandas_baseline

    return lambda: pandas_baseline.run(csv_path, out_dir)


def warehouse_copy(good_rows: Path, out_dir: Path, rows: int | None) -> Work:
    """Staged good rows loaded into the embedded PostgreSQL by the warehouse's COPY."""
    from load import load_work

    return load_work(good_rows, out_dir, rows, insert=False)


def warehouse_insert(good_rows: Path, out_dir: Path, rows: int | None) -> Work:
    """The same load by the INSERT fallback (the baseline, on a slice)."""
    from load import load_work

    return load_work(good_rows, out_dir, rows, insert=True)


def _jsonl_rows(path: Path) -> int:
    import polars as pl

    return pl.scan_ndjson(path, infer_schema_length=1).select(pl.len()).collect().item()


# Each case imports what it needs and sets up, then returns the work to time.
CASES: dict[str, Callable[[Path, Path, int | None], Work]] = {
    "polars-read": polars_read,
    "polars-copy": polars_copy,
    "run_stage": run_stage,
    "quarantine-pass": quarantine_pass,
    "pandera-pandas": pandera_pandas,
    "warehouse-copy": warehouse_copy,
    "warehouse-insert": warehouse_insert,
}


def main(case: str, input_path: str, out_dir: str, rows: str | None = None) -> None:
    work = CASES[case](Path(input_path), Path(out_dir), int(rows) if rows else None)
    with own_heap() as heap:
        start = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - start
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    result = {key: value() if callable(value) else value for key, value in result.items()}
    print(json.dumps({"case": case, "seconds": seconds, "peak_rss": peak_rss, "peak_heap": heap.peak_anon} | result))


if __name__ == "__main__":
    main(*sys.argv[1:5])
