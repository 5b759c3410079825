"""Benchmark the quality stage against two baselines measured in the same run.

    python benchmarks/run.py [--sizes 1000000,5000000] [--repeat 2]

For each size, an IMDb-like CSV is generated once (cached, see generate.py) and four cases run,
each in a fresh process (cases.py): Polars reading the CSV alone (the floor), Polars streaming the
CSV into JSON Lines without any rule (what writing rows in the quarantine's format costs by itself),
the whole quality stage with the default ruleset (`validate_file`: outcome columns, contract,
good/bad/outcome files written), and the same rules in pandera's pandas backend doing the same
work. The best time of `--repeat` runs is kept (the machine may be shared); memory is the highest
peak seen. The pandas baseline needs about 5 GiB per million rows, so it only runs up to
`--pandas-max-rows`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from generate import imdb_like_csv

HERE = Path(__file__).resolve().parent
CASES = ("polars-read", "polars-copy", "quality-stage", "pandera-pandas")
GIB = 1024**3
# The targets for the whole stage.
FLOOR_RATIO_TARGET, PANDAS_SPEEDUP_TARGET, PEAK_TARGET = 2.0, 4.0, 2 * GIB


def measure(case: str, csv_path: Path, repeat: int) -> dict[str, Any]:
    """The best of `repeat` runs of one case, each in its own process."""
    runs = []
    for _ in range(repeat):
        out_dir = Path(tempfile.mkdtemp(prefix=f"bench-{case}-"))
        try:
            done = subprocess.run(
                [sys.executable, str(HERE / "cases.py"), case, str(csv_path), str(out_dir)],
                check=True,
                capture_output=True,
                text=True,
            )
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda run: run["seconds"])
    return best | {"peak_rss": max(r["peak_rss"] for r in runs), "peak_heap": max(r["peak_heap"] for r in runs)}


def _gib(size: int) -> str:
    return f"{size / GIB:.2f} GiB"


def report(rows: int, csv_path: Path, results: dict[str, dict[str, Any]]) -> list[str]:
    """Lines of the table for one size, with the ratios and the targets."""
    floor, copy, stage, pandas = (results.get(case) for case in CASES)
    lines = [
        f"\n{rows:,} rows, {csv_path.stat().st_size / 1e6:,.0f} MB ({csv_path})",
        f"  {'case':<16}{'seconds':>9}{'rows/s':>12}{'peak RSS':>11}{'peak heap':>11}{'÷ floor':>9}",
    ]
    for case, result in results.items():
        ratio = result["seconds"] / floor["seconds"]
        lines.append(
            f"  {case:<16}{result['seconds']:>9.2f}{rows / result['seconds']:>12,.0f}"
            f"{_gib(result['peak_rss']):>11}{_gib(result['peak_heap']):>11}{ratio:>8.1f}x"
        )
    to_floor = stage["seconds"] / floor["seconds"]
    lines += [
        f"  stage ÷ floor: {to_floor:.1f}x (target ≤ {FLOOR_RATIO_TARGET:g}x: "
        f"{_verdict(to_floor <= FLOOR_RATIO_TARGET)})",
        f"  writing alone (polars-copy) ÷ floor: {copy['seconds'] / floor['seconds']:.1f}x; "
        f"stage ÷ polars-copy: {stage['seconds'] / copy['seconds']:.1f}x",
        f"  stage peak RSS {_gib(stage['peak_rss'])} (target < {_gib(PEAK_TARGET)}: "
        f"{_verdict(stage['peak_rss'] < PEAK_TARGET)})",
    ]
    if pandas is None:
        return [*lines, "  pandera-pandas: not run at this size (see --pandas-max-rows)"]
    phases = ", ".join(f"{key} {pandas[key]:.2f} s" for key in ("read", "validate", "write"))
    speedup = pandas["seconds"] / stage["seconds"]
    rules_only = (pandas["read"] + pandas["validate"]) / stage["seconds"]
    return [
        *lines,
        f"  pandera-pandas phases: {phases}",
        f"  pandera-pandas ÷ stage: {speedup:.1f}x (target ≥ {PANDAS_SPEEDUP_TARGET:g}x: "
        f"{_verdict(speedup >= PANDAS_SPEEDUP_TARGET)}); pandas read + validate only ÷ stage: {rules_only:.1f}x",
        f"  good rows: stage {stage['rows_good']:,}, pandera-pandas {pandas['rows_good']:,}",
    ]


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,5000000", help="comma-separated row counts")
    parser.add_argument("--repeat", type=int, default=2, help="runs per case; the fastest is kept")
    parser.add_argument("--pandas-max-rows", type=int, default=1_000_000, help="largest size the pandas baseline runs")
    args = parser.parse_args(argv)
    for rows in (int(size) for size in args.sizes.split(",")):
        csv_path = imdb_like_csv(rows)
        cases = [case for case in CASES if case != "pandera-pandas" or rows <= args.pandas_max_rows]
        results = {case: measure(case, csv_path, args.repeat) for case in cases}
        if {result["rows"] for result in results.values()} != {rows}:
            raise SystemExit(f"a case did not read {rows} rows: {results}")
        print("\n".join(report(rows, csv_path, results)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
