"""The warehouse contract: the columns of `movies.imdb_movies_rating` and how raw text becomes them.

Mirrors `sql/create_table.sql` (a test compares them column by column). A good row whose
text cannot take the warehouse type is routed to the quarantine with the reason, never lost
and never allowed to fail the load half-way.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class WarehouseColumn:
    name: str
    sql_type: str
    dtype: type[pl.DataType]
    max_bytes: int | None = None


def _text(name: str, max_bytes: int) -> WarehouseColumn:
    return WarehouseColumn(name, f"VARCHAR({max_bytes})", pl.String, max_bytes)


DATA_COLUMNS: tuple[WarehouseColumn, ...] = (
    _text("poster_link", 1024),
    _text("series_title", 512),
    _text("released_year", 16),
    _text("certificate", 32),
    _text("runtime", 32),
    _text("genre", 256),
    WarehouseColumn("imdb_rating", "DOUBLE PRECISION", pl.Float64),
    _text("overview", 4096),
    WarehouseColumn("meta_score", "BIGINT", pl.Int64),
    _text("director", 256),
    _text("star1", 256),
    _text("star2", 256),
    _text("star3", 256),
    _text("star4", 256),
    WarehouseColumn("no_of_votes", "BIGINT", pl.Int64),
    _text("gross", 32),
)
LINEAGE_COLUMNS: tuple[WarehouseColumn, ...] = (
    _text("source_file", 1024),
    _text("run_id", 64),
    WarehouseColumn("loaded_at", "TIMESTAMP", pl.Datetime),
)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(column.name for column in DATA_COLUMNS)
VIOLATIONS = "ContractViolations"


class MissingColumnsError(ValueError):
    """The file lacks columns the warehouse table needs."""


def check_required_columns(columns: list[str], source: str) -> None:
    """Raise if any warehouse column is absent from a (lower-cased) header."""
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise MissingColumnsError(
            f"{source}: the header lacks {', '.join(missing)}; expected columns: {', '.join(REQUIRED_COLUMNS)}"
        )


def _typed(column: WarehouseColumn) -> pl.Expr:
    raw = pl.col(column.name)
    if column.dtype is pl.String:
        return raw
    return raw.str.strip_chars().cast(column.dtype, strict=False)


def _violation(column: WarehouseColumn) -> pl.Expr:
    raw = pl.col(column.name)
    if column.max_bytes is not None:
        broken = raw.str.len_bytes() > column.max_bytes
        reason = pl.lit(f"{column.name}: longer than {column.max_bytes} bytes ({column.sql_type})")
    else:
        broken = raw.is_not_null() & _typed(column).is_null()
        reason = pl.format(f"{column.name}: '{{}}' is not a {column.sql_type}", raw)
    return pl.when(broken).then(reason)


def violations_expr() -> pl.Expr:
    """Per row, the list of reasons the row cannot enter the warehouse (empty when it can)."""
    return pl.concat_list([_violation(column) for column in DATA_COLUMNS]).list.drop_nulls().alias(VIOLATIONS)


def to_warehouse_types(rows: pl.DataFrame) -> pl.DataFrame:
    """The warehouse's data columns, cast from the raw text of rows that passed the contract."""
    return rows.select([_typed(column).alias(column.name) for column in DATA_COLUMNS])
