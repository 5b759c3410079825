"""A landed file's bytes made text: decompressed, refused when they are not a CSV, decoded faithfully.

Decoding never replaces a character. UTF-8 is tried first (a UTF-8 byte-order mark is dropped, a
UTF-16/32 one selects that encoding). Bytes that are not UTF-8 anywhere in the file are a legacy
export (Excel on Windows writes cp1252): the whole file is read as cp1252, or as Latin-1 when it holds
bytes cp1252 leaves undefined; both map every byte to one character, so nothing is guessed away and
the encoding used is recorded. A file that is UTF-8 except on some lines is mixed: those lines are read
as cp1252 and named, so the rows they belong to can be quarantined instead of loaded with a guess.
"""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from dataclasses import dataclass

GZIP_MAGIC = b"\x1f\x8b"
# Formats that are not CSV, by the bytes they start with (only signatures no CSV header can begin with).
_NOT_CSV = (
    (b"PAR1", "a Parquet file"),
    (b"PK\x03\x04", "a ZIP archive (or an Excel .xlsx workbook)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel .xls workbook"),
    (b"Obj\x01", "an Avro file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\xfd7zXZ\x00", "xz-compressed (only gzip is read)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed (only gzip is read)"),
    (b"BZh", "bzip2-compressed (only gzip is read)"),
)
# UTF-32's marks first: UTF-32-LE's begins with UTF-16-LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Line ends as the csv module splits them (\r\n, \r or \n), so line numbers agree everywhere.
_LINES = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_LINE_ENDS = re.compile(r"\r\n|\r|\n")
_LINE_END_BYTES = re.compile(rb"\r\n|\r|\n")


class UnreadableFileError(ValueError):
    """A file that cannot be read as a table at all; the message names the file, the line and what was wrong."""


@dataclass(frozen=True)
class LandedText:
    """A landed file as text, with how it was stored."""

    text: str  # without the byte-order mark
    encoding: str  # "utf-8", "utf-16", "utf-32", "cp1252" or "latin-1"
    compression: str | None  # "gzip" or None
    byte_order_mark: bool
    foreign_lines: frozenset[int]  # lines of a mixed file that are not UTF-8, read as cp1252/Latin-1


def line_of(data: bytes | str, position: int) -> int:
    """The 1-based line holding `position`, counting line ends as the csv module does."""
    head = data[:position]
    ends = _LINE_END_BYTES if isinstance(head, bytes) else _LINE_ENDS
    return len(ends.findall(head)) + 1


def decompressed(data: bytes, source: str) -> tuple[bytes, str | None]:
    """The bytes and the compression they were stored with: gzip is recognised by its magic bytes, not its name."""
    if not data.startswith(GZIP_MAGIC):
        return data, None
    try:
        return gzip.decompress(data), "gzip"
    except (OSError, EOFError, zlib.error) as error:
        raise UnreadableFileError(f"{source}: the file starts as gzip but cannot be decompressed: {error}") from error


def refuse_binary(data: bytes, source: str) -> None:
    """Raise when the bytes are a known non-CSV format (Parquet, ZIP/Excel, images, other compressions)."""
    for magic, what in _NOT_CSV:
        if data.startswith(magic):
            raise UnreadableFileError(f"{source}: line 1: not a CSV file: it is {what} (starts with {magic[:4]!r})")


def landed_text(data: bytes, source: str) -> LandedText:
    """The stored bytes as text: decompressed, checked for binary formats, decoded without replacing a character."""
    data, compression = decompressed(data, source)
    refuse_binary(data, source)
    encoding, mark = next(((name, bom) for bom, name in _BOMS if data.startswith(bom)), (None, b""))
    foreign: frozenset[int] = frozenset()
    if encoding in ("utf-16", "utf-32"):
        try:
            text = data.decode(encoding)  # the codec reads the mark for the byte order and drops it
        except UnicodeDecodeError as error:
            raise _not_decodable(data, error, source) from error
    else:
        text, encoding, foreign = _decoded_8bit(data[len(mark) :])
    text = text.removeprefix("\ufeff")  # the codecs of UTF-16/32 keep the mark as a character
    nul = text.find("\x00")
    if nul >= 0:  # csv would read it, but no CSV export writes one: binary data or UTF-16 without its mark
        raise UnreadableFileError(
            f"{source}: line {line_of(text, nul)}: not a CSV file: it holds NUL characters "
            "(binary data, or UTF-16 text without a byte-order mark)"
        )
    return LandedText(text, encoding, compression, bool(mark), foreign)


def _not_decodable(data: bytes, error: UnicodeDecodeError, source: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{source}: line {line_of(data, error.start)}: the file is marked {error.encoding} "
        f"but byte {error.start} is not valid {error.encoding} ({error.reason})"
    )


def _decoded_8bit(data: bytes) -> tuple[str, str, frozenset[int]]:
    """UTF-8 when every line is; a legacy 8-bit encoding when no line is; else UTF-8 with the foreign lines named."""
    try:
        return data.decode("utf-8"), "utf-8", frozenset()
    except UnicodeDecodeError:
        pass
    pieces, foreign, utf8_beyond_ascii = [], [], False
    for number, line in enumerate(_LINES.findall(data), start=1):
        try:
            pieces.append(line.decode("utf-8"))
            utf8_beyond_ascii = utf8_beyond_ascii or not line.isascii()
        except UnicodeDecodeError:
            pieces.append(_legacy(line)[0])
            foreign.append(number)
    if not utf8_beyond_ascii:  # nothing speaks for UTF-8: one legacy encoding for the whole file
        text, encoding = _legacy(data)
        return text, encoding, frozenset()
    return "".join(pieces), "utf-8", frozenset(foreign)


def _legacy(data: bytes) -> tuple[str, str]:
    """cp1252 (what Windows exports write) or, for bytes it leaves undefined, Latin-1; both decode every byte."""
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"
