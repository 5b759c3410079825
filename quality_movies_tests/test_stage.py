"""The quality stage without Dagster (`stage.run_stage`): rules, crawled types, contract and routing, as written.

Every test reads back the files the stage wrote: `good_rows.parquet`, `bad_records.jsonl`, `rule_outcome.json`.
"""

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
from quality_movies.contract import DATA_COLUMNS, REQUIRED_COLUMNS, VIOLATIONS, WAREHOUSE_ROW, MissingColumnsError
from quality_movies.ruleset_config import DEFAULT_RULESET, RulesetConfig, load_ruleset
from quality_movies.stage import (
    BAD_RECORDS_FILE,
    GOOD_ROWS_FILE,
    RULE_OUTCOME_FILE,
    SOURCE_ROW,
    StageResult,
    UnreadableFileError,
    run_stage,
)
from quality_movies_tests.data_files import IMDB_CSV
from quality_movies_tests.stage_outputs import bad_records_of, good_rows_of, ruleset_with

YEAR_RULE = 'ColumnValues "released_year" matches "[0-9]{4}"'


@pytest.fixture(scope="module")
def config() -> RulesetConfig:
    return load_ruleset(DEFAULT_RULESET)


@pytest.fixture(scope="module")
def real(config: RulesetConfig, tmp_path_factory: pytest.TempPathFactory) -> StageResult:
    """The stage on the real file as it landed."""
    return run_stage(IMDB_CSV, config, tmp_path_factory.mktemp("real"), source=IMDB_CSV.name)


def _expected_good(path: Path) -> list[tuple[int, str]]:
    """(record number, title) of the rows the default ruleset and the contract keep, worked out with csv."""

    def number(text: str, kind: type) -> bool:
        try:
            kind(text.strip())
        except ValueError:
            return False
        return True

    kept = []
    with path.open(newline="", encoding="utf-8") as file:
        for n, row in enumerate(csv.DictReader(file), start=1):
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
                kept.append((n, row["series_title"]))
    return kept


def _csv(path: Path, frame: pl.DataFrame) -> Path:
    frame.write_csv(path)
    return path


def test_default_ruleset_keeps_the_rows_worked_out_independently(real: StageResult) -> None:
    expected = _expected_good(IMDB_CSV)
    assert len(expected) == 33
    assert good_rows_of(real)["series_title"].to_list() == [title for _, title in expected]
    assert (real.rows_in, real.rows_good, real.rows_bad) == (1000, 33, 967)


def test_default_ruleset_outcomes_on_the_real_file(real: StageResult) -> None:
    assert [(rule.rule, rule.outcome, rule.failing_rows) for rule in real.verdict.rules] == [
        ('IsComplete "imdb_rating"', "Passed", 0),
        ('ColumnValues "imdb_rating" between 8.5 and 10.3', "Failed", 967),
        ("RowCount > 0", "Passed", None),
        ('IsComplete "series_title"', "Passed", 0),
        ('IsComplete "genre"', "Passed", 0),
        ('IsComplete "released_year"', "Passed", 0),
        (YEAR_RULE, "Failed", 1),
    ]
    assert real.verdict.score_text == "5/7 rules passed (71%)"
    # Only warn rules failed: the dataset does not fail and nothing blocks the load.
    assert (real.verdict.dataset_failed, real.verdict.blocking_failures) == (False, [])


def test_apollo_13s_year_pg_fails_the_released_year_rule(real: StageResult) -> None:
    apollo = bad_records_of(real).filter(pl.col("series_title") == "Apollo 13")
    assert apollo["released_year"].to_list() == ["PG"]
    assert YEAR_RULE in apollo[dqdl.FAIL_COLUMN].item().to_list()
    assert real.failing_samples(YEAR_RULE)["series_title"].to_list() == ["Apollo 13"]


def test_bad_records_have_crawled_names_their_record_number_and_the_outcome_columns(real: StageResult) -> None:
    bad = bad_records_of(real)
    assert bad.columns == [SOURCE_ROW, *REQUIRED_COLUMNS, *dqdl.OUTCOME_COLUMNS, VIOLATIONS]
    # Good rows carry no record number (they go to the warehouse as its columns): the bad rows' numbers
    # are exactly the records that were not kept.
    good_numbers = {n for n, _ in _expected_good(IMDB_CSV)}
    assert bad[SOURCE_ROW].to_list() == [n for n in range(1, 1001) if n not in good_numbers]
    assert bad.schema[VIOLATIONS].base_type() == pl.List


def test_bad_records_keep_the_text_as_it_landed(real: StageResult) -> None:
    with IMDB_CSV.open(newline="", encoding="utf-8") as file:
        landed = {n: row for n, row in enumerate(csv.DictReader(file), start=1)}
    for record in bad_records_of(real).head(50).iter_rows(named=True):
        row = {key.lower(): value or None for key, value in landed[record[SOURCE_ROW]].items()}
        assert {name: record[name] for name in REQUIRED_COLUMNS} == row


def test_good_rows_take_the_warehouse_types_and_satisfy_the_model(real: StageResult) -> None:
    good = good_rows_of(real)
    WAREHOUSE_ROW.validate(good)
    assert good.schema == pl.Schema({column.name: column.dtype for column in DATA_COLUMNS})
    assert (good.schema["imdb_rating"], good.schema["meta_score"]) == (pl.Float64, pl.Int64)


def test_the_written_rule_outcomes_are_the_summary(real: StageResult) -> None:
    written = json.loads(real.outputs[RULE_OUTCOME_FILE].read_text())
    assert written == real.summary
    assert (written["rows_in"], written["rows_good"], written["rows_bad"]) == (1000, 33, 967)
    assert written["rules"] == real.verdict.records()
    assert written["reader"] == real.table.metadata()
    assert written["outputs"] == {name: str(path) for name, path in real.outputs.items()}


def test_a_value_that_cannot_be_cast_makes_a_bad_row_with_its_reason(tmp_path: Path, config: RulesetConfig) -> None:
    # 'eighty' is among the first 10,000 records, so meta_score is crawled as text and the warehouse
    # contract (BIGINT) is what refuses the value.
    frame = pl.read_csv(IMDB_CSV, infer_schema=False).with_columns(
        pl.when(pl.col("Series_Title") == "The Shawshank Redemption")
        .then(pl.lit("eighty"))
        .otherwise(pl.col("Meta_score"))
        .alias("Meta_score")
    )
    result = run_stage(_csv(tmp_path / "eighty.csv", frame), config, tmp_path / "out")
    assert {c["name"]: c["type"] for c in result.columns}["meta_score"] == "string"
    shawshank = bad_records_of(result).filter(pl.col("series_title") == "The Shawshank Redemption").row(0, named=True)
    assert shawshank[dqdl.RESULT_COLUMN] == "Passed"
    assert shawshank[VIOLATIONS] == ["meta_score: 'eighty' is not a BIGINT"]
    assert (result.rows_good, result.rows_bad) == (32, 968)


def test_a_missing_warehouse_column_is_refused_unless_the_contract_is_off(
    tmp_path: Path, config: RulesetConfig
) -> None:
    path = _csv(tmp_path / "top.csv", pl.DataFrame({"IMDB_Rating": ["9.0", "7"], "Series_Title": ["a", "b"]}))
    with pytest.raises(MissingColumnsError, match="^top.csv: the header lacks poster_link"):
        run_stage(path, config, tmp_path / "refused", source="top.csv")
    assert list((tmp_path / "refused").iterdir()) == []
    # The recipe's rules on titles, genres and years are in Error on this file: ignored here, they would stop it.
    lenient = ruleset_with(tmp_path, '[defaults]\non_error = "ignore"\n')
    result = run_stage(path, lenient, tmp_path / "out", contract=False)
    # Without the contract good rows keep their text (not the crawled double) and, as with the contract,
    # no record number: that lives in the quarantine.
    assert good_rows_of(result).to_dicts() == [{"imdb_rating": "9.0", "series_title": "a"}]
    assert bad_records_of(result)[SOURCE_ROW].to_list() == [2]
    assert [rule.outcome for rule in result.verdict.rules if "genre" in rule.rule] == ["Error"]


def test_headers_that_collide_once_lower_cased_are_refused(tmp_path: Path, config: RulesetConfig) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("Genre,genre\nx,y\n")
    with pytest.raises(UnreadableFileError, match=r"names 'genre' twice \(columns 1 and 2, compared lower-cased\)"):
        run_stage(path, config, tmp_path / "out", contract=False)


def test_a_rule_that_cannot_be_evaluated_is_an_error_fails_the_dataset_and_stops_the_file(tmp_path: Path) -> None:
    path = tmp_path / "reference.dqdl"
    path.write_text('Rules = [ IsComplete "genre", RowCountMatch "reference" = 1.0 ]')
    result = run_stage(IMDB_CSV, load_ruleset(path), tmp_path / "out")
    verdict = result.verdict
    error = verdict.rules[1]
    assert (error.outcome, error.failure_reason) == (
        "Error",
        "RowCountMatch is not supported here: it needs a reference dataset, which this engine does not receive",
    )
    assert verdict.failed_errors == ['RowCountMatch "reference" = 1.0']
    assert verdict.score_text == "1/2 rules passed (50%; 1 in error)"
    assert verdict.stop_reason.startswith('1 rule(s) could not be evaluated (on_error = "stop"): RowCountMatch')
    assert result.rows_good is None and GOOD_ROWS_FILE not in result.outputs


def test_a_header_only_file_fails_row_count_and_blocks_the_load(tmp_path: Path, config: RulesetConfig) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(REQUIRED_COLUMNS) + "\n")
    summary = run_stage(empty, config, tmp_path / "out").summary
    assert (summary["rows_in"], summary["rows_good"], summary["rows_bad"]) == (0, 0, 0)
    assert summary["dataset_failed"] is True
    assert summary["blocked_by"] == ["RowCount > 0"]


def test_a_file_without_even_a_header_is_unreadable_and_leaves_no_output(tmp_path: Path, config: RulesetConfig) -> None:
    (tmp_path / "nothing.csv").write_bytes(b"")
    with pytest.raises(UnreadableFileError, match="the file is empty"):
        run_stage(tmp_path / "nothing.csv", config, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def _stop_config(tmp_path: Path, rating_severity: str) -> RulesetConfig:
    path = tmp_path / "stop.dqdl"
    path.write_text(DEFAULT_RULESET.read_text())
    path.with_suffix(".toml").write_text(
        'on_dataset_failure = "stop"\n[defaults]\nseverity = "warn"\n'
        f'[rules.\'ColumnValues "imdb_rating" between 8.5 and 10.3\']\nseverity = "{rating_severity}"\n'
    )
    return load_ruleset(path)


def test_stop_writes_only_the_rule_outcomes_when_an_error_rule_fails(tmp_path: Path) -> None:
    result = run_stage(IMDB_CSV, _stop_config(tmp_path, "error"), tmp_path / "out")
    summary = result.summary
    assert summary["stopped"].startswith("data quality failed (5/7 rules passed (71%)); rules of severity error")
    assert (summary["rows_in"], summary["rows_good"], summary["rows_bad"]) == (1000, None, None)
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [RULE_OUTCOME_FILE]
    assert list(result.outputs) == [RULE_OUTCOME_FILE]
    # Nothing was quarantined, so a failing rule has no sample; the empty one still has the record's columns.
    sample = result.failing_samples('ColumnValues "imdb_rating" between 8.5 and 10.3')
    assert (sample.height, sample.columns) == (0, [SOURCE_ROW, *REQUIRED_COLUMNS])


def test_stop_routes_rows_as_usual_when_only_warn_rules_fail(tmp_path: Path) -> None:
    summary = run_stage(IMDB_CSV, _stop_config(tmp_path, "warn"), tmp_path / "out").summary
    assert (summary["stopped"], summary["rows_good"], summary["rows_bad"]) == (None, 33, 967)


_TEXT = st.one_of(st.none(), st.text(alphabet="aé0189.,- \x1f", max_size=6))
_ROWS = st.lists(st.fixed_dictionaries({name: _TEXT for name in REQUIRED_COLUMNS}), max_size=25)


def _assert_every_row_good_or_bad(result: StageResult, rows: int) -> None:
    good = pl.read_parquet(result.outputs[GOOD_ROWS_FILE]).height
    numbers = [json.loads(line)[SOURCE_ROW] for line in result.outputs[BAD_RECORDS_FILE].read_text().splitlines()]
    assert (result.rows_good, result.rows_bad) == (good, len(numbers))
    assert good + len(numbers) == result.rows_in == rows
    assert numbers == sorted(set(numbers)) and all(1 <= n <= rows for n in numbers)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_ROWS)
def test_every_row_is_either_good_or_bad_without_the_contract(
    tmp_path: Path, config: RulesetConfig, rows: list[dict]
) -> None:
    source = _csv(tmp_path / "rows.csv", pl.DataFrame(rows, schema=dict.fromkeys(REQUIRED_COLUMNS, pl.String)))
    _assert_every_row_good_or_bad(run_stage(source, config, tmp_path / "out", contract=False), len(rows))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_ROWS)
def test_every_row_is_either_good_or_bad_with_the_contract(
    tmp_path: Path, config: RulesetConfig, rows: list[dict]
) -> None:
    source = _csv(tmp_path / "rows.csv", pl.DataFrame(rows, schema=dict.fromkeys(REQUIRED_COLUMNS, pl.String)))
    _assert_every_row_good_or_bad(run_stage(source, config, tmp_path / "out"), len(rows))
