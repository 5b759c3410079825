"""The jobs: one landed file through every asset and check, with notifications; first ingest or replay."""

import dagster as dg

from quality_movies.assets.quality import QUALITY_STAGE
from quality_movies.assets.run_outputs import discard_outputs_of_failed_steps
from quality_movies.assets.warehouse import imdb_movies_rating
from quality_movies.notifications import notify_on_failure, notify_on_success
from quality_movies.partitions import landed_files

REPLAY_TAG = "quality_movies/replay"

RUN_HOOKS = {
    notify_on_success,
    notify_on_failure,
    # Routing or the load failed: nothing was committed, so this run's quarantine and archive go too.
    discard_outputs_of_failed_steps(QUALITY_STAGE, imdb_movies_rating.op.name),
}


def _file_job(name: str, description: str, tags: dict[str, str] | None = None):
    """Every asset for one landed file (a partition), with the run hooks."""
    return dg.define_asset_job(
        name,
        selection=dg.AssetSelection.all(),
        partitions_def=landed_files,
        hooks=RUN_HOOKS,
        # The steps form a chain, so separate step processes would buy no parallelism and cost a
        # process start (and a warehouse connection) per step; runs of different files still run apart.
        executor_def=dg.in_process_executor,
        tags=tags,
        description=description,
    )


ingest_landed_file = _file_job(
    "ingest_landed_file",
    "Take one landed file through catalog, quality, routing and the warehouse load, "
    "then refresh the year/genre view; notify the data-quality result and the pipeline status.",
)

# The same steps as the ingest: dataset rules (RowCount, Uniqueness, ...) judge the whole file, so a replay
# re-evaluates the whole landed file rather than its quarantined rows alone (quality_movies/replay.py).
replay_quarantine = _file_job(
    "replay_quarantine",
    "Replay a file's quarantine after a ruleset or mapping fix: re-evaluate the whole landed file "
    "(as it is now under the landing prefix: the original, or a corrected re-landed version; a loaded file, gone "
    "from the prefix, is landed again from its newest processed/ copy) under the current "
    "ruleset and mapping, load the rows that now pass and keep the rest quarantined. The load replaces the "
    "file's rows and its quarantine in one commit, so a replay is idempotent and every row stays in exactly one "
    "place; checks and dq_history update as in any run. Pick one partition, or backfill several.",
    tags={REPLAY_TAG: "true"},
)
