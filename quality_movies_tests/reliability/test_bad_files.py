"""Bad landed files, read and routed as the quality step does: a specific error, or every row in its place.

Each test writes the file byte for byte (or uses a real one from quality_movies_tests/data) and runs it through
`stage.run_stage`, the one quality path; `route` reads back the files it wrote and asserts for every file that
rows in = good + bad (and = the careful reader's count), and that each bad row carries its reasons.
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
from quality_movies.landed_table import read_landed_table
from quality_movies.ruleset_config import RulesetConfig, load_ruleset
from quality_movies.stage import SOURCE_ROW, UnreadableFileError, run_stage
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


def _refused(path: Path, config: RulesetConfig, error: type[Exception] = UnreadableFileError) -> str:
    """The message the run and the notification carry for a file the stage refuses; it leaves no output."""
    out = path.parent / f"{path.name}.out"
    with pytest.raises(error) as raised:
        run_stage(path, config, out, source=path.name)
    assert list(out.iterdir()) == [], "a refused file left output behind"
    return str(raised.value)


def _unreadable(path: Path, config: RulesetConfig) -> str:
    message = _refused(path, config)
    assert message.startswith(f"{path.name}: "), message
    return message


@pytest.fixture(scope="module")
def real_good(config: RulesetConfig, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """The good rows of the real file as it landed: what every faithful variant of it must give."""
    good = route(IMDB_CSV, config, tmp_path_factory.mktemp("real")).good
    assert good.height == 33
    return good


@pytest.mark.parametrize("data", [b"", codecs.BOM_UTF8, b"\r\n\r\n"], ids=["no-bytes", "only-a-bom", "blank-lines"])
def test_an_empty_file_is_unreadable(tmp_path: Path, config: RulesetConfig, data: bytes) -> None:
    path = land(tmp_path, "empty.csv", data)
    assert _unreadable(path, config) == "empty.csv: the file is empty (not even a header)"


def test_a_header_only_file_has_no_rows_and_its_row_count_rule_blocks_the_load(
    tmp_path: Path, config: RulesetConfig
) -> None:
    routed = route(land(tmp_path, "header.csv", csv_bytes([])), config, tmp_path / "out")
    assert routed.counts == (0, 0, 0)
    assert routed.result.verdict.blocking_failures == ["RowCount > 0"]


def test_a_missing_required_column_names_the_file_and_the_column(tmp_path: Path, config: RulesetConfig) -> None:
    header = [name for name in HEADER if name != "Gross"]
    path = land(tmp_path, "no_gross.csv", csv_bytes([[movie()[name] for name in header]], header))
    message = _refused(path, config, MissingColumnsError)
    assert message.startswith("no_gross.csv: the header lacks gross; expected columns"), message


def test_renamed_columns_behind_a_bom_are_named_as_missing(tmp_path: Path, config: RulesetConfig) -> None:
    path = land(tmp_path, "renamed.csv", (VARIANTS / "imdb_top_1000_renamed_columns_bom.csv").read_bytes())
    table = read_landed_table(path, tmp_path / "scratch", source=path.name)
    assert table.byte_order_mark and table.columns[0] == "director"  # not "\ufeffdirector"
    missing = _refused(path, config, MissingColumnsError).split("lacks ")[1].split(";")[0].split(", ")
    assert missing == [
        "poster_link",
        *("series_title", "released_year", "certificate", "runtime", "imdb_rating", "overview", "meta_score"),
        *("no_of_votes", "gross"),
    ]


def test_a_renamed_genre_column_among_extra_ones_is_named_as_missing(tmp_path: Path, config: RulesetConfig) -> None:
    path = land(tmp_path, "split_genres.csv", (VARIANTS / "imdb_top_1000_split_genres.csv").read_bytes())
    assert _refused(path, config, MissingColumnsError).startswith("split_genres.csv: the header lacks genre;")


def test_extra_and_reordered_columns_give_the_same_good_rows(
    tmp_path: Path, config: RulesetConfig, real_good: pl.DataFrame
) -> None:
    shuffled = pl.read_csv(IMDB_CSV, infer_schema=False).with_columns(pl.lit("x").alias("Budget"))
    shuffled = shuffled.select(["Budget", *reversed(HEADER)])
    path = tmp_path / "reordered.csv"
    shuffled.write_csv(path)
    routed = route(path, config, tmp_path / "out")
    assert routed.counts == (1000, 33, 967)
    assert routed.good.equals(real_good)


def test_a_byte_order_mark_is_dropped_and_recorded(
    tmp_path: Path, config: RulesetConfig, real_good: pl.DataFrame
) -> None:
    routed = route(land(tmp_path, "bom.csv", codecs.BOM_UTF8 + REAL), config, tmp_path / "out")
    assert routed.table.metadata()["byte_order_mark"] is True
    assert routed.written_summary["reader"]["byte_order_mark"] is True
    assert routed.table.columns[0] == "poster_link" and routed.bad.columns[1] == "poster_link"
    assert routed.good.equals(real_good)


def test_a_cp1252_file_is_decoded_faithfully_and_its_encoding_recorded(
    tmp_path: Path, config: RulesetConfig, real_good: pl.DataFrame
) -> None:
    path = land(tmp_path, "windows.csv", REAL.decode("utf-8").encode("cp1252"))
    routed = route(path, config, tmp_path / "out")
    assert routed.table.encoding == "cp1252"
    assert routed.good.equals(real_good)
    assert "Gunnar Björnstrand" in routed.text("star2") + routed.text("star1")


def test_bytes_cp1252_leaves_undefined_are_read_as_latin1(tmp_path: Path, config: RulesetConfig) -> None:
    data = movies_csv(movie()).replace(b"Frank Darabont", b"Frank Darabont\x81\xe9")
    routed = route(land(tmp_path, "latin1.csv", data), config, tmp_path / "out")
    assert routed.table.encoding == "latin-1"
    assert routed.good["director"].to_list() == ["Frank Darabont\x81é"]


def test_a_line_not_in_utf8_among_utf8_lines_is_quarantined_with_its_line(
    tmp_path: Path, config: RulesetConfig
) -> None:
    data = movies_csv(movie(Director="Gunnar Björnstrand"), movie(Director="Ingmar Bergman"), movie())
    data = data.replace(b"Ingmar Bergman", "Ingmar Bergmän".encode("cp1252"))
    routed = route(land(tmp_path, "mixed.csv", data), config, tmp_path / "out")
    assert (routed.table.encoding, routed.table.foreign_lines) == ("utf-8", (3,))
    assert routed.counts == (3, 2, 1)
    assert routed.bad_reasons() == {
        2: ["line 3: not valid utf-8; its bytes were read as cp1252 (or Latin-1), so its characters may be wrong"]
    }
    assert routed.good["director"].to_list() == ["Gunnar Björnstrand", "Frank Darabont"]
    assert routed.bad["director"].to_list() == ["Ingmar Bergmän"]  # as read, kept with the reason


def test_a_utf16_file_with_its_byte_order_mark_reads_like_utf8(
    tmp_path: Path, config: RulesetConfig, real_good: pl.DataFrame
) -> None:
    routed = route(land(tmp_path, "excel.csv", REAL.decode("utf-8").encode("utf-16")), config, tmp_path / "out")
    assert (routed.table.encoding, routed.table.byte_order_mark) == ("utf-16", True)
    assert routed.good.equals(real_good)


@pytest.mark.parametrize("line_end", ["\n", "\r"], ids=["lf", "cr"])
def test_crlf_lf_and_cr_line_ends_give_identical_rows(tmp_path: Path, config: RulesetConfig, line_end: str) -> None:
    crlf = route(IMDB_CSV, config, tmp_path / "crlf")
    path = IMDB_LF_CSV if line_end == "\n" else land(tmp_path, "cr.csv", REAL.replace(b"\r\n", b"\r"))
    other = route(path, config, tmp_path / "other")
    assert other.bad.equals(crlf.bad)
    assert other.good.equals(crlf.good)


def test_rows_with_too_few_or_too_many_fields_are_quarantined_with_line_and_count(
    tmp_path: Path, config: RulesetConfig
) -> None:
    fields = list(movie().values())
    data = csv_bytes([fields, fields[:14], [*fields, "extra", "more"], fields])
    routed = route(land(tmp_path, "ragged.csv", data), config, tmp_path / "out")
    assert routed.counts == (4, 2, 2)
    reasons = routed.bad_reasons()
    assert reasons[2] == ["line 3: 14 fields, expected 16"]
    assert reasons[3] == ["line 4: 18 fields, expected 16; extra fields: ['extra', 'more']"]
    short = routed.bad.filter(pl.col(SOURCE_ROW) == 2).row(0, named=True)
    assert (short["star4"], short["no_of_votes"], short["gross"]) == ("William Sadler", None, None)


def test_a_short_and_a_long_row_whose_fields_add_up_are_both_quarantined(tmp_path: Path, config: RulesetConfig) -> None:
    fields = list(movie().values())
    data = csv_bytes([fields, fields[:15], [*fields, "extra"], fields])  # the file's separator count is right
    routed = route(land(tmp_path, "compensating.csv", data), config, tmp_path / "out")
    assert routed.counts == (4, 2, 2)
    assert routed.bad_reasons() == {
        2: ["line 3: 15 fields, expected 16"],
        3: ["line 4: 17 fields, expected 16; extra fields: ['extra']"],
    }


def test_a_row_of_too_many_fields_sends_the_file_to_the_careful_reader_even_when_the_ruleset_stops_it(
    tmp_path: Path,
) -> None:
    fields = list(movie().values())
    # Far past the 10,000 records the crawler reads whole (and the chunk Polars reads them from), so only the
    # reader's own verification reads every field of the last record.
    path = land(tmp_path, "long.csv", csv_bytes([*[fields] * 50_000, [*fields, "extra"]]))
    rules = tmp_path / "strict.dqdl"  # reads one column, and stops the file before any pass reads them all
    rules.write_text('Rules = [ ColumnValues "imdb_rating" > 9.5 ]')
    rules.with_suffix(".toml").write_text('on_dataset_failure = "stop"\n')
    result = run_stage(path, load_ruleset(rules), tmp_path / "out")
    assert result.verdict.stop_reason
    assert (result.table.reader, result.rows_in, result.table.rows_with_parse_problems) == ("careful", 50_001, 1)


def _unquoted_movie(**changes: str) -> dict[str, str]:
    """A movie whose fields need no quotes, so a stray quote is the only one in its line."""
    plain = {"Poster_Link": "https://m.media-amazon.com/shawshank.jpg", "Gross": "28341469", "Overview": "Hope."}
    return movie(**(plain | changes))


def test_a_ragged_row_is_bad_even_where_the_contract_does_not_apply(tmp_path: Path, config: RulesetConfig) -> None:
    fields = list(movie().values())
    path = land(tmp_path, "not_for_the_warehouse.csv", csv_bytes([fields, fields[:15]]))
    routed = route(path, config, tmp_path / "out", contract=False)
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
    routed = route(land(tmp_path, "stray_quote.csv", data), config, tmp_path / "out")
    assert routed.counts == (3, 2, 1)
    # The quote runs from line 3's Star1 to line 4's: the record happens to have 16 fields, and only
    # the strict reading tells it apart from a field with a line break in it.
    assert routed.bad_reasons() == {2: ["lines 3-4: text follows the closing quote of a quoted field"]}
    joined = routed.bad["star1"].item()
    assert joined.startswith("Tim Robbins,Morgan Freeman") and "28341469\r\nhttps://" in joined


def test_a_quote_left_open_on_the_last_line_quarantines_that_row(tmp_path: Path, config: RulesetConfig) -> None:
    data = movies_csv(movie(), movie(Gross="")) + b'"unfinished\r\n'
    routed = route(land(tmp_path, "last_line.csv", data), config, tmp_path / "out")
    assert routed.counts == (3, 2, 1)
    assert routed.bad_reasons()[3][-2:] == [
        "line 4: a quoted field is never closed",
        "line 4: 1 fields, expected 16",
    ]


def test_text_after_a_closing_quote_is_quarantined_with_its_line(tmp_path: Path, config: RulesetConfig) -> None:
    data = movies_csv(movie(), movie()).replace(b'"28,341,469"', b'"28,341,469"USD', 1)
    routed = route(land(tmp_path, "after_quote.csv", data), config, tmp_path / "out")
    assert routed.counts == (2, 1, 1)
    assert routed.bad_reasons() == {1: ["line 2: text follows the closing quote of a quoted field"]}
    assert routed.bad["gross"].to_list() == ["28,341,469USD"]


def test_commas_quotes_and_line_breaks_inside_quoted_fields_are_kept(tmp_path: Path, config: RulesetConfig) -> None:
    overview = 'Two men, one "cell",\r\nand\nyears of\rhope.'
    data = movies_csv(movie(Overview=overview), movie(Series_Title="Line, After"))
    routed = route(land(tmp_path, "quoted.csv", data), config, tmp_path / "out")
    assert routed.counts == (2, 2, 0)
    assert routed.good["overview"].to_list()[0] == overview
    assert routed.good["series_title"].to_list()[1] == "Line, After"


def test_a_gigantic_field_is_quarantined_for_its_byte_length(tmp_path: Path, config: RulesetConfig) -> None:
    data = movies_csv(movie(), movie(Overview="x" * 10_000_000), movie())
    routed = route(land(tmp_path, "gigantic.csv", data), config, tmp_path / "out")
    assert routed.counts == (3, 2, 1)
    assert routed.bad_reasons() == {2: ["overview: longer than 4096 bytes (VARCHAR(4096))"]}


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("No_of_Votes", "1,234", "no_of_votes: '1,234' is not a BIGINT"),
        ("Meta_score", "142 min", "meta_score: '142 min' is not a BIGINT"),
        ("Meta_score", "8.5", "meta_score: '8.5' has a fraction; BIGINT holds whole numbers"),
        ("IMDB_Rating", "$1.2M", "imdb_rating: '$1.2M' is not a DOUBLE PRECISION"),
        ("IMDB_Rating", "9,3", "imdb_rating: '9,3' is not a DOUBLE PRECISION"),
    ],
)
def test_numbers_in_odd_formats_fail_the_contract_with_the_value(
    tmp_path: Path, config: RulesetConfig, column: str, value: str, reason: str
) -> None:
    routed = route(land(tmp_path, "odd.csv", movies_csv(movie(**{column: value}), movie())), config, tmp_path / "out")
    assert routed.counts == (2, 1, 1)
    assert reason in routed.reasons(1)
    assert routed.bad[column.lower()].to_list() == [value]  # the text exactly as it landed
    assert routed.good["series_title"].to_list() == ["The Shawshank Redemption"]


def test_numbers_as_text_in_text_columns_are_loaded_as_written(tmp_path: Path, config: RulesetConfig) -> None:
    data = movies_csv(movie(Runtime="142 min", Gross="$1.2M"))
    routed = route(land(tmp_path, "text.csv", data), config, tmp_path / "out")
    assert routed.good.select("runtime", "gross").row(0) == ("142 min", "$1.2M")


@pytest.mark.parametrize("name", ["imdb.csv.gz", "imdb_no_suffix.csv"])
def test_a_gzip_file_reads_like_the_plain_file(
    tmp_path: Path, config: RulesetConfig, real_good: pl.DataFrame, name: str
) -> None:
    routed = route(land(tmp_path, name, gzip.compress(REAL)), config, tmp_path / "out")
    assert routed.table.compression == "gzip"
    assert routed.counts == (1000, 33, 967)
    assert routed.good.equals(real_good)


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


@pytest.mark.parametrize("before_header", [True, False], ids=["also-before-the-header", "between-records-only"])
def test_blank_lines_are_not_rows_and_do_not_shift_row_numbers(
    tmp_path: Path, config: RulesetConfig, before_header: bool
) -> None:
    # The count of blank lines is no longer reported (the one quality path dropped it); what still holds is
    # that a blank line is no record wherever it is, and that source_row numbers records, not lines.
    data = movies_csv(movie(), movie(IMDB_Rating="7.0"), movie()).replace(b"\r\n", b"\r\n\r\n", 2) + b"\r\n"
    routed = route(land(tmp_path, "blank.csv", (b"\r\n" if before_header else b"") + data), config, tmp_path / "out")
    assert routed.counts == (3, 2, 1)
    assert routed.bad_reasons() == {2: ['ColumnValues "imdb_rating" between 8.5 and 10.3']}
    assert "blank_lines_skipped" not in routed.written_summary["reader"]


def test_the_same_file_landed_twice_is_read_the_same_way_twice(tmp_path: Path, config: RulesetConfig) -> None:
    first = route(IMDB_CSV, config, tmp_path / "first")
    again = route(Path(shutil.copy(IMDB_CSV, tmp_path / "again.csv")), config, tmp_path / "again")
    assert (again.table.metadata(), again.result.columns) == (first.table.metadata(), first.result.columns)
    assert again.good.equals(first.good) and again.bad.equals(first.bad)


def test_a_file_holding_its_rows_twice_keeps_both_copies(tmp_path: Path, config: RulesetConfig) -> None:
    header, _, body = REAL.partition(b"\r\n")
    routed = route(land(tmp_path, "doubled.csv", header + b"\r\n" + body + body), config, tmp_path / "out")
    assert routed.counts == (2000, 66, 1934)


def test_the_outputs_in_a_folder_are_those_of_its_last_run(tmp_path: Path, config: RulesetConfig) -> None:
    # There is no separate row counter any more: counts are taken on the files this run wrote, so what
    # must hold is that no output of an earlier run in the same folder passes for this run's.
    out = tmp_path / "out"
    path = land(tmp_path, "grows.csv", movies_csv(movie(IMDB_Rating="7.0")))
    assert route(path, config, out).counts == (1, 0, 1)
    path.write_bytes(movies_csv(movie(), movie()))
    assert route(path, config, out).counts == (2, 2, 0)
    path.write_bytes(b"")
    with pytest.raises(UnreadableFileError, match="the file is empty"):
        run_stage(path, config, out, source=path.name)
    assert list(out.iterdir()) == []
