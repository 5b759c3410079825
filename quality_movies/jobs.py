"""The ingest job: one landed file through every asset and check, with notifications."""

import dagster as dg

from quality_movies.assets.quality import QUALITY_STAGE
from quality_movies.assets.run_outputs import discard_outputs_of_failed_steps
from quality_movies.assets.warehouse import imdb_movies_rating
from quality_movies.notifications import notify_on_failure, notify_on_success
from quality_movies.partitions import landed_files

ingest_landed_file = dg.define_asset_job(
    "ingest_landed_file",
    selection=dg.AssetSelection.all(),
    partitions_def=landed_files,
    hooks={
        notify_on_success,
        notify_on_failure,
        # Routing or the load failed: nothing was committed, so this run's quarantine and archive go too.
        discard_outputs_of_failed_steps(QUALITY_STAGE, imdb_movies_rating.op.name),
    },
    # The steps form a chain, so separate step processes would buy no parallelism and cost a
    # process start (and a warehouse connection) per step; runs of different files still run apart.
    executor_def=dg.in_process_executor,
    description="Take one landed file through catalog, quality, routing and the warehouse load, "
    "then refresh the year/genre view; notify the data-quality result and the pipeline status.",
)
