"""One writer per file: two loads of the same file at once end with exactly one copy of its rows.

Each load is `replace_file_rows` in a session of its own (as two runs of one file would be, whichever entry
point started them), both released at the same instant by a barrier.
"""

import threading

import polars as pl

from quality_movies.contract import to_warehouse_types
from quality_movies.resources.embedded_warehouse import EmbeddedWarehouse
from quality_movies_tests.conftest import read_imdb

SOURCE = "input_data/twice.csv"
TRIES = 20
ROWS = 2_000  # enough for the two transactions to overlap when nothing keeps them apart


def _typed_rows(rows: int) -> pl.DataFrame:
    typed = to_warehouse_types(read_imdb())
    return pl.concat([typed] * (rows // typed.height + 1)).head(rows)


def _load_twice_at_once(warehouse: EmbeddedWarehouse, rows: pl.DataFrame, attempt: int) -> list[BaseException]:
    start, errors = threading.Barrier(2), []

    def load(run_id: str) -> None:
        start.wait()
        try:
            warehouse.replace_file_rows(SOURCE, rows.lazy(), run_id)
        except BaseException as error:  # collected, then asserted on by the test
            errors.append(error)

    threads = [threading.Thread(target=load, args=(f"run-{attempt}-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_two_concurrent_loads_of_one_file_leave_exactly_one_copy(empty_warehouse):
    empty_warehouse.ensure_table()
    rows = _typed_rows(ROWS)
    counts = []
    for attempt in range(TRIES):
        assert _load_twice_at_once(empty_warehouse, rows, attempt) == []
        counts.append(empty_warehouse.query_one("count_file_rows", (SOURCE,))[0])
    assert counts == [ROWS] * TRIES  # never doubled, never lost


def test_a_load_of_another_file_is_not_held_up_by_the_file_lock(empty_warehouse):
    empty_warehouse.ensure_table()
    with empty_warehouse.session() as holder:  # a transaction holding SOURCE's lock, not committed
        empty_warehouse.lock_file_rows(holder.connection.cursor(), SOURCE)
        loaded = empty_warehouse.replace_file_rows("input_data/other.csv", _typed_rows(10).lazy(), "run-other")
        holder.connection.rollback()
    assert loaded == 10


def test_redshift_locks_the_configured_table_for_a_load():
    from quality_movies.resources.warehouse import RedshiftWarehouse

    redshift = RedshiftWarehouse(host="example.invalid", schema_name="dq", table_name="films")
    assert redshift.statement("lock_table").strip().splitlines()[-1] == 'LOCK "dq"."films";'
