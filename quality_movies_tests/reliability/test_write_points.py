"""A run killed, or failing for a full disk, at each of its writes: running again ends as a clean run does.

Each run is a process of its own (`write_points.py`) over one home, one after the other: the first lists the
run's write points, then for each point a run is stopped there and another run follows. After every re-run
the warehouse, the quarantine, the archive, the rule outcome and the staged rows must be the re-run's alone, with
the counts a clean run gives; after a full disk, what is there must be the last committed run's.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from quality_movies.definitions import resolved, resources_from_env
from quality_movies_tests.conftest import expected_good
from quality_movies_tests.data_files import IMDB_CSV

pytestmark = pytest.mark.slow
SOURCE = f"input_data/{IMDB_CSV.name}"
PER_RUN_PREFIXES = ("bad_records", "processed", "rule_outcome")


def _run(home: Path, record: Path, *action: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUALITY_MOVIES_", "DAGSTER_HOME"))}
    command = [sys.executable, "-m", "quality_movies_tests.reliability.write_points", str(home), str(IMDB_CSV)]
    return subprocess.run([*command, str(record), *action], env=env, capture_output=True, text=True, timeout=300)


def _state(home: Path) -> dict:
    """What the file left everywhere, named by run: the warehouse's rows and each lake output's runs."""
    resources = resources_from_env(home)
    lake, warehouse = resolved(resources["lake"]), resolved(resources["warehouse"])
    with warehouse.connection() as conn:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT run_id, COUNT(*) FROM movies.imdb_movies_rating WHERE source_file = %s GROUP BY 1", (SOURCE,)
        )
        table = dict(cursor.fetchall())
        cursor.execute("SELECT SUM(movie_count) FROM movies.year_aggregated_genre")
        (view_total,) = cursor.fetchone()
    outputs = {
        prefix: sorted(found.key.split("/run_id=")[1].split("/")[0] for found in lake.list_objects(prefix))
        for prefix in PER_RUN_PREFIXES
    }
    bad_key = next(found.key for found in lake.list_objects("bad_records"))
    staged = pl.read_parquet(lake.path(f"staging/good_rows/{lake.partition_key(SOURCE)}.parquet")).height
    bad_lines = len(lake.path(bad_key).read_bytes().splitlines())
    return {"table": table, "view_total": view_total, "outputs": outputs, "staged": staged, "bad": bad_lines}


def _assert_committed_by(state: dict, run_id: str, point: str) -> None:
    """The warehouse holds `run_id`'s rows, and the quarantine and the archive are that run's alone."""
    good = expected_good()
    assert state["table"] == {run_id: good}, point
    assert state["view_total"] == good, point
    assert state["outputs"]["bad_records"] == state["outputs"]["processed"] == [run_id], point
    assert state["bad"] == 1000 - good, point


def _same_point(points: list[list[str]], number: int) -> bool:
    """Whether write `number` (from 1) touches the same file as the one before it (a copy, then its open)."""
    return number > 1 and points[number - 1][1] == points[number - 2][1]


def _stopped_at_each_write_then_rerun(tmp_path: Path, action: str) -> int:
    """Stop a run at each write point in turn, re-run, check; returns how many points were tried."""
    home, record = tmp_path / "home", tmp_path / "points.json"
    for _ in range(2):  # the second run lists the points of a run over an earlier successful one
        counted = _run(home, record, "count")
        assert counted.returncode == 0, counted.stderr[-3000:]
    points = json.loads(record.read_text())
    assert any(event == "os.rename" and path.startswith("lake/bad_records/") for event, path in points), points
    try:
        for number, (event, path) in enumerate(points, start=1):
            if _same_point(points, number) or (action == "full" and event == "os.remove"):
                continue  # the copy's own open, or a deletion (a full disk never fails one): nothing new to try
            stopped = _run(home, record, action, str(number))
            where = f"{action} at write {number}/{len(points)}: {event} {path}"
            if action == "kill":
                assert stopped.returncode == -signal.SIGKILL, where
            else:  # failed cleanly, or finished: what is there is the last committed run's alone
                assert stopped.returncode in (0, 1), f"{where}\n{stopped.stderr[-3000:]}"
                state, run_id = _state(home), json.loads(stopped.stdout.splitlines()[-1])["run_id"]
                committed = next(iter(state["table"]), None)
                _assert_committed_by(state, committed, where)
            rerun = _run(home, record, "count")
            assert rerun.returncode == 0, f"{where}\n{rerun.stderr[-3000:]}"
            state, run_id = _state(home), json.loads(rerun.stdout.splitlines()[-1])["run_id"]
            _assert_committed_by(state, run_id, where)
            assert (state["outputs"]["rule_outcome"], state["staged"]) == ([run_id], expected_good()), where
    finally:
        pid_file = home / "warehouse" / "postmaster.pid"
        if pid_file.exists():
            os.kill(int(pid_file.read_text().splitlines()[0]), signal.SIGINT)  # killed runs could not stop it
    return len(points)


def test_a_run_killed_at_any_write_then_run_again_ends_as_a_clean_run(tmp_path, monkeypatch):
    monkeypatch.delenv("QUALITY_MOVIES_HOME", raising=False)
    assert _stopped_at_each_write_then_rerun(tmp_path, "kill") >= 5


def test_a_disk_full_at_any_write_fails_the_run_and_running_again_ends_as_a_clean_run(tmp_path, monkeypatch):
    monkeypatch.delenv("QUALITY_MOVIES_HOME", raising=False)
    assert _stopped_at_each_write_then_rerun(tmp_path, "full") >= 5
