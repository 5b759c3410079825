"""The warehouse contract: `movies.imdb_movies_rating` as a pandera schema, and how raw text becomes it.

`WAREHOUSE_TABLE_ROW` mirrors `sql/create_table.sql` column by column (name, type, nullability, byte
limit; a test compares them), and every other name here is derived from it. A good row whose text
cannot take the warehouse type is routed to the quarantine with the reason, never lost and never
allowed to fail the load half-way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from quality_movies.crawl import has_fraction, whole_double, whole_number

VIOLATIONS = "ContractViolations"
# Joins one row's reasons into one string that is then split into the list: building lists of
# strings element by element costs seconds per million rows, joining and splitting a fraction.
_SEPARATOR = "\x1f"
RawText = Callable[[str], pl.Expr]  # where a column's landed text is, by the column's name


class ParsedNumber(NamedTuple):
    """A column's value already parsed from its text (null where the text is no such number)."""

    value: pl.Expr
    dtype: type[pl.DataType]  # pl.Int64 or pl.Float64


# Where a column's parsed value is, by the column's name, or None where it was not parsed: parsing text
# again costs more than the rest of the contract together.
Parsed = Callable[[str], ParsedNumber | None]


def _not_parsed(_: str) -> None:
    return None


def max_bytes(limit: int) -> pa.Check:
    """Redshift's VARCHAR(n) holds n bytes, not n characters (PostgreSQL's holds characters).

    A plain Check, not one registered on pandera's Check class: registration imports pandas, which the polars
    backend (and so this package) does without.
    """

    def fits(data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key).str.len_bytes() <= limit)

    return pa.Check(fits, name="max_bytes", statistics={"limit": limit}, error=f"max_bytes(limit={limit})")


def _varchar(limit: int, nullable: bool = True) -> pa.Column:
    return pa.Column(pl.String, checks=max_bytes(limit), nullable=nullable)


def _column(dtype: type[pl.DataType], nullable: bool = True) -> pa.Column:
    return pa.Column(dtype, nullable=nullable)


# A good row as the table stores its data columns, typed as the recipe's "Change Schema" typed them: no column
# the table lacks (strict), in the table's order.
WAREHOUSE_ROW = pa.DataFrameSchema(
    {
        "poster_link": _varchar(1024),
        "series_title": _varchar(512),
        "released_year": _varchar(16),
        "certificate": _varchar(32),
        "runtime": _varchar(32),
        "genre": _varchar(256),
        "imdb_rating": _column(pl.Float64),
        "overview": _varchar(4096),
        "meta_score": _column(pl.Int64),
        "director": _varchar(256),
        "star1": _varchar(256),
        "star2": _varchar(256),
        "star3": _varchar(256),
        "star4": _varchar(256),
        "no_of_votes": _column(pl.Int64),
        "gross": _varchar(32),
    },
    strict=True,
    ordered=True,
    name="WarehouseRow",
)
# A row of `movies.imdb_movies_rating`: the data columns plus the lineage the load adds.
WAREHOUSE_TABLE_ROW = pa.DataFrameSchema(
    {
        **WAREHOUSE_ROW.columns,
        "source_file": _varchar(1024, nullable=False),
        "run_id": _varchar(64, nullable=False),
        "loaded_at": _column(pl.Datetime, nullable=False),
    },
    strict=True,
    ordered=True,
    name="WarehouseTableRow",
)


@dataclass(frozen=True)
class WarehouseColumn:
    """One column of the table, as the loader and the casts need it."""

    name: str
    sql_type: str
    dtype: type[pl.DataType]
    max_bytes: int | None = None
    nullable: bool = True


_SQL_TYPES: dict[type[pl.DataType], str] = {
    pl.Float64: "DOUBLE PRECISION",
    pl.Int64: "BIGINT",
    pl.Datetime: "TIMESTAMP",
}


def _columns(schema: pa.DataFrameSchema, names: list[str] | None = None) -> tuple[WarehouseColumn, ...]:
    found = []
    for name, column in schema.columns.items():
        if names is not None and name not in names:
            continue
        dtype = column.dtype.type.base_type()  # the class, whether pandera holds a class or an instance
        limit = next((check.statistics["limit"] for check in column.checks if check.name == "max_bytes"), None)
        sql_type = f"VARCHAR({limit})" if dtype is pl.String else _SQL_TYPES[dtype]
        found.append(WarehouseColumn(name, sql_type, dtype, limit, column.nullable))
    return tuple(found)


DATA_COLUMNS: tuple[WarehouseColumn, ...] = _columns(WAREHOUSE_ROW)
LINEAGE_COLUMNS: tuple[WarehouseColumn, ...] = _columns(
    WAREHOUSE_TABLE_ROW, [name for name in WAREHOUSE_TABLE_ROW.columns if name not in WAREHOUSE_ROW.columns]
)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(column.name for column in DATA_COLUMNS)


class MissingColumnsError(ValueError):
    """The file lacks columns the warehouse table needs."""


def check_required_columns(columns: list[str], source: str) -> None:
    """Raise if any warehouse column is absent from a (lower-cased) header."""
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise MissingColumnsError(
            f"{source}: the header lacks {', '.join(missing)}; expected columns: {', '.join(REQUIRED_COLUMNS)}"
        )


def _typed(column: WarehouseColumn, raw: RawText = pl.col, parsed: Parsed = _not_parsed) -> pl.Expr:
    text = raw(column.name)
    if column.dtype is pl.String:
        return text
    number = parsed(column.name)
    if number is None:
        # `80.0` and `1.0e3` are whole numbers: they load into BIGINT
        text = text.str.strip_chars()
        return whole_number(text) if column.dtype is pl.Int64 else text.cast(column.dtype, strict=False)
    if column.dtype is pl.Int64 and number.dtype is pl.Float64:
        return _whole(number.value, text)
    return number.value.cast(column.dtype)


def _whole(number: pl.Expr, text: pl.Expr) -> pl.Expr:
    """A parsed double as a bigint where it is a whole number; past 2**53, where the text is an integer."""
    return pl.coalesce(text.str.strip_chars().cast(pl.Int64, strict=False), whole_double(number))


def _broken(column: WarehouseColumn, raw: RawText, parsed: Parsed = _not_parsed) -> pl.Expr:
    """True where the raw text cannot be stored in the column (null for null text, which fits)."""
    text = raw(column.name)
    if column.max_bytes is not None:
        return text.str.len_bytes() > column.max_bytes
    return text.is_not_null() & _typed(column, raw, parsed).is_null()


def _reason(column: WarehouseColumn, text: pl.Expr) -> pl.Expr:
    if column.max_bytes is not None:
        return pl.lit(f"{column.name}: longer than {column.max_bytes} bytes ({column.sql_type})")
    reason = pl.format(f"{column.name}: '{{}}' is not a {column.sql_type}", text)
    if column.dtype is not pl.Int64:
        return reason
    fraction = pl.format(f"{column.name}: '{{}}' has a fraction; {column.sql_type} holds whole numbers", text)
    return pl.when(has_fraction(text.str.strip_chars())).then(fraction).otherwise(reason)


def violation_reasons(raw: RawText = pl.col, parsed: Parsed = _not_parsed) -> list[pl.Expr]:
    """Per column, why the row's landed text (`raw(name)`) cannot be stored in it; null where it can."""
    return [reason_where(_broken(c, raw, parsed), raw(c.name), partial(_reason, c)) for c in DATA_COLUMNS]


def reason_where(applies: pl.Expr, text: pl.Expr, reason: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """`reason(text)` where `applies`, else null. Both sides of a `when` are computed on every row, so `reason`
    gets the text only where it applies: spelling reasons out for every bad row cost 0.2 s per million rows."""
    return pl.when(applies).then(reason(pl.when(applies).then(text)))


def reasons_list(reasons: list[pl.Expr]) -> pl.Expr:
    """A row's non-null reasons as a list of strings (empty when there is none)."""
    if not reasons:
        return pl.lit([], dtype=pl.List(pl.String))
    kept = [reason.str.replace_all(_SEPARATOR, " ", literal=True) for reason in reasons]  # keep them splittable
    joined = pl.concat_str(kept, separator=_SEPARATOR, ignore_nulls=True)
    none = pl.lit([], dtype=pl.List(pl.String))
    return pl.when(joined == "").then(none).otherwise(joined.str.split(_SEPARATOR))


def violations_expr(raw: RawText = pl.col) -> pl.Expr:
    """Per row, the list of reasons the row cannot enter the warehouse (empty when it can)."""
    return reasons_list(violation_reasons(raw)).alias(VIOLATIONS)


def fits_expr(raw: RawText = pl.col, parsed: Parsed = _not_parsed) -> pl.Expr:
    """Per row, whether it can enter the warehouse: true exactly where `violations_expr()` is empty.

    Cheaper than the reasons; routing filters on it so that reasons are only built for bad rows.
    """
    return ~pl.any_horizontal([_broken(column, raw, parsed) for column in DATA_COLUMNS]).fill_null(False)


def warehouse_type_exprs(raw: RawText = pl.col, parsed: Parsed = _not_parsed) -> list[pl.Expr]:
    """The data columns cast from raw text (`raw(name)`) to the warehouse's types (null where a cast fails).

    `parsed` says where a column's value is already parsed as a number (the crawled types): it is used
    instead of parsing the text again.
    """
    return [_typed(column, raw, parsed).alias(column.name) for column in DATA_COLUMNS]


def to_warehouse_types(rows: pl.DataFrame) -> pl.DataFrame:
    """The warehouse's data columns, cast from the raw text of rows that passed the contract."""
    return rows.select(warehouse_type_exprs())
