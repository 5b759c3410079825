"""Catalog: what Glue's crawler does, inferring the landed file's schema into the catalog."""

import io

import dagster as dg
import polars as pl

from quality_movies.assets.landing import landed_file
from quality_movies.assets.metadata import OWNERS, tags
from quality_movies.landed_file import PARSE_PROBLEMS, read_landed
from quality_movies.partitions import landed_files
from quality_movies.resources.catalog import Catalog, CatalogColumns
from quality_movies.resources.lake import Lake

SCHEMA_CHECK = "schema_matches_previous_crawl"
# Glue crawler type names for what Polars infers from the sample.
SAMPLE_ROWS = 10_000  # rows the crawler infers types from
CRAWLER_TYPES = {pl.Int64: "bigint", pl.Float64: "double", pl.Boolean: "boolean"}


def crawl_columns(landed: pl.DataFrame) -> CatalogColumns:
    """Column names (lower-cased, as the crawler does) and crawler types inferred from a sample of the rows."""
    sample = io.BytesIO()
    landed.drop(PARSE_PROBLEMS).head(SAMPLE_ROWS).write_csv(sample)
    schema = pl.read_csv(sample.getvalue(), infer_schema_length=SAMPLE_ROWS).schema
    return [
        {"name": name.lower(), "type": CRAWLER_TYPES.get(dtype.base_type(), "string")} for name, dtype in schema.items()
    ]


def catalog_table_name(lake: Lake) -> str:
    """Glue's crawler names the table after the crawled folder."""
    return lake.landing_prefix.rstrip("/").rsplit("/", 1)[-1].lower().replace("-", "_")


def schema_drift(previous: CatalogColumns | None, current: CatalogColumns) -> dict[str, list[str]]:
    """Columns added, removed and retyped since the previous crawl (empty lists when none)."""
    before = {column["name"]: column["type"] for column in previous or []}
    after = {column["name"]: column["type"] for column in current}
    if previous is None:
        return {"added": [], "removed": [], "retyped": []}
    return {
        "added": [name for name in after if name not in before],
        "removed": [name for name in before if name not in after],
        "retyped": [
            f"{name}: {before[name]} -> {after[name]}"
            for name in after
            if name in before and before[name] != after[name]
        ],
    }


@dg.asset(
    partitions_def=landed_files,
    deps=[landed_file],
    group_name="catalog",
    kinds={"glue"},
    owners=OWNERS,
    tags=tags("catalog"),
    check_specs=[
        dg.AssetCheckSpec(
            SCHEMA_CHECK, asset="crawled_table", description="The file has the columns and types of the previous crawl."
        )
    ],
)
def crawled_table(context: dg.AssetExecutionContext, lake: Lake, catalog: Catalog) -> dg.MaterializeResult:
    """The catalog table of the landing prefix, its schema inferred from this file as Glue's crawler would.

    Drift against the previous crawl (added, removed or retyped columns) is recorded here and
    flagged by a warning check; it does not stop the run, since the quality stage judges the rows.
    """
    key = lake.landing_key(context.partition_key)
    columns = crawl_columns(read_landed(lake.uri(key), lake.storage_options(), source=key).frame)
    table = catalog_table_name(lake)
    drift = schema_drift(catalog.get_columns(table), columns)
    entry = catalog.put_table(table, columns, location=lake.uri(lake.landing_prefix) + "/")
    drifted = any(drift.values())
    return dg.MaterializeResult(
        metadata={
            "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(c["name"], c["type"]) for c in columns]),
            "catalog_entry": dg.MetadataValue.path(entry),
            "schema_drift": dg.MetadataValue.json(drift),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=SCHEMA_CHECK,
                passed=not drifted,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"drift": dg.MetadataValue.json(drift)},
            )
        ],
    )
