"""The quality stage without Dagster: rules, contract and routing, in memory and streamed to files."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quality_movies import dqdl
from quality_movies.contract import DATA_COLUMNS, REQUIRED_COLUMNS, VIOLATIONS, MissingColumnsError, WarehouseRow
from quality_movies.ruleset_config import DEFAULT_RULESET, RulesetConfig, load_ruleset
from quality_movies.stage import (
    BAD_RECORDS_FILE,
    GOOD_ROWS_FILE,
    RULE_OUTCOME_FILE,
    SOURCE_ROW,
    UnreadableFileError,
    evaluate_rows,
    validate_file,
)
from quality_movies_tests.data_files import IMDB_CSV, IMDB_LF_CSV

YEAR_RULE = 'ColumnValues "released_year" matches "[0-9]{4}"'


@pytest.fixture(scope="module")
def config() -> RulesetConfig:
    return load_ruleset(DEFAULT_RULESET)


@pytest.fixture(scope="module")
def raw() -> pl.DataFrame:
    """The real file as it lands: original header spelling, every field as text."""
    return pl.read_csv(IMDB_CSV, infer_schema=False)


def _expected_good_titles(path: Path) -> list[str]:
    """The default ruleset and the contract worked out with the csv module, row by row."""

    def number(text: str, kind: type) -> bool:
        try:
            kind(text.strip())
        except ValueError:
            return False
        return True

    kept = []
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            row = {key.lower(): value for key, value in row.items()}
            rating = float(row["imdb_rating"]) if number(row["imdb_rating"], float) else None
            passes_rules = (
                rating is not None
                and 8.5 < rating < 10.3
                and all(row[name] for name in ("series_title", "genre", "released_year"))
                and re.fullmatch(r"[0-9]{4}", row["released_year"]) is not None
            )
            fits = all(not row[name] or number(row[name], int) for name in ("meta_score", "no_of_votes"))
            if passes_rules and fits:
                kept.append(row["series_title"])
    return kept


def test_default_ruleset_keeps_the_rows_worked_out_independently(raw: pl.DataFrame, config: RulesetConfig) -> None:
    result = evaluate_rows(raw, config)
    expected = _expected_good_titles(IMDB_CSV)
    assert len(expected) == 33
    assert result.good["series_title"].to_list() == expected
    assert (result.rows_in, result.good.height, result.bad.height) == (1000, 33, 967)


def test_default_ruleset_outcomes_on_the_real_file(raw: pl.DataFrame, config: RulesetConfig) -> None:
    result = evaluate_rows(raw, config)
    assert [(rule.rule, rule.outcome, rule.failing_rows) for rule in result.rules] == [
        ('IsComplete "imdb_rating"', "Passed", 0),
        ('ColumnValues "imdb_rating" between 8.5 and 10.3', "Failed", 967),
        ("RowCount > 0", "Passed", None),
        ('IsComplete "series_title"', "Passed", 0),
        ('IsComplete "genre"', "Passed", 0),
        ('IsComplete "released_year"', "Passed", 0),
        (YEAR_RULE, "Failed", 1),
    ]
    assert result.score_text == "5/7 rules passed (71%)"
    # Only warn rules failed: the dataset does not fail and nothing blocks the load.
    assert (result.verdict.dataset_failed, result.verdict.blocking_failures) == (False, [])


def test_apollo_13s_year_pg_fails_the_released_year_rule(raw: pl.DataFrame, config: RulesetConfig) -> None:
    apollo = evaluate_rows(raw, config).bad.filter(pl.col("series_title") == "Apollo 13")
    assert apollo["released_year"].to_list() == ["PG"]
    assert YEAR_RULE in apollo[dqdl.FAIL_COLUMN].item().to_list()


def test_rows_have_crawled_names_a_source_row_and_the_outcome_columns(raw: pl.DataFrame, config: RulesetConfig) -> None:
    rows = evaluate_rows(raw, config).rows
    assert rows.columns == [SOURCE_ROW, *REQUIRED_COLUMNS, *dqdl.OUTCOME_COLUMNS, VIOLATIONS]
    assert rows[SOURCE_ROW].to_list() == list(range(1, 1001))
    assert rows.schema[VIOLATIONS] == pl.List(pl.String)


def test_good_rows_take_the_warehouse_types_and_satisfy_the_model(raw: pl.DataFrame, config: RulesetConfig) -> None:
    good = evaluate_rows(raw, config).good
    WarehouseRow.validate(good)
    assert good.schema == pl.Schema({column.name: column.dtype for column in DATA_COLUMNS})
    assert (good.schema["imdb_rating"], good.schema["meta_score"]) == (pl.Float64, pl.Int64)


def test_a_value_that_cannot_be_cast_makes_a_bad_row_with_its_reason(raw: pl.DataFrame, config: RulesetConfig) -> None:
    frame = raw.with_columns(
        pl.when(pl.col("Series_Title") == "The Shawshank Redemption")
        .then(pl.lit("eighty"))
        .otherwise(pl.col("Meta_score"))
        .alias("Meta_score")
    )
    result = evaluate_rows(frame, config)
    shawshank = result.bad.filter(pl.col("series_title") == "The Shawshank Redemption").row(0, named=True)
    assert shawshank[dqdl.RESULT_COLUMN] == "Passed"
    assert shawshank[VIOLATIONS] == ["meta_score: 'eighty' is not a BIGINT"]
    assert (result.good.height, result.bad.height) == (32, 968)


def test_a_missing_warehouse_column_is_refused_unless_the_contract_is_off(config: RulesetConfig) -> None:
    frame = pl.DataFrame({"IMDB_Rating": ["9.0", "7"], "Series_Title": ["a", "b"]})
    with pytest.raises(MissingColumnsError, match="the header lacks poster_link"):
        evaluate_rows(frame, config, source="top.csv")
    result = evaluate_rows(frame, config, contract=False)
    assert result.good.to_dicts() == [{SOURCE_ROW: 1, "imdb_rating": "9.0", "series_title": "a"}]
    assert [rule.outcome for rule in result.rules if "genre" in rule.rule] == ["Error"]


def test_headers_that_collide_once_lower_cased_are_refused(config: RulesetConfig) -> None:
    with pytest.raises(UnreadableFileError, match="headers Genre, genre are the same once lower-cased"):
        evaluate_rows(pl.DataFrame({"Genre": ["x"], "genre": ["y"]}), config)


def test_a_rule_that_cannot_be_evaluated_is_an_error_and_fails_the_dataset(tmp_path: Path, raw: pl.DataFrame) -> None:
    path = tmp_path / "reference.dqdl"
    path.write_text('Rules = [ IsComplete "genre", RowCountMatch "reference" = 1.0 ]')
    verdict = evaluate_rows(raw, load_ruleset(path)).verdict
    error = verdict.rules[1]
    assert (error.outcome, error.failure_reason) == (
        "Error",
        "RowCountMatch is not supported here: it needs a reference dataset, which this engine does not receive",
    )
    assert verdict.failed_errors == ['RowCountMatch "reference" = 1.0']
    assert verdict.score_text == "1/1 rules passed (100%)"


@pytest.mark.parametrize("source", [IMDB_CSV, IMDB_LF_CSV], ids=["crlf", "lf"])
def test_streamed_outputs_equal_the_in_memory_stage(tmp_path: Path, config: RulesetConfig, source: Path) -> None:
    summary = validate_file(source, config, tmp_path)
    in_memory = evaluate_rows(pl.read_csv(source, infer_schema=False), config)
    assert pl.read_parquet(tmp_path / GOOD_ROWS_FILE).equals(in_memory.good)
    assert pl.read_ndjson(tmp_path / BAD_RECORDS_FILE, schema=in_memory.bad.schema).equals(in_memory.bad)
    written = json.loads((tmp_path / RULE_OUTCOME_FILE).read_text())
    assert written == summary
    assert written["rules"] == in_memory.summary()["rules"]
    assert (written["rows_in"], written["rows_good"], written["rows_bad"]) == (1000, 33, 967)


def test_a_header_only_file_fails_row_count_and_blocks_the_load(tmp_path: Path, config: RulesetConfig) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(REQUIRED_COLUMNS) + "\n")
    summary = validate_file(empty, config, tmp_path / "out")
    assert (summary["rows_in"], summary["rows_good"], summary["rows_bad"]) == (0, 0, 0)
    assert summary["dataset_failed"] is True
    assert summary["blocked_by"] == ["RowCount > 0"]


def test_a_file_without_even_a_header_is_unreadable(tmp_path: Path, config: RulesetConfig) -> None:
    (tmp_path / "nothing.csv").write_bytes(b"")
    with pytest.raises(UnreadableFileError, match="the file is empty"):
        validate_file(tmp_path / "nothing.csv", config, tmp_path / "out")


def _stop_config(tmp_path: Path, rating_severity: str) -> RulesetConfig:
    path = tmp_path / "stop.dqdl"
    path.write_text(DEFAULT_RULESET.read_text())
    path.with_suffix(".toml").write_text(
        'on_dataset_failure = "stop"\n[defaults]\nseverity = "warn"\n'
        f'[rules.\'ColumnValues "imdb_rating" between 8.5 and 10.3\']\nseverity = "{rating_severity}"\n'
    )
    return load_ruleset(path)


def test_stop_writes_only_the_rule_outcomes_when_an_error_rule_fails(tmp_path: Path) -> None:
    summary = validate_file(IMDB_CSV, _stop_config(tmp_path, "error"), tmp_path / "out")
    assert summary["stopped"].startswith("data quality failed (5/7 rules passed (71%)); rules of severity error")
    assert (summary["rows_in"], summary["rows_good"], summary["rows_bad"]) == (1000, None, None)
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [RULE_OUTCOME_FILE]


def test_stop_routes_rows_as_usual_when_only_warn_rules_fail(tmp_path: Path) -> None:
    summary = validate_file(IMDB_CSV, _stop_config(tmp_path, "warn"), tmp_path / "out")
    assert (summary["stopped"], summary["rows_good"], summary["rows_bad"]) == (None, 33, 967)


_TEXT = st.one_of(st.none(), st.text(alphabet="aé0189.,- \x1f", max_size=6))
_ROWS = st.lists(st.fixed_dictionaries({name: _TEXT for name in REQUIRED_COLUMNS}), max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_ROWS)
def test_every_row_is_either_good_or_bad_in_memory(config: RulesetConfig, rows: list[dict]) -> None:
    frame = pl.DataFrame(rows, schema=dict.fromkeys(REQUIRED_COLUMNS, pl.String))
    result = evaluate_rows(frame, config)
    assert result.good.height + result.bad.height == result.rows_in == len(rows)
    assert result.bad[SOURCE_ROW].is_unique().all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_ROWS.filter(bool))
def test_every_row_is_either_good_or_bad_in_the_written_files(
    tmp_path: Path, config: RulesetConfig, rows: list[dict]
) -> None:
    source = tmp_path / "rows.csv"
    pl.DataFrame(rows, schema=dict.fromkeys(REQUIRED_COLUMNS, pl.String)).write_csv(source)
    summary = validate_file(source, config, tmp_path / "out")
    good = pl.read_parquet(tmp_path / "out" / GOOD_ROWS_FILE).height
    bad = len((tmp_path / "out" / BAD_RECORDS_FILE).read_text().splitlines())
    assert (summary["rows_good"], summary["rows_bad"]) == (good, bad)
    assert good + bad == summary["rows_in"] == len(rows)
