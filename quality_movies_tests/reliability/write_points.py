"""Run the ingest job for one file in this process, stopping it at its n-th write to the project's home.

    python -m quality_movies_tests.reliability.write_points <home> <file> <record> [count | kill N | full N]

A write point is any file opened for writing, renamed, copied or deleted under the home (outside the
Dagster instance's own storage, the PostgreSQL cluster and a run's scratch folder), as Python's
audit hooks report them: `count` lists them into the `record` file and runs to the end; `kill N` kills the
process (SIGKILL) at the N-th; `full N` makes the N-th write or rename fail with ENOSPC, as a full disk
would (deletions never fail for want of space). Writes that Polars makes from Rust raise no audit event;
each of them is followed by a Python-side rename or copy into the lake, which is covered.
"""

import errno
import json
import os
import signal
import sys
from pathlib import Path

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _written_path(event: str, args: tuple) -> str | None:
    """The path an audited operation writes to, or None if it writes nothing."""
    if event == "open":
        path, mode, flags = args
        writes = any(char in mode for char in "wax+") if isinstance(mode, str) else bool(flags & WRITE_FLAGS)
        return path if writes and isinstance(path, str | Path) else None
    if event in ("os.rename", "shutil.copyfile"):
        return args[1]
    if event == "os.remove":
        return args[0]
    return None


def install(home: Path, record: Path, action: str, target: int) -> None:
    """Audit every write under `home` (but the instance's and the cluster's) and act at the `target`-th."""
    home = home.resolve()
    # The instance's and the cluster's own storage are not the project's writes; scratch is a run's working space.
    ignored = (home / "dagster_home", home / "warehouse", home / "lake" / ".scratch")
    seen: list[list[str]] = []

    def hook(event: str, args: tuple) -> None:
        path = _written_path(event, args)
        if path is None or isinstance(path, int):
            return
        path = Path(os.fsdecode(path)).resolve()
        if not path.is_relative_to(home) or any(path.is_relative_to(folder) for folder in ignored):
            return
        if event == "os.remove" and path.name.endswith(".partial"):
            return  # the clean-up of a write already counted
        seen.append([event, str(path.relative_to(home))])
        if len(seen) != target:
            return
        record.write_text(json.dumps(seen))
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if action == "full" and event != "os.remove":
            raise OSError(errno.ENOSPC, "No space left on device (injected)", str(path))

    sys.addaudithook(hook)
    if action == "count":
        import atexit

        atexit.register(lambda: record.write_text(json.dumps(seen)))


def main(argv: list[str]) -> int:
    home, source, record, action = Path(argv[0]), Path(argv[1]), Path(argv[2]), argv[3]
    os.environ["QUALITY_MOVIES_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")
    (home / "dagster_home").mkdir(parents=True, exist_ok=True)

    from quality_movies_tests.conftest import Pipeline  # imported before the hook: imports write caches

    pipeline = Pipeline(home)
    partition = pipeline.land(source)  # the upload is not the run's: the writes counted are the run's
    install(home, record, action, int(argv[4]) if len(argv) > 4 else 0)
    result = pipeline.run(partition)
    print(json.dumps({"success": result.success, "run_id": result.run_id}))
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
