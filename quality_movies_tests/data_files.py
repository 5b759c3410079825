"""Where the tests and the benchmarks find their data: `quality_movies_tests/data/`, inside the repository.

Nothing here imports pytest or Dagster, so the benchmarks can import it too. The files and their public
sources are described in `data/README.md`.
"""

from __future__ import annotations

from pathlib import Path

TEST_DATA = Path(__file__).resolve().parent / "data"
IMDB_CSV = TEST_DATA / "imdb_movies_rating.csv"
VARIANTS = TEST_DATA / "variants"
IMDB_LF_CSV = VARIANTS / "imdb_movies_rating_lf.csv"
GLUE_REFERENCE = TEST_DATA / "glue-reference"
