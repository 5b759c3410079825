"""`quality-movies demo`: land a file locally, run the whole graph for it and summarise the run.

The only command that needs Dagster, so `cli.py` imports this module only when it runs.
"""

from __future__ import annotations

import filecmp
import os
from pathlib import Path
from typing import Any

import dagster as dg

from quality_movies.assets.landing import ETAG_TAG, ingested_by
from quality_movies.definitions import build_definitions, resolved, resources_from_env
from quality_movies.partitions import landed_files
from quality_movies.resources.lake import BAD_RECORDS, PROCESSED, RULE_OUTCOME, Lake, output_run_id
from quality_movies.run_summary import file_and_reason, summarize_run


def run_config(verbose: bool) -> dict[str, Any]:
    """Dagster's console log: silent by default, since the summary reports the run and why it failed.

    A failed step otherwise prints two stack traces before the summary. `verbose` brings the
    whole log back (INFO and up, with stack traces) for debugging the pipeline itself.
    """
    return {"loggers": {"console": {"config": {"log_level": "INFO" if verbose else "CRITICAL"}}}}


def local_instance() -> dg.DagsterInstance:
    """The instance `dagster dev` uses when DAGSTER_HOME is set (runs then show in the UI)."""
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def run_partition(
    home: Path, job_name: str, partition_key: str, instance: dg.DagsterInstance, verbose: bool, tags: dict[str, str]
) -> str:
    """Run `job_name`, as built now (the current ruleset and mapping), in this process for one file; its run id.

    The partition is registered first (a no-op when it is known), as the landing sensor registers it.
    """
    instance.add_dynamic_partitions(landed_files.name, [partition_key])
    job = build_definitions(home).resolve_job_def(job_name)
    result = job.execute_in_process(
        partition_key=partition_key,
        instance=instance,
        raise_on_error=False,
        run_config=run_config(verbose),
        tags=tags,
    )
    return result.run_id


def _same_bytes(lake: Lake, key: str, file: Path) -> bool:
    if lake.describe(key).size != file.stat().st_size:
        return False
    with lake.local_file(key) as held:
        return filecmp.cmp(file, held, shallow=False)


def _land(lake: Lake, file: Path, key: str) -> str:
    """Copy `file` to `key` unless the lake holds the same bytes there already; the landed object's ETag.

    Copying the same bytes again would give the object a new ETag (locally: a new modification time),
    which the sensor and the record of ingested files would take for new content.
    """
    if not (lake.exists(key) and _same_bytes(lake, key, file)):
        lake.put_file(file, key)
    return lake.describe(key).etag


def _loaded_already(lake: Lake, file: Path, partition_key: str, instance: dg.DagsterInstance) -> str | None:
    """The run that loaded these very bytes when the file has left the landing prefix (loaded files do), or None.

    Its archive copy (`processed/`) holds what it read; an ephemeral instance knows no earlier run.
    """
    if lake.exists(lake.landing_key(partition_key)):
        return None
    archive = lake.newest_output(PROCESSED, partition_key)
    if archive is None or not _same_bytes(lake, archive, file):
        return None
    run_id = output_run_id(archive)
    return run_id if instance.has_run(run_id) else None


def run_demo(
    file: Path, home: Path, verbose: bool = False, instance: dg.DagsterInstance | None = None
) -> dict[str, Any]:
    """Land `file` and materialize the whole graph for it with every check, unless that content was ingested.

    A file already ingested with the same content (by an earlier demo or by the landing sensor; still landed, or
    gone from the landing prefix with its load) is not run again: the summary is that earlier run's, with
    `already_ingested` set.
    """
    instance = instance or local_instance()
    lake = resolved(resources_from_env(home)["lake"], instance)
    key = f"{lake.landing_prefix}/{file.name}"
    partition_key = lake.partition_key(key)
    loaded = _loaded_already(lake, file, partition_key, instance)
    if loaded is not None:
        return _summary(instance, loaded, lake, key, already_ingested=True)
    etag = _land(lake, file, key)
    earlier = ingested_by(instance, partition_key, etag)
    if earlier is not None:
        return _summary(instance, earlier, lake, key, already_ingested=True)
    run_id = run_partition(home, "ingest_landed_file", partition_key, instance, verbose, {ETAG_TAG: etag})
    return _summary(instance, run_id, lake, key, already_ingested=False)


def _run_status(instance: dg.DagsterInstance, run_id: str) -> str:
    run = instance.get_run_by_id(run_id)
    return run.status.value if run else "UNKNOWN"


def _summary(instance: dg.DagsterInstance, run_id: str, lake: Lake, key: str, already_ingested: bool) -> dict[str, Any]:
    summary = summarize_run(instance, run_id)
    summary["status"] = _run_status(instance, run_id)
    summary["success"] = summary["status"] == dg.DagsterRunStatus.SUCCESS.value
    summary["already_ingested"] = already_ingested
    summary["source_file"] = summary["source_file"] or key  # a run that failed before landing_file measured it
    summary["lake"] = {
        "input": lake.uri(key),
        "bad_records": summary.pop("bad_records"),
        "rule_outcome": summary.pop("rule_outcome"),
        "processed": lake.uri(PROCESSED),
        "bad_records_prefix": lake.uri(BAD_RECORDS),
        "rule_outcome_prefix": lake.uri(RULE_OUTCOME),
    }
    return summary


def headline(summary: dict[str, Any]) -> str:
    """`Run <id> succeeded for <file>`, or `Run <id> FAILED for <file>: <reason>`."""
    if summary.get("already_ingested"):
        return (
            f"{summary['source_file']} was ingested already with this content "
            f"(run {summary['run_id']}: {summary['status']}); "
            "not run again. Re-materialize its partition in the UI to run it anyway."
        )
    if summary["success"]:
        return f"Run {summary['run_id']} succeeded for {summary['source_file']}"
    reason = summary.get("error") or "no step reported an error"
    return f"Run {summary['run_id']} FAILED for {file_and_reason(summary['source_file'], reason)}"


def _rows_line(summary: dict[str, Any]) -> str | None:
    rows_in, good, bad = summary.get("rows_in"), summary.get("rows_good"), summary.get("rows_bad")
    if rows_in is None:
        return None
    return f"rows in {rows_in}" + (f": {good} good, {bad} bad" if good is not None and bad is not None else "")


def _line(template: str, value: Any) -> str | None:
    return None if value is None else template.format(value)


def detail_lines(summary: dict[str, Any]) -> list[str]:
    """What the run measured, one line each; what it never reached is left out, not shown as None."""
    lines = [
        _line("failed step: {}", summary.get("failed_step")),
        _rows_line(summary),
        _line("data quality: {}", summary.get("dq_result")),
        _line("warehouse: {} rows of this file in movies.imdb_movies_rating", summary.get("warehouse_rows")),
        _line("view: movies.year_aggregated_genre counts {} movies", summary.get("mv_movie_count_total")),
        *(f"check {name}: {'passed' if passed else 'FAILED'}" for name, passed in summary["checks"].items()),
        _line("bad records: {}", summary["lake"]["bad_records"]),
        _line("rule outcomes: {}", summary["lake"]["rule_outcome"]),
    ]
    return [line for line in lines if line is not None]


def print_summary(summary: dict[str, Any]) -> None:
    """The headline, then what the run measured, indented."""
    print(headline(summary))
    for line in detail_lines(summary):
        print(f"  {line}")
