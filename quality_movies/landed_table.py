"""The one reader of landed files: a local file becomes a table of text, one row per record.

Every path that reads a landed file (the Dagster quality step, `validate`, `recommend`, the tests and the
benchmark) calls `read_landed_table`. The table has the file's columns lower-cased, as Glue's crawler names
them, every field as text exactly as it landed (empty fields null), and `ParseProblems`: the reasons a record
could not be trusted as read (usually none).

Clean UTF-8 files are scanned lazily by Polars' CSV reader, at full speed and in bounded memory. Polars is
strict about quoting and encoding (it raises) but quietly pads a record with too few fields and reads a blank
line as a row of nulls, so the caller runs `verification()` in its own pass over the file and `vouch`es for
the result: rows that may be padded are checked on their raw lines. Whatever the fast reader cannot vouch for
(another encoding, ragged records, broken quoting) is read again by the careful reader
(`landed_file.read_text`), which reads every record and explains each bad one with its line number and raw
text; it holds the file in memory, so it is the path of unusual files only. Files that are no table at all
(empty, Parquet, `;`-separated, ...) raise `UnreadableFileError`.

Text that was double-encoded before it landed (UTF-8 read as Windows-1252 and written again: `GiuffrÃ¨` for
`Giuffrè`) is read as it is; `double_encoded_counts` counts the values that look so, and `repaired` gives a
column with those values repaired by ftfy, for a dataset whose settings ask for it.
"""

from __future__ import annotations

import codecs
import functools
import gzip
import os
import shutil
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from quality_movies.landed_bytes import GZIP_MAGIC, UnreadableFileError, landed_text, refuse_binary
from quality_movies.landed_file import PARSE_PROBLEMS, column_names, first_record, read_text

__all__ = ["PARSE_PROBLEMS", "LandedTable", "NotVouchedError", "UnreadableFileError", "read_landed_table", "read_then"]

CAREFUL_TABLE_FILE = "careful.arrow"
Done = TypeVar("Done")
_HEAD_BYTES = 1 << 16  # enough for any header this project has seen; a longer one goes the careful way
_PIECE, _LINE_END = "piece", "after_line_end"
_NO_PROBLEMS = pl.lit([], dtype=pl.List(pl.String)).alias(PARSE_PROBLEMS)
_TEXT, _FLAGGED = "text", "flagged"
# A UTF-8 sequence read as Windows-1252 or Latin-1 is a lead character (bytes 0xC2-0xF4: `Â` to `ô`) and one
# to three continuation characters (bytes 0x80-0xBF: U+0080-U+00BF, or Windows-1252's `€` to `Ÿ` for 0x80-0x9F):
# ftfy's UTF8_DETECTOR_RE, for these two encodings. No value of the real IMDb file matches (`Aldo Giuffrè`,
# `Gunnar Björnstrand`): there no accented letter is followed by a continuation character.
_CONTINUATION = "[\\x{80}-\\x{BF}€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]"
DOUBLE_ENCODED = (
    f"[\\x{{C2}}-\\x{{DF}}]{_CONTINUATION}"
    f"|[\\x{{E0}}-\\x{{EF}}]{_CONTINUATION}{{2}}"
    f"|[\\x{{F0}}-\\x{{F4}}]{_CONTINUATION}{{3}}"
)


class NotVouchedError(Exception):
    """The fast reader cannot vouch for the file: read it again with the careful reader."""


@dataclass(frozen=True)
class LandedTable:
    """A landed file as a table of text: lazily from the CSV itself (fast), or from the careful reader's table."""

    source: str
    file: Path  # the CSV (fast; decompressed if it landed as gzip) or the careful reader's Arrow IPC table
    columns: tuple[str, ...]  # the data columns, lower-cased
    encoding: str
    compression: str | None
    byte_order_mark: bool
    reader: str  # "fast" or "careful"
    rows: int | None = None  # known up front from the careful reader; the fast one counts in `verification`
    rows_with_parse_problems: int = 0
    foreign_lines: tuple[int, ...] = ()  # lines of a mixed file not in `encoding`, whose rows are quarantined

    def scan(self) -> pl.LazyFrame:
        """The data columns as text (empty fields null) and `ParseProblems`, one row per record."""
        if self.reader == "careful":
            return pl.scan_ipc(self.file, memory_map=False, glob=False)  # chunks, not mapped pages counted as resident
        lazy = pl.scan_csv(
            _uri(self.file), infer_schema=False, new_columns=list(self.columns), glob=False, rechunk=False
        )
        # Quoted or not, an empty field is null, as the careful reader has it.
        text = [pl.when(pl.col(name) != "").then(pl.col(name)).alias(name) for name in self.columns]
        return lazy.select(*text, _NO_PROBLEMS)

    def verification(self) -> pl.LazyFrame | None:
        """For the fast reader, one row: the record count and how many rows may be short records Polars padded.

        Polars checks the quoting and encoding of the fields it reads, and raises on what it cannot read; only
        when it reads every field does it raise on a record of too many, so this pass reads them all (a pass
        reading some columns, such as the rules' measures of a file they then stop, would not). None for the
        careful reader, which has checked every record.
        """
        if self.reader == "careful":
            return None
        every_field = pl.max_horizontal(pl.col(self.columns).null_count()).alias("most_nulls")
        suspects = pl.col(self.columns[-1]).is_null().sum().alias("suspects")
        return self.scan().select(pl.len().alias("rows"), suspects, every_field)

    def vouch(self, verified: pl.DataFrame | None) -> int:
        """The number of records, once `verification`'s result rules out padded records; else NotVouchedError.

        A padded record ends in a null field. When some row does, the separators in the whole file are counted:
        as many as the header's number of fields requires (else nothing can be vouched for).
        """
        if verified is None:
            return self.rows or 0
        rows, suspects = verified.item(0, "rows"), verified.item(0, "suspects")
        if suspects == 0 or _fields_complete(self.file, rows, len(self.columns)):
            return rows
        raise NotVouchedError(f"{self.source}: some records may have too few fields")

    def metadata(self) -> dict[str, Any]:
        """How the file was read, for the asset's metadata and the CLI's summary."""
        return {
            "encoding": self.encoding,
            "compression": self.compression or "none",
            "byte_order_mark": self.byte_order_mark,
            "reader": self.reader,
            "rows_with_parse_problems": self.rows_with_parse_problems,
            "lines_not_in_encoding": list(self.foreign_lines),
        }


def double_encoded_counts(frame: pl.LazyFrame, columns: Iterable[str]) -> pl.LazyFrame:
    """One row: per column, how many values look double-encoded (UTF-8 read as Windows-1252: `WALLÂ·E`)."""
    return frame.select(_looks_double_encoded(pl.col(name)).sum().alias(name) for name in columns)


def _looks_double_encoded(text: pl.Expr) -> pl.Expr:
    # Only non-ASCII text can be: comparing lengths first spares most values the pattern (on 200,000 IMDb-like
    # rows, 0.07 s of CPU instead of 0.22 s).
    return text.filter(text.str.len_bytes() != text.str.len_chars()).str.contains(DOUBLE_ENCODED)


def repaired(text: pl.Expr) -> pl.Expr:
    """The text with each value that looks double-encoded repaired (`fixed_encoding`), every other value as is.

    The values are flagged by the plan itself (the pattern is compiled once, not per batch); Python sees each
    batch's flags and only the flagged values: a batch of clean text costs one call that returns it unchanged.
    """
    flagged = text.str.contains(DOUBLE_ENCODED).fill_null(False)
    batch = pl.struct(text.alias(_TEXT), flagged.alias(_FLAGGED))
    fixed = batch.map_batches(_repaired_batch, return_dtype=pl.String, is_elementwise=True)
    return fixed.alias(text.meta.output_name(raise_if_undetermined=False) or _TEXT)  # the struct renamed it


def _repaired_batch(batch: pl.Series) -> pl.Series:
    text, flagged = batch.struct.unnest().get_columns()
    if not flagged.any():
        return text
    at = flagged.arg_true()
    fixed = pl.Series(text.name, [fixed_encoding(value) for value in text.gather(at)], dtype=pl.String)
    return text.clone().scatter(at, fixed)


@functools.lru_cache(maxsize=1 << 16)
def fixed_encoding(value: str) -> str:
    """A double-encoded value as it was written: ftfy's `fix_encoding`, else ftfy's plan for this mojibake.

    ftfy fixes a value only where its own heuristic finds it implausible as text: `KÃ¥re` (for `Kåre`) passes
    as text to it, though every non-ASCII character there belongs to a UTF-8 sequence. For such a value, the
    plan ftfy itself applies to UTF-8 read as Windows-1252 (encode as ftfy's sloppy Windows-1252, decode as
    UTF-8) is applied when it decodes the whole value; otherwise the value stays as it is. Remembered: the stage
    reads the file in three passes, and names recur.
    """
    import ftfy  # only a dataset that asks for repairs pays for the import

    fixed = ftfy.fix_encoding(value)
    if fixed != value:
        return fixed
    try:
        return ftfy.apply_plan(value, [("encode", "sloppy-windows-1252"), ("decode", "utf-8")])
    except UnicodeError:
        return value


def read_landed_table(path: Path, scratch: Path, *, source: str, careful: bool = False) -> LandedTable:
    """The landed file at `path` as a table (scratch files go to `scratch`); raises UnreadableFileError.

    The fast reader is chosen when the file's head is plain UTF-8 CSV, and stays provisional until the
    caller's pass over `verification()` is `vouch`ed for; `careful=True` (after NotVouchedError or a Polars
    error in that pass) reads every record with the careful reader.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    head = _head(path)
    compression = "gzip" if head.startswith(GZIP_MAGIC) else None
    if compression:
        path = _gunzipped(path, scratch / "gunzipped.csv", source)
        head = _head(path)
    refuse_binary(head, source)
    names = None if careful else _clean_utf8_header(head, source)
    if names is None:
        return _careful_table(path, scratch / CAREFUL_TABLE_FILE, source, compression)
    bom = head.startswith(codecs.BOM_UTF8)
    return LandedTable(source, path, tuple(names), "utf-8", compression, bom, "fast")


def read_then(path: Path, scratch: Path, source: str, work: Callable[[LandedTable], Done]) -> Done:
    """`work` on the landed file's table; again with the careful reader if the fast one cannot vouch for it."""
    table = read_landed_table(path, scratch, source=source)
    try:
        return work(table)
    except (NotVouchedError, pl.exceptions.PolarsError):
        if table.reader == "careful":
            raise
        return work(read_landed_table(table.file, scratch, source=source, careful=True))


def _uri(path: Path) -> str:
    """The file as a `file://` URI, which Polars reads in chunks instead of mapping it into memory.

    Mapped pages count as the process's resident memory: a mapped 2 GB file looked like 2 GB of RSS.
    """
    return path.resolve().as_uri()


def _head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(_HEAD_BYTES)


def _gunzipped(path: Path, target: Path, source: str) -> Path:
    """The decompressed file, streamed to disk (gzip is recognised by its magic bytes, not its name)."""
    if target.exists():  # decompressed already, by the fast attempt
        return target
    try:
        with gzip.open(path, "rb") as packed, target.open("wb") as out:
            shutil.copyfileobj(packed, out, 1 << 20)
    except (OSError, EOFError, zlib.error) as error:
        target.unlink(missing_ok=True)
        raise UnreadableFileError(f"{source}: the file starts as gzip but cannot be decompressed: {error}") from error
    return target


def _clean_utf8_header(head: bytes, source: str) -> list[str] | None:
    """The header's column names when the head is plain UTF-8 text with `\\n` line ends, else None.

    The header is judged by the careful reader's rules (JSON, HTML, other separators and duplicate names
    raise), so both readers refuse the same files with the same words.
    """
    text = head.removeprefix(codecs.BOM_UTF8)
    if len(head) == _HEAD_BYTES:  # cut mid-file: keep whole lines only
        text = text[: text.rfind(b"\n") + 1]
    if not text or text.startswith((b"\r", b"\n")) or b"\x00" in text or b"\n" not in text:
        return None  # empty, blank lines first, binary, no line end: the careful reader says what it is
    if b"\r" in text.replace(b"\r\n", b""):
        return None  # old Mac line ends (a lone CR): Polars splits lines at LF only
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        return None
    header = first_record(decoded)
    return column_names(header, source) if header is not None else None


def _fields_complete(path: Path, rows: int, width: int) -> bool:
    """Whether the header and the `rows` records Polars read hold `width` fields each.

    Polars pads a record of too few fields with nulls and raises on one of too many, so they all hold `width`
    exactly when the file holds (rows + 1) x (width - 1) separators outside quotes. Polars counts those itself,
    with the very quoting it read the records with, when it reads the file with the roles of `,` and the line
    end swapped: each separator outside quotes then ends a row. Over the whole file, so a record spanning
    lines is no exception. Half the time of matching every line against a pattern (0.35 s per million rows).
    """
    pieces = pl.scan_csv(
        _uri(path),
        has_header=False,
        separator="\n",
        eol_char=",",
        schema={_PIECE: pl.String, _LINE_END: pl.String},
        truncate_ragged_lines=True,
        glob=False,
    )
    try:  # a column is read, or Polars counts the rows by reading the whole file into memory
        found = pieces.select(pl.len(), pl.col(_LINE_END).null_count()).collect(engine="streaming")
    except pl.exceptions.PolarsError:
        return False
    with path.open("rb") as file:
        file.seek(-1, os.SEEK_END)
        unterminated = file.read(1) == b","  # an empty last field and no line end: no piece is read after it
    return found.item(0, 0) - 1 + unterminated == (rows + 1) * (width - 1)


def _careful_table(path: Path, target: Path, source: str, compression: str | None) -> LandedTable:
    """The careful reader's table (in memory: this is the path of unusual files), written for later scans."""
    landed = read_text(landed_text(path.read_bytes(), source), source)
    frame = landed.frame
    frame.write_ipc(target)
    columns = tuple(name for name in frame.columns if name != PARSE_PROBLEMS)
    return LandedTable(
        source,
        target,
        columns,
        landed.encoding,
        compression or landed.compression,
        landed.byte_order_mark,
        "careful",
        rows=frame.height,
        rows_with_parse_problems=landed.rows_with_problems,
        foreign_lines=landed.foreign_lines,
    )
