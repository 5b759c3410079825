"""Landed files written byte for byte, read as the quality step reads them, and where every row went."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from quality_movies import dqdl
from quality_movies.contract import VIOLATIONS
from quality_movies.landed_file import LandedFile, count_landed_rows, read_landed
from quality_movies.ruleset_config import DEFAULT_RULESET, RulesetConfig, load_ruleset
from quality_movies.stage import SOURCE_ROW, StageResult, evaluate_rows
from quality_movies_tests.conftest import IMDB_CSV

# The header as the real file spells it, and its first movie (which the default ruleset keeps).
with IMDB_CSV.open(encoding="utf-8", newline="") as _file:
    _records = csv.reader(_file)
    HEADER = next(_records)
    SHAWSHANK = dict(zip(HEADER, next(_records), strict=True))


@pytest.fixture(scope="session")
def config() -> RulesetConfig:
    return load_ruleset(DEFAULT_RULESET)


def movie(**changes: str) -> dict[str, str]:
    """The Shawshank Redemption's record with some fields changed (keys as the header spells them)."""
    unknown = set(changes) - set(SHAWSHANK)
    assert not unknown, f"not a column: {unknown}"
    return SHAWSHANK | changes


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, line_end: str = "\r\n") -> bytes:
    """Rows written by the csv module (quoting only what needs it) under `header`, UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def movies_csv(*movies: dict[str, str]) -> bytes:
    return csv_bytes([[m[name] for name in HEADER] for m in movies])


def land(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@dataclass(frozen=True)
class Routed:
    """Where the rows of one landed file went."""

    landed: LandedFile
    result: StageResult
    rows_in: int  # counted independently of the reader

    @property
    def counts(self) -> tuple[int, int, int]:
        return self.rows_in, self.result.good.height, self.result.bad.height

    def reasons(self, source_row: int) -> list[str]:
        """Every reason the row is bad: failed rules, then contract violations and parse problems."""
        row = self.result.rows.filter(pl.col(SOURCE_ROW) == source_row).row(0, named=True)
        return [*row[dqdl.FAIL_COLUMN], *row[VIOLATIONS]]

    def bad_reasons(self) -> dict[int, list[str]]:
        return {n: self.reasons(n) for n in self.result.bad[SOURCE_ROW].to_list()}


def route(path: Path, config: RulesetConfig, *, contract: bool = True) -> Routed:
    """Read the file as the quality step does, route its rows, count it again; assert nothing was lost."""
    source = path.name
    landed = read_landed(str(path), None, source=source)
    result = evaluate_rows(landed.frame, config, contract=contract, source=source)
    routed = Routed(landed, result, count_landed_rows(str(path), None, source=source))
    assert_conserved(routed)
    return routed


def assert_conserved(routed: Routed) -> None:
    """Rows in = good + bad, each row in exactly one place, and every bad row says why."""
    result = routed.result
    assert routed.rows_in == result.rows_in == result.good.height + result.bad.height
    assert result.rows[SOURCE_ROW].to_list() == list(range(1, routed.rows_in + 1))
    unexplained = [n for n, reasons in routed.bad_reasons().items() if not reasons]
    assert unexplained == [], f"bad rows without a reason: {unexplained}"
