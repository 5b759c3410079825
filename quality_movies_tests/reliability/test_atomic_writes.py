"""Local stand-ins write as S3 and Glue do: a reader sees the previous object or the whole new one, never a part."""

import json
import threading
from collections.abc import Callable

from quality_movies.resources.catalog import LocalCatalog
from quality_movies.resources.local_lake import LocalLake

REWRITES = 300


def _read_while_rewritten(rewrite: Callable[[int], None], read: Callable[[], object]) -> list[Exception]:
    """Rewrite an object REWRITES times while another thread keeps reading it; what the reads raised."""
    rewrite(0)
    done, failures = threading.Event(), []

    def reader() -> None:
        while not done.is_set():
            try:
                read()
            except Exception as error:  # a torn read; collected for the assertion
                failures.append(error)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for version in range(1, REWRITES):
            rewrite(version)
    finally:
        done.set()
        thread.join()
    return failures


def test_a_catalog_entry_being_rewritten_is_always_read_whole(tmp_path):
    catalog = LocalCatalog(root=str(tmp_path))
    columns = [{"name": f"column_{i}", "type": "string"} for i in range(200)]

    failures = _read_while_rewritten(
        lambda version: catalog.put_table("imdb", columns[: 100 + version % 100], "input_data/"),
        lambda: catalog.get_columns("imdb"),
    )

    assert failures == []


def test_a_lake_object_being_rewritten_is_always_read_whole(tmp_path):
    lake = LocalLake(root=str(tmp_path))
    key = "rule_outcome/source_file=x/outcome.json"
    payload = {"rules": ['IsComplete "genre"'] * 2000}

    failures = _read_while_rewritten(
        lambda version: lake.write_bytes(key, json.dumps(payload | {"version": version}).encode()),
        lambda: json.loads(lake.path(key).read_bytes()),
    )

    assert failures == []
    assert [found.key for found in lake.list_objects("rule_outcome")] == [key]  # no partial file left behind
