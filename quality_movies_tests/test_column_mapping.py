"""The column mapping (Glue's "Change Schema"): renamed exports of the real IMDb file load with the shipped mappings."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from quality_movies.cli import main
from quality_movies.contract import MissingColumnsError
from quality_movies.ruleset_config import DEFAULT_RULESET, RulesetConfigError, load_ruleset
from quality_movies.stage import GOOD_ROWS_FILE, StageResult, run_stage
from quality_movies_tests.conftest import Pipeline
from quality_movies_tests.data_files import IMDB_CSV
from quality_movies_tests.derived_files import DERIVED, read_records, write_records
from quality_movies_tests.stage_outputs import bad_records_of, crawled_metadata, good_rows_of

RULES = DEFAULT_RULESET.parent
SQL_MAPPING = RULES / "sql_export.mapping.toml"
NOTEBOOK_MAPPING = RULES / "notebook_export.mapping.toml"
SQL_EXPORT = DERIVED / "imdb_sql_export.csv"
NOTEBOOK_EXPORT = DERIVED / "imdb_notebook_export.csv"


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> StageResult:
    return run_stage(IMDB_CSV, load_ruleset(DEFAULT_RULESET), tmp_path_factory.mktemp("original"), source="movies.csv")


@pytest.mark.parametrize(("export", "mapping"), [(SQL_EXPORT, SQL_MAPPING), (NOTEBOOK_EXPORT, NOTEBOOK_MAPPING)])
def test_a_renamed_export_loads_like_the_original_with_its_shipped_mapping(
    tmp_path: Path, original: StageResult, export: Path, mapping: Path
) -> None:
    result = run_stage(export, load_ruleset(DEFAULT_RULESET, mapping=mapping), tmp_path, source="movies.csv")

    assert (result.rows_good, result.rows_bad) == (original.rows_good, original.rows_bad) == (33, 967)
    assert good_rows_of(result).equals(good_rows_of(original))
    failing = {rule.rule: rule.failing_rows for rule in result.verdict.rules}
    assert failing == {rule.rule: rule.failing_rows for rule in original.verdict.rules}
    assert result.summary["column_mapping"]["mapping"] == str(mapping)


def test_without_a_mapping_a_renamed_export_is_refused_naming_the_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(MissingColumnsError, match="the header lacks series_title, released_year, imdb_rating"):
        run_stage(SQL_EXPORT, load_ruleset(DEFAULT_RULESET), tmp_path)


def test_left_out_columns_are_not_loaded_but_kept_in_the_quarantine(tmp_path: Path) -> None:
    result = run_stage(NOTEBOOK_EXPORT, load_ruleset(DEFAULT_RULESET, mapping=NOTEBOOK_MAPPING), tmp_path)

    assert result.summary["columns_left_out"] == ["rank"]
    assert "rank" not in good_rows_of(result).columns
    bad = bad_records_of(result)
    assert bad.columns[:3] == ["source_row", "rank", "poster_link"]
    assert (bad["rank"].cast(pl.Int64) == bad["source_row"]).all()  # the rank as it landed, row by row


def test_extra_columns_refused_by_the_mapping_stop_the_file_and_name_them(tmp_path: Path) -> None:
    header, *rows = read_records()
    records = [["row_id", *header], *([str(n), *row] for n, row in enumerate(rows, start=1))]
    path = tmp_path / "with_id.csv"
    path.write_bytes(write_records(records))

    with pytest.raises(MissingColumnsError, match=r"columns row_id are not warehouse columns .* refuses extra"):
        run_stage(path, load_ruleset(DEFAULT_RULESET, mapping=SQL_MAPPING), tmp_path / "out")
    assert not (tmp_path / "out" / GOOD_ROWS_FILE).exists()


def test_two_headers_onto_one_column_are_refused(tmp_path: Path) -> None:
    records = read_records()
    records[0] = ["Rating" if name == "IMDB_Rating" else name for name in records[0]] + ["IMDB Rating"]
    records[1:] = [[*record, "9.0"] for record in records[1:]]
    path = tmp_path / "twice.csv"
    path.write_bytes(write_records(records))

    with pytest.raises(MissingColumnsError, match="columns 'rating' and 'imdb rating' both map to 'imdb_rating'"):
        run_stage(path, load_ruleset(DEFAULT_RULESET, mapping=NOTEBOOK_MAPPING), tmp_path / "out")


def test_a_cast_changes_the_type_the_rules_see(tmp_path: Path) -> None:
    mapping = tmp_path / "year_as_text.toml"
    mapping.write_text(
        'extra_columns = "refuse"\n[columns]\nReleased_Year = { column = "released_year", type = "string" }\n'
    )
    (tmp_path / "len.dqdl").write_text('Rules = [ ColumnLength "released_year" = 4 ]')

    result = run_stage(IMDB_CSV, load_ruleset(tmp_path / "len.dqdl", mapping=mapping), tmp_path / "out")

    # Crawled, the years are bigint and ColumnLength cannot measure them; as text only Apollo 13's 'PG' fails.
    assert (result.verdict.rules[0].outcome, result.verdict.rules[0].failing_rows) == ("Failed", 1)
    assert result.summary["column_mapping"]["casts"] == {"released_year": "string"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[columns]\na = "b"\n', "extra_columns must be one of 'refuse', 'leave_out' (say which), not None"),
        ('extra_columns = "drop"\n', "extra_columns must be one of 'refuse', 'leave_out' (say which), not 'drop'"),
        ('extra_columns = "refuse"\n[columns]\na = { column = "b", type = "int" }\n', "type must be one of"),
        ('extra_columns = "refuse"\nrenames = 1\n', "unknown key 'renames'"),
    ],
)
def test_a_mapping_file_with_problems_is_refused_before_any_data_is_read(
    tmp_path: Path, text: str, problem: str
) -> None:
    mapping = tmp_path / "bad.toml"
    mapping.write_text(text)
    with pytest.raises(RulesetConfigError, match=f"^{mapping}: 1 problem") as raised:
        load_ruleset(DEFAULT_RULESET, mapping=mapping)
    assert problem in str(raised.value)


def test_the_sidecar_names_the_mapping_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "movies.dqdl").write_text(DEFAULT_RULESET.read_text())
    (tmp_path / "movies.toml").write_text('mapping = "exports/sql.toml"\n')
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "sql.toml").write_text(SQL_MAPPING.read_text())
    assert load_ruleset(tmp_path / "movies.dqdl").mapping.columns["imdb_rate"] == "imdb_rating"


def test_the_environment_names_the_mapping_in_force(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALITY_MOVIES_MAPPING", str(NOTEBOOK_MAPPING))
    assert load_ruleset(DEFAULT_RULESET).mapping.path == NOTEBOOK_MAPPING
    assert load_ruleset(DEFAULT_RULESET).mapping.extra_columns == "leave_out"


def test_validate_json_shows_the_mapping_in_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["validate", str(SQL_EXPORT), "--mapping", str(SQL_MAPPING), "--out", str(tmp_path), "--json"]
    assert main([*args, "--rules", str(DEFAULT_RULESET)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["column_mapping"]["mapping"] == str(SQL_MAPPING)
    assert summary["column_mapping"]["columns"]["imdb_rate"] == "imdb_rating"
    assert summary["column_mapping"]["extra_columns"] == "refuse"
    assert (summary["rows_good"], summary["rows_bad"]) == (33, 967)


def test_without_a_mapping_validate_json_says_identity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(IMDB_CSV), "--rules", str(DEFAULT_RULESET), "--out", str(tmp_path), "--json"]) == 0
    mapping = json.loads(capsys.readouterr().out)["column_mapping"]
    assert mapping == {
        "mapping": "identity (lower-cased headers)",
        "columns": {},
        "casts": {},
        "extra_columns": "leave_out",
    }


def test_the_dagster_job_loads_a_renamed_export_and_shows_the_mapping(
    monkeypatch: pytest.MonkeyPatch, clean_home: Path, empty_warehouse
) -> None:
    monkeypatch.setenv("QUALITY_MOVIES_MAPPING", str(NOTEBOOK_MAPPING))
    pipeline = Pipeline(clean_home)

    result = pipeline.run(pipeline.land(NOTEBOOK_EXPORT, "movies.csv"))

    assert result.success
    empty_warehouse.ensure_table()
    assert empty_warehouse.query_one("count_table_rows")[0] == 33
    metadata = crawled_metadata(result)
    assert metadata["column_mapping"].value["mapping"] == str(NOTEBOOK_MAPPING)
    assert metadata["column_mapping"].value["columns"]["imdb rating"] == "imdb_rating"
