"""Each landed file is ingested once per content, whichever of `quality-movies demo` and the sensor sees it first.

Real components: a persistent Dagster instance (as `make dev` and `make demo` share through DAGSTER_HOME),
the local lake and the embedded PostgreSQL.
"""

from pathlib import Path

import dagster as dg
import pytest

from quality_movies.cli import SAMPLE
from quality_movies.definitions import build_definitions, resolved, resources_from_env
from quality_movies.demo import headline, run_demo
from quality_movies.sensors import landing_sensor

KEY = "input_data/imdb_movies_rating.csv"


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def _first_tick(home: Path, instance: dg.DagsterInstance) -> list[dg.RunRequest]:
    """The landing sensor's first two ticks, as when `make dev` starts for the first time.

    Two: a local file is taken once two consecutive ticks see the same version of it.
    """
    lake, cursor, requested = resolved(resources_from_env(home)["lake"]), None, []
    for _ in range(2):
        with dg.build_sensor_context(instance_ref=instance.get_ref(), cursor=cursor, resources={"lake": lake}) as c:
            result = landing_sensor(c)
        for request in result.dynamic_partitions_requests:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        cursor, requested = result.cursor, requested + list(result.run_requests)
    return requested


def _run_requested(home: Path, instance: dg.DagsterInstance, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    job = build_definitions(home).resolve_job_def("ingest_landed_file")
    return job.execute_in_process(partition_key=request.partition_key, instance=instance, tags=request.tags)


def test_the_sensor_does_not_ingest_again_what_demo_ingested(clean_home, empty_warehouse, instance):
    summary = run_demo(SAMPLE, clean_home, instance=instance)
    assert summary["success"] and not summary["already_ingested"]

    assert _first_tick(clean_home, instance) == []
    assert len(instance.get_run_records()) == 1


def test_a_failed_file_is_not_requested_again_either(clean_home, empty_warehouse, instance, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text("a;b;c\n1;2;3\n")
    assert not run_demo(broken, clean_home, instance=instance)["success"]

    assert _first_tick(clean_home, instance) == []


def test_demo_does_not_ingest_again_what_demo_or_the_sensor_ingested(clean_home, empty_warehouse, instance):
    resolved(resources_from_env(clean_home)["lake"]).put_file(SAMPLE, KEY)
    (request,) = _first_tick(clean_home, instance)
    assert _run_requested(clean_home, instance, request).success

    again = run_demo(SAMPLE, clean_home, instance=instance)

    assert again["already_ingested"] and again["success"]
    assert again["rows_in"] == 1000  # the earlier run's summary
    assert headline(again).startswith(f"{KEY} was ingested already with this content (run ")
    assert len(instance.get_run_records()) == 1
    assert run_demo(SAMPLE, clean_home, instance=instance)["run_id"] == again["run_id"]


def test_changed_content_is_ingested_again_by_demo_and_by_the_sensor(clean_home, empty_warehouse, instance, tmp_path):
    assert run_demo(SAMPLE, clean_home, instance=instance)["success"]
    changed = tmp_path / SAMPLE.name
    changed.write_text("".join(SAMPLE.read_text().splitlines(keepends=True)[:101]))

    by_demo = run_demo(changed, clean_home, instance=instance)
    assert not by_demo["already_ingested"] and by_demo["rows_in"] == 100

    lake = resolved(resources_from_env(clean_home)["lake"])
    lake.put_file(SAMPLE, KEY)  # the original content back: a new version of the file
    (request,) = _first_tick(clean_home, instance)
    assert request.partition_key == "imdb_movies_rating.csv"
    assert len(instance.get_run_records()) == 2
