"""What a run did, read back from the Dagster instance's event log.

One summary serves the CLI, the notification hooks and the run-failure sensor, so they
report the same numbers, which the assets themselves measured.
"""

from typing import Any

import dagster as dg

MEASURED = {
    "rows_in": ("dq_evaluated_rows", "dagster/row_count"),
    "rows_good": ("good_rows", "dagster/row_count"),
    "rows_bad": ("bad_rows", "dagster/row_count"),
    "dq_score": ("dq_evaluated_rows", "dq_score"),
    "dq_result": ("dq_evaluated_rows", "dq_result"),
    "rules_passed": ("dq_evaluated_rows", "rules_passed"),
    "rules_total": ("dq_evaluated_rows", "rules_total"),
    "failed_rules": ("dq_evaluated_rows", "failed_rules"),
    "source_file": ("landed_file", "object_key"),
    "warehouse_rows": ("imdb_movies_rating", "dagster/row_count"),
    "mv_movie_count_total": ("year_aggregated_genre", "movie_count_total"),
    "bad_records": ("bad_rows", "bad_records"),
    "rule_outcome": ("dq_evaluated_rows", "rule_outcome"),
}


def _metadata_by_asset(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        materialization = entry.asset_materialization
        found[materialization.asset_key.path[-1]] = {k: v.value for k, v in materialization.metadata.items()}
    return found


def summarize_run(instance: dg.DagsterInstance, run_id: str) -> dict[str, Any]:
    """Counts, data-quality result, check outcomes and output locations of one run."""
    metadata = _metadata_by_asset(instance, run_id)
    summary: dict[str, Any] = {"run_id": run_id}
    run = instance.get_run_by_id(run_id)
    summary["partition"] = run.tags.get("dagster/partition") if run else None
    for name, (asset, key) in MEASURED.items():
        summary[name] = metadata.get(asset, {}).get(key)
    checks = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    summary["checks"] = {
        entry.dagster_event.event_specific_data.check_name: entry.dagster_event.event_specific_data.passed
        for entry in checks
    }
    return summary
