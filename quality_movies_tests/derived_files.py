"""Files built from the real IMDb file, each with one quirk of real exports (`data/derived/`, see data/README.md).

Each is the real file's records with one change, written back as the original is (CRLF, minimal quoting):
`python -m quality_movies_tests.derived_files` writes them, and a test checks the committed files are these
derivations. Nothing here imports pytest or Dagster.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from quality_movies_tests.data_files import IMDB_CSV, TEST_DATA

DERIVED = TEST_DATA / "derived"
Records = list[list[str]]  # the header first, then one list of fields per record


def read_records(path: Path = IMDB_CSV) -> Records:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def write_records(records: Records) -> bytes:
    """Records as the real file writes them: comma-separated, quoted where needed, CRLF line ends."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(records)
    return text.getvalue().encode("utf-8")


def _column(records: Records, name: str) -> int:
    return records[0].index(name)


def scores_as_floats(records: Records) -> Records:
    """Every `Meta_score` written `80.0`, every `No_of_Votes` in scientific notation (`2.3431100000e+06`)."""
    score, votes = _column(records, "Meta_score"), _column(records, "No_of_Votes")
    out = [records[0]]
    for record in records[1:]:
        changed = list(record)
        if changed[score]:
            changed[score] = f"{int(changed[score])}.0"
        if changed[votes]:
            changed[votes] = f"{int(changed[votes]):.10e}"
        out.append(changed)
    return out


def as_windows_1252(data: bytes) -> str:
    """Bytes as Windows-1252 shows them; the five it leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) as Latin-1's
    control characters, as Windows' own decoder shows them."""
    return "".join(bytes([byte]).decode("cp1252", errors="ignore") or chr(byte) for byte in data)


def double_encoded(records: Records) -> Records:
    """Every field with a non-ASCII character double-encoded: its UTF-8 bytes read as Windows-1252 (`Giuffrè` is
    written `GiuffrÃ¨`, `WALL·E` `WALLÂ·E`), as a tool that takes a UTF-8 export for a Windows file writes it."""
    return [records[0], *([_double(field) for field in record] for record in records[1:])]


def _double(field: str) -> str:
    return field if field.isascii() else as_windows_1252(field.encode("utf-8"))


def na_tokens(records: Records) -> Records:
    """Every empty field written `NA`, as a 2023 IMDb scrape writes missing values."""
    return [records[0], *([field or "NA" for field in record] for record in records[1:])]


SQL_EXPORT_HEADER = [
    "poster_link", "title", "release_year", "certificate", "runtime", "genre", "imdb_rate", "overview",
    "meta_score", "director", "star1", "star2", "star3", "star4", "votes", "gross",
]  # fmt: skip
NOTEBOOK_EXPORT_HEADER = [
    "Rank", "Poster Link", "Series Title", "Released Year", "Certificate", "Runtime", "Genre", "IMDB Rating",
    "Overview", "Meta Score", "Director", "Star1", "Star2", "Star3", "Star4", "No of Votes", "Gross",
]  # fmt: skip


def sql_export(records: Records) -> Records:
    """The header as a SQL tool's snake_case export names it (`title`, `release_year`, `imdb_rate`, `votes`)."""
    return [SQL_EXPORT_HEADER, *records[1:]]


def notebook_export(records: Records) -> Records:
    """The header as a notebook's export names it (`Series Title`, `IMDB Rating`, ...), with a `Rank` column first."""
    return [NOTEBOOK_EXPORT_HEADER, *([str(n), *record] for n, record in enumerate(records[1:], start=1))]


DERIVATIONS: dict[str, Callable[[Records], Records]] = {
    "imdb_scores_as_floats.csv": scores_as_floats,
    "imdb_na_tokens.csv": na_tokens,
    "imdb_sql_export.csv": sql_export,
    "imdb_notebook_export.csv": notebook_export,
    "imdb_double_encoded.csv": double_encoded,
}


def derived_bytes(name: str) -> bytes:
    """The derived file `name`, built from the real file."""
    return write_records(DERIVATIONS[name](read_records()))


if __name__ == "__main__":
    DERIVED.mkdir(exist_ok=True)
    for file_name in DERIVATIONS:
        (DERIVED / file_name).write_bytes(derived_bytes(file_name))
