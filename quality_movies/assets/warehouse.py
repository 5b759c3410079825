"""Warehouse: load the good rows into `movies.imdb_movies_rating`, then refresh the year/genre view."""

import dagster as dg
import polars as pl

from quality_movies.assets.metadata import OWNERS, per_file_check, tags, warehouse_schema
from quality_movies.assets.run_outputs import committed, routing_run
from quality_movies.partitions import landed_files
from quality_movies.resources.lake import Lake, staged_good_rows_key
from quality_movies.resources.warehouse import SCHEMA, TABLE, VIEW, Warehouse

# An unreachable or dropped warehouse is retried (each load is one transaction, so a retry
# starts from the table as it was), then the step fails cleanly: 2 s, 4 s, 8 s between tries.
WAREHOUSE_RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL)
LOADED_MATCHES_GOOD = "warehouse_matches_good_rows"
VIEW_COUNTS_TABLE = "view_counts_every_loaded_row"
VIEW_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("released_year", "varchar(16)"),
        dg.TableColumn("genre", "varchar(256)"),
        dg.TableColumn("movie_count", "bigint"),
    ]
)


class GoodRowsNotStagedError(dg.Failure):
    """The file's good rows are not staged: the quality step has not run for it (or failed before routing)."""


def staged_good_rows(lake: Lake, partition_key: str) -> pl.LazyFrame:
    """The good rows the quality step staged for this file, read lazily from the lake."""
    key = staged_good_rows_key(partition_key)
    if not lake.exists(key):
        raise GoodRowsNotStagedError(
            description=f"no good rows staged at {key!r} ({lake.uri(key)}): the quality step must run "
            "for this file first (materialize good_rows for the partition), then the load",
            allow_retries=False,  # waiting does not stage them
        )
    return pl.scan_parquet(lake.uri(key), storage_options=lake.storage_options(), glob=False)  # keys are data


@dg.asset(
    key=[SCHEMA, TABLE],
    deps=[dg.AssetKey("good_rows")],
    partitions_def=landed_files,
    group_name="warehouse",
    kinds={"redshift"},
    metadata={"dagster/table_name": f"{SCHEMA}.{TABLE}", "dagster/column_schema": warehouse_schema()},
    owners=OWNERS,
    tags=tags("warehouse"),
    retry_policy=WAREHOUSE_RETRY,
    check_specs=[
        per_file_check(
            LOADED_MATCHES_GOOD,
            asset=[SCHEMA, TABLE],
            description="The table holds exactly the file's good rows after the load.",
        ),
    ],
)
def imdb_movies_rating(context: dg.AssetExecutionContext, lake: Lake, warehouse: Warehouse) -> dg.MaterializeResult:
    """The warehouse table of good rows, with lineage columns `source_file`, `run_id`, `loaded_at`.

    The good rows staged by the quality step are bulk-loaded (COPY) and replace the file's
    earlier rows in one transaction: a re-run never duplicates them and a failed load leaves
    the table as it was, and the file's quarantine and archive as its last successful run left them.
    The landed file itself is not read again: the quality step archived to `processed/` the version
    it read, before routing, so it is in the archive before this commit.
    """
    source_file = lake.landing_key(context.partition_key)
    good_rows = staged_good_rows(lake, context.partition_key)
    routed_by = routing_run(context)  # read before the load: a later routing run must not pass for it
    staged = good_rows.select(pl.len()).collect().item()
    with warehouse.session() as session:  # one connection for the whole step
        session.ensure_table()
        in_table = session.replace_file_rows(source_file, good_rows, context.run_id)
    committed(context, lake, routed_by)  # their quarantine and archive are now the file's; nothing after may fail
    return dg.MaterializeResult(
        metadata={"dagster/row_count": in_table, "source_file": source_file},
        check_results=[
            dg.AssetCheckResult(
                check_name=LOADED_MATCHES_GOOD,
                passed=in_table == staged,
                metadata={"rows_in_table": in_table, "good_rows": staged},
            )
        ],
    )


@dg.asset(
    key=[SCHEMA, VIEW],
    deps=[imdb_movies_rating],
    group_name="warehouse",
    kinds={"redshift", "sns"},
    metadata={"dagster/table_name": f"{SCHEMA}.{VIEW}", "dagster/column_schema": VIEW_SCHEMA},
    owners=OWNERS,
    tags=tags("warehouse"),
    retry_policy=WAREHOUSE_RETRY,
    check_specs=[
        dg.AssetCheckSpec(
            VIEW_COUNTS_TABLE,
            asset=[SCHEMA, VIEW],
            description="The view's movie_count adds up to the rows in the table.",
        ),
    ],
)
def year_aggregated_genre(warehouse: Warehouse) -> dg.MaterializeResult:
    """Materialized view counting movies by `released_year` and `genre` over all loaded files.

    Created if missing, refreshed after each load; the pipeline-status notification follows it.
    """
    with warehouse.session() as session:  # one connection for the whole step
        session.ensure_table()
        session.refresh_view()
        groups, movie_count_total = session.view_summary()
        table_rows = session.count_table_rows()
    return dg.MaterializeResult(
        metadata={"dagster/row_count": groups, "movie_count_total": movie_count_total, "table_rows": table_rows},
        check_results=[
            dg.AssetCheckResult(
                check_name=VIEW_COUNTS_TABLE,
                passed=movie_count_total == table_rows,
                metadata={"movie_count_total": movie_count_total, "table_rows": table_rows},
            )
        ],
    )


def named_by(schema_name: str = SCHEMA, table_name: str = TABLE, view_name: str = VIEW) -> list[dg.AssetsDefinition]:
    """The two warehouse assets, their `dagster/table_name` naming the relations as the warehouse is configured.

    Asset keys stay the logical `movies/...` names whatever the schema, table and view are called.
    """
    names = {
        imdb_movies_rating.key: f"{schema_name}.{table_name}",
        year_aggregated_genre.key: f"{schema_name}.{view_name}",
    }
    return dg.map_asset_specs(
        lambda spec: spec.merge_attributes(metadata={"dagster/table_name": names[spec.key]}),
        [imdb_movies_rating, year_aggregated_genre],
    )
