"""`quality-movies replay`: re-run quarantined files under the current ruleset and mapping.

What "re-evaluate the quarantined rows" means here: dataset rules (`RowCount`, `Uniqueness`, statistics) judge
the whole file, and a row's verdict can depend on the others, so the quarantined rows alone cannot be judged.
A replay therefore runs the file's partition again with the `replay_quarantine` job (the same steps as the
ingest): the whole file, as it is now under the landing prefix (the original, or a corrected version landed
over it), under the ruleset and mapping in force now. The load replaces the file's rows in the warehouse and
its quarantine in one commit, so the rows that now pass move to the warehouse, the rest stay quarantined, each
row is in exactly one place, and a second replay finds nothing more to move. The quality step writes the
evaluation to dq_history and the rule checks as in any run.

A loaded file has left the landing prefix with its load's commit: its newest archive copy is landed again first
and replayed as any landed file (`land_again_from_archive`, as the job's own `landed_file` does from the UI); a
file gone with no archive copy is refused. The quality step reads and archives exactly the version `landed_file`
fingerprinted: an archive copy is never read in place of the landed object.

The counts reported are read back from the lake and the warehouse before and after the run, not computed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from quality_movies.assets.landing import ETAG_TAG, LandedFileMissingError, land_again_from_archive
from quality_movies.definitions import resolved, resources_from_env
from quality_movies.demo import local_instance, run_partition
from quality_movies.jobs import REPLAY_TAG, replay_quarantine
from quality_movies.partitions import landed_files
from quality_movies.resources.lake import BAD_RECORDS, Lake, file_output_prefix
from quality_movies.resources.warehouse import Warehouse
from quality_movies.run_summary import summarize_run
from quality_movies.stage import SOURCE_ROW

PARTITION_DIR = "source_file="
BOUNDED = re.compile(r"~[0-9a-f]{32}(\.[^.]*)*$")  # `partitions.bounded_name`'s form of a name over 255 bytes


@dataclass(frozen=True)
class Placement:
    """Where a file's rows are at one moment: rows in the warehouse, record numbers in the quarantine."""

    warehouse_rows: int
    quarantined: frozenset[int]

    def counts(self) -> dict[str, int]:
        return {"warehouse_rows": self.warehouse_rows, "quarantined_rows": len(self.quarantined)}


def file_quarantine_key(lake: Lake, partition_key: str) -> str | None:
    """The file's quarantine: its newest `bad_records` object (the load removes earlier ones), or None."""
    return lake.newest_output(BAD_RECORDS, partition_key)


def quarantined_source_rows(lake: Lake, partition_key: str) -> frozenset[int]:
    """Record numbers (`source_row`) of the file's quarantined rows, read from the lake."""
    key = file_quarantine_key(lake, partition_key)
    if key is None:
        return frozenset()
    with lake.local_file(key) as path:
        rows = pl.scan_ndjson(path, schema={SOURCE_ROW: pl.Int64}).collect()[SOURCE_ROW]
    return frozenset(rows.to_list())


def warehouse_file_rows(warehouse: Warehouse, source_file: str) -> int:
    """Rows of `source_file` in the warehouse table (0 while the table does not exist)."""
    with warehouse.session() as session:
        if not session.query_one("relation_exists", (warehouse.schema_name, warehouse.table_name))[0]:
            return 0
        return session.count_file_rows(source_file)


def placement(lake: Lake, warehouse: Warehouse, partition_key: str) -> Placement:
    """Where the file's rows are now, read back from the warehouse and the lake."""
    source_file = lake.landing_key(partition_key)
    return Placement(warehouse_file_rows(warehouse, source_file), quarantined_source_rows(lake, partition_key))


def partition_of(lake: Lake, file: str) -> str:
    """The partition of a file named by its object key (`input_data/x.csv`) or its key under the prefix (`x.csv`)."""
    return lake.partition_key(file if file.startswith(f"{lake.landing_prefix}/") else f"{lake.landing_prefix}/{file}")


def quarantined_partitions(lake: Lake, instance: dg.DagsterInstance) -> list[str]:
    """Partitions of every file whose quarantine holds rows, in key order.

    Folder names are partition keys unless bounded (keys over 255 bytes): the known partitions and the landed files
    give the full key back for those, and a bounded folder neither of them explains is left out, since its name
    is not the file's key.
    """
    known = {*instance.get_dynamic_partitions(landed_files.name)}
    known |= {lake.partition_key(found.key) for found in lake.list_objects(lake.landing_prefix)}
    by_folder = {file_output_prefix(BAD_RECORDS, key): key for key in known}
    partitions = set()
    for found in lake.list_objects(BAD_RECORDS):
        folder = found.key.split("/run_id=")[0]
        name = folder.removeprefix(f"{BAD_RECORDS}/{PARTITION_DIR}")
        partitions.add(by_folder.get(folder) or (None if BOUNDED.search(name) else name))
    partitions.discard(None)
    return sorted(key for key in partitions if _holds_rows(lake, key))


def _holds_rows(lake: Lake, partition_key: str) -> bool:
    """Whether the file's quarantine has a record (JSON Lines: an empty quarantine is an empty object)."""
    key = file_quarantine_key(lake, partition_key)
    return key is not None and lake.describe(key).size > 0


@dataclass(frozen=True)
class Replay:
    """What every file's replay needs: where it runs."""

    home: Path
    instance: dg.DagsterInstance
    lake: Lake
    warehouse: Warehouse
    verbose: bool = False


def replay_file(replay: Replay, partition_key: str) -> dict[str, Any]:
    """Replay one file: its placement before and after, the rows moved each way, and the run's outcome."""
    lake, instance = replay.lake, replay.instance
    source_file = lake.landing_key(partition_key)
    before = placement(lake, replay.warehouse, partition_key)
    report: dict[str, Any] = {"source_file": source_file, "partition": partition_key, "before": before.counts()}
    try:
        archive = land_again_from_archive(lake, partition_key)
    except LandedFileMissingError as refused:
        unmoved = dict.fromkeys(
            ("landed_from_archive", "after", "moved_to_warehouse", "moved_to_quarantine", "still_quarantined")
        )
        return report | {"success": False, "refused": str(refused), "run_id": None, "error": str(refused)} | unmoved
    tags = {ETAG_TAG: lake.describe(source_file).etag, REPLAY_TAG: "cli"}  # the sensor sees this content taken
    run_id = run_partition(replay.home, replay_quarantine.name, partition_key, instance, replay.verbose, tags)
    summary = summarize_run(instance, run_id)
    run = instance.get_run_by_id(run_id)
    after = placement(lake, replay.warehouse, partition_key)
    return report | {
        "success": run is not None and run.status == dg.DagsterRunStatus.SUCCESS,
        "refused": None,
        "landed_from_archive": None if archive is None else lake.uri(archive),
        "run_id": run_id,
        "error": summary.get("error"),
        "after": after.counts(),
        "moved_to_warehouse": len(before.quarantined - after.quarantined),
        "moved_to_quarantine": len(after.quarantined - before.quarantined),
        "still_quarantined": len(before.quarantined & after.quarantined),
        "dq_result": summary.get("dq_result"),
        "checks": summary.get("checks"),
    }


def run_replay(
    file: str | None, home: Path, verbose: bool = False, instance: dg.DagsterInstance | None = None
) -> list[dict[str, Any]]:
    """Replay the named file (object key or key under the landing prefix), or every file with quarantined rows."""
    resources = resources_from_env(home)
    lake, warehouse = resolved(resources["lake"]), resolved(resources["warehouse"])
    replay = Replay(home, instance or local_instance(), lake, warehouse, verbose)
    partitions = [partition_of(lake, file)] if file else quarantined_partitions(lake, replay.instance)
    return [replay_file(replay, key) for key in partitions]


def report_lines(report: dict[str, Any]) -> list[str]:
    """One file's replay for the terminal: the headline, then the counts, indented."""
    before = report["before"]
    counts = f"{before['warehouse_rows']} in the warehouse, {before['quarantined_rows']} quarantined"
    if report["refused"]:
        return [f"{report['source_file']}: NOT replayed: {report['refused']}", f"  still: {counts}"]
    after = report["after"]
    state = "replayed" if report["success"] else f"replay FAILED ({report['error']})"
    return [
        f"{report['source_file']}: {state} in run {report['run_id']}",
        *([f"  landed again from {report['landed_from_archive']}"] if report["landed_from_archive"] else []),
        f"  moved from quarantine to warehouse: {report['moved_to_warehouse']}",
        f"  still quarantined: {report['still_quarantined']}"
        + (f" (newly quarantined: {report['moved_to_quarantine']})" if report["moved_to_quarantine"] else ""),
        f"  before: {counts}",
        f"  after: {after['warehouse_rows']} in the warehouse, {after['quarantined_rows']} quarantined",
        *([f"  data quality: {report['dq_result']}"] if report.get("dq_result") else []),
    ]


def print_replay(reports: list[dict[str, Any]]) -> None:
    """Each file's replay, or that there was nothing to replay."""
    if not reports:
        print("no file has quarantined rows: nothing to replay")
    for report in reports:
        print("\n".join(report_lines(report)))
