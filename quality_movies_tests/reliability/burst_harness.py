"""A burst of landed files through the real daemon, sensor and run queue: the scenario and its measures.

Used by `test_burst.py` (each file ingested exactly once, a bounded number of runs at a time) and by
`benchmarks/burst.py` (how fast, how much memory). Real machinery end to end: a temporary
DAGSTER_HOME with the project's `dagster_instance.yaml` (as dagster.yaml), a local lake and embedded PostgreSQL under a
temporary `QUALITY_MOVIES_HOME`, and the real `dagster-daemon run` process: the landing sensor
requests the runs, the queued run coordinator launches them as subprocesses.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl
import psutil
import pytest

from quality_movies.definitions import resolved, resources_from_env
from quality_movies.resources.local_lake import LocalLake
from quality_movies_tests.conftest import IMDB_CSV, expected_good

REPO = Path(__file__).resolve().parents[2]
DAEMON = Path(sys.executable).parent / "dagster-daemon"
JOB, SENSOR = "ingest_landed_file", "landing_sensor"
BURST_FILES = 200
# Bounds against a hang, not timings: the burst takes 10-15 min on 2 shared cores (benchmarks/burst.py).
WAIT_SECONDS = 40 * 60
STALL_SECONDS = 5 * 60  # no run finishing for this long means the queue is stuck
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass(frozen=True)
class LandedSlice:
    """One landed file and what the default ruleset should make of it."""

    name: str
    rows: int
    good: int


def _imdb_pools() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The IMDb rows the default ruleset keeps and those it quarantines, with the file's own headers."""
    raw = pl.read_csv(IMDB_CSV, infer_schema=False)
    keeps = [expected_good(row.rename(str.lower)) == 1 for row in raw.iter_slices(1)]
    mask = pl.Series(keeps)
    return raw.filter(mask), raw.filter(~mask)


def land_burst(home: Path, count: int) -> list[LandedSlice]:
    """Land `count` small slices of the IMDb file (5-20 rows, 0-8 of them good) under `input_data/`.

    Each file is written beside the landing prefix and renamed into it, so the sensor never lists
    a half-written file; names and (rows, good) mixes differ, so a lost or doubled file shows.
    """
    good_pool, bad_pool = _imdb_pools()
    landing, staging = home / "lake" / "input_data", home / "burst_staging"
    landing.mkdir(parents=True, exist_ok=True)
    staging.mkdir(parents=True, exist_ok=True)
    landed = []
    for i in range(count):
        rows = 5 + i % 16
        good = min(i % 9, rows)
        frame = pl.concat(
            [
                good_pool[[(3 * i + k) % good_pool.height for k in range(good)]],
                bad_pool[[(5 * i + k) % bad_pool.height for k in range(rows - good)]],
            ]
        )
        name = f"burst_{i:03d}_{rows}rows.csv"
        frame.write_csv(staging / name)
        landed.append(LandedSlice(name, frame.height, expected_good(frame.rename(str.lower))))
    for item in landed:  # the burst itself: every file appears within milliseconds
        os.replace(staging / item.name, landing / item.name)
    return landed


class BurstEnvironment:
    """A throw-away Dagster instance and quality_movies home, and the daemon that serves them."""

    def __init__(self, root: Path) -> None:
        self.home = root / "quality_movies_home"
        self.dagster_home = root / "dagster_home"
        self.dagster_home.mkdir(parents=True)
        shutil.copy(REPO / "dagster_instance.yaml", self.dagster_home / "dagster.yaml")
        self.daemon_log = root / "dagster-daemon.log"

    def env(self) -> dict[str, str]:
        """This process's environment without AWS switches, pointed at the temporary homes."""
        kept = {k: v for k, v in os.environ.items() if not (k.startswith("QUALITY_MOVIES_") or k == "AWS_ENDPOINT_URL")}
        return kept | {"DAGSTER_HOME": str(self.dagster_home), "QUALITY_MOVIES_HOME": str(self.home)}

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.dagster_home))

    @contextmanager
    def daemon(self) -> Iterator[subprocess.Popen]:
        """`dagster-daemon run` in its own process group, stopped with everything it started."""
        with self.daemon_log.open("wb") as log, sigterm_raises():
            process = subprocess.Popen(
                [str(DAEMON), "run", "-w", "workspace.yaml"],
                cwd=REPO,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: the code server and the runs go with it
                preexec_fn=_die_with_parent,
            )
            try:
                yield process
            finally:
                stop_process_group(process.pid)

    def daemon_log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.daemon_log.read_text(errors="replace").splitlines()[-lines:])

    def warehouse(self):
        """The warehouse the runs loaded, reached the way they reach it."""
        return resolved(resources_from_env(self.home)["warehouse"])

    def lake(self) -> LocalLake:
        return resolved(resources_from_env(self.home)["lake"])

    def stop_warehouse(self) -> None:
        """Stop the embedded PostgreSQL that the runs (and this process) started, if it still runs."""
        pid_file = self.home / "warehouse" / "postmaster.pid"
        if pid_file.is_file():
            stop_process(int(pid_file.read_text().split()[0]), signal.SIGINT)  # SIGINT: PostgreSQL's fast shutdown


def _die_with_parent() -> None:
    """Run in the daemon before exec: on Linux, it gets SIGTERM if this process dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Meanwhile, SIGTERM (a CI job cancelled) raises KeyboardInterrupt, so clean-up code still runs."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _group_members(pgid: int) -> list[psutil.Process]:
    members = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid:
                members.append(process)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return members


def stop_process_group(pgid: int, grace: float = 30.0) -> None:
    """SIGTERM the group, SIGKILL what is left after `grace` seconds; raise if anything survives."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        psutil.wait_procs(_group_members(pgid), timeout=wait)
        if not _group_members(pgid):
            return
    raise RuntimeError(f"processes of group {pgid} survived SIGKILL: {_group_members(pgid)}")


def stop_process(pid: int, sig: signal.Signals, grace: float = 30.0) -> None:
    """Send `sig` to one process and wait for it to exit, killing it after `grace` seconds."""
    try:
        process = psutil.Process(pid)
        process.send_signal(sig)
        process.wait(grace)
    except psutil.NoSuchProcess:
        return
    except psutil.TimeoutExpired:
        process.kill()


def wait_for_finished_runs(env: BurstEnvironment, daemon: subprocess.Popen, count: int) -> list[dg.RunRecord]:
    """Poll the instance until `count` ingest runs have finished; fail early if the daemon dies or stalls."""
    instance = env.instance()
    deadline, progress, done = time.monotonic() + WAIT_SECONDS, time.monotonic(), 0
    while time.monotonic() < min(deadline, progress + STALL_SECONDS):
        finished = instance.get_run_records(dg.RunsFilter(job_name=JOB, statuses=FINISHED))
        if len(finished) >= count:
            return list(finished)
        if len(finished) > done:
            progress, done = time.monotonic(), len(finished)
        if daemon.poll() is not None:
            pytest.fail(f"dagster-daemon exited with {daemon.returncode}:\n{env.daemon_log_tail()}")
        time.sleep(2)
    statuses = Counter(r.dagster_run.status.value for r in instance.get_run_records(dg.RunsFilter(job_name=JOB)))
    pytest.fail(
        f"{done}/{count} runs finished, then none for {STALL_SECONDS} s or past {WAIT_SECONDS} s: "
        f"{dict(statuses)}\n{env.daemon_log_tail()}"
    )


def wait_for_sensor_tick(env: BurstEnvironment, after: float, timeout: float = 120.0) -> None:
    """Wait until the landing sensor has completed a tick that started after `after`."""
    instance = env.instance()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for state in instance.all_instigator_state():
            if state.name != SENSOR:
                continue
            ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, after=after)
            if failed := [tick.error for tick in ticks if tick.is_failure]:
                pytest.fail(f"{SENSOR} failed after the burst: {failed[0]}")
            if any(tick.is_completed for tick in ticks):
                return
        time.sleep(2)
    pytest.fail(f"no {SENSOR} tick after the burst within {timeout} s:\n{env.daemon_log_tail()}")


def peak_concurrency(records: list[dg.RunRecord]) -> int:
    """The most runs between their start and their end at any one moment."""
    # At equal timestamps an end sorts before a start: a slot handed over is not an overlap.
    edges = sorted([(r.start_time, 1) for r in records] + [(r.end_time, -1) for r in records])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def files_per_minute(records: list[dg.RunRecord], since: float) -> float:
    return len(records) / (max(r.end_time for r in records) - since) * 60


@dataclass(frozen=True)
class BurstOutcome:
    env: BurstEnvironment
    landed: list[LandedSlice]
    runs: list[dg.RunRecord]  # every ingest run in the instance once the burst is done
    daemon_started: float


def run_burst(env: BurstEnvironment, count: int) -> BurstOutcome:
    """Land `count` files, run the daemon until every run is done and the sensor has looked again."""
    landed = land_burst(env.home, count)
    daemon_started = time.time()
    with env.daemon() as daemon:
        finished = wait_for_finished_runs(env, daemon, count)
        # One more tick after the last run: the sensor must not ask for any file again.
        wait_for_sensor_tick(env, after=max(r.end_time for r in finished))
        runs = list(env.instance().get_run_records(dg.RunsFilter(job_name=JOB)))
    return BurstOutcome(env, landed, runs, daemon_started)
