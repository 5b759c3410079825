"""IMDb-like CSV files of any size, made by resampling the rows of the real IMDb file.

Resampling keeps what matters for speed and for the rules: the same columns, field lengths,
quoting, empty fields, the 'PG' year of Apollo 13 and the share of ratings above 8.5 (about 3%).
The good-rows-only file, for the warehouse load, resamples only the rows that the one quality path
(`run_stage`, default ruleset and contract) routes to the warehouse. Files are cached by kind, row
count and seed, so the benchmark generates each once.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' data files, run from anywhere

from quality_movies.ruleset_config import DEFAULT_RULESET, load_ruleset  # noqa: E402
from quality_movies.stage import BAD_RECORDS_FILE, SOURCE_ROW, run_stage  # noqa: E402
from quality_movies_tests.data_files import IMDB_CSV  # noqa: E402

CHUNK_ROWS = 250_000  # rows written per step: generating 5M rows never holds the whole file in memory


def data_dir() -> Path:
    """Where generated files are cached (`QUALITY_MOVIES_BENCH_DATA`, default a folder under the temp dir)."""
    default = Path(tempfile.gettempdir()) / "quality_movies_benchmarks"
    return Path(os.environ.get("QUALITY_MOVIES_BENCH_DATA", default))


def imdb_like_csv(rows: int, seed: int = 7, source: Path = IMDB_CSV) -> Path:
    """The path of a CSV with `rows` rows resampled from `source`; generated on first use."""
    target = data_dir() / f"imdb_like_{rows}_seed{seed}.csv"
    if not target.exists():
        _write_resampled(pl.read_csv(source, infer_schema=False), rows, seed, target)
    return target


def good_rows_csv(rows: int, seed: int = 7, source: Path = IMDB_CSV) -> Path:
    """The path of a CSV with `rows` rows resampled from the rows of `source` that pass the default ruleset."""
    target = data_dir() / f"imdb_like_good_{rows}_seed{seed}.csv"
    if not target.exists():
        _write_resampled(rows_passing_default_ruleset(source), rows, seed, target)
    return target


def rows_passing_default_ruleset(source: Path) -> pl.DataFrame:
    """The records of `source` (every field as text) that `run_stage` sends to the warehouse."""
    with tempfile.TemporaryDirectory() as out_dir:
        run_stage(source, load_ruleset(DEFAULT_RULESET), Path(out_dir), contract=True)
        bad = pl.read_ndjson(Path(out_dir) / BAD_RECORDS_FILE, schema={SOURCE_ROW: pl.Int64})[SOURCE_ROW]
    records = pl.read_csv(source, infer_schema=False).with_row_index(SOURCE_ROW, offset=1)
    good = records.filter(~pl.col(SOURCE_ROW).is_in(bad.implode())).drop(SOURCE_ROW)
    if good.is_empty():
        raise SystemExit(f"no row of {source} passes the default ruleset: nothing to resample")
    return good


def _write_resampled(base: pl.DataFrame, rows: int, seed: int, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with partial.open("wb") as out:
        for start in range(0, rows, CHUNK_ROWS):
            count = min(CHUNK_ROWS, rows - start)
            picks = pl.int_range(0, base.height, eager=True).sample(count, with_replacement=True, seed=seed + start)
            base[picks].write_csv(out, include_header=start == 0)
    partial.rename(target)  # a half-written file is never mistaken for a cached one


if __name__ == "__main__":
    for size in map(int, sys.argv[1:] or ["1000"]):
        print(imdb_like_csv(size), good_rows_csv(size))
