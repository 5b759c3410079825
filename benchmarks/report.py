"""The benchmark's printout: a table per size, the fixed costs, then the targets with their verdicts."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from memory import GIB, MIB

Measured = dict[str, Any]
# The issue "One quality path": the time ratios and the load are stated at 1M rows, the demo's memory at 5M.
DEMO_TO_VALIDATE, DEMO_PEAK = 1.5, 1 * GIB
LOAD_ROWS_PER_SECOND, BACKEND_PEAK = 150_000, 300 * MIB
VALIDATE_TO_POLARS = 2.0
DEMO_WARM_SECONDS, SMALL_COMMAND_SECONDS = 3.0, 0.8
LABELS = {
    "polars-read": "Polars read (floor)",
    "polars-copy": "Polars CSV → JSON Lines, no rules",
    "run_stage": "stage.run_stage",
    "quarantine-pass": "its quarantine pass alone (bad rows)",
    "pandera-pandas": "pandera-pandas, same rules",
    "polars-jsonl": "python -c Polars CSV → JSON Lines",
    "validate": "quality-movies validate",
    "demo": "quality-movies demo --file",
    "warehouse-copy": "replace_file_rows, COPY",
    "warehouse-insert": "replace_file_rows, INSERT fallback",
}
SHORT = {
    "polars-read": "floor",
    "polars-copy": "copy",
    "run_stage": "run_stage",
    "polars-jsonl": "python -c",
    "validate": "validate",
}
SECTIONS = {
    "polars-read": "the work alone, in one process (imports and set-up not timed):",
    "polars-jsonl": "whole processes, as typed:",
    "warehouse-copy": "warehouse load of good rows into the embedded PostgreSQL (the work alone):",
}


def machine_line(when: str, repeat: int) -> str:
    """When, on how many cores, how loaded the machine is (other people's work skews the figures)."""
    loads = ", ".join(f"{load:.2f}" for load in os.getloadavg())
    now = dt.datetime.now().isoformat(timespec="seconds")
    return f"[{when} {now}] {os.cpu_count()} cores, load average {loads}; best of {repeat} runs per case"


def _rate(rows_per_second: float) -> str:
    if rows_per_second >= 1e6:
        return f"{rows_per_second / 1e6:.2f}M"
    return f"{rows_per_second / 1e3:.0f}k" if rows_per_second >= 1e5 else f"{rows_per_second / 1e3:.1f}k"


def _gib(size: int | None) -> str:
    return "-" if size is None else f"{size / GIB:.2f} GiB"


def _mib(size: int) -> str:
    return f"{size / MIB:.0f} MiB"


def _rows(result: Measured) -> int:
    """The rows a case handled: all the file's, a slice of them (the INSERT load), or the bad ones it wrote."""
    for key in ("rows", "rows_bad"):
        if key in result:
            return result[key]
    return result["output"]["rows_in"]


def _notes(case: str, results: dict[str, Measured]) -> str:
    """The case against its baseline, and what else it measured."""
    seconds = results[case]["seconds"]
    baselines = {
        "polars-read": "polars-read",
        "polars-copy": "polars-read",
        "run_stage": "polars-read",
        "quarantine-pass": "polars-copy",
        "pandera-pandas": "run_stage",
        "validate": "polars-jsonl",
        "demo": "validate",
    }
    base = baselines.get(case)
    notes = [f"{seconds / results[base]['seconds']:.2f}x {SHORT[base]}"] if base in results and base != case else []
    if case == "demo":
        notes.append(f"PostgreSQL peak {_gib(results[case]['postgres_peak_rss'])} (its processes summed)")
    if case.startswith("warehouse-"):
        result = results[case]
        notes.append(f"backend peak {_mib(result['backend_peak_rss'])} ({_mib(result['backend_peak_anon'])} own)")
    if case == "warehouse-insert" and "warehouse-copy" in results:
        notes.append(f"COPY loads {_load_speedup(results):.1f}x the rows/s")
    return "; ".join(notes)


def _load_speedup(results: dict[str, Measured]) -> float:
    copy, insert = results["warehouse-copy"], results["warehouse-insert"]
    return (copy["rows"] / copy["seconds"]) / (insert["rows"] / insert["seconds"])


def size_lines(rows: int, csv_path: Path, results: dict[str, Measured]) -> list[str]:
    """The table of one size."""
    lines = [
        f"\n{rows:,} rows, {csv_path.stat().st_size / 1e6:,.0f} MB ({csv_path})",
        f"  {'case':<40}{'seconds':>8}{'rows':>11}{'rows/s':>9}{'peak RSS':>11}{'peak anon':>11}  vs baseline",
    ]
    for case, result in results.items():
        if case in SECTIONS:
            lines.append(f"  {SECTIONS[case]}")
        count = _rows(result)
        lines.append(
            f"    {LABELS[case]:<38}{result['seconds']:>8.2f}{count:>11,}{_rate(count / result['seconds']):>9}"
            f"{_gib(result['peak_rss']):>11}{_gib(result.get('peak_heap')):>11}  {_notes(case, results)}"
        )
    return lines


def small_lines(small: dict[str, Measured]) -> list[str]:
    """The fixed costs, whole processes on small inputs."""
    labels = {
        "lint": "quality-movies lint movies.dqdl",
        "validate-sample": "quality-movies validate (1,000-row sample)",
        "demo-sample-warm": "quality-movies demo (sample, warm home)",
    }
    lines = ["\nfixed costs, whole processes on small inputs:", f"  {'case':<44}{'seconds':>8}{'peak RSS':>11}"]
    lines += [f"  {labels[case]:<44}{r['seconds']:>8.2f}{_gib(r['peak_rss']):>11}" for case, r in small.items()]
    return lines


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _target(what: str, measured: str, baseline: str, ratio: str, target: str, met: bool, note: str = "") -> str:
    return f"  {what:<42}{measured:>12}  {baseline:<26}{ratio:>7}  {target:<20}{_verdict(met)}{note}"


def _size_targets(rows: int, results: dict[str, Measured]) -> list[str]:
    demo, validate, polars = results["demo"], results["validate"], results["polars-jsonl"]
    demo_ratio = demo["seconds"] / validate["seconds"]
    validate_ratio = validate["seconds"] / polars["seconds"]
    lines = [
        _target(
            f"demo --file, {rows:,} rows",
            f"{demo['seconds']:.2f} s",
            f"validate {validate['seconds']:.2f} s",
            f"{demo_ratio:.2f}x",
            f"≤ {DEMO_TO_VALIDATE:g}x",
            demo_ratio <= DEMO_TO_VALIDATE,
        ),
        _target(
            f"demo --file peak RSS, {rows:,} rows",
            _gib(demo["peak_rss"]),
            "-",
            "-",
            f"≤ {_gib(DEMO_PEAK)}",
            demo["peak_rss"] <= DEMO_PEAK,
            f" (anonymous {_gib(demo['peak_heap'])}, the rest mapped file pages)",
        ),
    ]
    if "warehouse-copy" in results:
        copy, insert = results["warehouse-copy"], results["warehouse-insert"]
        copy_rate, insert_rate = copy["rows"] / copy["seconds"], insert["rows"] / insert["seconds"]
        lines += [
            _target(
                f"warehouse COPY, {copy['rows']:,} rows",
                f"{_rate(copy_rate)} rows/s",
                f"INSERT {_rate(insert_rate)} rows/s",
                f"{copy_rate / insert_rate:.1f}x",
                f"≥ {_rate(LOAD_ROWS_PER_SECOND)} rows/s",
                copy_rate >= LOAD_ROWS_PER_SECOND,
            ),
            _target(
                f"warehouse COPY backend peak RSS, {copy['rows']:,}",
                _mib(copy["backend_peak_rss"]),
                f"INSERT {_mib(insert['backend_peak_rss'])}",
                "-",
                f"≤ {_mib(BACKEND_PEAK)}",
                copy["backend_peak_rss"] <= BACKEND_PEAK,
            ),
        ]
    lines.append(
        _target(
            f"validate, {rows:,} rows",
            f"{validate['seconds']:.2f} s",
            f"python -c {polars['seconds']:.2f} s",
            f"{validate_ratio:.2f}x",
            f"≤ {VALIDATE_TO_POLARS:g}x",
            validate_ratio <= VALIDATE_TO_POLARS,
            _quarantine_note(results),
        )
    )
    return lines


def _quarantine_note(results: dict[str, Measured]) -> str:
    """The quarantine pass alone against the plain copy: the least a run writing this quarantine does."""
    ratio = results["quarantine-pass"]["seconds"] / results["polars-copy"]["seconds"]
    return f" (the quarantine pass alone: {ratio:.2f}x the plain copy, both in one process)"


def target_lines(by_size: dict[int, dict[str, Measured]], small: dict[str, Measured]) -> list[str]:
    """The issue's targets at every size measured, each with its baseline, ratio and verdict."""
    lines = [
        "\ntargets of 'One quality path' (stated at 1M rows, the demo's peak RSS at 5M; whole processes unless named):",
        f"  {'case':<42}{'measured':>12}  {'baseline, same run':<26}{'ratio':>7}  {'target':<20}verdict",
    ]
    for rows, results in by_size.items():
        lines += _size_targets(rows, results)
    fixed = [
        ("demo on the sample, warm home", small["demo-sample-warm"], DEMO_WARM_SECONDS),
        ("validate on the sample", small["validate-sample"], SMALL_COMMAND_SECONDS),
        ("lint movies.dqdl", small["lint"], SMALL_COMMAND_SECONDS),
    ]
    lines += [
        _target(what, f"{result['seconds']:.2f} s", "-", "-", f"≤ {limit:g} s", result["seconds"] <= limit)
        for what, result, limit in fixed
    ]
    return lines
