"""The data-quality history: what every evaluation measured, per landed file and run.

Each evaluation of a file leaves one small table (a row per rule and metric, a few hundred rows at most) with
Glue's metric names (`Dataset.*.RowCount`, `Column.imdb_rating.Maximum`), each rule's outcome and failing rows,
and the run's rows in/good/bad and score. It is stored twice: as Parquet in the lake at
`dq_history/source_file=<partition key>/run_id=<run>/metrics.parquet` (Hive-style folders, so Athena reads
`source_file` and `run_id` as partition columns; the data itself holds neither name), and as rows of the
warehouse table `movies.dq_history` (assets/history.py). This module imports no Dagster: the CLI reads the
local lake's Parquet with it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import polars as pl

HISTORY_PREFIX = "dq_history"  # the lake's prefix (resources/lake.py DQ_HISTORY), spelled here without Dagster
HISTORY_FILE = "metrics.parquet"
PARTITION_DIR, RUN_DIR = "source_file=", "run_id="
HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "landed_key": pl.String(),  # the file's object key, e.g. input_data/imdb_movies_rating.csv
    "evaluated_at": pl.Datetime("us"),  # UTC
    "ruleset": pl.String(),
    "rows_in": pl.Int64(),
    "rows_good": pl.Int64(),  # null when the ruleset stopped the file before routing
    "rows_bad": pl.Int64(),
    "dq_score": pl.Float64(),  # passed rules over all rules; null for an empty ruleset
    "rules_passed": pl.Int64(),
    "rules_total": pl.Int64(),
    "rule_text": pl.String(),  # null only for a run without rules
    "check_name": pl.String(),
    "outcome": pl.String(),  # Passed | Failed | Error; null for an analyzer (metrics without a verdict)
    "severity": pl.String(),
    "failing_rows": pl.Int64(),  # null for rules without row-level outcomes
    "metric": pl.String(),  # null for a rule that reports no metric
    "metric_value": pl.Float64(),  # null when the metric could not be computed
}


def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def history_rows(
    summary: Mapping[str, Any], check_names: Mapping[str, str], landed_key: str, evaluated_at: dt.datetime
) -> pl.DataFrame:
    """One evaluation's history: a row per rule and metric (one row for a rule without metrics).

    `summary` is the stage's summary (`StageResult.summary`: counts, score, ruleset, `rules`); `check_names`
    names each rule's Dagster check.
    """
    rules = summary.get("rules") or []
    run = {
        "landed_key": landed_key,
        "evaluated_at": evaluated_at,
        "ruleset": summary.get("ruleset"),
        "rows_in": summary.get("rows_in"),
        "rows_good": summary.get("rows_good"),
        "rows_bad": summary.get("rows_bad"),
        "dq_score": summary.get("dq_score"),
        "rules_passed": sum(rule["outcome"] == "Passed" for rule in rules),
        "rules_total": len(rules),
    }
    rows = []
    for rule in rules:
        judged = {
            "rule_text": rule["rule"],
            "check_name": check_names.get(rule["rule"]),
            "outcome": rule["outcome"],
            "severity": rule.get("severity"),
            "failing_rows": rule.get("failing_rows"),
        }
        rows += _metric_rows(run | judged, rule.get("metrics"))
    for analyzer in summary.get("analyzers") or []:  # metrics without a verdict: outcome null
        rows += _metric_rows(run | {"rule_text": analyzer["analyzer"]}, analyzer.get("metrics"))
    return pl.DataFrame(rows or [run], schema=HISTORY_SCHEMA)


def _metric_rows(row: dict[str, Any], metrics: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """`row` once per metric (once with no metric when there is none)."""
    measured = metrics or {None: None}
    return [row | {"metric": metric, "metric_value": _finite(value)} for metric, value in measured.items()]


def local_history_files(lake_root: Path) -> list[tuple[str, Path]]:
    """(run id, path) of every history file in a local lake, oldest first."""
    found = (lake_root / HISTORY_PREFIX).glob(f"{PARTITION_DIR}*/{RUN_DIR}*/{HISTORY_FILE}")
    return [(path.parent.name.removeprefix(RUN_DIR), path) for path in sorted(found, key=lambda p: p.stat().st_mtime)]


def read_local_history(lake_root: Path, file: str | None = None) -> pl.DataFrame:
    """Every evaluation's history in a local lake, with its `run_id`; `file` keeps one landed file.

    `file` is the object key (`input_data/x.csv`) or the key under the landing prefix (`x.csv`).
    """
    frames = []
    for run_id, path in local_history_files(lake_root):
        frame = pl.read_parquet(path, glob=False)  # keys are data, never patterns
        if file is None or _names(file, frame["landed_key"][0], path.parent.parent.name):
            frames.append(frame.with_columns(run_id=pl.lit(run_id)))
    if not frames:
        return pl.DataFrame(schema={**HISTORY_SCHEMA, "run_id": pl.String()})
    return pl.concat(frames, how="vertical")


def _names(file: str, landed_key: str, partition_dir: str) -> bool:
    relative = unquote(partition_dir.removeprefix(PARTITION_DIR))
    return file in (landed_key, relative, landed_key.split("/", 1)[-1])


def runs_table(history: pl.DataFrame) -> pl.DataFrame:
    """One row per file and run, oldest first: rows in/good/bad, score as a percentage, failed rules."""
    failed = pl.col("check_name").filter(pl.col("outcome") != "Passed").unique(maintain_order=True)
    return (
        history.group_by("landed_key", "run_id", maintain_order=True)
        .agg(
            pl.col("evaluated_at").first(),
            *(pl.col(c).first() for c in ("rows_in", "rows_good", "rows_bad")),
            (pl.col("dq_score").first() * 100).round(1).alias("score_pct"),
            pl.format("{}/{}", pl.col("rules_passed").first(), pl.col("rules_total").first()).alias("rules_passed"),
            failed.str.join(", ").alias("failed_checks"),
        )
        .sort("landed_key", "evaluated_at")
        .rename({"landed_key": "file"})
    )


def latest_rules(history: pl.DataFrame) -> pl.DataFrame:
    """Each rule's outcome, failing rows and metrics in each file's latest evaluation."""
    latest = history.group_by("landed_key").agg(pl.col("evaluated_at").max())
    return history.join(latest, on=["landed_key", "evaluated_at"]).select(
        pl.col("landed_key").alias("file"), "check_name", "outcome", "failing_rows", "metric", "metric_value"
    )
