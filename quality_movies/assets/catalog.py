"""Catalog: what Glue's crawler does, inferring the landed file's schema into the catalog."""

from collections.abc import Sequence

import dagster as dg

from quality_movies.assets.failures import bad_input_explained
from quality_movies.assets.landing import landed_file
from quality_movies.assets.metadata import OWNERS, tags
from quality_movies.crawl import CatalogColumns, Crawl, crawl_sample
from quality_movies.partitions import landed_files
from quality_movies.resources.catalog import Catalog
from quality_movies.resources.lake import Lake
from quality_movies.ruleset_config import load_ruleset

SCHEMA_CHECK = "schema_matches_previous_crawl"
SAMPLE_BYTES = 1 << 22  # the first read of a file's head; doubled until it holds the crawler's sample


def crawl_landed(lake: Lake, key: str, null_tokens: Sequence[str] = ()) -> CatalogColumns:
    """The columns of the landed file at `key`, from a sample at its head: the file itself is not read.

    The dataset's missing-value tokens are missing values for the crawler too, as for the quality step.
    """
    return crawl_landed_sample(lake, key, null_tokens).columns


def crawl_landed_sample(lake: Lake, key: str, null_tokens: Sequence[str] = ()) -> Crawl:
    """The crawl of the landed file at `key` (columns and what its sample shows), from a sample at its head."""
    size = lake.describe(key).size
    with lake.scratch() as scratch:
        read = SAMPLE_BYTES
        while True:
            head = lake.read_head(key, read)
            crawled = crawl_sample(head, len(head) >= size, scratch, source=key, null_tokens=null_tokens)
            if crawled is not None:
                return crawled
            read *= 4


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
            SCHEMA_CHECK,
            asset="crawled_table",
            description="The file has the columns and types of the catalog table (the last file that loaded).",
        )
    ],
)
def crawled_table(context: dg.AssetExecutionContext, lake: Lake, catalog: Catalog) -> dg.MaterializeResult:
    """The file's schema, inferred as Glue's crawler would from its head, and its drift against the catalog table.

    The columns are the landed file's (lower-cased), as Glue's crawler names them; the column mapping in
    force (Glue's "Change Schema" step, applied by the quality step) and the dataset's missing-value tokens
    are in the metadata, with the values of the sample that look double-encoded (UTF-8 read as Windows-1252:
    `GiuffrÃ¨`), by column, and whether the quality step repairs them (`repair_double_encoding`).

    The rules run on these types. The catalog keeps the last good schema: it is updated (`register_crawl`)
    only once the quality step has read the whole file and routed its rows, so a file that fails before
    that never replaces the table, and drift (added, removed or retyped columns) is always measured against
    the last file that loaded. Drift is flagged by a warning check; it does not stop the run, since the
    quality stage judges the rows.
    """
    key = lake.landing_key(context.partition_key)
    settings = load_ruleset()  # the quality step's: its mapping and missing-value tokens
    with bad_input_explained(key):
        crawled = crawl_landed_sample(lake, key, settings.null_tokens)
    columns = crawled.columns
    table = catalog_table_name(lake)
    drift = schema_drift(catalog.get_columns(table), columns)
    drifted = any(drift.values())
    return dg.MaterializeResult(
        metadata={
            "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(c["name"], c["type"]) for c in columns]),
            "catalog_table": f"{catalog.database}.{table}",
            "schema_drift": dg.MetadataValue.json(drift),
            "column_mapping": dg.MetadataValue.json(settings.mapping.describe()),
            "null_tokens": dg.MetadataValue.json(list(settings.null_tokens)),
            "double_encoded_values": dg.MetadataValue.json(crawled.double_encoded),
            "double_encoded_sample_rows": crawled.sample_rows,
            "repair_double_encoding": settings.repair_double_encoding,
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


def register_crawl(lake: Lake, catalog: Catalog, columns: CatalogColumns) -> str:
    """Make `columns` the catalog table's schema (Glue or local alike); where a person finds the entry.

    Called by the quality step once the file's rows are routed: only a file that got that far replaces
    the schema the next crawl is compared with. The Athena tables over the quarantine and the rule outcomes
    (`<table>_bad_records`, `<table>_rule_outcome`) are registered with it, their landed columns as this file's.
    """
    table = catalog_table_name(lake)
    entry = catalog.put_table(table, columns, location=lake.uri(lake.landing_prefix) + "/")
    catalog.put_output_tables(table, columns, lake)
    return entry
