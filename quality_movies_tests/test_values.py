"""Values as a data engineer expects them: whole numbers written as floats load, missing-value tokens are missing.

The files are the real IMDb file with one quirk each (`derived_files.py`, `data/derived/`).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from quality_movies import crawl
from quality_movies.cli import main
from quality_movies.contract import VIOLATIONS
from quality_movies.ruleset_config import DEFAULT_RULESET, RulesetConfig, RulesetConfigError, load_ruleset
from quality_movies.stage import SOURCE_ROW, StageResult, run_stage
from quality_movies_tests.conftest import Pipeline
from quality_movies_tests.data_files import IMDB_CSV
from quality_movies_tests.derived_files import DERIVATIONS, DERIVED, derived_bytes, read_records, write_records
from quality_movies_tests.stage_outputs import bad_records_of, crawled_metadata, good_rows_of, ruleset_with

FLOATS = DERIVED / "imdb_scores_as_floats.csv"
NA = DERIVED / "imdb_na_tokens.csv"


@pytest.fixture(scope="module")
def config() -> RulesetConfig:
    return load_ruleset(DEFAULT_RULESET)


@pytest.fixture(scope="module")
def original(config: RulesetConfig, tmp_path_factory: pytest.TempPathFactory) -> StageResult:
    return run_stage(IMDB_CSV, config, tmp_path_factory.mktemp("original"), source="movies.csv")


def _with_tokens(folder: Path, tokens: str, rules: str | None = None) -> RulesetConfig:
    """The default ruleset (or `rules`) with `null_tokens` set beside it."""
    return ruleset_with(folder, f"null_tokens = {tokens}\n", rules)


@pytest.mark.parametrize("name", list(DERIVATIONS))
def test_each_derived_file_is_the_real_file_with_its_one_quirk(name: str) -> None:
    assert write_records(read_records()) == IMDB_CSV.read_bytes()  # the writer reproduces the real file
    assert (DERIVED / name).read_bytes() == derived_bytes(name)


def test_whole_numbers_written_as_floats_load_as_the_original_file(
    tmp_path: Path, config: RulesetConfig, original: StageResult
) -> None:
    floats = run_stage(FLOATS, config, tmp_path, source="movies.csv")

    assert (floats.rows_good, floats.rows_bad) == (original.rows_good, original.rows_bad) == (33, 967)
    assert good_rows_of(floats).equals(good_rows_of(original))  # `80.0` loads as 80, `2.3431100000e+06` as 2343110
    assert good_rows_of(floats).schema["meta_score"] == pl.Int64
    # The quarantine keeps each record's text as it landed.
    first_bad = bad_records_of(floats).row(0, named=True)
    assert first_bad["meta_score"].endswith(".0") and "e+0" in first_bad["no_of_votes"]


def test_a_column_of_whole_floats_is_crawled_double_as_glue_does() -> None:
    sample = pl.DataFrame({"meta_score": ["80.0", "1.0e3", None], "votes": ["80", "12", "7"]})
    assert crawl.infer_columns(sample) == [
        {"name": "meta_score", "type": crawl.DOUBLE},
        {"name": "votes", "type": crawl.BIGINT},
    ]


def test_in_a_bigint_column_whole_floats_fit_and_fractions_do_not() -> None:
    text = pl.Series("x", ["80", "80.0", "1.0e3", " 7 ", "80.5", "9007199254740993.0", "nan", "eighty", None])
    frame = pl.DataFrame(text).select(
        crawl.typed(pl.col("x"), crawl.BIGINT).alias("value"),
        crawl.misfit_reason("x", pl.col("x"), crawl.BIGINT).alias("reason"),
    )
    assert frame["value"].to_list() == [80, 80, 1000, 7, None, None, None, None, None]
    assert frame["reason"][4] == "x: '80.5' is not a whole number (bigint, the type crawled for the column)"
    assert frame["reason"][7] == "x: 'eighty' is not a bigint (the type crawled for the column)"


def test_a_score_with_a_fraction_is_quarantined_with_the_reason(tmp_path: Path, config: RulesetConfig) -> None:
    records = read_records()
    score = records[0].index("Meta_score")
    records[1][score] = "80.5"  # The Shawshank Redemption, a good row of the real file
    path = tmp_path / "fraction.csv"
    path.write_bytes(write_records(records))

    result = run_stage(path, config, tmp_path / "out")

    assert (result.rows_good, result.rows_bad) == (32, 968)
    shawshank = bad_records_of(result).filter(pl.col(SOURCE_ROW) == 1).row(0, named=True)
    assert shawshank[VIOLATIONS] == ["meta_score: '80.5' has a fraction; BIGINT holds whole numbers"]
    assert shawshank["meta_score"] == "80.5"


def test_without_tokens_na_is_a_value(tmp_path: Path) -> None:
    rules = 'Rules = [ IsComplete "gross" ]'
    (tmp_path / "gross.dqdl").write_text(rules)
    result = run_stage(NA, load_ruleset(tmp_path / "gross.dqdl"), tmp_path / "out", contract=False)
    assert result.verdict.rules[0].outcome == "Passed"


def test_configured_tokens_are_missing_values_for_the_rules(tmp_path: Path) -> None:
    config = _with_tokens(tmp_path, '["NA", "N/A", "null"]', 'Rules = [ IsComplete "gross", IsComplete "meta_score" ]')

    result = run_stage(NA, config, tmp_path / "out", contract=False)

    # The real file leaves Gross empty in 169 rows and Meta_score in 157: here they are `NA`.
    assert [(rule.outcome, rule.failing_rows) for rule in result.verdict.rules] == [("Failed", 169), ("Failed", 157)]
    assert result.summary["null_tokens"] == ["NA", "N/A", "null"]


def test_na_tokens_load_as_the_original_file_and_the_quarantine_keeps_them(
    tmp_path: Path, original: StageResult
) -> None:
    result = run_stage(NA, _with_tokens(tmp_path, '["NA"]'), tmp_path / "out", source="movies.csv")

    assert (result.rows_good, result.rows_bad) == (original.rows_good, original.rows_bad)
    assert good_rows_of(result).equals(good_rows_of(original))  # `NA` loads as NULL, numbers among them as numbers
    bad, original_bad = bad_records_of(result), bad_records_of(original)
    assert bad[SOURCE_ROW].to_list() == original_bad[SOURCE_ROW].to_list()
    assert bad[VIOLATIONS].to_list() == original_bad[VIOLATIONS].to_list()
    empty_gross = original_bad["gross"].is_null()
    assert set(bad.filter(empty_gross)["gross"]) == {"NA"}  # the text as it landed


def test_without_tokens_na_in_a_number_column_keeps_the_row_out(tmp_path: Path, config: RulesetConfig) -> None:
    result = run_stage(NA, config, tmp_path / "out", source="movies.csv")
    # meta_score is text for the crawler (`NA` among numbers): `NA` is no BIGINT for the warehouse.
    reasons = bad_records_of(result)[VIOLATIONS].explode().drop_nulls()
    assert reasons.str.starts_with("meta_score: 'NA' is not a BIGINT").sum() == 157
    assert result.rows_good < 33


def test_null_tokens_must_be_a_list_of_strings(tmp_path: Path) -> None:
    with pytest.raises(RulesetConfigError, match="null_tokens must be a list of non-empty strings"):
        _with_tokens(tmp_path, '"NA"')


def test_recommend_respects_the_tokens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _with_tokens(tmp_path, '["NA"]')
    assert main(["recommend", str(NA), "--rules", str(tmp_path / "movies.dqdl")]) == 0
    with_tokens = capsys.readouterr().out
    assert main(["recommend", str(NA), "--rules", str(DEFAULT_RULESET)]) == 0
    without = capsys.readouterr().out
    assert 'IsComplete "gross"' in without and '"NA"' in without  # `NA` taken for a certificate
    assert 'IsComplete "gross"' not in with_tokens and '"NA"' not in with_tokens
    assert 'IsComplete "series_title"' in with_tokens


def test_validate_json_names_the_tokens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _with_tokens(tmp_path, '["NA"]')
    args = ["validate", str(NA), "--rules", str(tmp_path / "movies.dqdl"), "--out", str(tmp_path / "out"), "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["rows_good"], summary["null_tokens"]) == (33, ["NA"])


def test_the_dagster_job_loads_whole_floats_as_integers(clean_home: Path, empty_warehouse) -> None:
    pipeline = Pipeline(clean_home)

    result = pipeline.run(pipeline.land(FLOATS, "movies.csv"))

    assert result.success
    with empty_warehouse.connection() as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT count(*), sum(meta_score), sum(no_of_votes) FROM movies.imdb_movies_rating")
        loaded = cursor.fetchone()
    good = good_rows_of(run_stage(IMDB_CSV, load_ruleset(DEFAULT_RULESET), clean_home / "expected"))
    assert list(loaded) == [33, good["meta_score"].sum(), good["no_of_votes"].sum()]


def test_the_dagster_job_reads_configured_tokens_as_missing_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_home: Path, empty_warehouse
) -> None:
    _with_tokens(tmp_path, '["NA"]')
    monkeypatch.setenv("QUALITY_MOVIES_RULESET", str(tmp_path / "movies.dqdl"))
    pipeline = Pipeline(clean_home)

    result = pipeline.run(pipeline.land(NA, "movies.csv"))

    assert result.success
    empty_warehouse.ensure_table()
    assert empty_warehouse.query_one("count_table_rows")[0] == 33
    metadata = crawled_metadata(result)
    assert metadata["null_tokens"].value == ["NA"]
    types = {column.name: column.type for column in metadata["dagster/column_schema"].schema.columns}
    assert types["meta_score"] == "bigint"  # `NA` among the scores is a missing score, not text
