#!/usr/bin/env bash
# Proof that the package works as shipped: build the wheel (through its sdist), install it without extras into
# a clean virtual environment with deploy/install-wheel.sh (the Dockerfile's step), then, from outside the
# repository and with an empty environment, import every module, load the definitions and run the demo,
# validate and lint commands on a throw-away home. Exits non-zero on the first failure.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_python=${BUILD_PYTHON:-$repo/.venv/bin/python}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/quality_movies_wheel_check.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

wheel=$(PYTHON="$build_python" "$repo/deploy/build-wheel.sh" "$scratch/dist")
echo "wheel-check: built $(basename "$wheel"); installing it into a clean virtual environment"
"$repo/deploy/install-wheel.sh" "$wheel" "$scratch/venv"

# Nothing of the repository or of this shell's settings reaches the checks: another folder, an empty environment.
mkdir -p "$scratch/work" "$scratch/dagster_home"
cp "$repo/dagster_instance.yaml" "$scratch/dagster_home/dagster.yaml"
cd "$scratch/work"
clean=(env -i "PATH=$scratch/venv/bin:/usr/bin:/bin" "HOME=$scratch/work" "LANG=C.UTF-8"
    "QUALITY_MOVIES_HOME=$scratch/home" "DAGSTER_HOME=$scratch/dagster_home")

"${clean[@]}" python -I - <<'PY'
import importlib
import pkgutil
from importlib.resources import files

import quality_movies

assert "site-packages" in quality_movies.__file__, f"not the installed package: {quality_movies.__file__}"
modules = [info.name for info in pkgutil.walk_packages(quality_movies.__path__, "quality_movies.")]
for name in modules:
    importlib.import_module(name)
shipped = sorted(entry.name for entry in files("quality_movies.sql").iterdir() if entry.name.endswith(".sql"))
assert "create_table.sql" in shipped, shipped
from quality_movies.definitions import defs

jobs = [job.name for job in defs.resolve_all_job_defs()]
assert "ingest_landed_file" in jobs, jobs
print(f"wheel-check: imported {len(modules)} modules, {len(shipped)} SQL files shipped, jobs {jobs}")
PY
# The command a deployment runs to check its code location; its advice to use `dg` (another tool) is muted.
"${clean[@]}" "PYTHONWARNINGS=ignore:Function \`definitions_validate_command\` is superseded" \
    dagster definitions validate -m quality_movies.definitions --log-level warning

sample=$("${clean[@]}" python -I -c 'import quality_movies.cli as c; print(c.SAMPLE)')
ruleset=$("${clean[@]}" python -I -c 'import quality_movies.ruleset_config as r; print(r.DEFAULT_RULESET)')
"${clean[@]}" quality-movies lint "$ruleset" >/dev/null
"${clean[@]}" quality-movies validate "$sample" --out "$scratch/validated" --json >"$scratch/validate.json"
"${clean[@]}" quality-movies demo --json >"$scratch/demo.json"
"${clean[@]}" python -I - "$scratch/validate.json" "$scratch/demo.json" <<'PY'
import json
import sys

validated, demo = (json.load(open(path)) for path in sys.argv[1:])
assert demo["error"] is None, demo["error"]
assert demo["rows_in"] > 0 and demo["rows_good"] > 0, demo
assert demo["warehouse_rows"] == demo["rows_good"], (demo["warehouse_rows"], demo["rows_good"])
assert validated["rows_good"] == demo["rows_good"], (validated["rows_good"], demo["rows_good"])
print(f"wheel-check: demo loaded {demo['warehouse_rows']} of {demo['rows_in']} rows; validate and lint passed")
PY
