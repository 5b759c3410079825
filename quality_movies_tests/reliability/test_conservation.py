"""Row conservation as a property: for any landed CSV, rows in (counted independently) = good + bad.

`route` (conftest) runs the file through the quality stage (`stage.run_stage`), reads back the files it
wrote, counts the file again with the careful reader, and asserts that the counts agree, that each row is
in exactly one place and that every bad row carries a reason: a failed rule, a parse problem, a value that
does not fit its crawled type or a contract violation.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quality_movies.ruleset_config import RulesetConfig
from quality_movies.stage import SOURCE_ROW, UnreadableFileError
from quality_movies_tests.reliability.conftest import HEADER, SHAWSHANK, Routed, route

_ODD_NUMBERS = ["1,234", "142 min", "$1.2M", "8.5", "9.3", "10.3", " 80 ", "8,9f", "9.", "nan", "1e3", "-0", ""]
_CHARACTERS = list('aZé€ß漢😀0189.,-$ "\r\n\t\x1f;')
_FIELD = st.one_of(
    st.sampled_from(_ODD_NUMBERS),
    st.sampled_from(list(SHAWSHANK.values())),
    st.text(alphabet=_CHARACTERS, max_size=8),
)
_ROW = st.one_of(
    st.lists(_FIELD, min_size=16, max_size=16),  # the usual width, most often
    st.lists(_FIELD, min_size=16, max_size=16),
    st.lists(_FIELD, min_size=0, max_size=19),  # ragged; an empty list is a blank line
)
_SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _field(value: str) -> str:
    """A field as RFC 4180 writes it (csv.writer leaves a lone '\r' unquoted when lines end in '\n')."""
    return f'"{value.replace(chr(34), chr(34) * 2)}"' if any(c in value for c in ',"\r\n') else value


def _record(row: list[str]) -> str:
    return '""' if row == [""] else ",".join(map(_field, row))  # a lone empty field is not a blank line


def _written(header: list[str], rows: list[list[str]], line_end: str, encoding: str, zipped: bool) -> bytes:
    data = "".join(_record(row) + line_end for row in [header, *rows]).encode(encoding)
    return gzip.compress(data) if zipped else data


def _rows_as_written_out(routed: Routed) -> pl.DataFrame:
    """Every record's text from the stage's outputs, in file order: bad rows by their number, good rows
    (raw text, since the run had no contract) filling the other numbers in the order they were written."""
    columns = list(routed.table.columns)
    bad = routed.bad.select(SOURCE_ROW, *columns)
    good_numbers = sorted(set(range(1, routed.rows_in + 1)) - set(bad[SOURCE_ROW]))
    good = routed.good.select(columns).with_columns(pl.Series(SOURCE_ROW, good_numbers, dtype=pl.Int64))
    return pl.concat([bad, good.select(SOURCE_ROW, *columns)]).sort(SOURCE_ROW).drop(SOURCE_ROW)


@_SETTINGS
@given(
    header=st.permutations(HEADER),
    rows=st.lists(_ROW, max_size=12),
    line_end=st.sampled_from(["\r\n", "\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    zipped=st.booleans(),
)
def test_every_row_of_a_written_csv_is_read_as_written_and_lands_in_one_place(
    tmp_path: Path,
    config: RulesetConfig,
    header: list[str],
    rows: list[list[str]],
    line_end: str,
    encoding: str,
    zipped: bool,
) -> None:
    if encoding == "cp1252":
        # Only what cp1252 can hold, and no '€' (byte 0x80): after 'ß' (0xDF) it would also be valid
        # UTF-8, and no reader can tell such a file from UTF-8 (real exports rarely hold the pair).
        rows = [[field.replace("€", "").encode("cp1252", "ignore").decode("cp1252") for field in row] for row in rows]
    path = tmp_path / "landed.csv"
    path.write_bytes(_written(header, rows, line_end, encoding, zipped))
    route(path, config, tmp_path / "warehouse")  # conserved as the warehouse sees it (asserted by route)
    routed = route(path, config, tmp_path / "text", contract=False)  # good rows keep their text

    records = [row for row in rows if row]  # the csv module writes an empty row as a blank line
    assert routed.rows_in == len(records)
    expected = [[value or None for value in (row + [""] * 16)[:16]] for row in records]
    frame = _rows_as_written_out(routed)
    assert frame.select(name.lower() for name in header).rows() == [tuple(row) for row in expected]
    ragged = {n for n, reasons in routed.bad_reasons().items() if any("fields, expected 16" in r for r in reasons)}
    assert ragged == {n for n, row in enumerate(records, start=1) if len(row) != 16}


@_SETTINGS
@given(body=st.text(alphabet=list('ab,"\r\n é'), max_size=80))
def test_any_text_under_a_valid_header_is_unreadable_or_conserved(
    tmp_path: Path, config: RulesetConfig, body: str
) -> None:
    path = tmp_path / "landed.csv"
    path.write_bytes((",".join(HEADER) + "\r\n" + body).encode("utf-8"))
    try:
        routed = route(path, config, tmp_path / "out")
    except UnreadableFileError as error:  # only a quote left open across lines fails the whole file
        assert str(error).startswith("landed.csv: line ") and "is never closed" in str(error)
        return
    # A record read leniently (text after a closing quote) or spanning lines must still be one row,
    # whichever reader the stage used: the careful reader counts the same records.
    assert routed.good.height + routed.bad.height == routed.rows_in == routed.rows_counted_carefully
