"""`quality-movies validate | lint | recommend` on real files, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies.cli import main
from quality_movies.contract import VIOLATIONS
from quality_movies.ruleset_config import DEFAULT_RULESET, RULESET_VARIABLE
from quality_movies_tests.data_files import GLUE_REFERENCE, IMDB_CSV, VARIANTS

GLUE_RULESET = GLUE_REFERENCE / "ruleset.dqdl"


@pytest.fixture(autouse=True)
def _bundled_ruleset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RULESET_VARIABLE, raising=False)


def _validate_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["validate", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_validate_writes_good_rows_bad_records_and_rule_outcomes(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(IMDB_CSV), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "rows in 1000: 33 good, 967 bad" in out and "5/7 rules passed (71%)" in out
    assert pl.read_parquet(tmp_path / "good_rows.parquet").height == 33
    bad = pl.read_ndjson(tmp_path / "bad_records.jsonl")
    assert bad.height == 967
    assert {"source_row", *dqdl.OUTCOME_COLUMNS, VIOLATIONS} <= set(bad.columns)
    assert set(bad[dqdl.RESULT_COLUMN]) == {"Failed"}
    outcomes = json.loads((tmp_path / "rule_outcome.json").read_text())
    assert [rule["outcome"] for rule in outcomes["rules"]].count("Failed") == 2


def test_validate_json_reports_counts_score_and_each_rule_in_ruleset_order(tmp_path: Path, capsys) -> None:
    summary = _validate_json(capsys, str(IMDB_CSV), "--out", str(tmp_path))
    assert (summary["rows_in"], summary["rows_good"], summary["rows_bad"]) == (1000, 33, 967)
    assert summary["dq_score"] == pytest.approx(5 / 7)
    rules = [dqdl.render(rule) for rule in dqdl.parse(DEFAULT_RULESET.read_text()).rules]
    assert [rule["rule"] for rule in summary["rules"]] == rules
    rating = summary["rules"][1]
    assert {key: rating[key] for key in ("outcome", "failing_rows", "metrics")} == {
        "outcome": "Failed",
        "failing_rows": 967,
        "metrics": {"Column.imdb_rating.Minimum": 7.6, "Column.imdb_rating.Maximum": 9.3},
    }
    assert rating["reason"] == "967 of 1000 evaluated rows do not meet the constraint requirement!"


def test_validate_with_glues_own_ruleset_quarantines_the_315_rows_glue_failed(tmp_path: Path, capsys) -> None:
    summary = _validate_json(capsys, str(IMDB_CSV), "--rules", str(GLUE_RULESET), "--out", str(tmp_path))
    assert (summary["rows_good"], summary["rows_bad"]) == (685, 315)
    assert summary["dq_result"] == "35/40 rules passed (87%)"
    glue = pl.read_csv(GLUE_REFERENCE / "bad_records.csv", infer_schema=False)
    ours = pl.read_ndjson(tmp_path / "bad_records.jsonl")
    assert set(ours["poster_link"]) == set(glue["poster_link"])


def test_validate_runs_the_ruleset_named_by_the_environment(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv(RULESET_VARIABLE, str(GLUE_RULESET))
    assert _validate_json(capsys, str(IMDB_CSV), "--out", str(tmp_path))["ruleset"] == str(GLUE_RULESET)


def test_validate_exits_1_when_a_blocking_rule_fails(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "header_only.csv"
    empty.write_text(IMDB_CSV.read_text().splitlines()[0] + "\n")
    assert main(["validate", str(empty), "--out", str(tmp_path / "out")]) == 1
    assert "warehouse load blocked by: RowCount > 0" in capsys.readouterr().out


def test_validate_exits_2_on_a_missing_file_or_a_broken_ruleset(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["validate", str(tmp_path / "nope.csv")])
    assert exit_.value.code == 2
    broken = tmp_path / "broken.dqdl"
    broken.write_text("Rules = [ IsComplete ]")
    assert main(["validate", str(IMDB_CSV), "--rules", str(broken), "--out", str(tmp_path)]) == 2
    assert f"{broken}:1:11: IsComplete takes 1 quoted parameter(s) but has 0" in capsys.readouterr().err


def test_validate_of_a_file_for_another_table_needs_no_contract(tmp_path: Path, capsys) -> None:
    other = VARIANTS / "imdb_top_1000_renamed_columns_bom.csv"
    assert main(["validate", str(other), "--out", str(tmp_path)]) == 1
    assert "the header lacks poster_link" in capsys.readouterr().err
    assert main(["validate", str(other), "--no-contract", "--out", str(tmp_path), "--json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    # "IMDB Rating", "Series Title" and "Released Year" are not the crawled names the rules use.
    evaluated = [rule["rule"] for rule in summary["rules"] if rule["outcome"] != "Error"]
    assert evaluated == ["RowCount > 0", 'IsComplete "genre"']
    assert all("does not exist" in rule["reason"] for rule in summary["rules"] if rule["outcome"] == "Error")
    # Rules in Error say nothing about rows, but they are never a pass: the file stops (fail closed).
    assert (summary["rows_in"], summary["rows_good"], summary["dataset_failed"]) == (1000, None, True)
    assert summary["stopped"].startswith(
        '5 rule(s) could not be evaluated (on_error = "stop"): IsComplete "imdb_rating"'
    )


def test_lint_prints_each_rule_in_canonical_dqdl(tmp_path: Path, capsys) -> None:
    ruleset = tmp_path / "spaced.dqdl"
    ruleset.write_text('# ours\nRules = [\n  ColumnValues "certificate"  in [ "U", "A" ] ,\n  RowCount>0\n]\n')
    assert main(["lint", str(ruleset)]) == 0
    assert capsys.readouterr().out.splitlines() == ['ColumnValues "certificate" in ["U","A"]', "RowCount > 0"]


def test_lint_reports_line_column_and_what_was_expected(tmp_path: Path, capsys) -> None:
    ruleset = tmp_path / "typo.dqdl"
    ruleset.write_text('Rules = [\n    IsComplete "a",\n    ColumnValues "b" betwen 1 and 2\n]\n')
    assert main(["lint", str(ruleset)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{ruleset}:3:22: ")
    assert "(expected " in err


def test_lint_accepts_rules_this_engine_cannot_evaluate_and_validate_reports_them_as_errors(
    tmp_path: Path, capsys
) -> None:
    ruleset = tmp_path / "anomalies.dqdl"
    ruleset.write_text('Rules = [ IsComplete "genre", DetectAnomalies "RowCount" ]')
    assert main(["lint", str(ruleset)]) == 0
    lint = capsys.readouterr()
    assert lint.out.splitlines() == ['IsComplete "genre"', 'DetectAnomalies "RowCount"']
    assert "DetectAnomalies" in lint.err and "previous runs" in lint.err
    assert main(["validate", str(IMDB_CSV), "--rules", str(ruleset), "--out", str(tmp_path), "--json"]) == 1
    anomalies = json.loads(capsys.readouterr().out)["rules"][1]
    assert anomalies["outcome"] == "Error"
    assert "needs the results of previous runs" in anomalies["reason"]


def test_lint_checks_the_settings_beside_the_ruleset(tmp_path: Path, capsys) -> None:
    ruleset = tmp_path / "rules.dqdl"
    ruleset.write_text("Rules = [ RowCount > 0 ]")
    ruleset.with_suffix(".toml").write_text("[rules.'RowCount > 1']\nseverity = 'warn'\n")
    assert main(["lint", str(ruleset)]) == 2
    assert "[rules.'RowCount > 1'] is not a rule of rules.dqdl" in capsys.readouterr().err


def test_recommended_ruleset_passes_when_validated_on_its_file(tmp_path: Path, capsys) -> None:
    assert main(["recommend", str(IMDB_CSV)]) == 0
    recommended = tmp_path / "recommended.dqdl"
    recommended.write_text(capsys.readouterr().out)
    summary = _validate_json(capsys, str(IMDB_CSV), "--rules", str(recommended), "--out", str(tmp_path))
    assert {rule["outcome"] for rule in summary["rules"]} == {"Passed"}
    assert summary["dq_score"] == 1.0
    assert 'IsComplete "poster_link"' in recommended.read_text()  # crawled (lower-case) names


def test_validate_reads_a_file_that_is_not_utf8_in_its_legacy_encoding_and_says_so(tmp_path: Path, capsys) -> None:
    # validate now reads through the one landed-file reader, which decodes Windows exports instead of
    # refusing them (it used to exit 1 with "invalid utf-8"); the encoding it used is reported.
    legacy = tmp_path / "windows.csv"
    legacy.write_bytes("title,genre\nAmélie,Comedy\n".encode("cp1252"))
    rules = tmp_path / "genre.dqdl"
    rules.write_text('Rules = [ IsComplete "genre" ]')  # the recipe's other rules name columns this file lacks
    summary = _validate_json(
        capsys, str(legacy), "--rules", str(rules), "--no-contract", "--out", str(tmp_path / "out")
    )
    assert (summary["reader"]["encoding"], summary["reader"]["reader"]) == ("cp1252", "careful")
    assert pl.read_parquet(tmp_path / "out" / "good_rows.parquet").to_dicts() == [
        {"title": "Amélie", "genre": "Comedy"}
    ]


def test_validate_of_a_file_that_is_not_a_csv_exits_1_with_the_reason_and_writes_nothing(
    tmp_path: Path, capsys
) -> None:
    parquet = VARIANTS / "imdb_movies_rating.parquet"
    assert main(["validate", str(parquet), "--out", str(tmp_path / "out")]) == 1
    assert (
        f"quality-movies validate: {parquet}: line 1: not a CSV file: it is a Parquet file" in capsys.readouterr().err
    )
    assert list((tmp_path / "out").iterdir()) == []
