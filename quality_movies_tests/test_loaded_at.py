"""`loaded_at` is the warehouse server's clock at the load (the column's DEFAULT GETDATE()), not the loader's."""

import polars as pl
import sqlglot

from quality_movies.contract import to_warehouse_types
from quality_movies.resources.warehouse import LOADED_COLUMNS
from quality_movies.resources.warehouse_session import sql, statements, with_lineage
from quality_movies_tests.conftest import read_imdb

SOURCE = "input_data/stamped.csv"


def _good_rows(rows: int = 40) -> pl.LazyFrame:
    return to_warehouse_types(read_imdb()).head(rows).lazy()


def _column_default(cursor, column: str) -> str | None:
    cursor.execute(
        "SELECT column_default FROM information_schema.columns "
        "WHERE table_schema = 'movies' AND table_name = 'imdb_movies_rating' AND column_name = %s",
        (column,),
    )
    return cursor.fetchone()[0]


def test_the_loader_sends_no_loaded_at():
    assert "loaded_at" not in LOADED_COLUMNS
    assert "loaded_at" not in with_lineage(_good_rows(), SOURCE, "run-1").collect_schema().names()


def test_loaded_at_is_the_servers_clock_within_the_loads_transaction_one_value_for_all_rows(empty_warehouse):
    empty_warehouse.ensure_table()
    with empty_warehouse.session() as session:
        cursor = session.connection.cursor()
        cursor.execute("SELECT now() AT TIME ZONE 'UTC'")  # the server's clock as this transaction began
        (transaction_start,) = cursor.fetchone()
        with empty_warehouse.staged_load(with_lineage(_good_rows(), SOURCE, "run-1")) as load:
            load(cursor)  # the COPY, in this transaction
        cursor.execute("SELECT DISTINCT loaded_at FROM movies.imdb_movies_rating")
        stamps = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT getdate()")  # a later statement of the same transaction
        (later,) = cursor.fetchone()
        session.connection.rollback()

    assert len(stamps) == 1  # every row of the load carries the same stamp
    assert transaction_start <= stamps[0] <= later


def test_the_table_declares_getdate_as_loaded_ats_default_and_it_parses_as_redshift(empty_warehouse):
    ddl = empty_warehouse.statement("create_table")
    parsed = sqlglot.parse_one(ddl, read="redshift")
    (loaded_at,) = [column for column in parsed.this.expressions if column.name == "loaded_at"]
    assert "DEFAULT GETDATE()" in loaded_at.sql("redshift").upper()

    empty_warehouse.ensure_table()
    with empty_warehouse.connection() as conn:
        assert _column_default(conn.cursor(), "loaded_at") == "getdate()"


def test_the_migration_statements_parse_as_redshift():
    found = statements(sql("move_loaded_at_to_server_default").format(schema='"movies"', table='"imdb_movies_rating"'))
    assert len(found) == 6
    for statement in found:
        sqlglot.parse_one(statement, read="redshift")  # raises on what Redshift's grammar cannot read


def _create_table_as_it_was_before(warehouse) -> None:
    """The table as the previous DDL created it: loaded_at NOT NULL without a default; one row, and the view."""
    old_ddl = warehouse.statement("create_table").replace("DEFAULT GETDATE() ", "")
    assert "loaded_at      TIMESTAMP     NOT NULL\n" in old_ddl
    with warehouse.connection() as conn:
        cursor = conn.cursor()
        cursor.execute(warehouse.statement("create_schema"))
        cursor.execute(old_ddl)
        cursor.execute(
            "INSERT INTO movies.imdb_movies_rating (series_title, released_year, genre, source_file, run_id, loaded_at)"
            " VALUES ('Old', '1999', 'Drama', 'input_data/old.csv', 'run-0', '2024-05-06 07:08:09')"
        )
        conn.commit()
    warehouse.refresh_view()  # a materialized view over the table must not stop the migration


def test_a_table_created_without_the_default_gets_it_once_and_keeps_its_stamps(empty_warehouse):
    _create_table_as_it_was_before(empty_warehouse)

    empty_warehouse.ensure_table()
    empty_warehouse.ensure_table()  # the second finds the default and changes nothing
    loaded = empty_warehouse.replace_file_rows(SOURCE, _good_rows(), "run-1")
    empty_warehouse.refresh_view()

    assert loaded == 40
    with empty_warehouse.connection() as conn:
        cursor = conn.cursor()
        assert _column_default(cursor, "loaded_at") == "getdate()"
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'movies' AND table_name = 'imdb_movies_rating' ORDER BY ordinal_position"
        )
        columns = [row[0] for row in cursor.fetchall()]
        assert columns == ["poster_link", *columns[1:-3], "source_file", "run_id", "loaded_at"]  # the copy is gone
        cursor.execute(
            "SELECT source_file, MIN(loaded_at), COUNT(DISTINCT loaded_at) FROM movies.imdb_movies_rating "
            "GROUP BY source_file ORDER BY source_file"
        )
        (old_file, old_stamp, _), (new_file, new_stamp, new_stamps) = cursor.fetchall()
        cursor.execute("SELECT SUM(movie_count) FROM movies.year_aggregated_genre")
        (in_view,) = cursor.fetchone()
    assert (old_file, str(old_stamp)) == ("input_data/old.csv", "2024-05-06 07:08:09")
    assert new_file == SOURCE and new_stamps == 1 and new_stamp > old_stamp
    assert in_view == 41
