# syntax=docker/dockerfile:1
# One image for the Dagster webserver, the daemon and every run on ECS (EcsRunLauncher starts each run as a
# task of this image). Its build and install steps are deploy/build-wheel.sh and deploy/install-wheel.sh, the
# scripts that `make wheel-check` runs in CI before installing the wheel into a clean venv and running it.
#   docker build -t quality-movies .
#   webserver: the default command; daemon: dagster-daemon run -w workspace.yaml

FROM python:3.11-slim AS build
WORKDIR /src
RUN --mount=type=cache,target=/root/.cache/pip python -m pip install "setuptools>=68" wheel
COPY . .
RUN PYTHON=python deploy/build-wheel.sh /dist

FROM python:3.11-slim
# A fixed uid, so that EFS or host mounts can grant it access; nothing in the image runs as root.
RUN useradd --system --uid 10001 --create-home --home-dir /home/dagster dagster \
    && mkdir -p /opt/dagster/home /opt/dagster/app \
    && chown dagster:dagster /opt/dagster/home
COPY deploy/install-wheel.sh /tmp/install-wheel.sh
COPY --from=build /dist/quality_movies-*.whl /tmp/dist/
RUN --mount=type=cache,target=/root/.cache/pip \
    PYTHON=python /tmp/install-wheel.sh /tmp/dist/quality_movies-*.whl /opt/venv \
    && rm -rf /tmp/dist /tmp/install-wheel.sh

# QUALITY_MOVIES_DEPLOYMENT=aws: the container refuses to load unless every AWS variable is set (no silent
# local stand-ins). PGSSLMODE=require: libpq encrypts the instance storage's connection to RDS.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DAGSTER_HOME=/opt/dagster/home \
    QUALITY_MOVIES_HOME=/opt/dagster/home/quality_movies \
    QUALITY_MOVIES_DEPLOYMENT=aws \
    PGSSLMODE=require
COPY --chown=dagster:dagster deploy/dagster.yaml /opt/dagster/home/dagster.yaml
COPY workspace.yaml /opt/dagster/app/workspace.yaml
WORKDIR /opt/dagster/app
USER dagster
EXPOSE 3000
CMD ["dagster-webserver", "-w", "workspace.yaml", "-h", "0.0.0.0", "-p", "3000"]
