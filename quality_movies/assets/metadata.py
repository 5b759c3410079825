"""Metadata helpers shared by the assets: what a person looks for on an asset's page."""

from collections.abc import Mapping

import dagster as dg
import polars as pl

from quality_movies.contract import DATA_COLUMNS, LINEAGE_COLUMNS

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
