"""One connection to the warehouse and the operations a step runs through it.

A step opens one session (`Warehouse.session()`): creating the table, replacing a file's rows,
counting them and refreshing the view all go through the same connection.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.resources
import re
from typing import TYPE_CHECKING

import polars as pl
import redshift_connector

from quality_movies.contract import DATA_COLUMNS

if TYPE_CHECKING:
    from quality_movies.resources.warehouse import Warehouse

# Package data (setup.py ships the repository's top-level sql/ as quality_movies.sql), found wherever the
# package is installed: an editable checkout, a wheel in a clean virtual environment, a Docker image.
SQL_DIR = importlib.resources.files("quality_movies.sql")
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,126}")
# What a lost connection raises; the server has then rolled the transaction back by itself.
CONNECTION_LOST = (redshift_connector.InterfaceError, OSError)
# SQLSTATEs of a CREATE that lost a race with another run creating the same object: PostgreSQL's
# IF NOT EXISTS checks before it inserts into its catalog, so the loser hits the catalog's unique
# index (23505) or finds the object (42P06 schema, 42P07 relation, 42710 the row type that a
# table or materialized view brings with it).
ALREADY_EXISTS = frozenset({"23505", "42P06", "42P07", "42710"})


def sql(name: str) -> str:
    """The text of `sql/<name>.sql`, the one place where warehouse SQL lives."""
    return (SQL_DIR / f"{name}.sql").read_text()


def created_concurrently(error: redshift_connector.Error) -> bool:
    """Whether `error` says another session created the object first (what we wanted anyway)."""
    detail = error.args[0] if error.args else None
    return isinstance(detail, dict) and detail.get("C") in ALREADY_EXISTS


def quote_identifier(name: str) -> str:
    """`name` as a quoted SQL identifier, refusing anything but lower-case letters, digits and `_`."""
    if not IDENTIFIER.fullmatch(name):
        raise ValueError(
            f"{name!r} is not a usable SQL identifier: use lower-case letters, digits and _ "
            "(at most 127), starting with a letter or _"
        )
    return f'"{name}"'


def with_lineage(rows: pl.LazyFrame, source_file: str, run_id: str, loaded_at: dt.datetime) -> pl.LazyFrame:
    """The good rows' data columns followed by the lineage columns, in the table's order."""
    return rows.select(
        *(column.name for column in DATA_COLUMNS),
        source_file=pl.lit(source_file, dtype=pl.String),
        run_id=pl.lit(run_id, dtype=pl.String),
        loaded_at=pl.lit(loaded_at, dtype=pl.Datetime("us")),
    )


class WarehouseSession:
    """The operations the warehouse assets need, on one open connection."""

    def __init__(self, warehouse: Warehouse, connection: redshift_connector.Connection) -> None:
        self.warehouse = warehouse
        self.connection = connection

    def _rollback(self) -> None:
        with contextlib.suppress(*CONNECTION_LOST):  # a lost connection was rolled back by the server
            self.connection.rollback()

    def query_one(self, name: str, params: tuple = ()) -> tuple:
        """Run the read-only statement `sql/<name>.sql` and return its single row."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(self.warehouse.statement(name), tuple(params) or None)
            row = cursor.fetchone()
        finally:
            self._rollback()  # ends the read's transaction, and a failed one, so the session stays usable
        return tuple(row)

    def count_file_rows(self, source_file: str) -> int:
        """Rows of `source_file` in the table."""
        return self.query_one("count_file_rows", (source_file,))[0]

    def count_table_rows(self) -> int:
        """Rows of every file in the table."""
        return self.query_one("count_table_rows")[0]

    def view_summary(self) -> tuple[int, int]:
        """(groups in the view, movies it counts)."""
        groups, movie_count_total = self.query_one("view_summary")
        return groups, movie_count_total

    def ensure_table(self, attempts: int = 3) -> None:
        """Create the schema and the table if missing, also when other runs are creating them too.

        An existing table is left alone without a CREATE: a role that may load the table but not create
        schemas (CREATE on the database) loads as well as its owner.
        """
        warehouse = self.warehouse
        if self.query_one("relation_exists", (warehouse.schema_name, warehouse.table_name))[0]:
            return
        for attempt in range(1, attempts + 1):
            cursor = self.connection.cursor()
            try:
                cursor.execute(self.warehouse.statement("create_schema"))
                cursor.execute(self.warehouse.statement("create_table"))
                self.connection.commit()
                return
            except redshift_connector.Error as error:
                self._rollback()  # the failed transaction must end before this connection can try again
                # Each lost race means one more object now exists; the next attempt skips it.
                if attempt == attempts or not created_concurrently(error):
                    raise

    def replace_file_rows(self, source_file: str, rows: pl.LazyFrame, run_id: str) -> int:
        """Atomically replace the rows of `source_file` with `rows` (data columns typed as the contract says).

        One transaction, holding the file's lock from its first statement (`Warehouse.lock_file_rows`), so
        two loads of one file at once run one after the other and end with one copy: the file's old rows
        are deleted, the new ones bulk-loaded with their lineage (`source_file`, `run_id`, `loaded_at`);
        any failure rolls back, leaving the table exactly as it was. Returns the file's rows as committed.
        """
        loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with self.warehouse.staged_load(with_lineage(rows, source_file, run_id, loaded_at)) as load:
            cursor = self.connection.cursor()
            try:
                self.warehouse.lock_file_rows(cursor, source_file)
                cursor.execute(self.warehouse.statement("delete_file_rows"), (source_file,))
                load(cursor)
                # Counted before the commit, so that nothing after it can fail (see assets/run_outputs.py).
                cursor.execute(self.warehouse.statement("count_file_rows"), (source_file,))
                (loaded,) = cursor.fetchone()
                self.connection.commit()
            except BaseException:
                self._rollback()
                raise
        return loaded

    def refresh_view(self) -> None:
        """Create the materialized view if missing, then refresh it, each in a transaction of its own."""
        warehouse = self.warehouse
        self.connection.autocommit = True  # Redshift refreshes outside an open transaction
        try:
            cursor = self.connection.cursor()
            cursor.execute(warehouse.statement("relation_exists"), (warehouse.schema_name, warehouse.view_name))
            if cursor.fetchone()[0] == 0:
                try:
                    cursor.execute(warehouse.statement("create_view"))
                except redshift_connector.Error as error:
                    if not created_concurrently(error):  # else another run created it since we looked
                        raise
            cursor.execute(warehouse.statement("refresh_view"))
        finally:
            self.connection.autocommit = False
