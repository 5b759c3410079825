"""`quality-movies bad-rows | history | sql`: the quarantine, the data-quality history and the warehouse at hand.

`bad-rows` reads the local lake's JSON Lines directly and `history` its Parquet (with Polars); neither imports
Dagster. `sql` goes through the
project's own connection (the warehouse resource: `redshift_connector`, through the loopback adapter for
the embedded PostgreSQL, or Redshift when the environment names one), which is a Dagster resource.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

# The local lake's layout (resources/lake.py): bad_records/source_file=<partition key>/run_id=<run>/….
BAD_RECORDS_FILE = Path("lake") / "bad_records"
PARTITION_DIR = "source_file="
REASON_COLUMNS = ("DataQualityRulesFail", "ContractViolations")
LABEL_COLUMN = "series_title"
LAKE_COMMANDS = ("bad-rows", "history", "sql")
RUN_ID_SHOWN = 8  # as the Dagster UI shortens run ids


def _home() -> Path:
    """`QUALITY_MOVIES_HOME` as definitions.local_home reads it, without importing Dagster."""
    return Path(os.environ.get("QUALITY_MOVIES_HOME", ".quality_movies")).resolve()


def _landed_key(partition_dir: Path) -> str:
    # Partition keys percent-encode exactly %, / and , (partitions.py), so unquoting is their exact inverse.
    prefix = os.environ.get("QUALITY_MOVIES_LANDING_PREFIX", "input_data")
    return f"{prefix}/{unquote(partition_dir.name.removeprefix(PARTITION_DIR))}"


def latest_quarantines(home: Path) -> dict[str, Path]:
    """Each landed file's quarantine of its latest run, by the file's object key."""
    found: dict[str, Path] = {}
    for partition_dir in sorted((home / BAD_RECORDS_FILE).glob(f"{PARTITION_DIR}*")):
        runs = sorted(partition_dir.glob("run_id=*/*.jsonl"), key=lambda path: path.stat().st_mtime)
        if runs:
            found[_landed_key(partition_dir)] = runs[-1]
    return found


def reasons(record: dict[str, Any]) -> list[str]:
    """Why a quarantined row is bad: its failed rules, then its parse, type and contract violations."""
    return [str(reason) for column in REASON_COLUMNS for reason in record.get(column) or []]


def bad_rows(home: Path, file: str | None = None, rule: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file key, record) of each quarantined row, file by file; `file` keeps one file (its key, with or without
    the landing prefix), `rule` the rows with a reason containing that text (case-insensitive)."""
    for key, path in latest_quarantines(home).items():
        if file is not None and file not in (key, key.split("/", 1)[-1]):
            continue
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                if rule is None or any(rule.lower() in reason.lower() for reason in reasons(record)):
                    yield key, record


def bad_row_line(key: str, record: dict[str, Any]) -> str:
    """`<file> row <n> (<title>): <reason>; <reason>`."""
    label = record.get(LABEL_COLUMN)
    return (
        f"{key} row {record.get('source_row')}" + (f" ({label})" if label else "") + ": " + "; ".join(reasons(record))
    )


def _bad_rows(args: argparse.Namespace) -> int:
    home = _home()
    if not latest_quarantines(home):
        print(f"quality-movies bad-rows: no quarantine under {home / BAD_RECORDS_FILE}", file=sys.stderr)
        return 1
    shown = 0
    for key, record in bad_rows(home, args.file, args.rule):
        if shown == args.limit:
            print(f"(first {shown} shown; --limit N for more)")
            return 0
        print(json.dumps({"file": key, **record}) if args.json else bad_row_line(key, record))
        shown += 1
    if shown == 0:
        print("no quarantined row matches", file=sys.stderr)
    return 0


def _cell(value: Any) -> str:
    return "NULL" if value is None else str(value)


def table_text(columns: list[str], rows: list[tuple]) -> str:
    """Rows as an aligned text table, with a header and a row count."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(columns)]
    lines = [" | ".join(name.ljust(width) for name, width in zip(columns, widths, strict=True))]
    lines.append("-+-".join("-" * width for width in widths))
    lines += [" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(line.rstrip() for line in lines)


def run_sql(statement: str, home: Path) -> tuple[list[str], list[tuple]]:
    """Column names and rows of `statement` on this environment's warehouse; nothing is committed."""
    from quality_movies.definitions import resolved, resources_from_env  # the warehouse is a Dagster resource

    warehouse = resolved(resources_from_env(home)["warehouse"])
    with warehouse.connection() as conn:
        cursor = conn.cursor()
        try:
            cursor.execute(statement)
            columns = [column[0] for column in cursor.description or []]
            rows = [tuple(row) for row in cursor.fetchall()] if columns else []
        finally:
            conn.rollback()  # a look, never a change: whatever the statement did is undone
    return columns, rows


def _server_message(error: Exception) -> str:
    """The server's own words (`column "x" does not exist`), not the driver's dictionary of fields."""
    fields = error.args[0] if error.args and isinstance(error.args[0], dict) else None
    return f"{fields.get('M')} (SQLSTATE {fields.get('C')})" if fields and fields.get("M") else str(error)


def _sql(args: argparse.Namespace) -> int:
    import redshift_connector

    try:
        columns, rows = run_sql(args.statement, _home())
    except redshift_connector.Error as error:
        print(f"quality-movies sql: {_server_message(error)}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=str))
    else:
        print(table_text(columns, rows))
    return 0


def _history(args: argparse.Namespace) -> int:
    import polars as pl

    from quality_movies.history import HISTORY_PREFIX, latest_rules, read_local_history, runs_table

    lake = _home() / "lake"
    history = read_local_history(lake, args.file)
    if history.is_empty():
        found = f" of {args.file}" if args.file else ""
        print(f"quality-movies history: no data-quality history{found} under {lake / HISTORY_PREFIX}", file=sys.stderr)
        return 1
    runs = runs_table(history).with_columns(
        pl.col("run_id").str.slice(0, RUN_ID_SHOWN), pl.col("evaluated_at").dt.strftime("%Y-%m-%d %H:%M:%S")
    )
    if args.json:
        print(runs.write_json())
        return 0
    print(table_text(runs.columns, runs.rows()))
    if args.file:  # one file: also each rule of its latest evaluation
        rules = latest_rules(history).drop("file")
        print(f"\nlatest evaluation, by rule:\n{table_text(rules.columns, rules.rows())}")
    return 0


def add_lake_commands(commands: argparse._SubParsersAction) -> None:
    """The `bad-rows`, `history` and `sql` subcommands."""
    bad = commands.add_parser("bad-rows", help="print quarantined rows with their reasons (latest run per file)")
    bad.add_argument("--file", help="only this landed file (e.g. imdb_movies_rating.csv or input_data/…)")
    bad.add_argument("--rule", help="only rows with a reason containing this text (case-insensitive)")
    bad.add_argument("--limit", type=int, default=20, help="print at most N rows (default 20)")
    bad.add_argument("--json", action="store_true", help="one JSON object per row, with every column")
    history = commands.add_parser(
        "history", help="print each file's data-quality runs: rows in/good/bad, score, failed checks"
    )
    history.add_argument("--file", help="only this landed file, with each rule of its latest evaluation")
    history.add_argument("--json", action="store_true", help="print the runs as a JSON list of objects")
    sql = commands.add_parser("sql", help="run a query on the warehouse through the project's connection")
    sql.add_argument("statement", help='e.g. "select count(*) from movies.imdb_movies_rating"')
    sql.add_argument("--json", action="store_true", help="print the rows as a JSON list of objects")


def run_lake_command(args: argparse.Namespace) -> int:
    """Run `bad-rows`, `history` or `sql`; the exit code."""
    return {"bad-rows": _bad_rows, "history": _history, "sql": _sql}[args.command](args)
