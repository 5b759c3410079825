#!/usr/bin/env bash
# Install a built wheel of quality_movies, without extras, plus the production instance's storage into a new
# virtual environment at VENV. The Dockerfile and `make wheel-check` (CI) both run exactly this script, so the
# image is built by the steps that CI exercises.
set -euo pipefail
wheel=${1:?usage: deploy/install-wheel.sh WHEEL VENV}
venv=${2:?usage: deploy/install-wheel.sh WHEEL VENV}
python=${PYTHON:-python3}
# deploy/dagster.yaml keeps runs, events and schedules in PostgreSQL (RDS). dagster-postgres moves in lockstep
# with dagster (dagster 1.13.27 <-> dagster-postgres 0.29.27); setup.py's dev extras carry the same pin.
DAGSTER_POSTGRES="dagster-postgres==0.29.27"

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$wheel" "$DAGSTER_POSTGRES"
