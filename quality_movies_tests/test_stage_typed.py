"""Rules evaluated on the crawled types through `run_stage`, and the landed text kept for the quarantine.

The stage types each column as the crawler does from the first 10,000 records: the rules compare numbers as
numbers, a later value that does not fit its column's type is quarantined with a reason, and every quarantined
row keeps its text exactly as it landed, whatever the typed value was.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies.contract import VIOLATIONS
from quality_movies.crawl import SAMPLE_ROWS
from quality_movies.ruleset_config import DEFAULT_RULESET, RulesetConfig, load_ruleset
from quality_movies.stage import GOOD_ROWS_FILE, SOURCE_ROW, StageResult, run_stage
from quality_movies_tests.data_files import IMDB_CSV
from quality_movies_tests.long_files import HEADER, RECORDS, imdb_file
from quality_movies_tests.stage_outputs import bad_records_of

LATE = SAMPLE_ROWS + 5  # record 10,005: after the 10,004 records the crawler's sample is taken from


@pytest.fixture(scope="module")
def config() -> RulesetConfig:
    return load_ruleset(DEFAULT_RULESET)


def _ruleset(tmp_path: Path, rules: str) -> RulesetConfig:
    path = tmp_path / "rules.dqdl"
    path.write_text(f"Rules = [ {rules} ]")
    return load_ruleset(path)


def _types(result: StageResult) -> dict[str, str]:
    return {column["name"]: column["type"] for column in result.columns}


@pytest.mark.parametrize(
    ("value", "reasons"),
    [
        (
            "eighty",
            [
                "meta_score: 'eighty' is not a bigint (the type crawled for the column)",
                "meta_score: 'eighty' is not a BIGINT",
            ],
        ),
        (
            "8.5",  # a whole number written `8.0` fits (test_values.py); a fraction does not
            [
                "meta_score: '8.5' is not a whole number (bigint, the type crawled for the column)",
                "meta_score: '8.5' has a fraction; BIGINT holds whole numbers",
            ],
        ),
    ],
)
def test_a_late_value_that_does_not_fit_its_crawled_type_is_quarantined_with_its_text(
    tmp_path: Path, config: RulesetConfig, value: str, reasons: list[str]
) -> None:
    path = imdb_file(tmp_path / "long.csv", LATE, Meta_score=value)
    result = run_stage(path, config, tmp_path / "out")
    assert _types(result)["meta_score"] == "bigint"
    late = bad_records_of(result).filter(pl.col(SOURCE_ROW) == LATE).row(0, named=True)
    assert late[VIOLATIONS] == reasons
    # For the rules the value is missing (this ruleset does not look at meta_score): they all pass.
    assert (late[dqdl.RESULT_COLUMN], late[dqdl.FAIL_COLUMN]) == ("Passed", [])
    assert late["meta_score"] == value
    assert late["series_title"] == "The Shawshank Redemption" and late["gross"] == "28,341,469"
    assert (result.rows_in, result.rows_good + result.rows_bad) == (LATE, LATE)


def test_a_late_misfit_is_quarantined_even_without_the_warehouse_contract(
    tmp_path: Path, config: RulesetConfig
) -> None:
    path = imdb_file(tmp_path / "long.csv", LATE, Meta_score="eighty")
    result = run_stage(path, config, tmp_path / "out", contract=False)
    late = bad_records_of(result).filter(pl.col(SOURCE_ROW) == LATE)
    assert late[VIOLATIONS].to_list() == [["meta_score: 'eighty' is not a bigint (the type crawled for the column)"]]
    good = pl.read_parquet(result.outputs[GOOD_ROWS_FILE])
    assert "eighty" not in good["meta_score"].to_list()


def test_the_glue_reference_custom_sql_example_evaluates_on_a_bigint_column(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("Name,Age\nAnn,34\nBob,17\nCid,\nDee,19\n")
    config = _ruleset(tmp_path, 'CustomSql "select Name from primary where Age > 18"')
    result = run_stage(people, config, tmp_path / "out", contract=False)
    assert _types(result) == {"name": "string", "age": "bigint"}
    (rule,) = result.verdict.rules
    assert (rule.outcome, rule.failure_reason) == (
        "Failed",
        "2 of 4 evaluated rows do not meet the constraint requirement!",
    )
    assert pl.read_parquet(result.outputs[GOOD_ROWS_FILE]).to_dicts() == [
        {"name": "Ann", "age": "34"},
        {"name": "Dee", "age": "19"},
    ]
    assert bad_records_of(result).select(SOURCE_ROW, "name", "age").rows() == [(2, "Bob", "17"), (3, "Cid", None)]


def test_custom_sql_compares_the_double_imdb_rating_with_a_number(tmp_path: Path) -> None:
    config = _ruleset(tmp_path, 'CustomSql "select series_title from primary where imdb_rating > 8.7"')
    result = run_stage(IMDB_CSV, config, tmp_path / "out")
    # Worked out with the csv module: a row passes when its title is among those the statement returns.
    with IMDB_CSV.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    titles = {row["Series_Title"] for row in rows if float(row["IMDB_Rating"]) > 8.7}
    passing = [row["Series_Title"] for row in rows if row["Series_Title"] in titles]
    (rule,) = result.verdict.rules
    assert (rule.outcome, rule.failing_rows) == ("Failed", 1000 - len(passing))
    assert pl.read_parquet(result.outputs[GOOD_ROWS_FILE])["series_title"].to_list() == passing
    assert len(passing) == 13


def test_a_quarantined_row_keeps_its_numbers_exactly_as_landed(tmp_path: Path, config: RulesetConfig) -> None:
    shawshank = dict(zip(HEADER, RECORDS[0], strict=True))
    odd = [
        shawshank | {"IMDB_Rating": " 8", "Meta_score": "080", "No_of_Votes": "+2343110"},  # fails the rating rule
        shawshank | {"IMDB_Rating": "8.50"},  # 8.5 itself is outside `between 8.5 and 10.3`
        shawshank | {"Meta_score": "8.5"},  # meta_score is crawled double here; BIGINT takes no fraction
    ]
    path = tmp_path / "odd.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, HEADER)
        writer.writeheader()
        writer.writerows([shawshank, *odd])
    result = run_stage(path, config, tmp_path / "out")
    assert {name: _types(result)[name] for name in ("imdb_rating", "meta_score", "no_of_votes")} == {
        "imdb_rating": "double",
        "meta_score": "double",
        "no_of_votes": "bigint",
    }
    bad = bad_records_of(result).select(SOURCE_ROW, "imdb_rating", "meta_score", "no_of_votes")
    assert bad.rows() == [(2, " 8", "080", "+2343110"), (3, "8.50", "80", "2343110"), (4, "9.3", "8.5", "2343110")]
    good = pl.read_parquet(result.outputs[GOOD_ROWS_FILE])
    assert good.select("imdb_rating", "meta_score", "no_of_votes").rows() == [(9.3, 80, 2343110)]
