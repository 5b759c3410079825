"""Landed files written byte for byte, run through the quality stage, and where every row went.

`route` runs `stage.run_stage` (the one quality path) into a folder and reads back what it wrote: the good
rows from `good_rows.parquet`, the quarantine from `bad_records.jsonl`, the summary from `rule_outcome.json`.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import polars as pl
import pytest
from moto.server import ThreadedMotoServer

from quality_movies import dqdl
from quality_movies.contract import VIOLATIONS
from quality_movies.landed_table import LandedTable, read_landed_table
from quality_movies.ruleset_config import DEFAULT_RULESET, RulesetConfig, load_ruleset
from quality_movies.stage import (
    BAD_RECORDS_FILE,
    GOOD_ROWS_FILE,
    RULE_OUTCOME_FILE,
    SOURCE_ROW,
    StageResult,
    run_stage,
)
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


def bad_record_schema(columns: tuple[str, ...]) -> dict[str, pl.DataType]:
    """The quarantine's columns in order: the record's number, its text as landed, Glue's outcomes, the reasons."""
    outcomes = {name: pl.List(pl.String) for name in dqdl.OUTCOME_COLUMNS} | {dqdl.RESULT_COLUMN: pl.String()}
    return {SOURCE_ROW: pl.Int64(), **dict.fromkeys(columns, pl.String()), **outcomes, VIOLATIONS: pl.List(pl.String)}


def read_bad_records(path: Path, columns: tuple[str, ...]) -> pl.DataFrame:
    """`bad_records.jsonl` as written: its columns must be the quarantine's, in order."""
    schema = bad_record_schema(columns)
    if path.stat().st_size == 0:
        return pl.DataFrame(schema=schema)
    bad = pl.read_ndjson(path, infer_schema_length=None)
    assert bad.columns == list(schema), f"{path.name} has columns {bad.columns}"
    return bad.cast(schema)  # an all-null column is read as Null, an all-empty list as List(Null)


@dataclass(frozen=True)
class Routed:
    """Where the rows of one landed file went, read back from the files the stage wrote."""

    result: StageResult
    good: pl.DataFrame  # good_rows.parquet: warehouse-typed (raw text without the contract)
    bad: pl.DataFrame  # bad_records.jsonl: source_row, the text as landed, outcomes, ContractViolations
    written_summary: dict  # rule_outcome.json
    rows_counted_carefully: int  # the careful reader's count of the same file, for the fast reader's

    @property
    def table(self) -> LandedTable:
        """How the stage read the file (reader, encoding, compression, byte-order mark, foreign lines)."""
        return self.result.table

    @property
    def rows_in(self) -> int:
        return self.result.rows_in

    @property
    def counts(self) -> tuple[int, int, int]:
        return self.rows_in, self.good.height, self.bad.height

    def text(self, column: str) -> list[str | None]:
        """The column's values over good and bad rows (the same text either way for text columns)."""
        return self.good[column].to_list() + self.bad[column].to_list()

    def reasons(self, source_row: int) -> list[str]:
        """Every reason the row is bad: failed rules, then parse problems, type misfits and contract violations."""
        found = self.bad.filter(pl.col(SOURCE_ROW) == source_row)
        if found.is_empty():
            return []  # a good row
        row = found.row(0, named=True)
        return [*row[dqdl.FAIL_COLUMN], *row[VIOLATIONS]]

    def bad_reasons(self) -> dict[int, list[str]]:
        return {n: self.reasons(n) for n in self.bad[SOURCE_ROW].to_list()}


def route(path: Path, config: RulesetConfig, out_dir: Path, *, contract: bool = True) -> Routed:
    """Run the quality stage on the file into `out_dir`, read its outputs back; assert nothing was lost."""
    source = path.name
    result = run_stage(path, config, out_dir, source=source, contract=contract)
    assert set(result.outputs) == {GOOD_ROWS_FILE, BAD_RECORDS_FILE, RULE_OUTCOME_FILE}, "the run stopped"
    good = pl.read_parquet(result.outputs[GOOD_ROWS_FILE])
    bad = read_bad_records(result.outputs[BAD_RECORDS_FILE], result.table.columns)
    written = json.loads(result.outputs[RULE_OUTCOME_FILE].read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(dir=out_dir) as scratch:  # fresh: the reader reuses a gunzipped file
        counted = read_landed_table(path, Path(scratch), source=source, careful=True).rows or 0
    routed = Routed(result, good, bad, written, counted)
    assert_conserved(routed)
    return routed


def assert_conserved(routed: Routed) -> None:
    """Rows in = good + bad, each record in exactly one place, every bad row says why, counts as written."""
    rows_in, good, bad = routed.counts
    assert rows_in == routed.rows_counted_carefully, "the stage and the careful reader count different records"
    assert rows_in == good + bad
    assert (routed.result.rows_good, routed.result.rows_bad) == (good, bad)
    assert routed.written_summary == routed.result.summary
    numbers = routed.bad[SOURCE_ROW].to_list()
    assert numbers == sorted(set(numbers)), "bad rows are out of order or repeated"
    assert all(1 <= n <= rows_in for n in numbers), f"bad source rows outside 1..{rows_in}: {numbers}"
    unexplained = [n for n, reasons in routed.bad_reasons().items() if not reasons]
    assert unexplained == [], f"bad rows without a reason: {unexplained}"


REGION = "us-east-1"


@pytest.fixture
def s3_bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A bucket of its own on a local S3 endpoint, named in the environment so the job's lake is an S3 lake.

    Its own name: moto keeps one state per process, whatever server serves it, so a shared name would see
    another test's objects.
    """
    bucket = f"reliability-{uuid.uuid4().hex[:12]}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name, value in {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "QUALITY_MOVIES_BUCKET": bucket,
    }.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", region_name=REGION, endpoint_url=f"http://{host}:{port}").create_bucket(Bucket=bucket)
    yield bucket
    server.stop()
