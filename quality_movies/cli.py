"""`quality-movies`: run the pipeline, or only its quality stage, from a terminal.

Only `demo`, `replay` (and `sql`, for the warehouse resource) need Dagster; it is imported there, so that `lint`,
`validate`, `recommend`, `bad-rows` and `history` start fast.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path

from quality_movies.lake_commands import LAKE_COMMANDS, add_lake_commands, run_lake_command
from quality_movies.quality_commands import QUALITY_COMMANDS, add_quality_commands, run_quality_command

SAMPLE = Path(__file__).parent / "sample" / "imdb_movies_rating.csv"


def _demo(args: argparse.Namespace) -> int:
    from quality_movies.definitions import local_home
    from quality_movies.demo import print_summary, run_demo

    summary = run_demo(args.file, local_home(), verbose=args.verbose)
    if args.json:
        print(json.dumps(summary))
    else:
        print_summary(summary)
    return 0 if summary["success"] else 1


def _replay(args: argparse.Namespace) -> int:
    from quality_movies.definitions import local_home
    from quality_movies.replay import print_replay, run_replay

    reports = run_replay(args.file, local_home(), verbose=args.verbose)
    if args.json:
        print(json.dumps(reports))
    else:
        print_replay(reports)
    return 0 if all(report["success"] for report in reports) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="quality-movies", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="land a file locally and run the whole graph for it")
    demo.add_argument("--file", type=Path, default=SAMPLE, help="CSV to land (default: the bundled IMDb sample)")
    demo.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    demo.add_argument(
        "--verbose", action="store_true", help="also print Dagster's own log, with stack traces, to stderr"
    )
    replay = commands.add_parser(
        "replay", help="re-run quarantined files under the current ruleset: rows that now pass load, the rest stay"
    )
    replay.add_argument("--file", metavar="KEY", help="the landed file's key (default: every file with a quarantine)")
    replay.add_argument("--json", action="store_true", help="print one JSON list, an object per file")
    replay.add_argument("--verbose", action="store_true", help="also print Dagster's own log to stderr")
    add_quality_commands(commands)
    add_lake_commands(commands)
    args = parser.parse_args(argv)

    if args.command in QUALITY_COMMANDS:
        return run_quality_command(parser, args)
    if args.command in LAKE_COMMANDS:
        return run_lake_command(args)
    if args.command == "replay":
        return _replay(args)
    if not args.file.is_file():
        parser.error(f"{args.file} is not a file")
    return _demo(args)


def console() -> None:
    """The `quality-movies` command: `main`, then the exit without a last sweep of the garbage collector.

    At exit Python collects while it tears down every module, which costs Dagster's commands 0.4 s for nothing:
    the process ends anyway. Frozen objects are out of the collector's sight; reference counting still closes
    files and the atexit handlers (the embedded warehouse's) still run.
    """
    status = main()
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    console()
