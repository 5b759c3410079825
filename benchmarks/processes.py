"""Whole processes, timed from the outside: what a user waits for when they type the command.

Each command runs as a fresh child of a tiny launcher (timed.py), which measures its wall time and
the peak RSS the kernel reports when the child is reaped (`os.wait4`: that child and the children it
waited for, never PostgreSQL, which pgserver detaches from the process that starts it).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from memory import ChildOf, PeakSampler, PostgresServing

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SAMPLE = HERE.parent / "quality_movies" / "sample" / "imdb_movies_rating.csv"
RULESET = HERE.parent / "quality_movies" / "rules" / "movies.dqdl"
# The baseline of `validate`: the same CSV streamed to JSON Lines by Polars, no rules, nothing else imported.
POLARS_TO_JSONL = (
    "import sys\nimport polars as pl\npl.scan_csv(sys.argv[1], infer_schema=False).sink_ndjson(sys.argv[2])"
)


class CommandFailedError(RuntimeError):
    """A measured command exited with an error: its figures would not mean anything."""


def child_env(home: Path | None = None) -> dict[str, str]:
    """This environment without the settings that change what the commands do, plus `QUALITY_MOVIES_HOME`.

    No AWS or Redshift endpoint, no other ruleset, and no DAGSTER_HOME (`make` sets one): `demo` then
    runs on an ephemeral instance, the local defaults.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("QUALITY_MOVIES_", "AWS_ENDPOINT")) and name != "DAGSTER_HOME"
    }
    return env | ({"QUALITY_MOVIES_HOME": str(home)} if home else {})


def quality_movies(*args: str | Path) -> list[str]:
    """The `quality-movies` command as a user types it (the virtual environment's entry point)."""
    return [str(BIN / "quality-movies"), *map(str, args)]


def polars_to_jsonl(csv_path: Path, target: Path) -> list[str]:
    """`python -c` streaming the CSV to JSON Lines with Polars alone."""
    return [sys.executable, "-c", POLARS_TO_JSONL, str(csv_path), str(target)]


def run_process(argv: Sequence[str], env: Mapping[str, str], cwd: Path, watch: Path | None = None) -> dict[str, Any]:
    """Run `argv` to its end: wall seconds, peak RSS of the process, its output (JSON if it printed one).

    The process's anonymous memory is sampled meanwhile (`peak_heap`: its RSS also counts the pages of
    files it maps, which the system can drop at will); `watch` names a PostgreSQL data folder whose
    processes are sampled too (`postgres_peak_rss`).
    """
    os.sync()  # the write-back of earlier cases' files is not this one's to pay
    postgres = PeakSampler(PostgresServing(watch), every=0.25) if watch else contextlib.nullcontext()
    with tempfile.TemporaryDirectory() as launch, postgres:
        stdout, stderr = Path(launch) / "stdout", Path(launch) / "stderr"
        measured_file = Path(launch) / "measured.json"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            launcher = [sys.executable, "-S", str(HERE / "timed.py"), str(measured_file), *argv]
            started = subprocess.Popen(launcher, stdout=out, stderr=err, env=dict(env), cwd=cwd)
            with PeakSampler(ChildOf(started.pid), every=0.05) as command:
                started.wait()
        measured = json.loads(measured_file.read_text())
        printed, errors = stdout.read_text(), stderr.read_text()
    if measured.pop("returncode") != 0:
        raise CommandFailedError(f"{' '.join(argv)} failed:\n{errors[-3000:]}{printed[-2000:]}")
    measured["peak_heap"] = command.peak_anon
    if watch:
        measured["postgres_peak_rss"] = postgres.peak_rss
    return measured | {"output": _json_or_text(printed)}


def _json_or_text(stdout: str) -> Any:
    lines = stdout.strip().splitlines()
    try:
        return json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return stdout
