"""The careful reader: every record of a decoded file becomes a row, or the file is refused with a reason.

`landed_table.read_landed_table` sends here the files Polars cannot vouch for. `read_text` gives every data
record of the text as one row (all fields as text, empty fields null, headers lower-cased as Glue's crawler
names them) or raises `UnreadableFileError` naming the file, the line and what was wrong. In between, a
record that can be read but not trusted is kept as a row with its reasons in `ParseProblems`, which the
quality stage adds to the row's `ContractViolations`, so it goes to the quarantine and never to the warehouse:

- too few or too many fields (`line 17: 18 fields, expected 16; extra fields: [...]`): the fields fill
  the columns in order (missing ones null) and the extra ones are kept in the reason, so no value is lost;
- text after a closing quote (`"abc"x`), read as the csv module reads it leniently (`abcx`);
- a line that is not UTF-8 in an otherwise UTF-8 file, read as cp1252 (see `landed_bytes`).

The file fails as a whole when no row can be told apart from the next: empty (no header), not CSV
(Parquet, ZIP/Excel, images, NUL bytes, JSON, HTML, `;`-separated), a header naming a column twice,
or a quote that is never closed across lines (it swallows the rest of the file). A header-only file
is a table of 0 rows: the ruleset says what that means (`RowCount > 0` fails and blocks the load).
Blank lines carry no value and are not records. Quoted or not, an empty field is null.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl

from quality_movies.landed_bytes import LandedText, UnreadableFileError

__all__ = ["PARSE_PROBLEMS", "LandedFile", "UnreadableFileError", "column_names", "first_record", "read_text"]

PARSE_PROBLEMS = "ParseProblems"
# csv's default limit is 128 KiB per field; a gigantic field must reach the contract's byte check,
# not fail the file. The setting is global to the csv module, and only ever raised here.
_FIELD_LIMIT = 2**31 - 1
_QUOTING = {
    "unexpected end of data": "a quoted field is never closed",
    "',' expected after '\"'": "text follows the closing quote of a quoted field",
}
_OTHER_SEPARATORS = {";": "semicolon", "\t": "tab", "|": "pipe"}
# What a header may hold. A file decides the size of what the project stores and sends about it (catalog
# entries, asset metadata, notifications all repeat the column names): a name of megabytes or a header of
# tens of thousands of columns is refused rather than copied everywhere. Glue allows 255-character names
# and Redshift 1,600 columns a table; these caps are looser, and only stop what no table could hold.
MAX_NAME_BYTES = 1_000
MAX_COLUMNS = 1_600


@dataclass(frozen=True)
class LandedFile:
    """A landed file read as a table, and how it was stored."""

    frame: pl.DataFrame  # lower-cased data columns, all text, plus PARSE_PROBLEMS (list of reasons)
    source: str
    encoding: str
    compression: str | None
    byte_order_mark: bool
    foreign_lines: tuple[int, ...]  # lines not in `encoding` (mixed files), whose rows are quarantined

    @property
    def rows_with_problems(self) -> int:
        return self.frame.filter(pl.col(PARSE_PROBLEMS).list.len() > 0).height


@dataclass(frozen=True)
class _Record:
    first_line: int
    last_line: int
    fields: list[str]
    raw: str | None  # the record's text, kept only when reading leniently (to name quoting mistakes)

    @property
    def lines(self) -> str:
        if self.first_line == self.last_line:
            return f"line {self.first_line}"
        return f"lines {self.first_line}-{self.last_line}"


def first_record(text: str) -> _Record | None:
    """The text's first non-blank record, read strictly (None when it is not valid CSV or there is none)."""
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    try:
        return next((record for record in _records(text, strict=True) if record.fields), None)
    except csv.Error:
        return None


def read_text(landed: LandedText, source: str) -> LandedFile:
    """The decoded file as a table: see the module's docstring for where each record goes."""
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    try:
        return _table(landed, source, strict=True)
    except csv.Error:  # a quoting mistake somewhere: read again leniently, naming each record it affects
        return _table(landed, source, strict=False)


def _table(landed: LandedText, source: str, *, strict: bool) -> LandedFile:
    records = _records(landed.text, strict)
    header = next((record for record in records if record.fields), None)
    if header is None:
        raise UnreadableFileError(f"{source}: the file is empty (not even a header)")
    names = column_names(header, source)
    width = len(names)
    rows: list[list[str]] = []
    problems: dict[int, list[str]] = {}
    for record in records:
        if not record.fields:  # a blank line is no record
            continue
        reasons = _problems(record, width, landed, source)
        if reasons:
            problems[len(rows)] = reasons
        fields = record.fields
        rows.append(fields if len(fields) == width else (fields + [""] * width)[:width])
    frame = _frame(names, rows, problems)
    foreign = tuple(sorted(landed.foreign_lines))
    return LandedFile(frame, source, landed.encoding, landed.compression, landed.byte_order_mark, foreign)


def _records(text: str, strict: bool) -> Iterator[_Record]:
    """The file's records with the lines each spans; read leniently, with the raw text of each as well."""
    if strict:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        last = 0
        for fields in reader:
            yield _Record(last + 1, reader.line_num, fields, None)
            last = reader.line_num
        return
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        # csv pulls one line at a time and never reads ahead, so what was pulled is exactly one record.
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    last = 0
    for fields in csv.reader(lines(), strict=False):
        first, last = last + 1, last + len(consumed)
        yield _Record(first, last, fields, "".join(consumed))
        consumed.clear()


def column_names(header: _Record, source: str) -> list[str]:
    """Lower-cased names (`column_<n>` where a name is empty); raises for a header that is not a CSV header."""
    where = f"{source}: {header.lines}"
    start = header.fields[0].lstrip()
    if start.startswith(("{", "[")):
        raise UnreadableFileError(f"{where}: not a CSV file: it looks like JSON (starts with {start[:1]!r})")
    if start.startswith("<"):
        raise UnreadableFileError(f"{where}: not a CSV file: it looks like HTML or XML (starts with '<')")
    quoting = _quoting_problem(header)
    if quoting:
        raise UnreadableFileError(f"{where}: the header is not valid CSV: {quoting}")
    _check_header_size(header.fields, where)
    for separator, word in _OTHER_SEPARATORS.items():
        count = sum(len(field.split(separator)) for field in header.fields) - len(header.fields) + 1
        if count > len(header.fields):
            raise UnreadableFileError(
                f"{where}: the header looks {word}-separated ({count} fields by {separator!r}, "
                f"{len(header.fields)} by ','); landed files must be comma-separated"
            )
    names = [name.lower() or f"column_{n}" for n, name in enumerate(header.fields, start=1)]
    seen: dict[str, int] = {}
    for n, name in enumerate(names, start=1):
        if name in seen:
            raise UnreadableFileError(
                f"{where}: the header names {name!r} twice (columns {seen[name]} and {n}, compared lower-cased)"
            )
        seen[name] = n
    return names


def _check_header_size(fields: list[str], where: str) -> None:
    """Refuse a header of more than MAX_COLUMNS columns or with a name longer than MAX_NAME_BYTES (UTF-8)."""
    if len(fields) > MAX_COLUMNS:
        raise UnreadableFileError(f"{where}: the header has {len(fields)} columns; at most {MAX_COLUMNS} are read")
    for n, field in enumerate(fields, start=1):
        size = len(field.encode("utf-8", errors="surrogatepass"))
        if size > MAX_NAME_BYTES:
            raise UnreadableFileError(
                f"{where}: column {n}'s name is {size:,} bytes long (starts {field[:40]!r}); "
                f"at most {MAX_NAME_BYTES:,} bytes are read"
            )


def _quoting_problem(record: _Record) -> str | None:
    """What a strict reading of the record objects to (None when it has no complaint)."""
    if record.raw is None or '"' not in record.raw:  # read strictly already, or nothing quoted
        return None
    try:
        for _ in csv.reader(io.StringIO(record.raw, newline=""), strict=True):
            pass
    except csv.Error as error:
        return _QUOTING.get(str(error), str(error))
    return None


def _problems(record: _Record, width: int, landed: LandedText, source: str) -> list[str]:
    """Why the record cannot be trusted as read (empty when it can); raises when it swallowed the file's end."""
    reasons = []
    quoting = _quoting_problem(record)
    if quoting == _QUOTING["unexpected end of data"] and record.last_line > record.first_line:
        raise UnreadableFileError(
            f"{source}: line {record.first_line}: a quoted field opened on this line is never closed; "
            f"it swallows lines {record.first_line}-{record.last_line} (the rest of the file)"
        )
    if quoting:
        reasons.append(f"{record.lines}: {quoting}")
    if len(record.fields) != width:
        extra = record.fields[width:]
        kept = f"; extra fields: {extra!r}" if extra else ""
        reasons.append(f"{record.lines}: {len(record.fields)} fields, expected {width}{kept}")
    spanned = range(record.first_line, record.last_line + 1)
    foreign = sorted(landed.foreign_lines.intersection(spanned)) if landed.foreign_lines else []
    if foreign:
        reasons.append(
            f"line {', '.join(map(str, foreign))}: not valid {landed.encoding}; its bytes were read as "
            "cp1252 (or Latin-1), so its characters may be wrong"
        )
    return reasons


def _frame(names: list[str], rows: list[list[str]], problems: dict[int, list[str]]) -> pl.DataFrame:
    """The rows as text columns (empty fields null) and each row's problems (mostly none)."""
    frame = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")
    frame = frame.with_columns(pl.all().replace("", None))
    if not problems:
        return frame.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias(PARSE_PROBLEMS))
    listed: list[list[str] | None] = [None] * len(rows)
    for row, reasons in problems.items():
        listed[row] = reasons
    return frame.with_columns(pl.Series(PARSE_PROBLEMS, listed, dtype=pl.List(pl.String)).fill_null([]))
