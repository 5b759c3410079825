"""Faults injected into the real components: a warehouse that is down or cut off, a secret that must not leak."""

import json

import dagster as dg
import polars as pl
import pytest

from quality_movies.resources.embedded_auth import embedded_secret
from quality_movies.resources.embedded_warehouse import start_embedded_postgres
from quality_movies.resources.lake import NOTIFICATIONS
from quality_movies.resources.warehouse import ROWS_PER_INSERT, RedshiftWarehouse
from quality_movies_tests.conftest import Pipeline, expected_good
from quality_movies_tests.data_files import IMDB_CSV, IMDB_LF_CSV
from quality_movies_tests.reliability.faulty_proxy import FaultyProxy

SOURCE = "input_data/imdb_movies_rating.csv"


@pytest.fixture
def proxy(clean_home, empty_warehouse, monkeypatch) -> FaultyProxy:
    """The embedded PostgreSQL configured as a Redshift endpoint (its password) behind a faulty proxy."""
    adapter = start_embedded_postgres(clean_home / "warehouse")
    faulty = FaultyProxy(adapter.port)
    faulty.password = embedded_secret(clean_home / "warehouse")  # the secret the embedded server asks for
    monkeypatch.setenv("QUALITY_MOVIES_DEPLOYMENT", "mixed")  # a Redshift endpoint beside the local lake, on purpose
    for name, value in {
        "HOST": "127.0.0.1",
        "PORT": str(faulty.port),
        "DATABASE": "postgres",
        "USER": "postgres",
        "PASSWORD": faulty.password,
        "SSL": "false",
    }.items():
        monkeypatch.setenv(f"QUALITY_MOVIES_REDSHIFT_{name}", value)
    yield faulty
    faulty.close()
    adapter.close()


def _table(warehouse) -> list[list]:
    with warehouse.connection() as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT source_file, run_id, COUNT(*) FROM movies.imdb_movies_rating GROUP BY 1, 2 ORDER BY 1")
        return [list(row) for row in cursor.fetchall()]


def _restarts(result: dg.ExecuteInProcessResult) -> int:
    return sum(event.event_type_value == "STEP_RESTARTED" for event in result.all_events)


def test_a_warehouse_that_stays_down_is_retried_then_fails_cleanly_without_leaking_the_password(
    proxy, clean_home, empty_warehouse
):
    pipeline = Pipeline(clean_home)
    assert pipeline.run(pipeline.land(IMDB_CSV)).success
    before = _table(empty_warehouse)
    proxy.down = True

    result = pipeline.run(pipeline.land(IMDB_LF_CSV, name="second.csv"))

    assert not result.success
    assert _restarts(result) == 3  # the RetryPolicy's three retries, then a clean failure
    assert _table(empty_warehouse) == before
    outbox = pipeline.lake.path(f"{NOTIFICATIONS}/outbox.jsonl").read_text()
    assert "quality_movies FAILED: input_data/second.csv" in outbox
    everything = outbox + "".join(str(event) for event in result.all_events)
    for run in pipeline.instance.get_runs():
        everything += "".join(str(entry) for entry in pipeline.instance.all_logs(run.run_id))
    assert proxy.password not in everything


PREFIXES = ("bad_records", "processed")


def _lake_outputs(pipeline: Pipeline) -> dict[str, bytes]:
    """Every quarantine and archive object of the lake, with its bytes."""
    return {
        found.key: pipeline.lake.path(found.key).read_bytes()
        for prefix in PREFIXES
        for found in pipeline.lake.list_objects(prefix)
    }


def test_a_failed_load_leaves_the_files_quarantine_and_archive_as_its_last_successful_run_left_them(
    proxy, clean_home, empty_warehouse
):
    pipeline = Pipeline(clean_home)
    partition = pipeline.land(IMDB_CSV)
    assert pipeline.run(partition).success
    before = (_table(empty_warehouse), _lake_outputs(pipeline))
    proxy.down = True

    pipeline.land(IMDB_LF_CSV, name=IMDB_CSV.name)  # a new version of the file, routed, then not loaded
    failed = pipeline.run(partition)

    assert not failed.success
    assert (_table(empty_warehouse), _lake_outputs(pipeline)) == before
    proxy.down = False
    rerun = pipeline.run(partition)
    assert rerun.success
    runs = {prefix: {key.split("/run_id=")[1].split("/")[0] for key in pipeline.keys(prefix)} for prefix in PREFIXES}
    # The new quarantine and archive replaced the old ones once loaded, not before.
    assert runs == {"bad_records": {rerun.run_id}, "processed": {rerun.run_id}}


def test_a_warehouse_that_comes_back_is_loaded_on_the_retry(proxy, clean_home, empty_warehouse):
    pipeline = Pipeline(clean_home)
    proxy.refusals_left = 1

    result = pipeline.run(pipeline.land(IMDB_CSV))

    assert result.success
    assert _restarts(result) == 1
    assert empty_warehouse.query_one("count_file_rows", (SOURCE,))[0] == expected_good()


def test_a_connection_cut_in_the_middle_of_a_load_leaves_the_table_as_it_was(proxy, clean_home, empty_warehouse):
    pipeline = Pipeline(clean_home)
    pipeline.run(pipeline.land(IMDB_CSV))
    before = _table(empty_warehouse)
    good = pipeline.lake.read_parquet(pipeline.keys("staging/good_rows")[0])
    rows = pl.concat([good] * (2 * ROWS_PER_INSERT // good.height + 1))  # several INSERT statements
    warehouse = RedshiftWarehouse(
        host="127.0.0.1", port=proxy.port, database="postgres", user="postgres", password=proxy.password, ssl=False
    )
    proxy.cut_after = 300_000  # bytes from the driver: the connection dies during the inserts

    with pytest.raises(Exception) as raised:
        warehouse.replace_file_rows(SOURCE, rows.lazy(), "run-cut-off")

    assert proxy.password not in str(raised.value)
    assert _table(empty_warehouse) == before


def test_notifications_and_metadata_never_carry_the_password(proxy, clean_home):
    pipeline = Pipeline(clean_home)

    result = pipeline.run(pipeline.land(IMDB_CSV))

    assert result.success
    messages = [
        json.loads(line) for line in pipeline.lake.path(f"{NOTIFICATIONS}/outbox.jsonl").read_text().splitlines()
    ]
    assert len(messages) == 2
    assert proxy.password not in json.dumps(messages)
    assert proxy.password not in "".join(str(entry) for entry in pipeline.instance.all_logs(result.run_id))
