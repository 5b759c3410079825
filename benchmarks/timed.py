"""Run one command to its end and write its wall seconds and peak RSS, as JSON, to a file.

    python -S benchmarks/timed.py RESULT.json COMMAND [ARG ...]

Why a launcher: Linux starts a child's peak RSS from the memory of the process it was forked from
(the pages it shared before `exec`), so a command forked by the benchmark itself (Polars and pandera
loaded) would report at least the benchmark's size. This launcher imports nothing but the standard
library's basics, so what it adds is ~10 MB. The command's output goes where the launcher's goes.
"""

import json
import os
import sys
import time


def main(result_path: str, *command: str) -> int:
    start = time.perf_counter()
    pid = os.posix_spawnp(command[0], list(command), os.environ)
    _, status, usage = os.wait4(pid, 0)  # the child and the children it waited for
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    with open(result_path, "w") as result:
        json.dump({"seconds": seconds, "peak_rss": usage.ru_maxrss * 1024, "returncode": code}, result)  # kB
    return code


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
