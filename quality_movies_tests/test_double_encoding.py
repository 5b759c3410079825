"""Double-encoded text (UTF-8 read as Windows-1252 and written again: `GiuffrÃ¨`, `WALLÂ·E`): counted per column
by the crawler, repaired on read only when the dataset's `repair_double_encoding` asks for it.

The file is the real IMDb file with every non-ASCII field double-encoded (`derived_files.py`, `data/derived/`).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from quality_movies.assets.catalog import crawl_landed_sample
from quality_movies.cli import main
from quality_movies.landed_table import double_encoded_counts, repaired
from quality_movies.resources.local_lake import LocalLake
from quality_movies.ruleset_config import DEFAULT_RULESET, RulesetConfig, RulesetConfigError, load_ruleset
from quality_movies.stage import SOURCE_ROW, StageResult, read_as_crawled, run_stage
from quality_movies_tests.conftest import Pipeline
from quality_movies_tests.data_files import IMDB_CSV, TEST_DATA
from quality_movies_tests.derived_files import DERIVED, read_records
from quality_movies_tests.stage_outputs import bad_records_of, crawled_metadata, good_rows_of, ruleset_with

DOUBLE = DERIVED / "imdb_double_encoded.csv"
KEY = "input_data/movies.csv"


def _non_ascii_values_per_column(path: Path) -> dict[str, int]:
    """Worked out from the real file with the csv module: per (lower-cased) column, values with non-ASCII text."""
    header, *records = read_records(path)
    counts = Counter(header[i].lower() for record in records for i, value in enumerate(record) if not value.isascii())
    return dict(counts)


EXPECTED = _non_ascii_values_per_column(IMDB_CSV)


def _with_repair(folder: Path, setting: str = "true") -> RulesetConfig:
    """The default ruleset with `repair_double_encoding` set beside it."""
    return ruleset_with(folder, f"repair_double_encoding = {setting}\n")


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> StageResult:
    return run_stage(IMDB_CSV, load_ruleset(DEFAULT_RULESET), tmp_path_factory.mktemp("original"), source="movies.csv")


def _lake_with(folder: Path, source: Path) -> LocalLake:
    lake = LocalLake(root=str(folder / "lake"))
    lake.put_file(source, KEY)
    return lake


def test_the_worked_out_counts_are_those_of_the_real_file() -> None:
    assert EXPECTED == {
        "series_title": 51, "overview": 15, "director": 45, "star1": 49, "star2": 54, "star3": 45, "star4": 59,
    }  # fmt: skip


def test_the_crawler_counts_each_columns_double_encoded_values(tmp_path: Path) -> None:
    crawled = crawl_landed_sample(_lake_with(tmp_path, DOUBLE), KEY)
    assert crawled.double_encoded == EXPECTED
    assert crawled.sample_rows == 1000


@pytest.mark.parametrize(
    "path",
    [
        IMDB_CSV,
        TEST_DATA / "imdb_top_1000.csv",
        TEST_DATA / "variants" / "imdb_movies_rating_lf.csv",
        TEST_DATA / "variants" / "imdb_top_1000_renamed_columns_bom.csv",
        TEST_DATA / "variants" / "imdb_top_1000_split_genres.csv",
        TEST_DATA / "variants" / "movie_metadata_imdb5000.csv",
    ],
    ids=lambda path: path.name,
)
def test_real_files_have_no_suspects(path: Path) -> None:
    """`Aldo Giuffrè`, `Gunnar Björnstrand`, titles ending in U+00A0: real text, never taken for mojibake."""
    separator = ";" if path.name.startswith("movie_metadata") else ","
    frame = pl.read_csv(path, infer_schema=False, separator=separator, encoding="utf8-lossy")
    text = pl.col(pl.String)
    non_ascii = frame.select((text.str.len_bytes() != text.str.len_chars()).sum()).sum_horizontal()
    assert non_ascii.item() > 0  # there is text a careless detector could take for mojibake
    counts = double_encoded_counts(frame.lazy(), frame.columns).collect()
    assert counts.sum_horizontal().item() == 0


def test_the_real_file_shows_no_suspects_in_the_summary(original: StageResult) -> None:
    assert original.summary["double_encoded"] == {}
    assert original.summary["repair_double_encoding"] is False


def test_without_the_setting_values_load_as_they_landed(tmp_path: Path, original: StageResult) -> None:
    result = run_stage(DOUBLE, load_ruleset(DEFAULT_RULESET), tmp_path, source="movies.csv")

    assert (result.rows_good, result.rows_bad) == (33, 967)
    assert result.summary["double_encoded"] == EXPECTED
    good = good_rows_of(result)
    assert "Aldo GiuffrÃ¨" in good["star4"].to_list()  # no silent change: the text as it landed
    assert not good.equals(good_rows_of(original))


def test_with_repairs_the_file_loads_as_the_original(tmp_path: Path, original: StageResult) -> None:
    result = run_stage(DOUBLE, _with_repair(tmp_path), tmp_path / "out", source="movies.csv")

    assert (result.rows_good, result.rows_bad) == (original.rows_good, original.rows_bad) == (33, 967)
    assert good_rows_of(result).equals(good_rows_of(original))  # `Aldo Giuffrè` among them
    assert "Aldo Giuffrè" in good_rows_of(result)["star4"].to_list()
    failing = {rule.rule: rule.failing_rows for rule in result.verdict.rules}
    assert failing == {rule.rule: rule.failing_rows for rule in original.verdict.rules}
    assert result.summary["double_encoded"] == EXPECTED
    assert result.summary["repair_double_encoding"] is True


def test_with_repairs_the_quarantine_keeps_the_text_as_it_landed(tmp_path: Path, original: StageResult) -> None:
    result = run_stage(DOUBLE, _with_repair(tmp_path), tmp_path / "out", source="movies.csv")

    header, *records = read_records(DOUBLE)
    landed = pl.DataFrame(records, schema=[name.lower() for name in header], orient="row").with_row_index(
        SOURCE_ROW, offset=1
    )
    bad = bad_records_of(result)
    assert bad[SOURCE_ROW].to_list() == bad_records_of(original)[SOURCE_ROW].to_list()
    as_landed = landed.filter(pl.col(SOURCE_ROW).is_in(bad[SOURCE_ROW].implode()))
    for name in EXPECTED:
        assert bad[name].to_list() == as_landed[name].to_list()  # e.g. `KÃ¥re Hedebrant`, not `Kåre Hedebrant`
    assert "KÃ¥re Hedebrant" in bad["star1"].to_list() + bad["star2"].to_list()


def test_repairs_change_only_the_flagged_values() -> None:
    values = ["Aldo GiuffrÃ¨", "WALLÂ·E", "Aldo Giuffrè", None, "KÃ¥re Hedebrant", "Ã\x81lvaro", "plain", "8.5"]
    fixed = pl.DataFrame({"text": values}).select(repaired(pl.col("text")))["text"].to_list()
    assert fixed == ["Aldo Giuffrè", "WALL·E", "Aldo Giuffrè", None, "Kåre Hedebrant", "Álvaro", "plain", "8.5"]


def test_recommend_reads_the_repaired_text_when_asked() -> None:
    assert read_as_crawled(DOUBLE, repair=True).equals(read_as_crawled(IMDB_CSV))
    assert not read_as_crawled(DOUBLE).equals(read_as_crawled(IMDB_CSV))


def test_the_setting_must_be_true_or_false(tmp_path: Path) -> None:
    with pytest.raises(RulesetConfigError, match="repair_double_encoding must be true or false, not 'yes'"):
        _with_repair(tmp_path, '"yes"')


def test_validate_json_counts_and_repairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _with_repair(tmp_path)
    args = ["validate", str(DOUBLE), "--rules", str(tmp_path / "movies.dqdl"), "--out", str(tmp_path / "out"), "--json"]

    assert main(args) == 0

    summary = json.loads(capsys.readouterr().out)
    assert (summary["rows_good"], summary["rows_bad"]) == (33, 967)
    assert summary["double_encoded"] == EXPECTED
    assert summary["repair_double_encoding"] is True


def test_validate_says_when_values_look_double_encoded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(DOUBLE), "--rules", str(DEFAULT_RULESET), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "double-encoded values in the first 1000 records: series_title 51, overview 15" in out
    assert "as landed (repair_double_encoding = true repairs)" in out


def test_the_dagster_job_repairs_and_the_catalog_shows_the_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_home: Path, empty_warehouse
) -> None:
    _with_repair(tmp_path)
    monkeypatch.setenv("QUALITY_MOVIES_RULESET", str(tmp_path / "movies.dqdl"))
    pipeline = Pipeline(clean_home)

    result = pipeline.run(pipeline.land(DOUBLE, "movies.csv"))

    assert result.success
    with empty_warehouse.connection() as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT count(*) FROM movies.imdb_movies_rating WHERE star4 = 'Aldo Giuffrè'")
        assert cursor.fetchone()[0] == 1
        cursor.execute("SELECT count(*) FROM movies.imdb_movies_rating")
        assert cursor.fetchone()[0] == 33
    metadata = crawled_metadata(result)
    assert metadata["double_encoded_values"].value == EXPECTED
    assert metadata["repair_double_encoding"].value is True
    assert metadata["double_encoded_sample_rows"].value == 1000
