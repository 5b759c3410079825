"""The catalog: the crawler's columns and types from a landed file's head, and drift between crawls."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from quality_movies.assets.catalog import crawl_landed, schema_drift
from quality_movies.crawl import SAMPLE_ROWS, infer_columns
from quality_movies.resources.local_lake import LocalLake
from quality_movies.ruleset_config import DEFAULT_RULESET, load_ruleset
from quality_movies.stage import run_stage
from quality_movies_tests.data_files import IMDB_CSV
from quality_movies_tests.long_files import imdb_file

KEY = "input_data/imdb_movies_rating.csv"


def _lake_with(tmp_path: Path, source: Path) -> LocalLake:
    lake = LocalLake(root=str(tmp_path / "lake"))
    lake.put_file(source, KEY)
    return lake


def _types(columns: list[dict[str, str]]) -> dict[str, str]:
    return {column["name"]: column["type"] for column in columns}


def test_crawl_lower_cases_headers_and_infers_crawler_types(tmp_path: Path) -> None:
    columns = crawl_landed(_lake_with(tmp_path, IMDB_CSV), KEY)
    assert [c["name"] for c in columns][:3] == ["poster_link", "series_title", "released_year"]
    types = _types(columns)
    assert len(columns) == 16
    assert types["imdb_rating"] == "double"
    assert (types["meta_score"], types["no_of_votes"]) == ("bigint", "bigint")
    assert types["released_year"] == "string"  # 'PG' for Apollo 13
    assert types["gross"] == "string"  # "28,341,469"
    assert types["runtime"] == "string"  # "142 min"


def test_the_catalog_and_the_quality_stage_crawl_the_same_types(tmp_path: Path) -> None:
    crawled = crawl_landed(_lake_with(tmp_path, IMDB_CSV), KEY)
    assert run_stage(IMDB_CSV, load_ruleset(DEFAULT_RULESET), tmp_path / "out").columns == crawled


def test_types_come_from_the_first_records_only(tmp_path: Path) -> None:
    # Record 10,005 (beyond the sample, and beyond the first read of the head) holds a word in a
    # bigint column: the crawler never sees it, and the quality stage quarantines that row instead.
    path = imdb_file(tmp_path / "long.csv", SAMPLE_ROWS + 5, Meta_score="eighty")
    assert path.stat().st_size > 4 * 1024 * 1024
    assert _types(crawl_landed(_lake_with(tmp_path, path), KEY))["meta_score"] == "bigint"
    within = imdb_file(tmp_path / "short.csv", SAMPLE_ROWS, Meta_score="eighty")
    assert _types(crawl_landed(_lake_with(tmp_path / "short", within), KEY))["meta_score"] == "string"


def test_infer_columns_types_each_column_from_its_non_empty_values() -> None:
    sample = pl.DataFrame(
        {
            "whole": [" 80 ", "-3", None, "+7"],
            "decimal": ["8.5", "9", "1e3", None],
            "flag": ["true", "FALSE", "True", None],
            "not_a_number": ["1.5", "nan", "2", "3"],
            "words": ["PG", "1994", "x", "y"],
            "empty": [None, None, None, None],
        },
        schema=dict.fromkeys(["whole", "decimal", "flag", "not_a_number", "words", "empty"], pl.String),
    )
    assert _types(infer_columns(sample)) == {
        "whole": "bigint",
        "decimal": "double",
        "flag": "boolean",
        "not_a_number": "string",  # Polars reads 'nan' as a number; no crawler does
        "words": "string",
        "empty": "string",
    }


def test_drift_names_added_removed_and_retyped_columns() -> None:
    before = [{"name": "a", "type": "bigint"}, {"name": "b", "type": "string"}]
    after = [{"name": "a", "type": "string"}, {"name": "c", "type": "double"}]
    assert schema_drift(before, after) == {"added": ["c"], "removed": ["b"], "retyped": ["a: bigint -> string"]}


def test_first_crawl_is_not_drift() -> None:
    assert schema_drift(None, [{"name": "a", "type": "bigint"}]) == {"added": [], "removed": [], "retyped": []}
