"""The two messages the recipe e-mails (pipeline status, data-quality result) and the hooks that send them.

Hooks fire once per step, so each message is tied to the step that completes it: the
data-quality result to the routing step (bad rows written), the success status to the view
refresh (the last step), a failure status to whichever step failed. Failures outside any
step are reported by the run-failure sensor in `sensors.py`.
"""

import json
from typing import Any

import dagster as dg

from quality_movies.assets.quality import QUALITY_STAGE
from quality_movies.assets.warehouse import year_aggregated_genre
from quality_movies.resources.notifier import Message, Notifier
from quality_movies.run_summary import file_and_reason, summarize_run

PIPELINE_STATUS, DATA_QUALITY = "pipeline_status", "data_quality"
# SNS takes at most 256 KiB a message, body and attributes together, and drops a bigger one: a file could
# then suppress its own alert (a 300 KB header made a 601 KB failure message). Messages are kept well under
# it, shortened with a pointer to where the whole outcome is.
SNS_MAX_BYTES = 256 * 1024
MAX_BODY_BYTES = 160 * 1024
MAX_SUMMARY_BYTES = 64 * 1024
MAX_SUMMARY_VALUE_CHARS = 1_000


def _attributes(event: str, summary: dict[str, Any]) -> dict[str, str]:
    return {"event": event, "summary": _bounded_json(summary)}


def _bounded_json(summary: dict[str, Any]) -> str:
    """The summary as JSON within MAX_SUMMARY_BYTES: long values cut (and named under `shortened`)."""
    text = json.dumps(summary, default=str)  # ASCII: as many bytes as characters
    if len(text) <= MAX_SUMMARY_BYTES:
        return text
    kept: dict[str, Any] = {"shortened": []}
    for key, value in summary.items():
        value_text = json.dumps(value, default=str)
        if len(value_text) > MAX_SUMMARY_VALUE_CHARS:
            value = value_text[:MAX_SUMMARY_VALUE_CHARS] + "..."
            kept["shortened"].append(key)
        if len(json.dumps({**kept, key: value}, default=str)) > MAX_SUMMARY_BYTES - 64:
            kept["shortened"].append(key)  # left out whole: the budget is spent
            continue
        kept[key] = value
    return json.dumps(kept, default=str)


def _pointer(summary: dict[str, Any]) -> str:
    """Where a person finds what a shortened message left out."""
    where = summary.get("rule_outcome") or summary.get("bad_records")
    run = f"run {summary.get('run_id')} in Dagster"
    return f"the full rule outcome is at {where} ({run})" if where else f"the whole story is in {run}"


def within_sns_limit(message: Message, summary: dict[str, Any]) -> Message:
    """`message` with its body cut to MAX_BODY_BYTES (UTF-8) and a pointer to the rest, if it was longer."""
    body = message.body.encode()
    if len(body) <= MAX_BODY_BYTES:
        return message
    note = f"\n\n[shortened from {len(body):,} bytes to fit a notification: {_pointer(summary)}]"
    kept = body[: MAX_BODY_BYTES - len(note.encode())].decode("utf-8", errors="ignore")
    return Message(message.subject, kept + note, message.attributes)


def _file_name(summary: dict[str, Any]) -> str:
    return summary.get("source_file") or summary.get("partition") or "unknown file"


def _known(template: str, *values: Any) -> list[str]:
    """The line filled in, or no line at all when a value is unknown (the run never measured it)."""
    return [] if any(value is None for value in values) else [template.format(*values)]


def _rows(summary: dict[str, Any]) -> list[str]:
    """Rows in, good and bad, as far as the run counted them (a stopped run routes nothing)."""
    counts = (summary.get("rows_in"), summary.get("rows_good"), summary.get("rows_bad"))
    return _known("Rows in: {}, good: {}, bad: {}", *counts) or _known("Rows in: {}", counts[0])


def status_message(summary: dict[str, Any], succeeded: bool) -> Message:
    """Pipeline status: for which file, why it failed, what ran and the run id to look it up.

    A failure leads with the reason, in the subject and in the first line of the body, from the
    summary's `error` (the first failed step's, read from the event log).
    """
    status = "SUCCEEDED" if succeeded else "FAILED"
    about = _file_name(summary)
    if not succeeded:
        about = file_and_reason(about, summary.get("error") or "no step reported an error")
    failed_checks = [name for name, passed in summary.get("checks", {}).items() if not passed]
    lines = [
        f"The quality_movies pipeline {status.lower()} for {about}" + ("" if about.endswith(".") else "."),
        "",
        f"Run id: {summary['run_id']}",
        *_known("Failed step: {}", summary.get("failed_step")),
        *_known("Partition: {}", summary.get("partition")),
        *_rows(summary),
        *_known("Rows of this file in the warehouse: {}", summary.get("warehouse_rows")),
        *([f"Failed checks: {', '.join(failed_checks)}"] if failed_checks else []),
    ]
    summary = {**summary, "status": status}
    message = Message(f"quality_movies {status}: {about}", "\n".join(lines), _attributes(PIPELINE_STATUS, summary))
    return within_sns_limit(message, summary)


def quality_message(summary: dict[str, Any]) -> Message:
    """Data-quality result: score, failed rules, bad-row count and where the bad rows are."""
    failed = summary.get("failed_rules") or []
    lines = [
        f"Data quality for {_file_name(summary)}: {summary.get('dq_result')}.",
        "",
        f"Bad rows: {summary.get('rows_bad')} of {summary.get('rows_in')}, quarantined at {summary.get('bad_records')}",
        f"Rule outcomes: {summary.get('rule_outcome')}",
        "Failed rules:" if failed else "No rule failed.",
        *(f"  - {rule}" for rule in failed),
        "",
        f"Run id: {summary['run_id']}",
    ]
    subject = f"quality_movies data quality {summary.get('dq_result')}: {_file_name(summary)}"
    return within_sns_limit(Message(subject, "\n".join(lines), _attributes(DATA_QUALITY, summary)), summary)


@dg.success_hook(required_resource_keys={"notifier"})
def notify_on_success(context: dg.HookContext) -> None:
    """After routing, send the data-quality result; after the view refresh, the success status."""
    notifier: Notifier = context.resources.notifier
    if context.op.name == QUALITY_STAGE:
        notifier.publish(quality_message(summarize_run(context.instance, context.run_id)))
    elif context.op.name == year_aggregated_genre.op.name:
        notifier.publish(status_message(summarize_run(context.instance, context.run_id), succeeded=True))


@dg.failure_hook(required_resource_keys={"notifier"})
def notify_on_failure(context: dg.HookContext) -> None:
    """Send the failure status, leading with why this step failed."""
    summary = summarize_run(context.instance, context.run_id, failed_step=context.step_key)
    context.resources.notifier.publish(status_message(summary, succeeded=False))
