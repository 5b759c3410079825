"""The metrics history for dynamic rules read from S3 (moto's server), through the S3 lake's listing and reader."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from quality_movies.history import history_rows
from quality_movies.metric_history import LakeMetricHistory
from quality_movies.resources.s3_lake import S3Lake
from quality_movies_tests.aws.conftest import REGION

ROWS = "Dataset.*.RowCount"
T0 = dt.datetime(2026, 11, 1, 12)


def _store(lake: S3Lake, ruleset: str, run: str, minutes: int, rows: int) -> None:
    summary = {
        "ruleset": ruleset,
        "rows_in": rows,
        "rules": [{"rule": "RowCount > 0", "outcome": "Passed", "metrics": {ROWS: rows}}],
    }
    buffer = io.BytesIO()
    history_rows(summary, {}, "input_data/x.csv", T0 + dt.timedelta(minutes=minutes)).write_parquet(buffer)
    lake.write_bytes(f"dq_history/source_file=x.csv/run_id={run}/metrics.parquet", buffer.getvalue())


def test_previous_values_come_from_s3_newest_first_for_the_ruleset_without_the_current_run(aws) -> None:
    lake = S3Lake(bucket=aws.bucket, region=REGION, endpoint_url=aws.endpoint)
    # Written within the same second (S3 keeps whole seconds), so the order comes from `evaluated_at`; a busy
    # machine may straddle a second, and then the set is written again.
    for _ in range(5):
        for minute, rows in [(3, 995), (0, 1000), (2, 1010), (1, 990)]:
            _store(lake, "/app/rules/movies.dqdl", f"run{minute}", minute, rows)
        _store(lake, "/app/rules/other.dqdl", "other", 9, 5)
        _store(lake, "/app/rules/movies.dqdl", "current", 10, 300)
        if len({found.last_modified for found in lake.list_objects("dq_history")}) == 1:
            break
    else:
        pytest.fail("could not write the history within one second")

    history = LakeMetricHistory(lake, "quality_movies/rules/movies.dqdl", exclude_run="current")
    assert history.previous(ROWS, 3) == [995, 1010, 990]
    assert history.previous(ROWS, 10) == [995, 1010, 990, 1000]
    assert LakeMetricHistory(lake, "movies.dqdl").previous(ROWS, 1) == [300]
