"""Hands frames between assets as Parquet files under the lake's `staging/` prefix."""

import dagster as dg
import polars as pl

from quality_movies.resources.lake import STAGING, Lake


class StagingIOManager(dg.ConfigurableIOManager):
    """Stores each asset partition's frame at `staging/<asset>/<partition>.parquet`.

    Partition keys never contain `/` (see `partitions.py`), so each is one file name.
    """

    lake: dg.ResourceDependency[Lake]

    def _key(self, context: dg.OutputContext | dg.InputContext) -> str:
        asset = "/".join(context.asset_key.path)
        partition = context.asset_partition_key if context.has_asset_partitions else "all"
        return f"{STAGING}/{asset}/{partition}.parquet"

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        key = self._key(context)
        self.lake.write_frame(key, obj, "parquet")
        context.add_output_metadata({"staged_at": dg.MetadataValue.path(self.lake.uri(key))})

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        return self.lake.read_parquet(self._key(context))
