"""Landing: a CSV file arrives under `input_data/`; one dynamic partition per file."""

import dagster as dg

from quality_movies.assets.metadata import OWNERS, tags
from quality_movies.partitions import landed_files
from quality_movies.resources.lake import PROCESSED, Fingerprint, Lake


class LandedFileMissingError(FileNotFoundError):
    """The partition names a file that is not in the landing prefix, and that no run archived."""


def land_again_from_archive(lake: Lake, partition_key: str) -> str | None:
    """Land the file's newest `processed/` copy at its landing key if the landed object is gone; the copy's key.

    A loaded file leaves the landing prefix with its load's commit, so running its partition again (a replay, a
    re-materialization) lands the bytes its last successful run read once more: a new version, fingerprinted as any
    landing, never an archive copy read in place of the landed object. None when the file is landed.
    """
    key = lake.landing_key(partition_key)
    if lake.exists(key):
        return None
    archive = lake.newest_output(PROCESSED, partition_key)
    if archive is None:
        raise LandedFileMissingError(f"{lake.uri(key)} does not exist, and no run archived it: land the file again")
    lake.copy(archive, key)
    return archive


def landed_version(materialization: dg.AssetMaterialization) -> Fingerprint | None:
    """The version (ETag, size) a `landed_file` materialization recorded, or None if it recorded none."""
    metadata = materialization.metadata
    if "etag" not in metadata or "size_bytes" not in metadata:
        return None
    return Fingerprint(etag=str(metadata["etag"].value), size=int(metadata["size_bytes"].value))


@dg.asset(
    partitions_def=landed_files,
    group_name="landing",
    kinds={"csv", "s3"},
    owners=OWNERS,
    tags=tags("landing"),
)
def landed_file(context: dg.AssetExecutionContext, lake: Lake) -> dg.MaterializeResult:
    """The raw CSV file as it landed in the lake's `input_data/` prefix, fingerprinted.

    Its ETag (locally a stamp of modification time and size) is the data version, so a re-uploaded file with new
    content is recognised as new data for the same partition. A file that left the prefix with its load is landed
    again from its archive first (`land_again_from_archive`).
    """
    key = lake.landing_key(context.partition_key)
    archive = land_again_from_archive(lake, context.partition_key)
    if archive is not None:
        context.log.info(f"{key} had left the landing prefix with its load: landed again from {archive}")
    found = lake.describe(key)
    return dg.MaterializeResult(
        metadata={
            "object_key": key,
            "path": dg.MetadataValue.path(lake.uri(key)),
            "size_bytes": found.size,
            "etag": found.etag,
            **({"landed_again_from": dg.MetadataValue.path(lake.uri(archive))} if archive else {}),
        },
        data_version=dg.DataVersion(found.etag),
    )


# The record of what was ingested is the instance's own: each landed_file materialization carries the object's
# ETag (its data version). The sensor and `quality-movies demo` both consult it, so a file is ingested once per
# content whichever of them sees it first; a run already requested for that content (queued, running, or one
# that stopped before landed_file was measured) counts too, which closes the gap between a run's start and that
# materialization.
ETAG_TAG = "quality_movies/etag"
PARTITION_TAG = "dagster/partition"


def _last_landed(instance: dg.DagsterInstance, partition_key: str) -> tuple[str | None, str] | None:
    """(ETag, run id) of the last landed_file materialized for `partition_key`, or None if it never was."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=landed_file.key, asset_partitions=[partition_key]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return None
    etag = records[0].asset_materialization.metadata.get("etag")
    return (None if etag is None else str(etag.value)), records[0].run_id


def run_for_content(instance: dg.DagsterInstance, partition_key: str, etag: str) -> str | None:
    """The id of a run already requested for this file's content (by the sensor or `demo`), if any."""
    runs = instance.get_run_records(dg.RunsFilter(tags={PARTITION_TAG: partition_key, ETAG_TAG: etag}), limit=1)
    return runs[0].dagster_run.run_id if runs else None


def ingested_by(instance: dg.DagsterInstance, partition_key: str, etag: str) -> str | None:
    """The run that ingested (or is ingesting) this content of the file, or None if none did."""
    last = _last_landed(instance, partition_key)
    if last is not None and last[0] == etag:
        return last[1]
    return run_for_content(instance, partition_key, etag)
