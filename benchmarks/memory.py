"""Peak memory while a case runs: this process's heap, or other processes' resident memory.

A child's own peak comes from the kernel when it is reaped (`os.wait4`, see processes.py); these
samplers watch what the kernel does not report to us: the anonymous part of this process's memory, and
processes that are not our children (a PostgreSQL backend, the embedded server started by `demo`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil

MIB = 1024**2
GIB = 1024**3
_STATUS_FIELD = re.compile(r"^(VmRSS|RssAnon):\s+(\d+) kB$", re.MULTILINE)


def resident_memory(pid: int | str) -> tuple[int, int]:
    """(RSS, anonymous RSS) of a process in bytes, (0, 0) if it is gone (Linux `/proc/<pid>/status`)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0, 0
    fields = {name: int(kb) * 1024 for name, kb in _STATUS_FIELD.findall(status)}
    return fields.get("VmRSS", 0), fields.get("RssAnon", 0)


class PeakSampler:
    """Samples the summed RSS (and anonymous RSS) of the processes `pids()` names, keeping the peaks.

    RSS counts the shared memory a process touched (PostgreSQL's shared buffers); the anonymous part
    is the process's own. Summed over several processes, shared pages count more than once.
    """

    def __init__(self, pids: Callable[[], Iterable[int | str]], every: float = 0.02) -> None:
        self.pids, self.every = pids, every
        self.peak_rss = self.peak_anon = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while True:
            sizes = [resident_memory(pid) for pid in self.pids()]
            self.peak_rss = max(self.peak_rss, sum(rss for rss, _ in sizes))
            self.peak_anon = max(self.peak_anon, sum(anon for _, anon in sizes))
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def own_heap() -> PeakSampler:
    """A sampler of this process's anonymous memory (RSS also counts file pages a reader maps)."""
    return PeakSampler(lambda: ["self"])


class ChildOf:
    """Callable: the first child of `parent` once it has one (the command a launcher started), remembered."""

    def __init__(self, parent: int) -> None:
        self.parent, self.pid = parent, None

    def __call__(self) -> list[int]:
        if self.pid is None:
            try:
                children = psutil.Process(self.parent).children()
            except psutil.NoSuchProcess:
                return []
            self.pid = children[0].pid if children else None
        return [self.pid] if self.pid else []


class PostgresServing:
    """Callable: the PostgreSQL processes serving `data_dir`, its postmaster and the postmaster's children.

    Backends rename themselves (`postgres: user db ...`), so only the postmaster names the folder; once
    found, it is remembered, so that sampling does not walk every process of the machine each time.
    """

    def __init__(self, data_dir: Path) -> None:
        self.needle = str(data_dir.resolve())
        self.postmaster: psutil.Process | None = None

    def _find_postmaster(self) -> psutil.Process | None:
        for process in psutil.process_iter(["name", "cmdline"]):
            if process.info["name"] == "postgres" and self.needle in " ".join(process.info["cmdline"] or ()):
                return process
        return None

    def __call__(self) -> list[int]:
        if self.postmaster is None or not self.postmaster.is_running():
            self.postmaster = self._find_postmaster()
        if self.postmaster is None:
            return []
        try:
            return [self.postmaster.pid, *(child.pid for child in self.postmaster.children(recursive=True))]
        except psutil.NoSuchProcess:
            return []
