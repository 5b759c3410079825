"""The ingest job: one landed file through every asset and check, with notifications."""

import dagster as dg

from quality_movies.notifications import notify_on_failure, notify_on_success
from quality_movies.partitions import landed_files

ingest_landed_file = dg.define_asset_job(
    "ingest_landed_file",
    selection=dg.AssetSelection.all(),
    partitions_def=landed_files,
    hooks={notify_on_success, notify_on_failure},
    description="Take one landed file through catalog, quality, routing and the warehouse load, "
    "then refresh the year/genre view; notify the data-quality result and the pipeline status.",
)
