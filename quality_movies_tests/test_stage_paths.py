"""Different paths through the one quality stage give the same answer: both readers, and every faithful variant.

The fast reader (Polars, vouched for by a verification pass) and the careful reader (the csv module) must read
the same file to the same table; and a variant of the real file (other line ends, encoding, byte-order mark,
compression, blank lines) must give, through `run_stage`, the same good rows, the same quarantine byte for
byte and the same per-rule outcomes as the file as it landed, whichever reader the variant takes.
"""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import polars as pl
import pytest

from quality_movies.landed_table import NotVouchedError, read_landed_table
from quality_movies.ruleset_config import DEFAULT_RULESET, RulesetConfig, load_ruleset
from quality_movies.stage import BAD_RECORDS_FILE, GOOD_ROWS_FILE, StageResult, read_as_crawled, run_stage
from quality_movies_tests.data_files import IMDB_CSV, IMDB_LF_CSV

REAL = IMDB_CSV.read_bytes()
_HEADER, _, _BODY = REAL.partition(b"\r\n")
_LINES = _BODY.split(b"\r\n")[:-1]  # one record per line in this file
# The same records, ASCII-only ones first: the first byte that is not ASCII lies far beyond the head
# (64 KiB) that decides whether the fast reader may try.
ASCII_FIRST = b"\r\n".join([_HEADER, *sorted(_LINES, key=lambda line: not line.isascii()), b""])
# Read by the fast reader when nothing in the file is unusual; what the variant must still be read by.
VARIANTS = {
    "lf": (IMDB_LF_CSV.read_bytes(), "fast"),
    "bom": (codecs.BOM_UTF8 + REAL, "fast"),
    "gzip": (gzip.compress(REAL), "fast"),
    "gzip-bom": (gzip.compress(codecs.BOM_UTF8 + REAL), "fast"),
    "cr": (REAL.replace(b"\r\n", b"\r"), "careful"),
    "cp1252": (REAL.decode("utf-8").encode("cp1252"), "careful"),
    "utf16": (REAL.decode("utf-8").encode("utf-16"), "careful"),
    "blank-line-first": (b"\r\n" + REAL, "careful"),
    # The head is clean, so the fast reader tries; it cannot vouch for the blank lines and hands over.
    "blank-lines-between": (REAL.replace(b"\r\n", b"\r\n\r\n", 5), "careful"),
}


@pytest.fixture(scope="module")
def config() -> RulesetConfig:
    return load_ruleset(DEFAULT_RULESET)


@pytest.fixture(scope="module")
def landed(config: RulesetConfig, tmp_path_factory: pytest.TempPathFactory) -> StageResult:
    result = run_stage(IMDB_CSV, config, tmp_path_factory.mktemp("landed"), source="movies.csv")
    assert (result.table.reader, result.rows_in, result.rows_good, result.rows_bad) == ("fast", 1000, 33, 967)
    return result


def _both_readers(path: Path, scratch: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The file's table as the fast reader reads and vouches for it, and as the careful reader reads it."""
    fast = read_landed_table(path, scratch / "fast", source=path.name)
    assert fast.reader == "fast"
    frame, verified = pl.collect_all([fast.scan(), fast.verification()])
    assert fast.vouch(verified) == frame.height
    careful = read_landed_table(path, scratch / "careful", source=path.name, careful=True)
    assert careful.reader == "careful"
    return frame, careful.scan().collect()


def _same_outputs(variant: StageResult, landed: StageResult) -> None:
    """Same good rows, the same quarantine byte for byte, the same counts and rule outcomes."""
    good = pl.read_parquet(variant.outputs[GOOD_ROWS_FILE])
    assert good.equals(pl.read_parquet(landed.outputs[GOOD_ROWS_FILE]))
    assert variant.outputs[BAD_RECORDS_FILE].read_bytes() == landed.outputs[BAD_RECORDS_FILE].read_bytes()
    apart = ("outputs", "reader")  # where the files went and how the variant was read
    assert {k: v for k, v in variant.summary.items() if k not in apart} == {
        k: v for k, v in landed.summary.items() if k not in apart
    }
    assert variant.columns == landed.columns


@pytest.mark.parametrize("path", [IMDB_CSV, IMDB_LF_CSV], ids=["crlf", "lf"])
def test_the_fast_and_careful_readers_read_the_real_file_to_the_same_table(tmp_path: Path, path: Path) -> None:
    fast, careful = _both_readers(path, tmp_path)
    assert fast.height == 1000
    assert fast.equals(careful)


def test_the_fast_and_careful_readers_agree_on_quoted_commas_line_breaks_and_empty_fields(tmp_path: Path) -> None:
    quoted, empty = tmp_path / "quoted.csv", tmp_path / "empty.csv"
    quoted.write_bytes(b'a,b,c\r\n"x, y","two\r\nlines",1\r\n"","say ""hi""",3\r\n')
    empty.write_bytes(b'a,b,c\n,,\n"",x,""\n')  # empty last fields: padding is ruled out by the separators' count
    spanning = tmp_path / "spanning.csv"
    spanning.write_bytes(b'a,b,c\r\n"x, y","two\r\nlines",\r\n1,2,3\r\n')  # ends empty, spans lines: no matter
    fast, careful = _both_readers(quoted, tmp_path / "quoted")
    assert fast.equals(careful)
    assert fast.select("a", "b", "c").rows() == [("x, y", "two\r\nlines", "1"), (None, 'say "hi"', "3")]
    fast, careful = _both_readers(empty, tmp_path / "empty")
    assert fast.equals(careful)
    assert fast.select("a", "b", "c").rows() == [(None, None, None), (None, "x", None)]
    fast, careful = _both_readers(spanning, tmp_path / "spanning")
    assert fast.equals(careful)
    assert fast.select("a", "b", "c").rows() == [("x, y", "two\r\nlines", None), ("1", "2", "3")]
    unterminated = tmp_path / "unterminated.csv"
    unterminated.write_bytes(b"a,b,c\n1,2,")  # no line end after the last, empty field
    fast, careful = _both_readers(unterminated, tmp_path / "unterminated")
    assert fast.equals(careful)
    assert fast.select("a", "b", "c").rows() == [("1", "2", None)]


def test_a_file_the_fast_reader_cannot_vouch_for_goes_to_the_careful_reader(
    tmp_path: Path, config: RulesetConfig
) -> None:
    # A record ends in an empty field, so Polars may have padded a short record: the file's separators fall
    # one short of the header's count, so the fast reader hands over.
    path = tmp_path / "spanning.csv"
    path.write_bytes(b'a,b,c\r\n"x, y","two\r\nlines",\r\n1,2\r\n')
    fast = read_landed_table(path, tmp_path / "fast", source=path.name)
    frame, verified = pl.collect_all([fast.scan(), fast.verification()])
    with pytest.raises(NotVouchedError, match="^spanning.csv: some records may have too few fields"):
        fast.vouch(verified)
    rules = tmp_path / "abc.dqdl"
    rules.write_text('Rules = [ IsComplete "a" ]')  # the recipe's rules name columns it lacks: they would stop it
    result = run_stage(path, load_ruleset(rules), tmp_path / "out", contract=False)
    assert (result.table.reader, result.rows_in, result.table.rows_with_parse_problems) == ("careful", 2, 1)
    bad = pl.read_ndjson(result.outputs[BAD_RECORDS_FILE])
    assert bad.select("source_row", "a", "b", "c").rows() == [(2, "1", "2", None)]
    assert bad["ContractViolations"].to_list() == [["line 4: 2 fields, expected 3"]]


@pytest.mark.parametrize("name", list(VARIANTS))
def test_a_faithful_variant_of_the_real_file_gives_the_same_outputs(
    tmp_path: Path, config: RulesetConfig, landed: StageResult, name: str
) -> None:
    data, reader = VARIANTS[name]
    path = tmp_path / "movies.csv"
    path.write_bytes(data)
    variant = run_stage(path, config, tmp_path / "out", source="movies.csv")
    assert variant.table.reader == reader
    _same_outputs(variant, landed)


def test_a_cp1252_file_that_looks_like_utf8_at_its_head_is_read_again_carefully(
    tmp_path: Path, config: RulesetConfig
) -> None:
    utf8, cp1252 = tmp_path / "utf8.csv", tmp_path / "cp1252.csv"
    utf8.write_bytes(ASCII_FIRST)
    cp1252.write_bytes(ASCII_FIRST.decode("utf-8").encode("cp1252"))
    twin = run_stage(utf8, config, tmp_path / "utf8", source="movies.csv")
    variant = run_stage(cp1252, config, tmp_path / "cp1252", source="movies.csv")
    assert (twin.table.reader, variant.table.reader, variant.table.encoding) == ("fast", "careful", "cp1252")
    assert (variant.rows_in, variant.rows_good, variant.rows_bad) == (1000, 33, 967)
    _same_outputs(variant, twin)


def test_the_whole_file_as_crawled_is_the_same_whichever_reader_reads_it(tmp_path: Path) -> None:
    variant = tmp_path / "cp1252.csv"
    variant.write_bytes(VARIANTS["cp1252"][0])
    crawled = read_as_crawled(IMDB_CSV)
    assert crawled.equals(read_as_crawled(variant))
    assert (crawled.height, crawled.schema["imdb_rating"], crawled.schema["meta_score"]) == (1000, pl.Float64, pl.Int64)
    assert crawled.schema["released_year"] == pl.String  # Apollo 13's 'PG'
