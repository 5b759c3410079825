"""The ruleset most public jobs ran ("quality" = rating above 8.5) on the real file."""

from __future__ import annotations

import polars as pl

from quality_movies import dqdl

DEFAULT = """Rules = [
    IsComplete "imdb_rating",
    ColumnValues "imdb_rating" between 8.5 and 10.3
]"""


def test_default_ruleset_keeps_only_ratings_strictly_above_8_5(movies: pl.DataFrame) -> None:
    evaluation = dqdl.evaluate(DEFAULT, movies)
    passed = evaluation.rows.filter(pl.col(dqdl.RESULT_COLUMN) == "Passed")
    # 33 films rate above 8.5; the 20 rated exactly 8.5 fail because between excludes its bounds.
    assert passed.height == 33
    assert passed["IMDB_Rating"].cast(pl.Float64).min() > 8.5


def test_default_ruleset_outcomes_and_metrics(movies: pl.DataFrame) -> None:
    complete, rating = dqdl.evaluate(DEFAULT, movies).rules
    assert (complete.outcome, complete.evaluated_metrics) == ("Passed", {"Column.imdb_rating.Completeness": 1.0})
    assert rating.outcome == "Failed"
    assert rating.failing_rows == 1000 - 33
    assert rating.evaluated_metrics == {"Column.imdb_rating.Minimum": 7.6, "Column.imdb_rating.Maximum": 9.3}
