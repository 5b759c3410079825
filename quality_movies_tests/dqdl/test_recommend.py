"""The recommender profiles a frame and proposes a ruleset that passes on it."""

from __future__ import annotations

import polars as pl

from quality_movies import dqdl


def test_recommended_ruleset_passes_on_the_real_file(movies: pl.DataFrame) -> None:
    text = dqdl.recommend(movies)
    evaluation = dqdl.evaluate(text, movies)
    assert [r.rule for r in evaluation.rules if r.outcome != "Passed"] == []
    assert evaluation.score == 1.0


def test_recommendation_has_glues_shapes_for_the_imdb_file(movies: pl.DataFrame) -> None:
    rules = {dqdl.render(rule) for rule in dqdl.parse(dqdl.recommend(movies)).rules}
    assert {
        "RowCount between 500 and 2000",
        'IsComplete "Poster_Link"',
        'ColumnLength "Poster_Link" between 108 and 162',
        'Uniqueness "Poster_Link" > 0.95',
        'ColumnLength "Series_Title" between 1 and 69',
        'ColumnLength "Released_Year" between 1 and 5',
        'ColumnLength "Certificate" <= 8',
        'ColumnValues "Meta_score" between 27 and 101',
        'StandardDeviation "Meta_score" between 11.75 and 12.99',
        'ColumnValues "No_of_Votes" between 25087 and 2343111',
        'ColumnLength "Gross" <= 11',
    } <= rules
    assert 'ColumnValues "Certificate" in ["U","A","UA","R","PG-13","PG"] with threshold >= 0.93' in rules
    assert 'Completeness "Meta_score" >= 0.84' in rules


def test_recommended_bounds_are_widened_because_between_excludes_them() -> None:
    frame = pl.DataFrame({"n": [1, 2, 3], "t": ["ab", "abc", "abcd"]})
    rules = [dqdl.render(rule) for rule in dqdl.parse(dqdl.recommend(frame)).rules]
    assert 'ColumnValues "n" between 0 and 4' in rules
    assert 'ColumnLength "t" between 1 and 5' in rules
    assert dqdl.evaluate(dqdl.recommend(frame), frame).score == 1.0


def test_recommendation_for_a_frame_with_an_all_null_column_still_passes() -> None:
    frame = pl.DataFrame(
        {"empty": [None, None], "flag": [True, False]}, schema={"empty": pl.String, "flag": pl.Boolean}
    )
    evaluation = dqdl.evaluate(dqdl.recommend(frame), frame)
    assert {r.outcome for r in evaluation.rules} == {"Passed"}


def test_recommended_names_with_quotes_are_escaped() -> None:
    frame = pl.DataFrame({'say "hi"': ["a", "a", "b"] * 20})
    text = dqdl.recommend(frame)
    assert 'IsComplete "say \\"hi\\""' in text
    assert dqdl.evaluate(text, frame).score == 1.0
