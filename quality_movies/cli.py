"""`quality-movies`: run the pipeline, or only its quality stage, from a terminal."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import dagster as dg

from quality_movies.definitions import build_definitions, local_home, resolved, resources_from_env
from quality_movies.partitions import landed_files
from quality_movies.quality_commands import QUALITY_COMMANDS, add_quality_commands, run_quality_command
from quality_movies.resources.lake import BAD_RECORDS, PROCESSED, RULE_OUTCOME
from quality_movies.run_summary import summarize_run

# The summary is the demo's output; Dagster's console log shows only warnings and errors.
QUIET_RUN = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
SAMPLE = Path(__file__).parent / "sample" / "imdb_movies_rating.csv"


def _instance() -> dg.DagsterInstance:
    """The instance `dagster dev` uses when DAGSTER_HOME is set (runs then show in the UI)."""
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def run_demo(file: Path, home: Path) -> dict[str, Any]:
    """Land `file`, materialize the whole graph for it with every check, and summarise."""
    lake = resolved(resources_from_env(home)["lake"])
    key = f"{lake.landing_prefix}/{file.name}"
    lake.put_file(file, key)
    partition_key = lake.partition_key(key)
    instance = _instance()
    instance.add_dynamic_partitions(landed_files.name, [partition_key])
    job = build_definitions(home).resolve_job_def("ingest_landed_file")
    result = job.execute_in_process(
        partition_key=partition_key,
        instance=instance,
        raise_on_error=False,
        run_config=QUIET_RUN,
    )
    summary = summarize_run(instance, result.run_id)
    summary["success"] = result.success
    summary["lake"] = {
        "input": lake.uri(key),
        "bad_records": summary.pop("bad_records"),
        "rule_outcome": summary.pop("rule_outcome"),
        "processed": lake.uri(PROCESSED),
        "bad_records_prefix": lake.uri(BAD_RECORDS),
        "rule_outcome_prefix": lake.uri(RULE_OUTCOME),
    }
    return summary


def _print_summary(summary: dict[str, Any]) -> None:
    status = "succeeded" if summary["success"] else "FAILED"
    print(f"Run {summary['run_id']} {status} for {summary['source_file']}")
    print(f"  rows in {summary['rows_in']}: {summary['rows_good']} good, {summary['rows_bad']} bad")
    print(f"  data quality: {summary['dq_result']}")
    print(f"  warehouse: {summary['warehouse_rows']} rows of this file in movies.imdb_movies_rating")
    print(f"  view: movies.year_aggregated_genre counts {summary['mv_movie_count_total']} movies")
    for name, passed in summary["checks"].items():
        print(f"  check {name}: {'passed' if passed else 'FAILED'}")
    print(f"  bad records: {summary['lake']['bad_records']}")
    print(f"  rule outcomes: {summary['lake']['rule_outcome']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="quality-movies", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="land a file locally and run the whole graph for it")
    demo.add_argument("--file", type=Path, default=SAMPLE, help="CSV to land (default: the bundled IMDb sample)")
    demo.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_quality_commands(commands)
    args = parser.parse_args(argv)

    if args.command in QUALITY_COMMANDS:
        return run_quality_command(parser, args)
    if not args.file.is_file():
        parser.error(f"{args.file} is not a file")
    summary = run_demo(args.file, local_home())
    if args.json:
        print(json.dumps(summary))
    else:
        _print_summary(summary)
    return 0 if summary["success"] else 1


if __name__ == "__main__":
    sys.exit(main())
