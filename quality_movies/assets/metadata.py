"""Metadata helpers shared by the assets: what a person looks for on an asset's page."""

import math
import warnings
from collections.abc import Mapping

import dagster as dg
import polars as pl

from quality_movies.contract import DATA_COLUMNS, LINEAGE_COLUMNS
from quality_movies.partitions import landed_files

OWNERS = ["team:data-platform"]
SAMPLE_ROWS = 5


def tags(stage: str) -> dict[str, str]:
    """Tags that let the catalog be filtered by the recipe's stages."""
    return {"domain": "movies", "stage": stage}


def column_schema(schema: Mapping[str, pl.DataType]) -> dg.TableSchema:
    """Columns and their Polars types, for the asset page's schema tab."""
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in schema.items()])


def warehouse_schema() -> dg.TableSchema:
    """The warehouse table's columns as `sql/create_table.sql` declares them."""
    return dg.TableSchema(
        columns=[dg.TableColumn(c.name, c.sql_type.lower()) for c in (*DATA_COLUMNS, *LINEAGE_COLUMNS)]
    )


def markdown_table(frame: pl.DataFrame) -> str:
    """A small frame as a Markdown table (lists joined, long cells cut, pipes escaped)."""

    def cell(value: object) -> str:
        text = ", ".join(map(str, value)) if isinstance(value, list) else "" if value is None else str(value)
        return text.replace("|", "\\|").replace("\n", " ")[:120]

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.width]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join(lines)


def per_file_check(name: str, **spec: object) -> dg.AssetCheckSpec:
    """A check evaluated per landed file (partitioned like its asset), so each file has its own status.

    Dagster 1.13 marks partitioned checks as a preview and warns once per definition load; the feature is
    chosen on purpose (issue 12), so the warning is not repeated at every start of `dagster dev`.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(name, partitions_def=landed_files, **spec)


def score_percent(score: float | None) -> float:
    """The DQ score as a percentage rounded to one decimal (5/7 -> 71.4), NaN when no rule was scored."""
    return float("nan") if score is None else round(100 * score, 1)


def plotted(value: float | int | None) -> dg.MetadataValue:
    """A metric as numeric metadata the UI plots: integers as ints, others as floats (null/NaN as NaN)."""
    if isinstance(value, bool) or value is None:
        return dg.MetadataValue.float(float("nan") if value is None else float(value))
    if isinstance(value, int):
        return dg.MetadataValue.int(value)
    return dg.MetadataValue.float(float(value) if math.isfinite(value) else float("nan"))
