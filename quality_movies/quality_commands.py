"""`quality-movies validate | lint | recommend`: the quality stage alone, no Dagster, no warehouse.

Arguments and printing only; the work is in `stage.py`, `ruleset_config.py` and the DQDL engine.
Exit codes: 0 done; 1 the data would stop the run or block the load, or cannot be read as needed;
2 a usage or ruleset problem (with the file, line, column and what was expected).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from quality_movies import dqdl
from quality_movies.dqdl.catalogue import spec_for
from quality_movies.dqdl.dynamic import is_dynamic
from quality_movies.ruleset_config import RulesetConfigError, load_ruleset, sidecar_path, syntax_message


def _validate(args: argparse.Namespace) -> int:
    from quality_movies import stage  # the stage brings pandera along: `lint` does without it
    from quality_movies.contract import MissingColumnsError

    config = load_ruleset(args.rules, mapping=args.mapping)
    out = args.out or Path(f"{args.file.stem}_validated")
    history = _local_history(config.path)
    try:
        summary = stage.run_stage(args.file, config, out, contract=not args.no_contract, history=history).summary
    except MissingColumnsError as error:
        hint = " (use --no-contract for a file not bound for the warehouse)" if not args.no_contract else ""
        print(f"quality-movies validate: {error}{hint}", file=sys.stderr)
        return 1
    except stage.UnreadableFileError as error:
        print(f"quality-movies validate: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summary))
    else:
        _print_validation(summary)
    return 1 if summary["stopped"] or summary["blocked_by"] else 0


def _print_validation(summary: dict[str, Any]) -> None:
    print(f"{summary['source']} against {summary['ruleset']}")
    if summary["column_mapping"]["columns"] or summary["column_mapping"]["casts"]:
        print(f"  columns mapped by {summary['column_mapping']['mapping']}")
    if summary["columns_left_out"]:
        print(f"  not loaded (kept in the quarantine's text): {', '.join(summary['columns_left_out'])}")
    if summary["double_encoded"]:
        counts = ", ".join(f"{name} {count}" for name, count in summary["double_encoded"].items())
        done = "repaired" if summary["repair_double_encoding"] else "as landed (repair_double_encoding = true repairs)"
        print(f"  double-encoded values in the first {summary['double_encoded_sample_rows']} records: {counts}; {done}")
    if summary["stopped"]:
        print(f"  STOPPED, no row routed: {summary['stopped']}")
    else:
        print(f"  rows in {summary['rows_in']}: {summary['rows_good']} good, {summary['rows_bad']} bad")
    print(f"  data quality: {summary['dq_result']}")
    for rule in summary["rules"]:
        settings = rule["severity"] + (", blocking" if rule["blocking"] else "")
        failed = f" ({rule['failing_rows']} rows failed)" if rule["failing_rows"] else ""
        reason = f": {rule['reason']}" if rule["outcome"] != "Passed" and rule["reason"] else ""
        print(f"  {rule['outcome']:<6} [{settings}] {rule['rule']}{failed}{reason}")
    if summary["blocked_by"]:
        print(f"  warehouse load blocked by: {'; '.join(summary['blocked_by'])}")
    for name, path in summary["outputs"].items():
        print(f"  {name}: {path}")


def _local_history(ruleset: Path):
    """Previous evaluations of the ruleset in the local lake (`$QUALITY_MOVIES_HOME/lake`), if it has any."""
    from quality_movies.metric_history import local_history

    home = Path(os.environ.get("QUALITY_MOVIES_HOME", ".quality_movies")).resolve()
    return local_history(home / "lake", ruleset)


_HISTORY_NOTE = (
    "is judged against previous runs' metrics (the lake's dq_history; `validate` reads $QUALITY_MOVIES_HOME/lake); "
    "with too little history it is in Error"
)
_ERROR_STOPS = 'a rule in Error stops the file unless its settings say on_error = "ignore"'


def _lint(args: argparse.Namespace) -> int:
    """Each top-level rule in canonical DQDL on stdout; rules this engine cannot evaluate noted on stderr."""
    try:
        ruleset = dqdl.parse(args.ruleset.read_text(encoding="utf-8"))
    except dqdl.DqdlSyntaxError as error:
        print(syntax_message(args.ruleset, error), file=sys.stderr)
        return 2
    if sidecar_path(args.ruleset).is_file():
        load_ruleset(args.ruleset)  # its settings must name rules of this ruleset
    for rule in ruleset.rules:
        print(rule.render())
        leaves = rule.leaves() if isinstance(rule, dqdl.Composite) else [rule]
        for why in sorted({spec_for(leaf.rule_type).unsupported or "" for leaf in leaves} - {""}):
            print(f"note: {rule.render()} will be reported as Error: it {why}; {_ERROR_STOPS}", file=sys.stderr)
        if any(leaf.rule_type == "DetectAnomalies" or is_dynamic(leaf.condition) for leaf in leaves):
            print(
                f"note: {rule.render()} {_HISTORY_NOTE} (needs the results of previous runs); {_ERROR_STOPS}",
                file=sys.stderr,
            )
    return 0


def _recommend(args: argparse.Namespace) -> int:
    from quality_movies import stage

    config = load_ruleset(args.rules, mapping=args.mapping)  # its mapping, missing-value tokens and repairs
    try:
        frame = stage.read_as_crawled(
            args.file, mapping=config.mapping, null_tokens=config.null_tokens, repair=config.repair_double_encoding
        )
    except stage.UnreadableFileError as error:
        print(f"quality-movies recommend: {error}", file=sys.stderr)
        return 1
    print(f"# Recommended by `quality-movies recommend` from {args.file.name} ({frame.height} rows).")
    print("# Every rule passes on that file: tighten or drop rules before using it as a contract.")
    print(dqdl.recommend(frame), end="")
    return 0


QUALITY_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "validate": _validate,
    "lint": _lint,
    "recommend": _recommend,
}


def add_quality_commands(commands: argparse._SubParsersAction) -> None:
    """Register `validate`, `lint` and `recommend` on the CLI's subcommands."""
    validate = commands.add_parser("validate", help="run only the quality stage on a CSV and write its outputs")
    validate.add_argument("file", type=Path, help="CSV file (every field is read as text)")
    validate.add_argument("--rules", type=Path, help="DQDL ruleset (default: $QUALITY_MOVIES_RULESET or the bundled)")
    validate.add_argument("--out", type=Path, help="folder for the outputs (default: ./<file name>_validated)")
    validate.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    validate.add_argument("--no-contract", action="store_true", help="rules only: the file is not for the warehouse")
    validate.add_argument(
        "--mapping", type=Path, help="column mapping (default: $QUALITY_MOVIES_MAPPING or the sidecar's)"
    )
    lint = commands.add_parser("lint", help="parse a ruleset (and its .toml settings) without data")
    lint.add_argument("ruleset", type=Path, help="DQDL ruleset file")
    recommend = commands.add_parser("recommend", help="profile a CSV and print a DQDL ruleset that passes on it")
    recommend.add_argument("file", type=Path, help="CSV file")
    recommend.add_argument(
        "--rules", type=Path, help="ruleset whose settings (null_tokens, mapping, repair_double_encoding) apply"
    )
    recommend.add_argument(
        "--mapping", type=Path, help="column mapping (default: $QUALITY_MOVIES_MAPPING or the sidecar's)"
    )


def run_quality_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run the parsed quality subcommand; ruleset problems exit 2 with the file and the place."""
    given = args.ruleset if args.command == "lint" else args.file
    if not given.is_file():
        parser.error(f"{given} is not a file")
    try:
        return QUALITY_COMMANDS[args.command](args)
    except RulesetConfigError as error:
        print(error, file=sys.stderr)
        return 2
