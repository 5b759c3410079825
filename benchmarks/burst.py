"""Benchmark a burst of landed files through the real daemon, sensor and run queue.

    python benchmarks/burst.py [--files 200]

The scenario of `quality_movies_tests/reliability/burst_harness.py` (a temporary DAGSTER_HOME with the
project's `dagster_instance.yaml`, a temporary lake and embedded PostgreSQL, `dagster-daemon run`), measured:
files per minute from the daemon's start (start-up and sensor included) and from the first run's
start (the queue draining), and the peak memory of the daemon's process tree (daemon, code server,
runs) and of PostgreSQL, sampled every 0.5 s. RSS is summed per process, so pages the processes
share are counted more than once: the figure is an upper bound.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' scenario, run from anywhere

from quality_movies_tests.reliability.burst_harness import (  # noqa: E402
    BurstEnvironment,
    files_per_minute,
    land_burst,
    peak_concurrency,
    wait_for_finished_runs,
)

GIB = 1024**3
SAMPLE_SECONDS = 0.5


class RssSampler(threading.Thread):
    """Peak summed RSS of a process tree, and of the PostgreSQL serving a data folder, while running."""

    def __init__(self, root_pid: int, pg_data: Path) -> None:
        super().__init__(daemon=True)
        self.root_pid, self.pg_data = root_pid, str(pg_data)
        self.peak_tree = self.peak_postgres = self.peak_processes = 0
        self._done = threading.Event()

    def _tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.root_pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _postgres(self) -> list[psutil.Process]:
        # pg_ctl detaches PostgreSQL from the run that started it: find it by its data folder.
        found = []
        for process in psutil.process_iter(["name", "cmdline"]):
            if process.info["name"] == "postgres" and self.pg_data in " ".join(process.info["cmdline"] or ()):
                found += [process, *process.children()]
        return found

    @staticmethod
    def _rss(processes: list[psutil.Process]) -> int:
        total = 0
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    def run(self) -> None:
        while not self._done.wait(SAMPLE_SECONDS):
            tree = self._tree()
            self.peak_tree = max(self.peak_tree, self._rss(tree))
            self.peak_processes = max(self.peak_processes, len(tree))
            self.peak_postgres = max(self.peak_postgres, self._rss(self._postgres()))

    def stop(self) -> None:
        self._done.set()
        self.join()


def measure(count: int) -> list[str]:
    """Run one burst of `count` files; return the report's lines."""
    root = Path(tempfile.mkdtemp(prefix="quality_movies_burst_bench-"))
    env = BurstEnvironment(root)
    try:
        land_burst(env.home, count)
        started = time.time()
        with env.daemon() as daemon:
            sampler = RssSampler(daemon.pid, env.home / "warehouse")
            sampler.start()
            try:
                runs = wait_for_finished_runs(env, daemon, count)
            finally:
                sampler.stop()
        elapsed = max(r.end_time for r in runs) - started
        first_start = min(r.start_time for r in runs)
        run_seconds = sorted(r.end_time - r.start_time for r in runs)
        statuses = Counter(r.dagster_run.status.value for r in runs)
        return [
            f"burst of {count} files, max_concurrent_runs "
            f"{env.instance().run_coordinator.get_run_queue_config().max_concurrent_runs}",
            f"  runs: {dict(statuses)}; peak {peak_concurrency(runs)} at once",
            f"  wall time from daemon start: {elapsed:.0f} s ({files_per_minute(runs, started):.1f} files/min)",
            f"  from first run start: {max(r.end_time for r in runs) - first_start:.0f} s "
            f"({files_per_minute(runs, first_start):.1f} files/min); first run started "
            f"{first_start - started:.0f} s after the daemon",
            f"  run start to end: median {run_seconds[len(run_seconds) // 2]:.1f} s, max {run_seconds[-1]:.1f} s",
            f"  peak RSS daemon + code server + runs: {sampler.peak_tree / GIB:.2f} GiB "
            f"({sampler.peak_processes} processes at most)",
            f"  peak RSS PostgreSQL: {sampler.peak_postgres / GIB:.2f} GiB",
        ]
    finally:
        env.stop_warehouse()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="files landed in the burst (default 200)")
    args = parser.parse_args()
    print("\n".join(measure(args.files)))


if __name__ == "__main__":
    main()
