"""The one Definitions object: assets, checks, jobs and the resources of this environment."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from quality_movies.assets import catalog, landing, quality, warehouse
from quality_movies.partitions import landed_files
from quality_movies.resources.catalog import LocalCatalog
from quality_movies.resources.lake import LocalLake
from quality_movies.resources.staging import StagingIOManager
from quality_movies.resources.warehouse import EmbeddedWarehouse

HOME_VARIABLE = "QUALITY_MOVIES_HOME"
DEFAULT_HOME = ".quality_movies"


def local_home() -> Path:
    """Folder of the local lake, catalog and warehouse (`QUALITY_MOVIES_HOME`, default `./.quality_movies`)."""
    return Path(os.environ.get(HOME_VARIABLE, DEFAULT_HOME)).resolve()


def local_resources(home: Path) -> dict[str, object]:
    """A laptop's stand-ins: a folder lake and catalog, an embedded PostgreSQL warehouse."""
    lake = LocalLake(root=str(home / "lake"))
    return {
        "lake": lake,
        "catalog": LocalCatalog(root=str(home / "catalog")),
        "warehouse": EmbeddedWarehouse(data_dir=str(home / "warehouse")),
        "io_manager": StagingIOManager(lake=lake),
    }


ingest_landed_file = dg.define_asset_job(
    "ingest_landed_file",
    selection=dg.AssetSelection.all(),
    partitions_def=landed_files,
    description="Take one landed file through catalog, quality, routing and the warehouse load, then refresh the view.",
)


def build_definitions(home: Path | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules([landing, catalog, quality, warehouse]),
        jobs=[ingest_landed_file],
        resources=local_resources(home or local_home()),
    )


defs = build_definitions()
