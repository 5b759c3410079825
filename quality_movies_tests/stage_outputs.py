"""What a quality-stage or Dagster run left, read back for the tests; and rulesets with settings beside them."""

from pathlib import Path

import dagster as dg
import polars as pl

from quality_movies.ruleset_config import DEFAULT_RULESET, RulesetConfig, load_ruleset
from quality_movies.stage import BAD_RECORDS_FILE, GOOD_ROWS_FILE, StageResult


def good_rows_of(result: StageResult) -> pl.DataFrame:
    """The good rows the stage wrote."""
    return pl.read_parquet(result.outputs[GOOD_ROWS_FILE])


def bad_records_of(result: StageResult) -> pl.DataFrame:
    """The quarantine the stage wrote."""
    return pl.read_ndjson(result.outputs[BAD_RECORDS_FILE], infer_schema_length=None)


def ruleset_with(folder: Path, settings: str, rules: str | None = None) -> RulesetConfig:
    """The default ruleset (or `rules`) in `folder`, with `settings` as the TOML beside it."""
    ruleset = folder / "movies.dqdl"
    ruleset.write_text(rules or DEFAULT_RULESET.read_text())
    ruleset.with_suffix(".toml").write_text(settings)
    return load_ruleset(ruleset)


def crawled_metadata(result: dg.ExecuteInProcessResult) -> dict:
    """The metadata of the run's `crawled_table` materialization."""
    (crawled,) = [e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "crawled_table"]
    return crawled.materialization.metadata
