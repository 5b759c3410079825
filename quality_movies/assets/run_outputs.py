"""A run's per-file outputs in the lake, and when they become the file's outputs.

A run writes its quarantine (`bad_records/`) and its archive copy (`processed/`) before the warehouse
commit, beside the file's earlier ones, never over them. The load step removes the earlier quarantine
once its commit is done (a file has one quarantine: its rows not in the warehouse); archives are kept,
one per successful run, as the record of the bytes each loaded. A quality or load step that fails
removes what its run wrote (`discard_outputs_of_failed_steps`), so a failed run leaves the warehouse,
the quarantine and the archive as the last successful run left them. Rule outcomes are a report of
the evaluation, kept even when a run stops: each run's replaces the previous one at once.
"""

import dagster as dg

from quality_movies.resources.lake import BAD_RECORDS, PROCESSED, Lake, file_output_prefix, run_output_key

# What a run writes that only its warehouse commit makes the file's: removed if the run fails before it.
COMMITTED_WITH_LOAD = (BAD_RECORDS, PROCESSED)
# Of those, what the commit replaces: the quarantine stands for the rows the warehouse does not hold.
REPLACED_WITH_LOAD = (BAD_RECORDS,)


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


def committed(context: dg.AssetExecutionContext, lake: Lake) -> None:
    """After the warehouse commit: this run's quarantine is the file's; drop the earlier ones.

    Best effort: the rows are committed, so this step must not fail now (the failure hook would remove the
    quarantine of committed rows). Earlier outputs left behind are removed by the file's next load.
    """
    for prefix in REPLACED_WITH_LOAD:
        try:
            remove_earlier_outputs(lake, prefix, context.partition_key, context.run_id)
        except Exception as error:  # noqa: BLE001 - any storage error; the next load tries again
            context.log.warning(f"earlier {prefix} outputs of {context.partition_key} are left for later: {error}")


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
