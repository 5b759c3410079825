"""What Glue's crawler does to a landed file: name its columns and infer their types from a sample of rows.

The rules run on these types, as Glue Data Quality runs them on the catalog's: numbers compare as
numbers. The catalog step and the quality step infer from the same first `SAMPLE_ROWS` records with the
same function, so they agree without handing a schema between them. A value that does not fit its
column's crawled type (`eighty` in a bigint column seen after the sample) is null for the rules and a
reason on its row (`type_misfits`), which keeps that row out of the warehouse.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import polars as pl

from quality_movies.landed_bytes import GZIP_MAGIC
from quality_movies.landed_table import LandedTable, read_then

CatalogColumns = list[dict[str, str]]  # [{"name": ..., "type": ...}], in file order
SAMPLE_ROWS = 10_000  # records the crawler infers types from
BIGINT, DOUBLE, BOOLEAN, STRING = "bigint", "double", "boolean", "string"
POLARS_TYPES: dict[str, type[pl.DataType]] = {BIGINT: pl.Int64, DOUBLE: pl.Float64, BOOLEAN: pl.Boolean}
_INTEGER = r"^[+-]?[0-9]+$"
_BOOLEAN = r"(?i)^(true|false)$"


def first_records(table: LandedTable) -> pl.DataFrame:
    """The table's first `SAMPLE_ROWS` records, the crawler's sample (data columns only, as text)."""
    return table.scan().head(SAMPLE_ROWS).select(table.columns).collect()


def infer_columns(sample: pl.DataFrame) -> CatalogColumns:
    """Each text column's crawler type (`bigint`, `double`, `boolean` or `string`) from its non-empty values."""
    return [{"name": name, "type": _crawler_type(sample.get_column(name))} for name in sample.columns]


def _crawler_type(values: pl.Series) -> str:
    present = values.drop_nulls().str.strip_chars()
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
    return text.cast(POLARS_TYPES[crawler_type], strict=False)


def misfits(raw: pl.Expr, crawler_type: str) -> pl.Expr:
    """True where text is present but does not fit the crawled type (null where the text is null)."""
    if crawler_type == STRING:
        return pl.lit(False)
    return raw.is_not_null() & typed(raw, crawler_type).is_null()


def misfit_reason(name: str, raw: pl.Expr, crawler_type: str) -> pl.Expr:
    """Why the row's value does not fit, e.g. `meta_score: 'eighty' is not a bigint (the crawled type)`."""
    return pl.format(f"{name}: '{{}}' is not a {crawler_type} (the type crawled for the column)", raw)


def crawl_head(head: bytes, complete: bool, scratch: Path, *, source: str) -> CatalogColumns | None:
    """The crawled columns from the first bytes of a landed file; None when they hold too few records.

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
    return infer_columns(sample)
