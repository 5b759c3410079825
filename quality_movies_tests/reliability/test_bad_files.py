"""Bad landed files, read and routed as the quality step does: a specific error, or every row in its place.

Each test writes the file byte for byte (or uses a real one from quality_movies_tests/data) and goes through
`landed_file.read_landed`, `stage.evaluate_rows` and the independent `count_landed_rows`; `route`
asserts for every file that rows in = good + bad and that each bad row carries its reasons.
"""

from __future__ import annotations

import codecs
import gzip
import io
import shutil
import zipfile
from pathlib import Path

import polars as pl
import pytest

from quality_movies.contract import MissingColumnsError
from quality_movies.landed_file import UnreadableFileError, count_landed_rows, read_landed
from quality_movies.ruleset_config import RulesetConfig
from quality_movies.stage import SOURCE_ROW, evaluate_rows
from quality_movies_tests.data_files import IMDB_CSV, IMDB_LF_CSV, VARIANTS
from quality_movies_tests.reliability.conftest import (
    HEADER,
    csv_bytes,
    land,
    movie,
    movies_csv,
    route,
)

REAL = IMDB_CSV.read_bytes()


def _unreadable(path: Path, config: RulesetConfig) -> str:
    """The message the run and the notification carry for a file that cannot be read."""
    with pytest.raises(UnreadableFileError) as raised:
        evaluate_rows(read_landed(str(path), None, source=path.name).frame, config, source=path.name)
    message = str(raised.value)
    assert message.startswith(f"{path.name}: "), message
    return message


@pytest.fixture(scope="module")
def real_good(config: RulesetConfig) -> pl.DataFrame:
    """The good rows of the real file as it landed: what every faithful variant of it must give."""
    good = route(IMDB_CSV, config).result.good
    assert good.height == 33
    return good


@pytest.mark.parametrize("data", [b"", codecs.BOM_UTF8, b"\r\n\r\n"], ids=["no-bytes", "only-a-bom", "blank-lines"])
def test_an_empty_file_is_unreadable(tmp_path: Path, config: RulesetConfig, data: bytes) -> None:
    path = land(tmp_path, "empty.csv", data)
    assert _unreadable(path, config) == "empty.csv: the file is empty (not even a header)"


def test_a_header_only_file_has_no_rows_and_its_row_count_rule_blocks_the_load(
    tmp_path: Path, config: RulesetConfig
) -> None:
    routed = route(land(tmp_path, "header.csv", csv_bytes([])), config)
    assert routed.counts == (0, 0, 0)
    assert routed.result.verdict.blocking_failures == ["RowCount > 0"]


def test_a_missing_required_column_names_the_file_and_the_column(tmp_path: Path, config: RulesetConfig) -> None:
    header = [name for name in HEADER if name != "Gross"]
    path = land(tmp_path, "no_gross.csv", csv_bytes([[movie()[name] for name in header]], header))
    with pytest.raises(MissingColumnsError, match=r"^no_gross\.csv: the header lacks gross; expected columns"):
        evaluate_rows(read_landed(str(path), None, source=path.name).frame, config, source=path.name)


def test_renamed_columns_behind_a_bom_are_named_as_missing(config: RulesetConfig) -> None:
    path = VARIANTS / "imdb_top_1000_renamed_columns_bom.csv"
    landed = read_landed(str(path), None, source=path.name)
    assert landed.byte_order_mark and landed.frame.columns[0] == "director"  # not "\ufeffdirector"
    with pytest.raises(MissingColumnsError) as raised:
        evaluate_rows(landed.frame, config, source=path.name)
    missing = str(raised.value).split("lacks ")[1].split(";")[0].split(", ")
    assert missing == [
        "poster_link",
        *("series_title", "released_year", "certificate", "runtime", "imdb_rating", "overview", "meta_score"),
        *("no_of_votes", "gross"),
    ]


def test_a_renamed_genre_column_among_extra_ones_is_named_as_missing(config: RulesetConfig) -> None:
    path = VARIANTS / "imdb_top_1000_split_genres.csv"
    with pytest.raises(MissingColumnsError, match=r"^imdb_top_1000_split_genres\.csv: the header lacks genre;"):
        evaluate_rows(read_landed(str(path), None, source=path.name).frame, config, source=path.name)


def test_extra_and_reordered_columns_give_the_same_good_rows(
    tmp_path: Path, config: RulesetConfig, real_good: pl.DataFrame
) -> None:
    shuffled = pl.read_csv(IMDB_CSV, infer_schema=False).with_columns(pl.lit("x").alias("Budget"))
    shuffled = shuffled.select(["Budget", *reversed(HEADER)])
    path = tmp_path / "reordered.csv"
    shuffled.write_csv(path)
    routed = route(path, config)
    assert routed.counts == (1000, 33, 967)
    assert routed.result.good.equals(real_good)


def test_a_byte_order_mark_is_dropped_and_recorded(
    tmp_path: Path, config: RulesetConfig, real_good: pl.DataFrame
) -> None:
    routed = route(land(tmp_path, "bom.csv", codecs.BOM_UTF8 + REAL), config)
    assert routed.landed.metadata()["byte_order_mark"] is True
    assert routed.landed.frame.columns[0] == "poster_link"
    assert routed.result.good.equals(real_good)


def test_a_cp1252_file_is_decoded_faithfully_and_its_encoding_recorded(
    tmp_path: Path, config: RulesetConfig, real_good: pl.DataFrame
) -> None:
    path = land(tmp_path, "windows.csv", REAL.decode("utf-8").encode("cp1252"))
    routed = route(path, config)
    assert routed.landed.encoding == "cp1252"
    assert routed.result.good.equals(real_good)
    assert "Gunnar Björnstrand" in routed.result.rows["star2"].to_list() + routed.result.rows["star1"].to_list()


def test_bytes_cp1252_leaves_undefined_are_read_as_latin1(tmp_path: Path, config: RulesetConfig) -> None:
    data = movies_csv(movie()).replace(b"Frank Darabont", b"Frank Darabont\x81\xe9")
    routed = route(land(tmp_path, "latin1.csv", data), config)
    assert routed.landed.encoding == "latin-1"
    assert routed.result.good["director"].to_list() == ["Frank Darabont\x81é"]


def test_a_line_not_in_utf8_among_utf8_lines_is_quarantined_with_its_line(
    tmp_path: Path, config: RulesetConfig
) -> None:
    data = movies_csv(movie(Director="Gunnar Björnstrand"), movie(Director="Ingmar Bergman"), movie())
    data = data.replace(b"Ingmar Bergman", "Ingmar Bergmän".encode("cp1252"))
    routed = route(land(tmp_path, "mixed.csv", data), config)
    assert (routed.landed.encoding, routed.landed.foreign_lines) == ("utf-8", (3,))
    assert routed.counts == (3, 2, 1)
    assert routed.bad_reasons() == {
        2: ["line 3: not valid utf-8; its bytes were read as cp1252 (or Latin-1), so its characters may be wrong"]
    }
    assert routed.result.good["director"].to_list() == ["Gunnar Björnstrand", "Frank Darabont"]


def test_a_utf16_file_with_its_byte_order_mark_reads_like_utf8(
    tmp_path: Path, config: RulesetConfig, real_good: pl.DataFrame
) -> None:
    routed = route(land(tmp_path, "excel.csv", REAL.decode("utf-8").encode("utf-16")), config)
    assert (routed.landed.encoding, routed.landed.byte_order_mark) == ("utf-16", True)
    assert routed.result.good.equals(real_good)


@pytest.mark.parametrize("line_end", ["\n", "\r"], ids=["lf", "cr"])
def test_crlf_lf_and_cr_line_ends_give_identical_rows(tmp_path: Path, config: RulesetConfig, line_end: str) -> None:
    crlf = route(IMDB_CSV, config).result
    path = IMDB_LF_CSV if line_end == "\n" else land(tmp_path, "cr.csv", REAL.replace(b"\r\n", b"\r"))
    other = route(path, config).result
    assert other.rows.equals(crlf.rows)
    assert other.good.equals(crlf.good)


def test_rows_with_too_few_or_too_many_fields_are_quarantined_with_line_and_count(
    tmp_path: Path, config: RulesetConfig
) -> None:
    fields = list(movie().values())
    data = csv_bytes([fields, fields[:14], [*fields, "extra", "more"], fields])
    routed = route(land(tmp_path, "ragged.csv", data), config)
    assert routed.counts == (4, 2, 2)
    reasons = routed.bad_reasons()
    assert reasons[2] == ["line 3: 14 fields, expected 16"]
    assert reasons[3] == ["line 4: 18 fields, expected 16; extra fields: ['extra', 'more']"]
    short = routed.result.bad.filter(pl.col(SOURCE_ROW) == 2).row(0, named=True)
    assert (short["star4"], short["no_of_votes"], short["gross"]) == ("William Sadler", None, None)


def _unquoted_movie(**changes: str) -> dict[str, str]:
    """A movie whose fields need no quotes, so a stray quote is the only one in its line."""
    plain = {"Poster_Link": "https://m.media-amazon.com/shawshank.jpg", "Gross": "28341469", "Overview": "Hope."}
    return movie(**(plain | changes))


def test_a_ragged_row_is_bad_even_where_the_contract_does_not_apply(tmp_path: Path, config: RulesetConfig) -> None:
    fields = list(movie().values())
    path = land(tmp_path, "not_for_the_warehouse.csv", csv_bytes([fields, fields[:15]]))
    routed = route(path, config, contract=False)
    assert routed.counts == (2, 1, 1)
    assert routed.bad_reasons() == {2: ["line 3: 15 fields, expected 16"]}


def test_an_unbalanced_quote_that_swallows_the_rest_of_the_file_is_unreadable(
    tmp_path: Path, config: RulesetConfig
) -> None:
    plain = _unquoted_movie()
    data = movies_csv(plain, _unquoted_movie(Overview="OPENS"), plain, plain).replace(b"OPENS", b'"Two men')
    path = land(tmp_path, "open_quote.csv", data)
    assert _unreadable(path, config) == (
        "open_quote.csv: line 3: a quoted field opened on this line is never closed; "
        "it swallows lines 3-5 (the rest of the file)"
    )


def test_a_stray_quote_joining_two_lines_quarantines_them_as_one_record(tmp_path: Path, config: RulesetConfig) -> None:
    plain = _unquoted_movie()
    data = movies_csv(plain, plain, plain, plain).replace(b"Tim Robbins", b'"Tim Robbins', 3)
    data = data.replace(b'"Tim Robbins', b"Tim Robbins", 1)  # only line 3 opens a quote; line 4's closes it
    routed = route(land(tmp_path, "stray_quote.csv", data), config)
    assert routed.counts == (3, 2, 1)
    # The quote runs from line 3's Star1 to line 4's: the record happens to have 16 fields, and only
    # the strict reading tells it apart from a field with a line break in it.
    assert routed.bad_reasons() == {2: ["lines 3-4: text follows the closing quote of a quoted field"]}
    joined = routed.result.bad["star1"].item()
    assert joined.startswith("Tim Robbins,Morgan Freeman") and "28341469\r\nhttps://" in joined


def test_a_quote_left_open_on_the_last_line_quarantines_that_row(tmp_path: Path, config: RulesetConfig) -> None:
    data = movies_csv(movie(), movie(Gross="")) + b'"unfinished\r\n'
    routed = route(land(tmp_path, "last_line.csv", data), config)
    assert routed.counts == (3, 2, 1)
    assert routed.bad_reasons()[3][-2:] == [
        "line 4: a quoted field is never closed",
        "line 4: 1 fields, expected 16",
    ]


def test_text_after_a_closing_quote_is_quarantined_with_its_line(tmp_path: Path, config: RulesetConfig) -> None:
    data = movies_csv(movie(), movie()).replace(b'"28,341,469"', b'"28,341,469"USD', 1)
    routed = route(land(tmp_path, "after_quote.csv", data), config)
    assert routed.counts == (2, 1, 1)
    assert routed.bad_reasons() == {1: ["line 2: text follows the closing quote of a quoted field"]}
    assert routed.result.bad["gross"].to_list() == ["28,341,469USD"]


def test_commas_quotes_and_line_breaks_inside_quoted_fields_are_kept(tmp_path: Path, config: RulesetConfig) -> None:
    overview = 'Two men, one "cell",\r\nand\nyears of\rhope.'
    data = movies_csv(movie(Overview=overview), movie(Series_Title="Line, After"))
    routed = route(land(tmp_path, "quoted.csv", data), config)
    assert routed.counts == (2, 2, 0)
    assert routed.result.good["overview"].to_list()[0] == overview
    assert routed.result.good["series_title"].to_list()[1] == "Line, After"


def test_a_gigantic_field_is_quarantined_for_its_byte_length(tmp_path: Path, config: RulesetConfig) -> None:
    data = movies_csv(movie(), movie(Overview="x" * 10_000_000), movie())
    routed = route(land(tmp_path, "gigantic.csv", data), config)
    assert routed.counts == (3, 2, 1)
    assert routed.bad_reasons() == {2: ["overview: longer than 4096 bytes (VARCHAR(4096))"]}


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("No_of_Votes", "1,234", "no_of_votes: '1,234' is not a BIGINT"),
        ("Meta_score", "142 min", "meta_score: '142 min' is not a BIGINT"),
        ("Meta_score", "8.0", "meta_score: '8.0' is not a BIGINT"),
        ("IMDB_Rating", "$1.2M", "imdb_rating: '$1.2M' is not a DOUBLE PRECISION"),
        ("IMDB_Rating", "9,3", "imdb_rating: '9,3' is not a DOUBLE PRECISION"),
    ],
)
def test_numbers_in_odd_formats_fail_the_contract_with_the_value(
    tmp_path: Path, config: RulesetConfig, column: str, value: str, reason: str
) -> None:
    routed = route(land(tmp_path, "odd.csv", movies_csv(movie(**{column: value}), movie())), config)
    assert routed.counts == (2, 1, 1)
    assert reason in routed.reasons(1)
    assert routed.result.good["series_title"].to_list() == ["The Shawshank Redemption"]


def test_numbers_as_text_in_text_columns_are_loaded_as_written(tmp_path: Path, config: RulesetConfig) -> None:
    routed = route(land(tmp_path, "text.csv", movies_csv(movie(Runtime="142 min", Gross="$1.2M"))), config)
    assert routed.result.good.select("runtime", "gross").row(0) == ("142 min", "$1.2M")


@pytest.mark.parametrize("name", ["imdb.csv.gz", "imdb_no_suffix.csv"])
def test_a_gzip_file_reads_like_the_plain_file(
    tmp_path: Path, config: RulesetConfig, real_good: pl.DataFrame, name: str
) -> None:
    routed = route(land(tmp_path, name, gzip.compress(REAL)), config)
    assert routed.landed.compression == "gzip"
    assert routed.counts == (1000, 33, 967)
    assert routed.result.good.equals(real_good)


def test_a_truncated_gzip_file_is_unreadable(tmp_path: Path, config: RulesetConfig) -> None:
    path = land(tmp_path, "cut.csv.gz", gzip.compress(REAL)[:5000])
    assert _unreadable(path, config).startswith("cut.csv.gz: the file starts as gzip but cannot be decompressed: ")


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imdb.csv", data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ((VARIANTS / "imdb_movies_rating.parquet").read_bytes(), "line 1: not a CSV file: it is a Parquet file"),
        (_zip(REAL), "line 1: not a CSV file: it is a ZIP archive (or an Excel .xlsx workbook)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "line 1: not a CSV file: it is a PNG image"),
        (REAL.decode().encode("utf-16-le"), "line 1: not a CSV file: it holds NUL characters"),
        (b'{"Series_Title": "The Godfather"}\n', "line 1: not a CSV file: it looks like JSON"),
        (b"<!DOCTYPE html><html><body>Access denied</body></html>", "line 1: not a CSV file: it looks like HTML"),
        ((VARIANTS / "messy_imdb_dataset.csv").read_bytes(), "line 1: the header looks semicolon-separated"),
        ((VARIANTS / "movie_metadata_imdb5000.csv").read_bytes(), "line 1: the header looks semicolon-separated"),
        (REAL.replace(b",", b"\t"), "line 1: the header looks tab-separated (16 fields by '\\t', 1 by ',')"),
    ],
    ids=["parquet", "zip", "png", "utf16-without-bom", "json", "html", "messy-semicolons", "imdb5000", "tabs"],
)
def test_a_file_that_is_not_a_csv_is_unreadable(
    tmp_path: Path, config: RulesetConfig, data: bytes, message: str
) -> None:
    assert _unreadable(land(tmp_path, "landed.csv", data), config).startswith(f"landed.csv: {message}")


def test_a_header_naming_a_column_twice_is_unreadable(tmp_path: Path, config: RulesetConfig) -> None:
    path = land(tmp_path, "twice.csv", csv_bytes([list(movie().values()) + ["x"]], [*HEADER, "GENRE"]))
    assert _unreadable(path, config) == (
        "twice.csv: line 1: the header names 'genre' twice (columns 6 and 17, compared lower-cased)"
    )


def test_blank_lines_are_not_rows_and_are_counted(tmp_path: Path, config: RulesetConfig) -> None:
    data = b"\r\n" + movies_csv(movie(), movie()).replace(b"\r\n", b"\r\n\r\n", 2) + b"\r\n"
    routed = route(land(tmp_path, "blank.csv", data), config)
    assert routed.counts == (2, 2, 0)
    assert routed.landed.blank_lines == 4


def test_the_same_file_landed_twice_is_read_the_same_way_twice(tmp_path: Path, config: RulesetConfig) -> None:
    first = route(IMDB_CSV, config)
    again = route(Path(shutil.copy(IMDB_CSV, tmp_path / "again.csv")), config)
    assert again.landed.frame.equals(first.landed.frame)
    assert again.result.good.equals(first.result.good) and again.result.bad.equals(first.result.bad)


def test_a_file_holding_its_rows_twice_keeps_both_copies(tmp_path: Path, config: RulesetConfig) -> None:
    header, _, body = REAL.partition(b"\r\n")
    routed = route(land(tmp_path, "doubled.csv", header + b"\r\n" + body + body), config)
    assert routed.counts == (2000, 66, 1934)


def test_the_counter_reads_the_file_again_rather_than_the_frame(tmp_path: Path) -> None:
    path = land(tmp_path, "grows.csv", movies_csv(movie()))
    landed = read_landed(str(path), None, source=path.name)
    path.write_bytes(movies_csv(movie(), movie()))
    assert (landed.frame.height, count_landed_rows(str(path), None, source=path.name)) == (1, 2)
