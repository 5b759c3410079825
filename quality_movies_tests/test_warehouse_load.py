"""The bulk load of good rows into the embedded PostgreSQL, through redshift_connector as on Redshift."""

import datetime as dt
import os

import dagster as dg
import polars as pl
import pytest

from quality_movies.assets.warehouse import imdb_movies_rating, year_aggregated_genre
from quality_movies.contract import DATA_COLUMNS, to_warehouse_types
from quality_movies.partitions import landed_files
from quality_movies.resources.embedded_warehouse import EmbeddedWarehouse
from quality_movies.resources.lake import staged_good_rows_key
from quality_movies.resources.local_lake import LocalLake
from quality_movies.resources.warehouse import MAX_PREPARED_STATEMENTS, TABLE_COLUMNS
from quality_movies.resources.warehouse_session import with_lineage
from quality_movies_tests.conftest import IMDB_CSV, read_imdb

SOURCE = "input_data/tricky.csv"
# Text a CSV round trip could bend: NULL vs empty, the delimiter, quotes, line breaks, backslashes
# (and PostgreSQL's end-of-data marker on a line of its own inside a value), non-ASCII.
TEXTS = [
    "",
    None,
    "a,b",
    'say "hi"',
    "l1\nl2",
    "crlf\r\nx",
    "back\\slash",
    "\\.",
    "x\n\\.\ny",
    "é漢字🎬",
    " pad ",
    "\\N",
]
FLOATS = [0.1, None, 1e300, 5e-324, float("inf"), float("-inf"), float("nan"), 1 / 3, -0.0, 2.0**53 + 1, 9.3, 1e-7]
BIGINTS = [2**63 - 1, None, -(2**63), 0, -1, 2**31, 2**31 - 1, 10**15, 7, 8, 9, 10]


def _tricky_rows() -> pl.DataFrame:
    """One row per tricky value; `meta_score` numbers the rows so they can be read back in order."""
    columns = {}
    for column in DATA_COLUMNS:
        if column.dtype is pl.String:
            values = [None if text is None else text[: (column.max_bytes or 64) // 4] for text in TEXTS]
            columns[column.name] = pl.Series(values, dtype=pl.String)
        elif column.dtype is pl.Float64:
            columns[column.name] = pl.Series(FLOATS, dtype=pl.Float64)
        else:
            columns[column.name] = pl.Series(BIGINTS, dtype=pl.Int64)
    return pl.DataFrame(columns).with_columns(meta_score=pl.int_range(len(TEXTS), dtype=pl.Int64))


def _typed_sample(rows: int) -> pl.DataFrame:
    """`rows` rows typed as the contract says, repeated from the real IMDb file."""
    typed = to_warehouse_types(read_imdb())
    return pl.concat([typed] * (rows // typed.height + 1)).head(rows)


def _table(warehouse) -> list[tuple]:
    """Every row of the table, every column, in a stable order."""
    with warehouse.connection() as conn:
        cursor = conn.cursor()
        every_column = ", ".join(TABLE_COLUMNS)
        cursor.execute(f"SELECT {every_column} FROM movies.imdb_movies_rating ORDER BY {every_column}")
        return [tuple(row) for row in cursor.fetchall()]


def _exact(value: object) -> object:
    """A value compared bit for bit: floats by their hex form (NaN equals NaN, -0.0 differs from 0.0)."""
    return value.hex() if isinstance(value, float) else value


def _server_now(warehouse: EmbeddedWarehouse) -> dt.datetime:
    """The server's clock, as the table's `loaded_at` default reads it (UTC, without time zone)."""
    with warehouse.connection() as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT getdate()")
        return cursor.fetchone()[0]


def _loaded_by_copy(warehouse: EmbeddedWarehouse, rows: pl.DataFrame) -> tuple[dt.datetime, dt.datetime]:
    """Load through `replace_file_rows`; the window (server clock) its `loaded_at` must fall in."""
    before = _server_now(warehouse)
    warehouse.replace_file_rows(SOURCE, rows.lazy(), "run-1")
    return before, _server_now(warehouse)


def _loaded_by_insert(warehouse: EmbeddedWarehouse, rows: pl.DataFrame) -> tuple[dt.datetime, dt.datetime]:
    """Load through the INSERT fallback, called directly in a session; the window its `loaded_at` must fall in."""
    before = _server_now(warehouse)
    with warehouse.session() as session:
        cursor = session.connection.cursor()
        warehouse.insert_rows(cursor, with_lineage(rows.lazy(), SOURCE, "run-1"))
        session.connection.commit()
    return before, _server_now(warehouse)


@pytest.mark.parametrize("load", [_loaded_by_copy, _loaded_by_insert], ids=["copy", "insert_fallback"])
def test_tricky_values_are_read_back_exactly_as_loaded(empty_warehouse, load):
    rows = _tricky_rows()
    empty_warehouse.ensure_table()

    earliest, latest = load(empty_warehouse, rows)

    back = sorted(_table(empty_warehouse), key=lambda row: row[8])  # meta_score numbers the rows
    expected = [tuple(map(_exact, row)) for row in rows.iter_rows()]
    assert [tuple(map(_exact, row[: rows.width])) for row in back] == expected
    assert {row[rows.width : rows.width + 2] for row in back} == {(SOURCE, "run-1")}
    (loaded_at,) = {row[-1] for row in back}
    assert earliest <= loaded_at <= latest


def test_reloading_a_file_replaces_its_rows_and_leaves_other_files_alone(empty_warehouse):
    empty_warehouse.ensure_table()
    empty_warehouse.replace_file_rows("input_data/a.csv", _typed_sample(30).lazy(), "run-a1")
    empty_warehouse.replace_file_rows("input_data/b.csv", _typed_sample(20).lazy(), "run-b1")

    loaded = empty_warehouse.replace_file_rows("input_data/a.csv", _typed_sample(45).lazy(), "run-a2")

    assert loaded == 45
    per_run = {}
    for row in _table(empty_warehouse):
        per_run[row[16:18]] = per_run.get(row[16:18], 0) + 1
    assert per_run == {("input_data/a.csv", "run-a2"): 45, ("input_data/b.csv", "run-b1"): 20}


def test_a_copy_that_fails_part_way_leaves_the_table_exactly_as_it_was_and_no_staged_csv(empty_warehouse):
    empty_warehouse.ensure_table()
    empty_warehouse.replace_file_rows(SOURCE, _typed_sample(1500).lazy(), "run-1")
    before = _table(empty_warehouse)
    rows = _typed_sample(1500).with_columns(  # the last row's year does not fit VARCHAR(16)
        released_year=pl.when(pl.int_range(pl.len()) == 1499).then(pl.lit("x" * 40)).otherwise("released_year")
    )

    with pytest.raises(Exception, match="value too long"):
        empty_warehouse.replace_file_rows(SOURCE, rows.lazy(), "run-2")

    assert _table(empty_warehouse) == before
    assert os.listdir(empty_warehouse.copy_stage_dir()) == []


def test_rows_that_cannot_be_read_leave_the_table_as_it_was_and_no_staged_csv(empty_warehouse, tmp_path):
    empty_warehouse.ensure_table()
    empty_warehouse.replace_file_rows(SOURCE, _typed_sample(10).lazy(), "run-1")
    before = _table(empty_warehouse)
    broken = tmp_path / "good_rows.parquet"
    broken.write_bytes(b"PAR1 this is not parquet PAR1")

    with pytest.raises(Exception):  # noqa: B017 - whatever Polars raises, the table must not change
        empty_warehouse.replace_file_rows(SOURCE, pl.scan_parquet(broken), "run-2")

    assert _table(empty_warehouse) == before
    assert os.listdir(empty_warehouse.copy_stage_dir()) == []


def test_the_staged_csv_is_removed_after_a_successful_load(empty_warehouse):
    empty_warehouse.ensure_table()

    assert empty_warehouse.replace_file_rows(SOURCE, _typed_sample(100).lazy(), "run-1") == 100

    assert empty_warehouse.copy_stage_dir().is_dir()
    assert os.listdir(empty_warehouse.copy_stage_dir()) == []


@pytest.mark.parametrize(
    "path",
    ["relative/rows.csv", "/tmp/rows.csv' WITH (FORMAT text); --", "/tmp/../etc/passwd", "/tmp/rows\n.csv"],
)
def test_copy_csv_statement_refuses_paths_that_could_change_the_statement(warehouse, path):
    with pytest.raises(ValueError, match="refusing to COPY"):
        warehouse.copy_csv_statement(path)


def test_the_insert_fallback_keeps_the_sessions_prepared_statements_bounded(empty_warehouse):
    # 31 batches of 4 rows, each batch with its own NULL pattern over five columns: each pattern is a
    # different parameter-type signature, which used to leave one prepared statement per batch.
    dtypes = {column.name: column.dtype for column in DATA_COLUMNS}
    nullable = ["certificate", "meta_score", "gross", "imdb_rating", "no_of_votes"]
    batches = [
        _typed_sample(4).with_columns(
            pl.lit(None, dtype=dtypes[name]).alias(name) for bit, name in enumerate(nullable) if pattern >> bit & 1
        )
        for pattern in range(1, 32)
    ]
    empty_warehouse.ensure_table()

    with empty_warehouse.session() as session:
        cursor = session.connection.cursor()
        lineage = with_lineage(pl.concat(batches).lazy(), SOURCE, "run-1")
        loaded = empty_warehouse.insert_rows(cursor, lineage, rows_per_insert=4)
        cursor.execute("SELECT COUNT(*) FROM pg_prepared_statements")
        (prepared,) = cursor.fetchone()
        session.connection.commit()

    assert loaded == 31 * 4
    assert prepared < len(batches)  # unbounded, each NULL pattern would have left a statement of its own
    assert prepared <= MAX_PREPARED_STATEMENTS
    assert len(_table(empty_warehouse)) == 31 * 4


class CountingWarehouse(EmbeddedWarehouse):
    """The embedded warehouse, noting each connection it opens (in a list shared by its copies)."""

    def _connect(self):
        OPENED.append(1)
        return super()._connect()


OPENED: list[int] = []


@pytest.fixture
def load_step(clean_home, empty_warehouse):
    """A landed file with its good rows staged as the quality step leaves them, and the resources of the two steps."""
    lake = LocalLake(root=str(clean_home / "lake"))
    partition = "imdb_movies_rating.csv"
    lake.put_file(IMDB_CSV, f"input_data/{partition}")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(landed_files.name, [partition])
    warehouse = CountingWarehouse(data_dir=empty_warehouse.data_dir)
    return lake, warehouse, instance, partition


def _materialize(step, assets, partition_key=None):
    lake, warehouse, instance, _ = step
    return dg.materialize(
        assets,
        partition_key=partition_key,
        resources={"lake": lake, "warehouse": warehouse},
        instance=instance,
        raise_on_error=False,
    )


def test_each_warehouse_step_loads_the_staged_rows_through_one_connection(load_step, empty_warehouse):
    lake, _, _, partition = load_step
    staged = lake.path(staged_good_rows_key(partition))
    staged.parent.mkdir(parents=True)
    _typed_sample(77).write_parquet(staged)
    OPENED.clear()

    loaded = _materialize(load_step, [imdb_movies_rating], partition)
    load_connections = len(OPENED)
    refreshed = _materialize(load_step, [year_aggregated_genre])

    assert loaded.success and refreshed.success
    assert (load_connections, len(OPENED)) == (1, 2)
    (check,) = loaded.get_asset_check_evaluations()
    assert check.passed and check.metadata["good_rows"].value == check.metadata["rows_in_table"].value == 77
    assert empty_warehouse.query_one("count_file_rows", (f"input_data/{partition}",)) == (77,)
    assert empty_warehouse.query_one("view_summary")[1] == 77


def test_the_load_step_without_staged_rows_fails_at_once_naming_the_key(load_step):
    _, _, _, partition = load_step

    result = _materialize(load_step, [imdb_movies_rating], partition)

    assert not result.success
    assert not any(event.event_type_value == "STEP_RESTARTED" for event in result.all_events)
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.error.message
    assert staged_good_rows_key(partition) in message and "the quality step must run" in message
