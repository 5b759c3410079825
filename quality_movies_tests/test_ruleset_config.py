"""Which ruleset runs and what its failures mean come from files, chosen by an environment variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from quality_movies.ruleset_config import (
    DEFAULT_RULESET,
    RULESET_VARIABLE,
    RulesetConfigError,
    RuleSettings,
    load_ruleset,
    ruleset_path,
)
from quality_movies_tests.data_files import GLUE_REFERENCE

GLUE_RULESET = GLUE_REFERENCE / "ruleset.dqdl"
RATING_FILTER = 'ColumnValues "imdb_rating" between 8.5 and 10.3'


def _ruleset(tmp_path: Path, rules: str, settings: str | None = None) -> Path:
    path = tmp_path / "rules.dqdl"
    path.write_text(f"Rules = [\n{rules}\n]\n")
    if settings is not None:
        path.with_suffix(".toml").write_text(settings)
    return path


def _problem(path: Path) -> str:
    with pytest.raises(RulesetConfigError) as raised:
        load_ruleset(path)
    return str(raised.value)


def test_without_the_variable_the_bundled_recipe_ruleset_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RULESET_VARIABLE, raising=False)
    config = load_ruleset()
    assert config.path == DEFAULT_RULESET
    assert config.rule_texts == [
        'IsComplete "imdb_rating"',
        RATING_FILTER,
        "RowCount > 0",
        'IsComplete "series_title"',
        'IsComplete "genre"',
        'IsComplete "released_year"',
        'ColumnValues "released_year" matches "[0-9]{4}"',
    ]
    assert config.on_dataset_failure == "route"
    assert config.settings_for("RowCount > 0") == RuleSettings("error", blocking=True)
    assert config.settings_for(RATING_FILTER) == RuleSettings("warn", blocking=False)
    assert config.settings_for('IsComplete "imdb_rating"') == RuleSettings("error", blocking=False)


def test_the_variable_chooses_another_ruleset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RULESET_VARIABLE, str(GLUE_RULESET))
    assert ruleset_path() == GLUE_RULESET
    assert len(load_ruleset().ruleset.rules) == 40


def test_a_ruleset_without_settings_reports_every_failure_as_a_non_blocking_error_and_routes() -> None:
    config = load_ruleset(GLUE_RULESET)
    assert {config.settings_for(text) for text in config.rule_texts} == {RuleSettings("error", blocking=False)}
    assert config.on_dataset_failure == "route"


def test_settings_name_rules_in_any_spacing_of_their_text(tmp_path: Path) -> None:
    path = _ruleset(
        tmp_path,
        'ColumnValues "c" in ["U","A"], IsComplete "c"',
        """on_dataset_failure = "stop"
[defaults]
severity = "warn"
[rules.'ColumnValues "c" in [ "U", "A" ]']
severity = "error"
blocking = true
""",
    )
    config = load_ruleset(path)
    assert config.on_dataset_failure == "stop"
    assert config.settings_for('ColumnValues "c" in ["U","A"]') == RuleSettings("error", blocking=True)
    assert config.settings_for('IsComplete "c"') == RuleSettings("warn", blocking=False)


def test_an_unknown_rule_in_the_settings_names_the_file_and_the_closest_rule(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, 'IsComplete "imdb_rating"', "[rules.'IsComplete \"imdb_ratings\"']\nseverity = 'warn'\n")
    problem = _problem(path)
    assert str(path.with_suffix(".toml")) in problem
    assert "is not a rule of rules.dqdl; did you mean 'IsComplete \"imdb_rating\"'" in problem


def test_a_bad_severity_is_reported_with_the_rule_it_belongs_to(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, "RowCount > 0", "[rules.'RowCount > 0']\nseverity = 'fatal'\n")
    problem = _problem(path)
    assert "[rules.'RowCount > 0']: severity must be one of 'warn', 'error', not 'fatal'" in problem


def test_a_blocking_warning_is_refused_because_a_warning_never_blocks(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, "RowCount > 0", "[defaults]\nseverity = 'warn'\nblocking = true\n")
    assert "[defaults]: blocking = true needs severity = 'error'" in _problem(path)


def test_every_problem_in_the_settings_is_reported_at_once(tmp_path: Path) -> None:
    path = _ruleset(
        tmp_path, "RowCount > 0", "on_dataset_failure = 'halt'\nseverity = 'warn'\n[defaults]\nblocking = 1\n"
    )
    problem = _problem(path)
    assert "3 problem(s)" in problem
    assert "on_dataset_failure must be one of 'route', 'stop', not 'halt'" in problem
    assert "unknown key 'severity' at top level" in problem
    assert "[defaults]: blocking must be true or false, not 1" in problem


def test_settings_that_are_not_toml_name_the_file(tmp_path: Path) -> None:
    path = _ruleset(tmp_path, "RowCount > 0", "[rules\n")
    assert _problem(path).startswith(f"{path.with_suffix('.toml')}: not valid TOML")


def test_a_ruleset_that_is_not_dqdl_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.dqdl"
    path.write_text('Rules = [\n    IsComplete "a"\n    RowCount > 0\n]\n')
    assert _problem(path) == f"{path}:3:5: unexpected input, found 'RowCount' (expected ',' or ']')"


def test_a_missing_ruleset_file_names_the_variable_that_chooses_it(tmp_path: Path) -> None:
    assert _problem(tmp_path / "nope.dqdl") == (
        f"{tmp_path / 'nope.dqdl'}: no such ruleset file (set {RULESET_VARIABLE} to a .dqdl file)"
    )
