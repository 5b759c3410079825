"""Fail closed: a rule that cannot be evaluated stops the file unless its settings say `on_error = "ignore"`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quality_movies.resources.lake import BAD_RECORDS, RULE_OUTCOME
from quality_movies.ruleset_config import RulesetConfigError, load_ruleset
from quality_movies.stage import GOOD_ROWS_FILE, RULE_OUTCOME_FILE, run_stage
from quality_movies_tests.conftest import Pipeline, expected_good
from quality_movies_tests.data_files import IMDB_CSV

TYPO = 'ColumnValues "imdb_ratng" between 8.5 and 10.3'
TYPO_RULES = f'Rules = [\n    IsComplete "imdb_rating",\n    {TYPO},\n    IsComplete "released_year"\n]\n'


def _ruleset(folder: Path, settings: str | None = None) -> Path:
    path = folder / "typo.dqdl"
    path.write_text(TYPO_RULES)
    if settings is not None:
        path.with_suffix(".toml").write_text(settings)
    return path


def test_a_typo_in_a_column_name_stops_the_file_and_names_the_rule(tmp_path: Path) -> None:
    result = run_stage(IMDB_CSV, load_ruleset(_ruleset(tmp_path)), tmp_path / "out")

    assert result.verdict.stop_reason == (
        f'1 rule(s) could not be evaluated (on_error = "stop"): {TYPO}: Column "imdb_ratng" does not exist in the data'
    )
    assert (result.rows_good, result.rows_bad) == (None, None)
    assert list(result.outputs) == [RULE_OUTCOME_FILE]
    assert not (tmp_path / "out" / GOOD_ROWS_FILE).exists()
    written = json.loads((tmp_path / "out" / RULE_OUTCOME_FILE).read_text())
    assert written["stopped"] == result.verdict.stop_reason


def test_the_score_counts_a_rule_in_error_as_not_passed(tmp_path: Path) -> None:
    summary = run_stage(IMDB_CSV, load_ruleset(_ruleset(tmp_path)), tmp_path / "out").summary

    assert summary["dq_result"] == "2/3 rules passed (66%; 1 in error)"
    assert summary["dq_score"] == pytest.approx(2 / 3)
    assert [rule["outcome"] for rule in summary["rules"]] == ["Passed", "Error", "Passed"]


def test_on_error_ignore_routes_the_rows_as_if_the_rule_were_absent(tmp_path: Path) -> None:
    settings = f"[rules.'{TYPO}']\non_error = \"ignore\"\n"
    result = run_stage(IMDB_CSV, load_ruleset(_ruleset(tmp_path, settings)), tmp_path / "out")

    assert result.verdict.stop_reason is None
    # Every row with a rating and a year, all 1000 of the real file but Apollo 13's 'PG' which the contract
    # keeps as text: the errored rule filters nothing, and the other two pass on every row.
    assert (result.rows_good, result.rows_bad) == (1000, 0)
    assert result.summary["dq_result"] == "2/3 rules passed (66%; 1 in error)"
    assert result.summary["rules"][1]["on_error"] == "ignore"


def test_on_error_can_be_set_for_every_rule_in_defaults(tmp_path: Path) -> None:
    config = load_ruleset(_ruleset(tmp_path, '[defaults]\non_error = "ignore"\n'))
    assert config.settings_for(TYPO).on_error == "ignore"


def test_an_unknown_on_error_action_is_a_ruleset_problem(tmp_path: Path) -> None:
    with pytest.raises(RulesetConfigError, match=r"on_error must be one of 'stop', 'ignore', not 'skip'"):
        load_ruleset(_ruleset(tmp_path, f"[rules.'{TYPO}']\non_error = \"skip\"\n"))


def test_the_dagster_job_stops_a_typod_ruleset_and_loads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_home: Path, empty_warehouse
) -> None:
    monkeypatch.setenv("QUALITY_MOVIES_RULESET", str(_ruleset(tmp_path)))
    pipeline = Pipeline(clean_home)

    result = pipeline.run(pipeline.land(IMDB_CSV))

    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.error.message
    assert TYPO in message and 'Column "imdb_ratng" does not exist' in message
    assert len(pipeline.keys(RULE_OUTCOME)) == 1
    assert pipeline.keys(BAD_RECORDS) == []
    materialized = {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}
    assert "imdb_movies_rating" not in materialized
    empty_warehouse.ensure_table()
    assert empty_warehouse.query_one("count_table_rows")[0] == 0


def test_the_dagster_job_loads_the_file_when_the_errored_rule_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_home: Path, empty_warehouse
) -> None:
    ruleset = _ruleset(tmp_path, f"[rules.'{TYPO}']\non_error = \"ignore\"\n")
    monkeypatch.setenv("QUALITY_MOVIES_RULESET", str(ruleset))
    pipeline = Pipeline(clean_home)

    result = pipeline.run(pipeline.land(IMDB_CSV))

    assert result.success
    empty_warehouse.ensure_table()
    assert empty_warehouse.query_one("count_table_rows")[0] == 1000
    assert expected_good() < 1000  # with the rule spelled right, far fewer rows would load
