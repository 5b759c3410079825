#!/usr/bin/env bash
# Build the source distribution, then the wheel from it (as pip builds one from an sdist), into OUT_DIR, and
# print the wheel's path. Building through the sdist proves both carry the package data (sql/, sample, rules).
# Needs a Python with setuptools>=68 and wheel (the dev extras, or the image's build stage); downloads nothing.
set -euo pipefail
out=$(realpath -m "${1:?usage: deploy/build-wheel.sh OUT_DIR}")
python=${PYTHON:-python3}
cd "$(dirname "$0")/.."
mkdir -p "$out"
log="$out/build.log"
# setuptools talks on stdout: its log goes to a file, shown only if the build fails.
if ! sdist=$("$python" - "$out" 2>"$log" <<'PY'
import contextlib
import sys

from setuptools import build_meta

with contextlib.redirect_stdout(sys.stderr):
    name = build_meta.build_sdist(sys.argv[1])
print(name)
PY
) || ! "$python" -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir "$out" "$out/$sdist" >>"$log" 2>&1; then
    cat "$log" >&2
    exit 1
fi
ls "$out"/quality_movies-*.whl
