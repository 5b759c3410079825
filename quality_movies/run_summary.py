"""What a run did, read back from the Dagster instance's event log.

One summary serves the CLI, the notification hooks and the run-failure sensor, so they
report the same numbers, which the assets themselves measured, and the same failure reason.
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


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _exception_message(error: Any) -> str:
    message = _one_line(error.message)
    qualified, _, rest = message.partition(": ")
    if error.cls_name and qualified.endswith(f".{error.cls_name}") and " " not in qualified:
        return rest or error.cls_name
    if error.cls_name and message.endswith(f".{error.cls_name}") and " " not in message:
        return error.cls_name  # `package.module.SomeError` with an empty message
    return message or (error.cls_name or "unknown error")


def error_reason(error: Any) -> str:
    """The raised exception's message as one line, without Dagster's wrappers or any stack trace.

    `error` is the event log's record of the exception (Dagster's SerializableErrorInfo: `message`,
    `cls_name`, `cause`). Dagster wraps an exception raised in an asset (`DagsterExecutionStepExecutionError:
    Error occurred while executing op ...`, or `Exceeded max_retries of 3` once a retry policy gives up)
    and keeps the exception itself as the cause. The message drops the class name of the project's and
    libraries' exceptions (theirs say what went wrong) but keeps a built-in's (`KeyError: 'imdb_rating'`
    says more than `'imdb_rating'`); a bare class name stands for an empty message.
    """
    gave_up = ""
    while error.cause is not None and (error.cls_name or "").startswith(("Dagster", "RetryRequested")):
        if (error.cls_name or "").startswith("RetryRequested"):
            gave_up = f" ({_one_line(error.message)})"
        error = error.cause
    return _exception_message(error) + gave_up


def _step_failure_reason(data: Any) -> str:
    """A `dg.Failure`'s description, else the exception's message."""
    described = data.user_failure_data.description if data.user_failure_data else None
    if described:
        return _one_line(described)
    return error_reason(data.error) if data.error else "the step failed without an error message"


def step_failure(instance: dg.DagsterInstance, run_id: str, step_key: str | None = None) -> tuple[str, str] | None:
    """(step key, reason) of the run's first failed step, or of `step_key` if given; None if none failed."""
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        if step_key is None or entry.step_key == step_key:
            return entry.step_key or "", _step_failure_reason(entry.dagster_event.step_failure_data)
    return None


def _run_failure_reason(instance: dg.DagsterInstance, run_id: str) -> str | None:
    """Why a run failed outside any step (a crash, a termination, a failure reported from outside)."""
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE):
        data = entry.dagster_event.event_specific_data
        if data is not None and data.error is not None:
            return error_reason(data.error)
        return _one_line(entry.dagster_event.message or entry.user_message or "") or "the run failed"
    return None


def _failure(instance: dg.DagsterInstance, run_id: str, step_key: str | None) -> dict[str, str | None]:
    found = step_failure(instance, run_id, step_key)
    if found:
        return {"error": found[1], "failed_step": found[0]}
    return {"error": _run_failure_reason(instance, run_id), "failed_step": None}


def summarize_run(instance: dg.DagsterInstance, run_id: str, failed_step: str | None = None) -> dict[str, Any]:
    """Counts, data-quality result, check outcomes, output locations and failure reason of one run.

    `error` is None while nothing failed, else one line a person can act on, from the first failed
    step (or from `failed_step`, for a hook reporting its own step), or from the run's failure.
    """
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
    summary.update(_failure(instance, run_id, failed_step))
    return summary


def file_and_reason(file: str, reason: str) -> str:
    """`<file>: <reason>`, without naming the file twice when the reason already starts with it."""
    return reason if reason.startswith(f"{file}: ") else f"{file}: {reason}"
