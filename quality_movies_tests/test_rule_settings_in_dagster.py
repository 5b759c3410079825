"""Severity, blocking and the dataset-failure action, set beside the ruleset, as the Dagster run applies them."""

import polars as pl
import pytest

from quality_movies.resources.lake import BAD_RECORDS, RULE_OUTCOME
from quality_movies_tests.conftest import IMDB_CSV, Pipeline, read_imdb

RULES = 'Rules = [\n    IsComplete "imdb_rating",\n    ColumnValues "imdb_rating" between 8.5 and 10.3\n]\n'
RATING_RULE = '"ColumnValues \\"imdb_rating\\" between 8.5 and 10.3"'


@pytest.fixture
def ruleset(tmp_path, monkeypatch):
    """Write a ruleset and its sidecar settings and make them the configured ruleset."""

    def write(settings: str):
        (tmp_path / "strict.dqdl").write_text(RULES)
        (tmp_path / "strict.toml").write_text(settings)
        monkeypatch.setenv("QUALITY_MOVIES_RULESET", str(tmp_path / "strict.dqdl"))

    return write


def _table_rows(warehouse) -> int:
    warehouse.ensure_table()
    return warehouse.query_one("count_table_rows")[0]


def test_a_failed_blocking_rule_fails_the_run_leaving_warehouse_and_quarantine_as_they_were(
    ruleset, clean_home, empty_warehouse
):
    ruleset(f'[rules.{RATING_RULE}]\nseverity = "error"\nblocking = true\n')
    pipeline = Pipeline(clean_home)

    result = pipeline.run(pipeline.land(IMDB_CSV))

    assert not result.success
    (check,) = [c for c in result.get_asset_check_evaluations() if c.check_name.startswith("columnvalues")]
    assert not check.passed
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert {"dq_evaluated_rows", "good_rows", "bad_rows"} <= materialized
    assert "imdb_movies_rating" not in materialized and "year_aggregated_genre" not in materialized
    # The run failed before its warehouse commit: its quarantine goes, as the outcome stays to say why.
    assert pipeline.keys(BAD_RECORDS) == [] and len(pipeline.keys(RULE_OUTCOME)) == 1
    assert _table_rows(empty_warehouse) == 0


def test_stop_on_dataset_failure_writes_rule_outcomes_and_routes_nothing(ruleset, clean_home, empty_warehouse):
    ruleset(f'on_dataset_failure = "stop"\n[rules.{RATING_RULE}]\nseverity = "error"\n')
    pipeline = Pipeline(clean_home)

    result = pipeline.run(pipeline.land(IMDB_CSV))

    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "no row was routed or loaded" in failure.step_failure_data.error.message
    assert len(pipeline.keys(RULE_OUTCOME)) == 1
    assert pipeline.keys(BAD_RECORDS) == []
    assert _table_rows(empty_warehouse) == 0


def test_a_failed_warning_rule_is_reported_and_the_file_still_loads(ruleset, clean_home, empty_warehouse):
    ruleset(f'[rules.{RATING_RULE}]\nseverity = "warn"\n')
    pipeline = Pipeline(clean_home)

    result = pipeline.run(pipeline.land(IMDB_CSV))

    assert result.success
    (check,) = [c for c in result.get_asset_check_evaluations() if c.check_name.startswith("columnvalues")]
    assert not check.passed and check.severity.value == "WARN"
    above = read_imdb().filter(pl.col("imdb_rating").cast(pl.Float64) > 8.5).height
    assert check.metadata["failing_rows"].value == 1000 - above
    assert _table_rows(empty_warehouse) == above
