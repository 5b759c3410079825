"""Benchmark the one quality path against baselines measured in the same run.

    python benchmarks/run.py [--sizes 1000000,5000000] [--repeat 2] [--quick]

For each size an IMDb-like CSV (and, for the warehouse load, a CSV of good rows only) is generated once
(cached, see generate.py). Every case runs in a fresh process and the best of `--repeat` runs is kept
(the machine may be shared); memory is the highest peak seen. Three kinds of case:

- the work alone, in one process (cases.py): Polars reading the CSV (the floor), Polars streaming it to
  JSON Lines with no rule, `stage.run_stage` with the default ruleset, its quarantine pass alone (what any
  run writing that quarantine must do, against the plain copy), and the same rules in pandera's
  pandas backend (about 5 GiB per million rows, so only up to `--pandas-max-rows`), run by the interpreter of
  its own environment (`--pandas-python`; `make bench` makes .venv-pandas: pandas stays out of the project's);
- whole processes, as a user types them (processes.py): `python -c` streaming the CSV to JSON Lines
  with Polars alone, `quality-movies validate`, and `quality-movies demo --file` (the whole Dagster job,
  the embedded PostgreSQL and the outbox, in a home where `demo` ran once before on the sample);
- the warehouse load (load.py): the good rows `validate` staged, loaded into the embedded PostgreSQL by
  `replace_file_rows` (COPY), against the INSERT fallback on a slice of `--insert-rows` rows.

Then the fixed costs on small inputs (`lint` of the bundled ruleset, `validate` and a warm `demo` of the
1,000-row sample), and the issue's targets, each with its baseline, ratio and verdict.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generate import good_rows_csv, imdb_like_csv
from processes import HERE, RULESET, SAMPLE, child_env, polars_to_jsonl, quality_movies, run_process
from report import machine_line, size_lines, small_lines, target_lines

IN_PROCESS = ("polars-read", "polars-copy", "run_stage", "quarantine-pass")
Measured = dict[str, Any]


def best_of(repeat: int, run_once: Callable[[Path], Measured]) -> Measured:
    """The fastest of `repeat` runs, each in a fresh temporary folder, with the highest peaks of them all."""
    runs = []
    for _ in range(repeat):
        scratch = Path(tempfile.mkdtemp(prefix="quality_movies_bench-"))
        try:
            runs.append(run_once(scratch))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    best = min(runs, key=lambda run: run["seconds"])
    peaks = {key: max(run[key] for run in runs) for key in best if "peak" in key}
    return best | peaks


def in_process(
    case: str, input_path: Path, repeat: int, rows: int | None = None, python: str = sys.executable
) -> Measured:
    """One case of cases.py, the work alone timed inside its own fresh process (of `python`)."""
    script = [python, str(HERE / "cases.py"), case, str(input_path)]

    def once(scratch: Path) -> Measured:
        argv = [*script, str(scratch), *([str(rows)] if rows else [])]
        return run_process(argv, child_env(), scratch)["output"]

    return best_of(repeat, once)


def whole_validate(csv_path: Path, repeat: int) -> Measured:
    """`quality-movies validate FILE --out DIR --json`, the whole process."""
    return best_of(repeat, lambda scratch: _run(_validate_argv(csv_path, scratch), scratch))


def whole_polars_jsonl(csv_path: Path, repeat: int) -> Measured:
    """`python -c` with Polars alone streaming the CSV to JSON Lines, the whole process."""

    def once(scratch: Path) -> Measured:
        target = scratch / "rows.jsonl"
        return _run(polars_to_jsonl(csv_path, target), scratch) | {"output": {"rows_in": _count_lines(target)}}

    return best_of(repeat, once)


def whole_demo(csv_path: Path, repeat: int) -> Measured:
    """`quality-movies demo --file FILE --json`, the whole process, in a home used once before (warm)."""

    def once(scratch: Path) -> Measured:
        _run(quality_movies("demo", "--json"), scratch, home=scratch / "home")  # initdb, table and view: not timed
        return _run(quality_movies("demo", "--file", csv_path, "--json"), scratch, home=scratch / "home")

    return best_of(repeat, once)


def warehouse_load(rows: int, insert_rows: int, repeat: int) -> dict[str, Measured]:
    """The COPY load of `rows` good rows, and the INSERT fallback on the first `insert_rows` of them."""
    with tempfile.TemporaryDirectory(prefix="quality_movies_bench-stage-") as staged:
        out = Path(staged) / "validated"
        summary = _run(_validate_argv(good_rows_csv(rows), out), Path(staged))
        if (summary["output"]["rows_good"], summary["output"]["rows_bad"]) != (rows, 0):
            raise SystemExit(f"the good-rows file is not all good: {summary['output']}")
        parquet = out / "good_rows.parquet"
        return {
            "warehouse-copy": in_process("warehouse-copy", parquet, repeat),
            "warehouse-insert": in_process("warehouse-insert", parquet, repeat, rows=min(insert_rows, rows)),
        }


def _validate_argv(csv_path: Path, out_dir: Path) -> list[str]:
    return quality_movies("validate", csv_path, "--out", out_dir, "--json")


def _run(argv: list[str], scratch: Path, home: Path | None = None) -> Measured:
    """A whole process in `scratch`; `home` is its QUALITY_MOVIES_HOME, whose PostgreSQL is watched."""
    return run_process(argv, child_env(home), scratch, watch=home / "warehouse" if home else None)


def _count_lines(path: Path) -> int:
    with path.open("rb") as file:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))


def measure_size(rows: int, args: argparse.Namespace) -> dict[str, Measured]:
    """Every case on a file of `rows` rows; stops if a case did not see all the rows."""
    csv_path = imdb_like_csv(rows)
    results = {case: in_process(case, csv_path, args.repeat) for case in IN_PROCESS}
    if args.pandas_python and rows <= args.pandas_max_rows:
        results["pandera-pandas"] = in_process("pandera-pandas", csv_path, args.repeat, python=args.pandas_python)
    results["polars-jsonl"] = whole_polars_jsonl(csv_path, args.repeat)
    results["validate"] = whole_validate(csv_path, args.repeat)
    results["demo"] = whole_demo(csv_path, args.repeat)
    if rows <= args.load_max_rows:
        results |= warehouse_load(rows, args.insert_rows, args.repeat)
    _check_rows(rows, results)
    return results


def _check_rows(rows: int, results: dict[str, Measured]) -> None:
    partial = ("warehouse-insert", "quarantine-pass")  # a slice; the bad rows only
    seen = {case: result.get("rows", (result.get("output") or {}).get("rows_in")) for case, result in results.items()}
    wrong = {case: count for case, count in seen.items() if count != rows and case not in partial}
    if wrong:
        raise SystemExit(f"cases that did not see {rows:,} rows: {wrong}")
    bad = rows - results["run_stage"]["rows_good"]
    if results["quarantine-pass"]["rows_bad"] != bad:
        raise SystemExit(
            f"the quarantine pass wrote {results['quarantine-pass']['rows_bad']:,} rows, run_stage {bad:,}"
        )
    if results.get("demo") and not results["demo"]["output"]["success"]:
        raise SystemExit(f"the demo run failed: {results['demo']['output']}")


def measure_small(repeat: int) -> dict[str, Measured]:
    """The fixed costs: `lint` of the bundled ruleset, `validate` and a warm `demo` of the 1,000-row sample."""
    lint = best_of(repeat, lambda scratch: _run(quality_movies("lint", RULESET), scratch))
    validate = best_of(repeat, lambda scratch: _run(_validate_argv(SAMPLE, scratch), scratch))
    with tempfile.TemporaryDirectory(prefix="quality_movies_bench-home-") as home_dir:
        home = Path(home_dir) / "home"
        demo_argv = quality_movies("demo", "--json")
        _run(demo_argv, Path(home_dir), home=home)  # the first run in a home creates the cluster: not timed
        demo = best_of(repeat, lambda scratch: _run(demo_argv, scratch, home=home))
    return {"lint": lint, "validate-sample": validate, "demo-sample-warm": demo}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,5000000", help="comma-separated row counts")
    parser.add_argument("--repeat", type=int, default=2, help="runs per case; the fastest is kept")
    parser.add_argument("--quick", action="store_true", help="a sanity run: 200,000 rows, one run per case")
    parser.add_argument(
        "--pandas-python",
        help="the interpreter of the pandas baseline's environment (make bench: .venv-pandas); without it, no baseline",
    )
    parser.add_argument("--pandas-max-rows", type=int, default=1_000_000, help="largest size the pandas baseline runs")
    parser.add_argument("--load-max-rows", type=int, default=1_000_000, help="largest size the warehouse load runs")
    parser.add_argument("--insert-rows", type=int, default=20_000, help="rows the INSERT baseline loads")
    args = parser.parse_args(argv)
    if args.pandas_python:  # cases run in scratch folders; not resolved: a venv's python is a link out of the venv
        args.pandas_python = os.path.abspath(args.pandas_python)
    if args.quick:
        args.sizes, args.repeat = "200000", 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(machine_line("start", args.repeat), flush=True)
    by_size = {}
    for rows in (int(size) for size in args.sizes.split(",")):
        by_size[rows] = measure_size(rows, args)
        print("\n".join(size_lines(rows, imdb_like_csv(rows), by_size[rows])), flush=True)
    small = measure_small(args.repeat)
    print("\n".join(small_lines(small)), flush=True)
    print("\n".join(target_lines(by_size, small)))
    print(machine_line("end", args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
