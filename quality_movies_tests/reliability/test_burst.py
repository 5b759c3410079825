"""Load: files landed in a burst are each ingested exactly once, a bounded number of runs at a time.

The scenario (real daemon, sensor, run queue, lake and PostgreSQL) is in `burst_harness.py`.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from quality_movies.resources.lake import BAD_RECORDS, PROCESSED, file_output_prefix
from quality_movies_tests.reliability.burst_harness import (
    BURST_FILES,
    BurstEnvironment,
    BurstOutcome,
    files_per_minute,
    peak_concurrency,
    run_burst,
)

pytestmark = pytest.mark.slow  # 200 files through the daemon: 10-15 min on 2 shared cores


@pytest.fixture(scope="module")
def burst(request: pytest.FixtureRequest) -> Iterator[BurstOutcome]:
    root = Path(tempfile.mkdtemp(prefix="quality_movies_burst-"))
    env = BurstEnvironment(root)
    try:
        # Started here and held by this process, the embedded PostgreSQL stays up between runs instead of
        # starting and stopping with each: the test is about what each run does, not about that cost.
        env.warehouse().ensure_table()
        outcome = run_burst(env, BURST_FILES)
        # The figure is for the reader of the CI log, so it goes past pytest's output capture.
        with request.config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
            print(
                f"\nburst: {len(outcome.runs)} files in {time.time() - outcome.daemon_started:.0f} s, "
                f"{files_per_minute(outcome.runs, outcome.daemon_started):.1f} files/min from daemon start, "
                f"peak {peak_concurrency(outcome.runs)} runs at once"
            )
        yield outcome
    finally:
        env.stop_warehouse()
        shutil.rmtree(root, ignore_errors=True)


def test_every_landed_file_gets_exactly_one_successful_run(burst: BurstOutcome) -> None:
    by_key = Counter(r.dagster_run.tags.get("dagster/run_key", "").split("@")[0] for r in burst.runs)
    failed = [r.dagster_run.run_id for r in burst.runs if r.dagster_run.status != dg.DagsterRunStatus.SUCCESS]

    assert by_key == Counter({f"input_data/{item.name}": 1 for item in burst.landed})
    assert failed == []


def test_the_warehouse_holds_each_files_good_rows_and_nothing_else(burst: BurstOutcome) -> None:
    warehouse = burst.env.warehouse()

    loaded = {
        item.name: warehouse.query_one("count_file_rows", (f"input_data/{item.name}",))[0] for item in burst.landed
    }

    assert loaded == {item.name: item.good for item in burst.landed}
    assert warehouse.query_one("count_table_rows") == (sum(item.good for item in burst.landed),)


def test_each_files_bad_rows_are_quarantined_once_by_its_run(burst: BurstOutcome) -> None:
    lake = burst.env.lake()
    run_of = {r.dagster_run.tags["dagster/partition"]: r.dagster_run.run_id for r in burst.runs}

    for item in burst.landed:
        quarantined = [o.key for o in lake.list_objects(file_output_prefix(BAD_RECORDS, item.name))]
        archived = [o.key for o in lake.list_objects(file_output_prefix(PROCESSED, item.name))]
        assert [k.split("/")[2] for k in quarantined + archived] == [f"run_id={run_of[item.name]}"] * 2
        assert len(lake.path(quarantined[0]).read_text().splitlines()) == item.rows - item.good, item.name


def test_no_more_runs_go_at_once_than_the_run_queue_allows(burst: BurstOutcome) -> None:
    limit = burst.env.instance().run_coordinator.get_run_queue_config().max_concurrent_runs

    assert 1 <= peak_concurrency(burst.runs) <= limit


def test_every_loaded_file_left_the_landing_prefix(burst: BurstOutcome) -> None:
    lake = burst.env.lake()

    assert lake.list_objects(lake.landing_prefix) == []  # 200 loaded, 200 gone: the listing does not grow
    assert len({o.key.split("/run_id=")[0] for o in lake.list_objects(PROCESSED)}) == len(burst.landed)
