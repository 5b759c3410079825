"""Landing: a CSV file arrives under `input_data/`; one dynamic partition per file."""

import dagster as dg

from quality_movies.assets.metadata import OWNERS, tags
from quality_movies.partitions import landed_files
from quality_movies.resources.lake import Lake


class LandedFileMissingError(FileNotFoundError):
    """The partition names a file that is not (or no longer) in the landing prefix."""


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
    content is recognised as new data for the same partition.
    """
    key = lake.landing_key(context.partition_key)
    if not lake.exists(key):
        raise LandedFileMissingError(f"{lake.uri(key)} does not exist; was it moved or deleted after landing?")
    found = lake.describe(key)
    return dg.MaterializeResult(
        metadata={
            "object_key": key,
            "path": dg.MetadataValue.path(lake.uri(key)),
            "size_bytes": found.size,
            "etag": found.etag,
        },
        data_version=dg.DataVersion(found.etag),
    )
