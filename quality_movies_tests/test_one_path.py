"""Every real file of the test data through the Dagster job and through `quality-movies validate`: one answer.

Both call `stage.run_stage`; this test is what keeps it so. For each file they must agree on the counts,
on how many rows each rule failed, and on which records (by number) went to the quarantine; a file that
cannot be read must fail both with the same reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from quality_movies.cli import main
from quality_movies.run_summary import summarize_run
from quality_movies.stage import BAD_RECORDS_FILE, SOURCE_ROW
from quality_movies_tests.conftest import Pipeline
from quality_movies_tests.data_files import TEST_DATA

REAL_FILES = sorted(
    path for path in TEST_DATA.rglob("*") if path.suffix in (".csv", ".parquet") and "glue-reference" not in path.parts
)


def _validate(path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict | None, str]:
    """Exit code, `--json` summary (None when the file was refused) and what went to stderr."""
    code = main(["validate", str(path), "--out", str(out), "--json"])
    printed = capsys.readouterr()
    return code, (json.loads(printed.out) if printed.out.strip() else None), printed.err


def _reason(message: str, source: str) -> str:
    """The reason a message gives, without the name of the file (each path names it its own way)."""
    return message.split(f"{source}: ", 1)[1].split(" (use --no-contract")[0].strip()


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda path: path.name)
def test_the_dagster_job_and_validate_route_each_real_file_alike(
    pipeline: Pipeline, path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, validated, refused = _validate(path, tmp_path / "validated", capsys)
    run = pipeline.run(pipeline.land(path))
    summary = summarize_run(pipeline.instance, run.run_id)

    if validated is None:  # refused by validate: the run fails at the same step of the path, for the same reason
        assert code == 1 and not run.success
        key = f"{pipeline.lake.landing_prefix}/{path.name}"
        assert _reason(summary["error"], key) == _reason(refused, str(path)), (summary["error"], refused)
        return

    assert run.success, summary["error"]
    assert (summary["rows_in"], summary["rows_good"], summary["rows_bad"]) == (
        validated["rows_in"],
        validated["rows_good"],
        validated["rows_bad"],
    )
    (outcome_key,) = pipeline.keys("rule_outcome")
    in_run = {record["rule"]: record["failing_rows"] for record in map(json.loads, _lines(pipeline, outcome_key))}
    assert in_run == {rule["rule"]: rule["failing_rows"] for rule in validated["rules"]}
    (bad_key,) = pipeline.keys("bad_records")
    quarantined_in_run = pipeline.read_ndjson(bad_key)[SOURCE_ROW].to_list()
    quarantined_by_validate = pl.read_ndjson(tmp_path / "validated" / BAD_RECORDS_FILE)[SOURCE_ROW].to_list()
    assert quarantined_in_run == quarantined_by_validate
    assert len(quarantined_in_run) == validated["rows_bad"]


def _lines(pipeline: Pipeline, key: str) -> list[str]:
    return pipeline.lake.path(key).read_text(encoding="utf-8").splitlines()


def test_every_real_file_is_covered() -> None:
    """The data folder's README names each file; a file added there is routed by the test above too."""
    readme = (TEST_DATA / "README.md").read_text(encoding="utf-8")
    assert REAL_FILES
    assert all(path.name in readme for path in REAL_FILES)
