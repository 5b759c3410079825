"""The data-quality history in the lake and the warehouse, and the DQ summary over every file.

The quality step records every evaluation, in one place (`record_history`): as Parquet in the lake, then as rows
of `movies.dq_history` (`replace_run_history`: one transaction that first deletes the rows of that file and run,
so a retried step replaces them, never doubles them). Both are written right after the evaluation, before the
file is stopped, routed or loaded, so an evaluation whose load never runs (the ruleset's `on_dataset_failure =
"stop"`, a failed blocking rule, a failed load) is in both. A failed run keeps its evaluation in both places:
the history says what was measured, like the rule outcomes, not what was loaded; the failure hook removes only
what a warehouse commit would have made the file's (its quarantine and archive, see `run_outputs`).
`dq_summary` reads each file's latest history from the lake.
"""

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any

import dagster as dg
import polars as pl

from quality_movies.assets.metadata import OWNERS, markdown_table, tags
from quality_movies.assets.warehouse import WAREHOUSE_RETRY
from quality_movies.history import HISTORY_FILE, HISTORY_SCHEMA, history_rows, runs_table
from quality_movies.resources.lake import DQ_HISTORY, Lake, output_run_id, run_output_key
from quality_movies.resources.warehouse import MAX_BIND_PARAMETERS, Warehouse, WarehouseSession
from quality_movies.resources.warehouse_session import CONNECTION_LOST, created_concurrently, quote_identifier

HISTORY_TABLE = "dq_history"
# The warehouse table's columns, in `sql/history_create_table.sql`'s order: the lake's partition columns first.
WAREHOUSE_COLUMNS = ("source_file", "run_id", *(name for name in HISTORY_SCHEMA if name != "landed_key"))
ROWS_PER_INSERT = MAX_BIND_PARAMETERS // len(WAREHOUSE_COLUMNS)


def history_key(partition_key: str, run_id: str) -> str:
    """Where one run's history of one file lies in the lake."""
    return run_output_key(DQ_HISTORY, partition_key, run_id, HISTORY_FILE)


def store_history(lake: Lake, partition_key: str, run_id: str, history: pl.DataFrame) -> str:
    """Write one evaluation's history of the file to the lake (replacing this run's, if retried); its key."""
    buffer = io.BytesIO()
    history.write_parquet(buffer, compression="snappy")
    stored = history_key(partition_key, run_id)
    lake.write_bytes(stored, buffer.getvalue())
    return stored


def record_history(
    context: dg.AssetExecutionContext,
    lake: Lake,
    warehouse: Warehouse,
    summary: Mapping[str, Any],
    check_names: Mapping[str, str],
    source_file: str,
) -> tuple[str, int]:
    """Record an evaluation (the stage's summary) of `source_file` in the lake, then in `dq_history`.

    Returns the lake key and the rows of this file and run in the warehouse table. An unreachable warehouse
    retries the step as the load step's policy would (`WAREHOUSE_RETRY`): nothing was routed yet, so a retry
    starts over cleanly and replaces what the attempt before it recorded.
    """
    history = history_rows(summary, check_names, source_file, dt.datetime.now(dt.UTC).replace(tzinfo=None))
    stored = store_history(lake, context.partition_key, context.run_id, history)
    try:
        with warehouse.session() as session:
            in_warehouse = replace_run_history(session, source_file, context.run_id, history)
    except CONNECTION_LOST as error:
        wait = WAREHOUSE_RETRY.delay * 2**context.retry_number
        raise dg.RetryRequested(max_retries=WAREHOUSE_RETRY.max_retries, seconds_to_wait=wait) from error
    return stored, in_warehouse


def read_history(lake: Lake, key: str) -> pl.DataFrame:
    """One stored history file, from a local folder or S3."""
    return pl.read_parquet(lake.uri(key), storage_options=lake.storage_options(), glob=False)


def _statement(session: WarehouseSession, name: str, **literals: str) -> str:
    return session.warehouse.statement(name, history=quote_identifier(HISTORY_TABLE), **literals)


def ensure_history_table(session: WarehouseSession) -> None:
    """Create `<schema>.dq_history` if missing, also under a race, and the schema with the load's table before it.

    The quality step writes the history before the file's first load: the schema is created by the load's own
    path (`ensure_table`, which leaves an existing table alone, so a role that may not create schemas still works).
    """
    if session.query_one("relation_exists", (session.warehouse.schema_name, HISTORY_TABLE))[0]:
        return
    session.ensure_table()
    cursor = session.connection.cursor()
    try:
        cursor.execute(_statement(session, "history_create_table"))
        session.connection.commit()
    except Exception as error:
        session.connection.rollback()
        if not created_concurrently(error):  # else another run created it since we looked
            raise


def replace_run_history(session: WarehouseSession, source_file: str, run_id: str, history: pl.DataFrame) -> int:
    """Replace the warehouse's history rows of (`source_file`, `run_id`) with `history`, in one transaction.

    Returns the rows of that file and run as committed.
    """
    ensure_history_table(session)
    rows = history.select(
        pl.lit(source_file).alias("source_file"), pl.lit(run_id).alias("run_id"), *WAREHOUSE_COLUMNS[2:]
    )
    cursor = session.connection.cursor()
    try:
        cursor.execute(_statement(session, "history_delete_run"), (source_file, run_id))
        group = "(" + ", ".join(["%s"] * len(WAREHOUSE_COLUMNS)) + ")"
        for batch in rows.iter_slices(ROWS_PER_INSERT):
            values = ",\n".join([group] * batch.height)
            params = [value for row in batch.iter_rows() for value in row]
            cursor.execute(_statement(session, "history_insert_rows").rstrip() + "\n" + values, params)
        cursor.execute(_statement(session, "history_count_run"), (source_file, run_id))
        (stored,) = cursor.fetchone()
        session.connection.commit()
    except BaseException:
        session.connection.rollback()
        raise
    return stored


def latest_history_keys(lake: Lake) -> list[str]:
    """Each file's newest history in the lake (one key per file), so the summary reads one file per landed file."""
    newest: dict[str, tuple[float, str]] = {}
    for found in lake.list_objects(DQ_HISTORY):
        if not found.key.endswith(f"/{HISTORY_FILE}"):
            continue
        folder = found.key.split("/run_id=", 1)[0]
        if folder not in newest or found.last_modified >= newest[folder][0]:
            newest[folder] = (found.last_modified, found.key)
    return [key for _, key in sorted(newest.values(), key=lambda pair: pair[1])]


def _latest_runs(lake: Lake) -> pl.DataFrame:
    frames = [
        read_history(lake, key).with_columns(run_id=pl.lit(output_run_id(key))) for key in latest_history_keys(lake)
    ]
    if not frames:
        return runs_table(pl.DataFrame(schema={**HISTORY_SCHEMA, "run_id": pl.String()}))
    return runs_table(pl.concat(frames, how="vertical"))


@dg.asset(
    key="dq_summary",
    deps=[dg.AssetKey("dq_evaluated_rows")],
    group_name="quality",
    kinds={"parquet"},
    owners=OWNERS,
    tags=tags("quality"),
)
def dq_summary(lake: Lake) -> dg.MaterializeResult:
    """Data quality over every landed file: each file's latest evaluation (rows in/good/bad, score, failed checks).

    Read from the history the quality step leaves in the lake (`dq_history/`); the per-run history of one file is
    in the warehouse table `movies.dq_history` and in `quality-movies history --file KEY`.
    """
    runs = _latest_runs(lake)
    scores = runs["score_pct"].drop_nulls()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": runs.height,
            "files": runs.height,
            "files_with_failed_checks": runs.filter(pl.col("failed_checks") != "").height,
            "rows_in": int(runs["rows_in"].sum()),
            "rows_good": int(runs["rows_good"].sum()),
            "rows_bad": int(runs["rows_bad"].sum()),
            "mean_score_percent": round(float(scores.mean()), 1) if scores.len() else float("nan"),
            "lowest_score_percent": float(scores.min()) if scores.len() else float("nan"),
            "files_table": dg.MetadataValue.md(markdown_table(runs.drop("run_id"))),
        }
    )
