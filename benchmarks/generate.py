"""IMDb-like CSV files of any size, made by resampling the rows of the real IMDb file.

Resampling keeps what matters for speed and for the rules: the same columns, field lengths,
quoting, empty fields, the 'PG' year of Apollo 13 and the share of ratings above 8.5 (about 3%).
Files are cached by row count and seed, so the benchmark generates each size once.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' data files, run from anywhere

from quality_movies_tests.data_files import IMDB_CSV  # noqa: E402

CHUNK_ROWS = 250_000  # rows written per step: generating 5M rows never holds the whole file in memory


def data_dir() -> Path:
    """Where generated files are cached (`QUALITY_MOVIES_BENCH_DATA`, default a folder under the temp dir)."""
    default = Path(tempfile.gettempdir()) / "quality_movies_benchmarks"
    return Path(os.environ.get("QUALITY_MOVIES_BENCH_DATA", default))


def imdb_like_csv(rows: int, seed: int = 7, source: Path = IMDB_CSV) -> Path:
    """The path of a CSV with `rows` rows resampled from `source`; generated on first use."""
    target = data_dir() / f"imdb_like_{rows}_seed{seed}.csv"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    base = pl.read_csv(source, infer_schema=False)
    partial = target.with_suffix(".partial")
    with partial.open("wb") as out:
        for start in range(0, rows, CHUNK_ROWS):
            count = min(CHUNK_ROWS, rows - start)
            picks = pl.int_range(0, base.height, eager=True).sample(count, with_replacement=True, seed=seed + start)
            base[picks].write_csv(out, include_header=start == 0)
    partial.rename(target)  # a half-written file is never mistaken for a cached one
    return target
