"""The data-quality history in the lake and the warehouse, and the DQ summary over every file.

The quality step stores each evaluation's history as Parquet in the lake (`store_history`, also when the
ruleset stops the file); the warehouse load step copies its run's history into `movies.dq_history`
(`replace_run_history`), one transaction that first deletes the rows of that file and run, so a retried or
re-executed step replaces them, never doubles them. `dq_summary` reads each file's latest history from the lake.
"""

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any

import dagster as dg
import polars as pl

from quality_movies.assets.metadata import OWNERS, markdown_table, tags
from quality_movies.history import HISTORY_FILE, HISTORY_SCHEMA, history_rows, runs_table
from quality_movies.resources.lake import DQ_HISTORY, Lake, file_output_prefix, run_output_key
from quality_movies.resources.warehouse import MAX_BIND_PARAMETERS, WarehouseSession
from quality_movies.resources.warehouse_session import created_concurrently, quote_identifier

HISTORY_TABLE = "dq_history"
# The warehouse table's columns, in `sql/history_create_table.sql`'s order: the lake's partition columns first.
WAREHOUSE_COLUMNS = ("source_file", "run_id", *(name for name in HISTORY_SCHEMA if name != "landed_key"))
ROWS_PER_INSERT = MAX_BIND_PARAMETERS // len(WAREHOUSE_COLUMNS)


def history_key(partition_key: str, run_id: str) -> str:
    """Where one run's history of one file lies in the lake."""
    return run_output_key(DQ_HISTORY, partition_key, run_id, HISTORY_FILE)


def store_history(
    lake: Lake, context: dg.AssetExecutionContext, summary: Mapping[str, Any], names: Mapping[str, str], key: str
) -> str:
    """Write this evaluation's history of the file to the lake (replacing this run's, if retried); its key."""
    evaluated_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    buffer = io.BytesIO()
    history_rows(summary, names, key, evaluated_at).write_parquet(buffer, compression="snappy")
    stored = history_key(context.partition_key, context.run_id)
    lake.write_bytes(stored, buffer.getvalue())
    return stored


def read_history(lake: Lake, key: str) -> pl.DataFrame:
    """One stored history file, from a local folder or S3."""
    return pl.read_parquet(lake.uri(key), storage_options=lake.storage_options(), glob=False)


def latest_file_history(lake: Lake, partition_key: str) -> tuple[str, pl.DataFrame] | None:
    """(run id, history) of the file's latest evaluation in the lake, or None if it was never evaluated.

    The latest, not this run's: a re-execution of the load alone loads the history of the run that evaluated.
    """
    listed = lake.list_objects(file_output_prefix(DQ_HISTORY, partition_key))
    found = [obj for obj in listed if obj.key.endswith(f"/{HISTORY_FILE}")]
    if not found:
        return None
    newest = max(found, key=lambda obj: obj.last_modified).key
    return newest.split("/run_id=", 1)[1].split("/", 1)[0], read_history(lake, newest)


def _statement(session: WarehouseSession, name: str, **literals: str) -> str:
    return session.warehouse.statement(name, history=quote_identifier(HISTORY_TABLE), **literals)


def ensure_history_table(session: WarehouseSession) -> None:
    """Create `<schema>.dq_history` if missing (the schema exists: the load created it), also under a race."""
    if session.query_one("relation_exists", (session.warehouse.schema_name, HISTORY_TABLE))[0]:
        return
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
        read_history(lake, key).with_columns(run_id=pl.lit(key.split("/run_id=", 1)[1].split("/", 1)[0]))
        for key in latest_history_keys(lake)
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
