"""Real components for the tests: an embedded PostgreSQL reached through redshift_connector."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from quality_movies.definitions import build_definitions, resolved, resources_from_env
from quality_movies.partitions import landed_files
from quality_movies.resources.embedded_warehouse import EmbeddedWarehouse
from quality_movies_tests.data_files import IMDB_CSV

# Tests choose their environment themselves: a developer's AWS settings must not leak in.
for _name in [name for name in os.environ if name.startswith("QUALITY_MOVIES_") or name == "AWS_ENDPOINT_URL"]:
    del os.environ[_name]


def read_imdb(path: Path = IMDB_CSV) -> pl.DataFrame:
    """An IMDb file as the quality stage reads it: all text, lower-case headers."""
    frame = pl.read_csv(path, infer_schema=False)
    return frame.rename(str.lower)


def expected_good(frame: pl.DataFrame | None = None) -> int:
    """Rows of an IMDb frame that the default ruleset keeps, worked out here without the engine.

    `between` excludes its bounds; titles, genres and years must be present; a year is four digits.
    """
    frame = read_imdb() if frame is None else frame
    rating = pl.col("imdb_rating").cast(pl.Float64, strict=False)
    keeps = (rating > 8.5) & (rating < 10.3) & pl.col("released_year").str.contains(r"^[0-9]{4}$")
    complete = pl.all_horizontal(pl.col(c).is_not_null() for c in ("series_title", "genre", "released_year"))
    return frame.filter(keeps & complete).height


@pytest.fixture(scope="session")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One local environment (lake, catalog, warehouse) for the session."""
    return tmp_path_factory.mktemp("quality_movies_home")


@pytest.fixture(scope="session")
def warehouse(home: Path) -> EmbeddedWarehouse:
    """The embedded PostgreSQL, started once; it stops when the test process exits."""
    return resources_from_env(home)["warehouse"]


@pytest.fixture
def empty_warehouse(warehouse: EmbeddedWarehouse) -> EmbeddedWarehouse:
    """The warehouse with the `movies` schema dropped, so each test starts from nothing."""
    with warehouse.connection() as conn:
        conn.cursor().execute("DROP SCHEMA IF EXISTS movies CASCADE")
        conn.commit()
    return warehouse


@pytest.fixture
def clean_home(home: Path) -> Path:
    """The session's home with an empty lake and catalog, so no test sees another's files or crawls."""
    for folder in ("lake", "catalog"):
        shutil.rmtree(home / folder, ignore_errors=True)
    return home


class Pipeline:
    """Lands files and runs the ingest job for them, as the sensor or `quality-movies demo` would."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.lake = resolved(resources_from_env(home)["lake"])
        self.instance = dg.DagsterInstance.ephemeral()
        self.job = build_definitions(home).resolve_job_def("ingest_landed_file")

    def land(self, source: Path, name: str | None = None) -> str:
        key = f"{self.lake.landing_prefix}/{name or source.name}"
        self.lake.put_file(source, key)
        partition_key = self.lake.partition_key(key)
        self.instance.add_dynamic_partitions(landed_files.name, [partition_key])
        return partition_key

    def keys(self, prefix: str) -> list[str]:
        return [found.key for found in self.lake.list_objects(prefix)]

    def read_ndjson(self, key: str) -> pl.DataFrame:
        return pl.read_ndjson(self.lake.path(key))

    def run(self, partition_key: str) -> dg.ExecuteInProcessResult:
        return self.job.execute_in_process(partition_key=partition_key, instance=self.instance, raise_on_error=False)


@pytest.fixture
def pipeline(clean_home: Path, empty_warehouse: EmbeddedWarehouse) -> Pipeline:
    return Pipeline(clean_home)
