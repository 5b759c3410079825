"""A run's per-file outputs in the lake, and when they become the file's outputs.

A run writes its quarantine (`bad_records/`) and its archive copy (`processed/`, the bytes it read) before the
warehouse commit, beside the file's earlier ones, never over them; the load step removes the earlier ones once
its commit is done (the file's quarantine and archive are those of the rows the warehouse holds, as the
recipe's `processed/` copy of a file is replaced when the file is processed again). A quality or load step that
fails removes what its run wrote (`discard_outputs_of_failed_steps`), and what a killed run left is removed by
the file's next commit, so the warehouse, the quarantine and the archive always tell the last successful run's
story. Rule outcomes are a report of the evaluation, kept even when a run stops: each run's replaces the
previous one at once.

Once the commit is done, the landed file leaves the landing prefix (so the listing stays as long as the files
waiting, not every file ever landed): only the version the routing run read, and only if it is still that
version (`Lake.remove_version`: a conditional delete on S3, a rename aside checked and undone if needed locally).
A re-upload that landed while the run ran stays, and the sensor takes it as any new version. A file whose run
stops or fails is not loaded and keeps its place: nothing of it stays archived (the quality step removes the
archive copy it made while evaluating, and a failed step's hook its run's), so the landed object is its only
copy, and replaying it after a fix reads it there.
"""

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager

import dagster as dg

from quality_movies.assets.landing import landed_file, landed_version
from quality_movies.resources.lake import (
    BAD_RECORDS,
    PROCESSED,
    Fingerprint,
    Lake,
    file_output_prefix,
    run_output_key,
)

STAGED_ROWS = dg.AssetKey("good_rows")  # materialized by the quality step once the rows are staged
# What a run writes that only its warehouse commit makes the file's: removed if the run fails before it,
# and the earlier runs' removed once it commits.
COMMITTED_WITH_LOAD = (BAD_RECORDS, PROCESSED)


def run_prefix(prefix: str, partition_key: str, run_id: str) -> str:
    """The folder of one run's outputs for one file under `prefix`."""
    return run_output_key(prefix, partition_key, run_id, "").rstrip("/")


def outputs_of_other_runs(lake: Lake, prefix: str, partition_key: str, run_id: str) -> list[str]:
    """Keys of the file's outputs under `prefix` that other runs wrote."""
    own = f"{run_prefix(prefix, partition_key, run_id)}/"
    return [
        found.key
        for found in lake.list_objects(file_output_prefix(prefix, partition_key))
        if not found.key.startswith(own)
    ]


def remove_earlier_outputs(lake: Lake, prefix: str, partition_key: str, run_id: str) -> None:
    """Delete the file's outputs under `prefix` that other runs wrote, once this run's are in place."""
    for key in outputs_of_other_runs(lake, prefix, partition_key, run_id):
        lake.delete(key)


def remove_run_outputs(lake: Lake, partition_key: str, run_id: str) -> None:
    """Delete what one run wrote that only a warehouse commit would have made the file's."""
    for prefix in COMMITTED_WITH_LOAD:
        lake.delete_prefix(run_prefix(prefix, partition_key, run_id))


@contextmanager
def archived_meanwhile(lake: Lake, key: str, target: str, expected: Fingerprint) -> Iterator[Future]:
    """Copy version `expected` of `key` to `target` while the block runs: copying is I/O, the block's evaluation
    CPU. The block waits for the copy's result before it routes anything; a block that fails (a stop, an
    unreadable file) removes the copy, hook or not: only routed files are archived."""
    with ThreadPoolExecutor(1) as copier:
        copying = copier.submit(lake.archive, key, target, expected)
        try:
            yield copying
        except BaseException:
            wait([copying])
            lake.delete(target)
            raise


def routing_run(context: dg.AssetExecutionContext) -> str:
    """The run whose quality step staged the rows this load loads: its quarantine and archive go with them.

    Usually this run; another one when the load runs apart from the routing (a re-execution from failure, or
    the warehouse asset materialized alone), which is why it is read from the staged rows' materialization.
    """
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=STAGED_ROWS, asset_partitions=[context.partition_key]), limit=1
    ).records
    return records[0].run_id if records else context.run_id


def committed(context: dg.AssetExecutionContext, lake: Lake, routed_by: str) -> None:
    """After the warehouse commit: the routing run's quarantine and archive are the file's; drop the others, and
    the landed file if it is still the version loaded (`remove_landed_version`).

    Best effort: the rows are committed, so this step must not fail now (the failure hook would remove the
    quarantine of committed rows). Earlier outputs left behind are removed by the file's next load; a landed
    file left behind stays landed (its content is ingested: the sensor does not run it again).
    """
    for prefix in COMMITTED_WITH_LOAD:
        try:
            remove_earlier_outputs(lake, prefix, context.partition_key, routed_by)
        except Exception as error:  # noqa: BLE001 - any storage error; the next load tries again
            context.log.warning(f"earlier {prefix} outputs of {context.partition_key} are left for later: {error}")
    try:
        remove_landed_version(context, lake, routed_by)
    except Exception as error:  # noqa: BLE001 - any storage error: the file stays landed, which loses nothing
        context.log.warning(f"{lake.landing_key(context.partition_key)} stays landed: {error}")


def version_read_by(instance: dg.DagsterInstance, run_id: str) -> Fingerprint | None:
    """The version of the landed file that run `run_id` fingerprinted (None if it never materialized landed_file)."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    for record in reversed(records):
        materialization = record.event_log_entry.asset_materialization
        if materialization is not None and materialization.asset_key == landed_file.key:
            version = landed_version(materialization)
            if version is not None:
                return version
    return None


def remove_landed_version(context: dg.AssetExecutionContext, lake: Lake, routed_by: str) -> bool:
    """Take the landed file out of the landing prefix if it is still the version the routing run read.

    That version is archived under `processed/` and its rows are committed. Any other version (a re-upload
    that landed while the run ran) stays for its own run. True if the file was removed.
    """
    key = lake.landing_key(context.partition_key)
    read = version_read_by(context.instance, routed_by)
    if read is None:  # routed without a landed_file step in its run: which version it read is not recorded
        context.log.info(f"{key} stays landed: run {routed_by} recorded no landed version to compare it with")
        return False
    if lake.remove_version(key, read):
        context.log.info(f"{key} left the landing prefix: its rows are loaded and its bytes archived")
        return True
    context.log.info(f"{key} stays landed: it is no longer the version {read.etag} this run loaded")
    return False


def discard_outputs_of_failed_steps(*op_names: str) -> dg.HookDefinition:
    """A failure hook for the steps whose failure means the run's warehouse load did not commit.

    It removes the quarantine and archive the run wrote; a failing view refresh keeps them (its rows were committed).
    """

    @dg.failure_hook(name="discard_uncommitted_outputs", required_resource_keys={"lake"})
    def discard_uncommitted_outputs(context: dg.HookContext) -> None:
        if context.op.name not in op_names:
            return
        run = context.instance.get_run_by_id(context.run_id)
        partition_key = run.tags.get("dagster/partition") if run else None
        if partition_key:
            remove_run_outputs(context.resources.lake, partition_key, context.run_id)

    return discard_uncommitted_outputs
