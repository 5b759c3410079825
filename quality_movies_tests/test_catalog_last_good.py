"""The catalog keeps the last good schema: a file that fails before its rows are routed never replaces it."""

from pathlib import Path

import polars as pl

from quality_movies.assets.catalog import SCHEMA_CHECK
from quality_movies.resources.catalog import LocalCatalog
from quality_movies_tests.conftest import IMDB_CSV, read_imdb


def _catalog_columns(home: Path) -> list[str]:
    return [column["name"] for column in LocalCatalog(root=str(home / "catalog")).get_columns("input_data")]


def _drift_check(result):
    (check,) = [c for c in result.get_asset_check_evaluations() if c.check_name == SCHEMA_CHECK]
    return check


def test_a_file_failing_before_routing_leaves_the_catalog_and_the_next_crawl_compares_with_the_last_loaded(
    pipeline, tmp_path
):
    assert pipeline.run(pipeline.land(IMDB_CSV, "first.csv")).success
    loaded = _catalog_columns(pipeline.home)
    no_genre = tmp_path / "no_genre.csv"
    read_imdb().drop("genre").write_csv(no_genre)

    failed = pipeline.run(pipeline.land(no_genre))

    assert not failed.success
    assert _drift_check(failed).metadata["drift"].value == {"added": [], "removed": ["genre"], "retyped": []}
    assert _catalog_columns(pipeline.home) == loaded  # the failed file's columns were never registered

    again = pipeline.run(pipeline.land(IMDB_CSV, "second.csv"))
    assert again.success
    assert _drift_check(again).passed  # compared with first.csv, not with the failed file


def test_a_file_whose_rows_were_routed_becomes_the_catalog_schema(pipeline, tmp_path):
    widened = tmp_path / "widened.csv"
    read_imdb().with_columns(studio=pl.lit("MGM")).write_csv(widened)
    assert pipeline.run(pipeline.land(IMDB_CSV)).success

    result = pipeline.run(pipeline.land(widened))

    assert result.success and _drift_check(result).metadata["drift"].value["added"] == ["studio"]
    assert _catalog_columns(pipeline.home)[-1] == "studio"
