"""The view step while other files load: its check compares one moment, and refreshes coalesce.

A loader thread keeps replacing files' rows (each in a session of its own, as other runs would) while the view
asset is evaluated, through its own code (direct invocation with the embedded warehouse).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl

from quality_movies.assets.warehouse import VIEW_COUNTS_TABLE, year_aggregated_genre
from quality_movies.contract import to_warehouse_types
from quality_movies.resources.embedded_warehouse import EmbeddedWarehouse
from quality_movies_tests.conftest import read_imdb

EVALUATIONS = 40
FILES = 5
REFRESHERS = 6


def _rows(count: int) -> pl.LazyFrame:
    typed = to_warehouse_types(read_imdb())
    return pl.concat([typed] * (count // typed.height + 1)).head(count).lazy()


@contextmanager
def _loading_meanwhile(warehouse: EmbeddedWarehouse) -> Iterator[list[int]]:
    """A thread replacing files' rows (sizes vary, so the table's count keeps changing) until the block ends.

    Yields the list of loads done; re-raises what the loader raised.
    """
    stop, loads, errors = threading.Event(), [], []
    sizes = [_rows(size) for size in (40, 900, 1_500)]

    def load() -> None:
        try:
            while not stop.is_set():
                n = len(loads)
                warehouse.replace_file_rows(f"input_data/meanwhile_{n % FILES}.csv", sizes[n % len(sizes)], f"run-{n}")
                loads.append(n)
        except BaseException as error:  # re-raised below, in the test's thread
            errors.append(error)

    thread = threading.Thread(target=load)
    thread.start()
    try:
        yield loads
    finally:
        stop.set()
        thread.join()
    assert errors == []


def _check_of(result) -> tuple[bool, dict]:
    (check,) = [check for check in result.check_results if check.check_name == VIEW_COUNTS_TABLE]
    return check.passed, {key: value.value for key, value in check.metadata.items()}


def test_view_check_never_fails_falsely_while_another_file_loads(empty_warehouse):
    empty_warehouse.ensure_table()
    failures, totals = [], set()
    with _loading_meanwhile(empty_warehouse) as loads:
        for _ in range(EVALUATIONS):
            passed, numbers = _check_of(year_aggregated_genre(warehouse=empty_warehouse))
            totals.add(numbers["table_rows"])
            if not passed:
                failures.append(numbers)
    assert failures == []
    assert len(loads) > EVALUATIONS / 4 and len(totals) > 1  # the table really changed under the evaluations


def test_a_refresh_after_the_last_load_counts_every_row(empty_warehouse):
    empty_warehouse.ensure_table()
    with _loading_meanwhile(empty_warehouse):
        for _ in range(EVALUATIONS // 4):
            empty_warehouse.refresh_view()
    with empty_warehouse.session() as session:
        refresh = session.refresh_view()
    in_table = empty_warehouse.query_one("count_table_rows")[0]
    assert in_table > 0
    assert (refresh.movie_count_total, refresh.table_rows) == (in_table, in_table)
    assert empty_warehouse.query_one("view_summary")[1] == in_table


def test_refreshes_asked_for_at_once_coalesce_and_the_view_ends_current(empty_warehouse):
    empty_warehouse.ensure_table()
    empty_warehouse.refresh_view()  # the view exists: what follows measures refreshes, not its creation
    empty_warehouse.replace_file_rows("input_data/last.csv", _rows(700), "run-last")
    start, refreshes, errors = threading.Barrier(REFRESHERS), [], []

    def refresh() -> None:
        start.wait()
        try:
            with empty_warehouse.session() as session:
                refreshes.append(session.refresh_view())
        except BaseException as error:  # asserted on below
            errors.append(error)

    threads = [threading.Thread(target=refresh) for _ in range(REFRESHERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    ran = [refresh for refresh in refreshes if refresh.refreshed]
    assert 1 <= len(ran) < REFRESHERS  # the others found a refresh committed after they were asked for
    assert {(r.movie_count_total, r.table_rows) for r in refreshes} == {(700, 700)}
    assert empty_warehouse.query_one("view_summary")[1] == 700


def test_a_refresh_asked_for_after_a_load_is_never_skipped(empty_warehouse):
    empty_warehouse.ensure_table()
    with empty_warehouse.session() as session:
        first = session.refresh_view()
    empty_warehouse.replace_file_rows("input_data/after.csv", _rows(50), "run-after")
    with empty_warehouse.session() as session:
        second = session.refresh_view()
    assert (first.refreshed, second.refreshed) == (True, True)
    assert (second.refreshes, second.movie_count_total, second.table_rows) == (first.refreshes + 1, 50, 50)
