"""What Glue's crawler does to a landed file: name its columns and infer their types from a sample of rows.

The rules run on these types, as Glue Data Quality runs them on the catalog's: numbers compare as
numbers. The catalog step and the quality step infer from the same first `SAMPLE_ROWS` records with the
same function, so they agree without handing a schema between them. A value that does not fit its
column's crawled type (`eighty` in a bigint column seen after the sample) is null for the rules and a
reason on its row (`type_misfits`), which keeps that row out of the warehouse.

A column written as `80.0` throughout is crawled `double`, as Glue's crawler types it: the catalog shows
what Glue would show (and a drift from `bigint` is worth a warning), and the rules compare the same
numbers either way. Whole numbers written as floats still load into the warehouse's BIGINT columns
(`contract`), and in a column crawled `bigint` a later `80.0` fits: only a fraction (`80.5`) misfits.

The crawler also counts, per column of its sample, the values that look double-encoded (`GiuffrÃ¨`), so that
the catalog and `validate` show a file that needs its dataset's `repair_double_encoding`. Counting the whole
file instead cost the quality step 6-12% more CPU (200,000 rows); the sample says whether a file needs it.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from quality_movies.landed_bytes import GZIP_MAGIC
from quality_movies.landed_table import LandedTable, double_encoded_counts, read_then

CatalogColumns = list[dict[str, str]]  # [{"name": ..., "type": ...}], in file order
SAMPLE_ROWS = 10_000  # records the crawler infers types from
BIGINT, DOUBLE, BOOLEAN, STRING = "bigint", "double", "boolean", "string"
POLARS_TYPES: dict[str, type[pl.DataType]] = {BIGINT: pl.Int64, DOUBLE: pl.Float64, BOOLEAN: pl.Boolean}
_INTEGER = r"^[+-]?[0-9]+$"
_EXACT_IN_DOUBLE = 2.0**53
_BOOLEAN = r"(?i)^(true|false)$"


def first_records(table: LandedTable) -> pl.DataFrame:
    """The table's first `SAMPLE_ROWS` records, the crawler's sample (data columns only, as text)."""
    return table.scan().head(SAMPLE_ROWS).select(table.columns).collect()


def infer_columns(sample: pl.DataFrame, null_tokens: Sequence[str] = ()) -> CatalogColumns:
    """Each text column's crawler type (`bigint`, `double`, `boolean` or `string`) from its non-empty values.

    Fields whose whole text is one of the dataset's `null_tokens` (e.g. `NA`) are missing values, not text:
    a column of numbers with `NA` in it is still numeric.
    """
    return [{"name": name, "type": _crawler_type(sample.get_column(name), null_tokens)} for name in sample.columns]


def without_null_tokens(text: pl.Expr, null_tokens: Sequence[str]) -> pl.Expr:
    """The text with the dataset's missing-value tokens as null (the text itself when there are none)."""
    if not null_tokens:
        return text
    return pl.when(~text.is_in(list(null_tokens))).then(text)


def whole_number(text: pl.Expr) -> pl.Expr:
    """Text as a bigint: an integer, or a whole number written as a float (`80.0`, `1.0e3`); else null.

    A data engineer's exports often write integers as floats; their value is an integer, so it loads as
    one. A fraction (`80.5`) does not: truncating it would change the data.
    """
    integer = text.cast(pl.Int64, strict=False)
    # Only text that is no integer is parsed again as a double: null text parses for free.
    number = pl.when(integer.is_null()).then(text).cast(pl.Float64, strict=False)
    return pl.coalesce(integer, whole_double(number))


def whole_double(number: pl.Expr) -> pl.Expr:
    """A double as a bigint where it is a whole number, else null.

    Past 2**53 a double cannot hold every whole number, so `9007199254740993.0` is refused rather than
    loaded as another number.
    """
    return pl.when((number.abs() < _EXACT_IN_DOUBLE) & (number == number.floor())).then(number.cast(pl.Int64))


def has_fraction(text: pl.Expr) -> pl.Expr:
    """True where the text is a finite number that is not whole (`80.5`)."""
    number = text.cast(pl.Float64, strict=False)
    return number.is_finite() & (number != number.floor())


def _crawler_type(values: pl.Series, null_tokens: Sequence[str] = ()) -> str:
    present = values.drop_nulls()
    if null_tokens:
        present = present.filter(~present.is_in(list(null_tokens)))
    present = present.str.strip_chars()
    if present.is_empty():
        return STRING
    if present.str.contains(_INTEGER).all() and present.cast(pl.Int64, strict=False).null_count() == 0:
        return BIGINT
    not_a_number = present.str.contains(r"(?i)^[+-]?(nan|inf|infinity)$").any()  # Polars reads them, no crawler does
    if present.cast(pl.Float64, strict=False).null_count() == 0 and not not_a_number:
        return DOUBLE
    if present.str.contains(_BOOLEAN).all():
        return BOOLEAN
    return STRING


def typed(raw: pl.Expr, crawler_type: str) -> pl.Expr:
    """The raw text as its crawled type; null where the text does not fit it."""
    if crawler_type == STRING:
        return raw
    text = raw.str.strip_chars()
    if crawler_type == BOOLEAN:
        return pl.when(text.str.contains(_BOOLEAN)).then(text.str.to_lowercase() == "true")
    if crawler_type == BIGINT:
        return whole_number(text)
    return text.cast(POLARS_TYPES[crawler_type], strict=False)


def misfit_reason(name: str, raw: pl.Expr, crawler_type: str) -> pl.Expr:
    """Why the row's value does not fit, e.g. `meta_score: 'eighty' is not a bigint (the crawled type)`."""
    reason = pl.format(f"{name}: '{{}}' is not a {crawler_type} (the type crawled for the column)", raw)
    if crawler_type != BIGINT:
        return reason
    fraction = pl.format(f"{name}: '{{}}' is not a whole number (bigint, the type crawled for the column)", raw)
    return pl.when(has_fraction(raw.str.strip_chars())).then(fraction).otherwise(reason)


@dataclass(frozen=True)
class Crawl:
    """What the crawler found in its sample: the columns, and the values that look double-encoded."""

    columns: CatalogColumns
    sample_rows: int
    double_encoded: dict[str, int]  # values that look double-encoded, by column; columns without any left out


def crawl_head(
    head: bytes, complete: bool, scratch: Path, *, source: str, null_tokens: Sequence[str] = ()
) -> CatalogColumns | None:
    """The crawled columns from the first bytes of a landed file; None when they hold too few records."""
    crawled = crawl_sample(head, complete, scratch, source=source, null_tokens=null_tokens)
    return crawled.columns if crawled is not None else None


def crawl_sample(
    head: bytes, complete: bool, scratch: Path, *, source: str, null_tokens: Sequence[str] = ()
) -> Crawl | None:
    """The crawl of the first bytes of a landed file; None when they hold too few records.

    `complete` says `head` is the whole file. A cut head is read up to its last whole line, so the
    sample is the file's first records as the quality step reads them.
    """
    if head.startswith(GZIP_MAGIC):
        head = zlib.decompressobj(wbits=31).decompress(head)  # as much as the cut stream holds
    if not complete:
        head = head[: head.rfind(b"\n") + 1]
    sample_file = scratch / "sample.csv"
    sample_file.write_bytes(head)
    sample = read_then(sample_file, scratch, source, first_records)
    if sample.height < SAMPLE_ROWS and not complete:
        return None
    return crawl_records(sample, null_tokens)


def crawl_records(sample: pl.DataFrame, null_tokens: Sequence[str] = ()) -> Crawl:
    """The crawl of the crawler's sample (`first_records`): its columns and its double-encoded values."""
    counts = double_encoded_counts(sample.lazy(), sample.columns).collect().row(0, named=True)
    suspects = {name: count for name, count in counts.items() if count}
    return Crawl(infer_columns(sample, null_tokens), sample.height, suspects)
