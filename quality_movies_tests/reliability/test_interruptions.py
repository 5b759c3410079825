"""Interrupted runs: the object store going away mid-run, and a run killed mid-way, then run again."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import dagster as dg
import polars as pl
import pytest
from moto.server import ThreadedMotoServer

from quality_movies.definitions import build_definitions
from quality_movies.partitions import landed_files
from quality_movies_tests.conftest import IMDB_CSV, expected_good

SOURCE = "input_data/imdb_movies_rating.csv"


def _final_state(warehouse) -> dict:
    """What a user checks after a run: the file's rows, the view's total, the file's quarantine."""
    return {
        "file_rows": warehouse.query_one("count_file_rows", (SOURCE,))[0],
        "table_rows": warehouse.query_one("count_table_rows")[0],
        "view_total": warehouse.query_one("view_summary")[1],
    }


@pytest.fixture
def s3_endpoint(monkeypatch):
    """A moto S3 server of this test's own, which the test may stop and start again on the same port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    for name, value in {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "QUALITY_MOVIES_BUCKET": "interrupted",
    }.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="interrupted")
    state = {"server": server, "port": port}
    yield state
    state["server"].stop()


@pytest.mark.aws
def test_an_object_store_that_fails_mid_run_leaves_the_warehouse_unchanged_and_a_rerun_completes(
    s3_endpoint, clean_home, empty_warehouse
):
    boto3.client("s3", region_name="us-east-1").upload_file(str(IMDB_CSV), "interrupted", SOURCE)
    with dg.instance_for_test() as instance:
        # Dagster resolves definitions against the current instance: resolve inside its block.
        job = build_definitions(clean_home).resolve_job_def("ingest_landed_file")
        instance.add_dynamic_partitions(landed_files.name, ["imdb_movies_rating.csv"])
        first = [dg.AssetKey("landed_file"), dg.AssetKey("crawled_table")]
        assert job.execute_in_process(
            partition_key="imdb_movies_rating.csv", instance=instance, asset_selection=first
        ).success
        s3_endpoint["server"].stop()  # the store fails before the quality step reads and writes

        broken = job.execute_in_process(partition_key="imdb_movies_rating.csv", instance=instance, raise_on_error=False)

        assert not broken.success
        empty_warehouse.ensure_table()
        assert empty_warehouse.query_one("count_table_rows")[0] == 0
        s3_endpoint["server"] = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_endpoint["port"], verbose=False)
        s3_endpoint["server"].start()  # moto keeps its objects in this process: the bucket is back as it was

        again = job.execute_in_process(partition_key="imdb_movies_rating.csv", instance=instance)

    assert again.success
    assert _final_state(empty_warehouse) == {
        "file_rows": expected_good(),
        "table_rows": expected_good(),
        "view_total": expected_good(),
    }


def _postmaster_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "postmaster.pid"
    return int(pid_file.read_text().splitlines()[0]) if pid_file.exists() else None


def test_a_run_killed_mid_way_then_run_again_ends_as_a_clean_run_does(tmp_path):
    killed_home, clean_home = tmp_path / "killed", tmp_path / "clean"
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    demo = [sys.executable, "-m", "quality_movies.cli", "demo", "--json"]
    try:
        victim = subprocess.Popen(
            demo,
            env={**env, "QUALITY_MOVIES_HOME": str(killed_home)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        staged = killed_home / "lake" / "staging" / "good_rows"
        deadline = time.monotonic() + 120
        while not any(staged.glob("*.parquet")) and victim.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)  # after the quality step, while the warehouse is being loaded
        victim.wait()
        assert victim.returncode == -signal.SIGKILL, "the run finished before it could be killed"

        outcomes = []
        for home in (killed_home, clean_home):
            done = subprocess.run(demo, env={**env, "QUALITY_MOVIES_HOME": str(home)}, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr[-2000:]
            outcomes.append(pl.read_json(done.stdout.encode()).row(0, named=True))
    finally:
        for home in (killed_home, clean_home):
            if pid := _postmaster_pid(home / "warehouse"):
                os.kill(pid, signal.SIGINT)  # the killed run could not stop its warehouse

    after_kill, clean = outcomes
    for measure in ("rows_in", "rows_good", "rows_bad", "warehouse_rows", "mv_movie_count_total"):
        assert after_kill[measure] == clean[measure], measure
    assert clean["warehouse_rows"] == expected_good()
    bad_files = list((killed_home / "lake" / "bad_records").rglob("*.jsonl"))
    assert len(bad_files) == 1  # the killed run's quarantine was replaced, not doubled
