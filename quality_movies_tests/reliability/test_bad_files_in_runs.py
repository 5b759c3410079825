"""Bad files landed beside good ones: each fails on its own, clearly, and everything else goes on."""

import gzip
import json

import dagster as dg

from quality_movies.resources.lake import NOTIFICATIONS
from quality_movies.sensors import landing_sensor
from quality_movies_tests.conftest import IMDB_CSV, Pipeline, expected_good


def _settled(pipeline: Pipeline, cursor: str | None) -> dg.SensorResult:
    """Two ticks of the landing sensor (a local file is taken once two ticks see it unchanged), the second's result."""
    for _ in range(2):
        with dg.build_sensor_context(instance=pipeline.instance, cursor=cursor, resources={"lake": pipeline.lake}) as c:
            tick = landing_sensor(c)
        cursor = tick.cursor
    return tick


def test_bad_files_fail_alone_with_a_clear_error_while_good_files_load_and_the_sensor_goes_on(
    clean_home, empty_warehouse
):
    pipeline = Pipeline(clean_home)
    lake, good = pipeline.lake, IMDB_CSV.read_bytes()
    header = good.split(b"\r\n")[0]
    lake.write_bytes("input_data/good.csv", good)
    lake.write_bytes("input_data/good.csv.gz", gzip.compress(good))
    lake.write_bytes("input_data/empty.csv", b"")
    lake.write_bytes("input_data/not_csv.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    lake.write_bytes("input_data/unclosed.csv", header + b'\r\n"never closed,a,b\r\nno quote\r\nnor here\r\n')

    tick = _settled(pipeline, None)
    for request in tick.dynamic_partitions_requests:
        pipeline.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    results = {request.partition_key: pipeline.run(request.partition_key) for request in tick.run_requests}

    assert {key for key, result in results.items() if result.success} == {"good.csv", "good.csv.gz"}
    assert empty_warehouse.query_one("count_table_rows")[0] == 2 * expected_good()
    outbox = [json.loads(line) for line in lake.path(f"{NOTIFICATIONS}/outbox.jsonl").read_text().splitlines()]
    failures = {
        json.loads(m["attributes"]["summary"])["source_file"]: m["body"]
        for m in outbox
        if m["subject"].startswith("quality_movies FAILED")
    }
    assert set(failures) == {"input_data/empty.csv", "input_data/not_csv.csv", "input_data/unclosed.csv"}
    assert "the file is empty" in failures["input_data/empty.csv"]
    assert "input_data/not_csv.csv" in failures["input_data/not_csv.csv"]
    assert "never closed" in failures["input_data/unclosed.csv"]
    assert "line 2: a quoted field opened on this line" in failures["input_data/unclosed.csv"]

    lake.write_bytes("input_data/later.csv", good)  # the sensor keeps going after the failures
    later = _settled(pipeline, tick.cursor)
    assert [request.partition_key for request in later.run_requests] == ["later.csv"]
