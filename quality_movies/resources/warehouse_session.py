"""One connection to the warehouse and the operations a step runs through it.

A step opens one session (`Warehouse.session()`): creating the table, replacing a file's rows,
counting them and refreshing the view all go through the same connection.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import re
from dataclasses import dataclass
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


def with_lineage(rows: pl.LazyFrame, source_file: str, run_id: str) -> pl.LazyFrame:
    """The good rows' data columns followed by the lineage the loader sends, in the table's order.

    Not `loaded_at`: the server sets it (the column's DEFAULT), so it is in neither the staged rows nor the load.
    """
    return rows.select(
        *(column.name for column in DATA_COLUMNS),
        source_file=pl.lit(source_file, dtype=pl.String),
        run_id=pl.lit(run_id, dtype=pl.String),
    )


def statements(script: str) -> list[str]:
    """The statements of a SQL file holding several, each ending with a semicolon at the end of a line."""
    return [statement.strip() for statement in re.split(r";[ \t]*$", script, flags=re.MULTILINE) if statement.strip()]


@dataclass(frozen=True)
class ViewRefresh:
    """The view and the table as of the view's last refresh, read in one transaction under the table's lock."""

    groups: int
    movie_count_total: int
    table_rows: int
    refreshes: int  # refreshes of the view committed so far, this one included
    refreshed: bool  # False: a refresh committed after this one was asked for had already covered it


class WarehouseSession:
    """The operations the warehouse assets need, on one open connection."""

    def __init__(self, warehouse: Warehouse, connection: redshift_connector.Connection) -> None:
        self.warehouse = warehouse
        self.connection = connection
        self.last_refresh: ViewRefresh | None = None  # set by refresh_view: what the check compares

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
        """Rows of every file in the table; after `refresh_view` in this session, as that refresh counted them.

        The view describes the table as of its refresh, while other runs go on loading: a count taken now
        would compare two moments (the false failures of `view_counts_every_loaded_row` under concurrency).
        """
        if self.last_refresh is not None:
            return self.last_refresh.table_rows
        return self.query_one("count_table_rows")[0]

    def view_summary(self) -> tuple[int, int]:
        """(groups in the view, movies it counts); after `refresh_view` in this session, as read in its transaction."""
        if self.last_refresh is not None:
            return self.last_refresh.groups, self.last_refresh.movie_count_total
        groups, movie_count_total = self.query_one("view_summary")
        return groups, movie_count_total

    def ensure_table(self, attempts: int = 3) -> None:
        """Create the schema and the table if missing, also when other runs are creating them too.

        An existing table is left alone without a CREATE: a role that may load the table but not create
        schemas (CREATE on the database) loads as well as its owner. One created before the server set
        `loaded_at` gets the column's default, once (`give_loaded_at_its_default`).
        """
        warehouse = self.warehouse
        if self.query_one("relation_exists", (warehouse.schema_name, warehouse.table_name))[0]:
            self.give_loaded_at_its_default()
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

    def give_loaded_at_its_default(self) -> None:
        """Rebuild `loaded_at` with the server's default in a table created without it; nothing when it has one.

        Checked again under the table's lock, in the transaction that migrates: two runs at once migrate once,
        and a failure leaves the table as it was (sql/move_loaded_at_to_server_default.sql).
        """
        warehouse = self.warehouse
        names = (warehouse.schema_name, warehouse.table_name)
        if self.query_one("loaded_at_has_default", names)[0]:
            return
        cursor = self.connection.cursor()
        try:
            cursor.execute(warehouse.statement("lock_table"))
            cursor.execute(warehouse.statement("loaded_at_has_default"), names)
            if not cursor.fetchone()[0]:
                for statement in statements(warehouse.statement("move_loaded_at_to_server_default")):
                    cursor.execute(statement)
            self.connection.commit()
        except BaseException:
            self._rollback()
            raise

    def replace_file_rows(self, source_file: str, rows: pl.LazyFrame, run_id: str) -> int:
        """Atomically replace the rows of `source_file` with `rows` (data columns typed as the contract says).

        One transaction, holding the file's lock from its first statement (`Warehouse.lock_file_rows`), so
        two loads of one file at once run one after the other and end with one copy: the file's old rows
        are deleted, the new ones bulk-loaded with their lineage (`source_file`, `run_id`; the server stamps
        `loaded_at` with the loading statement's start);
        any failure rolls back, leaving the table exactly as it was. Returns the file's rows as committed.
        """
        with self.warehouse.staged_load(with_lineage(rows, source_file, run_id)) as load:
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

    def refresh_view(self) -> ViewRefresh:
        """Create the materialized view if missing, then refresh it unless a refresh since this call covers it.

        Refreshes coalesce: the number of committed refreshes is read first (this step's load has committed),
        then, in one transaction holding the table's lock (no load commits meanwhile, one refresh at a time), a
        refresh committed after that read is found, and it saw every load committed before this call, so this
        one skips. Otherwise the view is refreshed and the table counted in the same transaction. Either way the
        view's numbers and the table's rows are those of one refresh, read together: `view_summary` and
        `count_table_rows` answer from them for the rest of this session, so the check never compares two moments.
        """
        self._create_view_if_missing()
        asked_after, _ = self._last_refresh()
        self.last_refresh = self._refresh_unless_covered(asked_after)
        return self.last_refresh

    def _last_refresh(self, cursor: redshift_connector.Cursor | None = None) -> tuple[int, int | None]:
        """(refreshes committed, table rows the last one counted), in `cursor`'s transaction or one of its own."""
        statement, params = self.warehouse.statement("last_view_refresh"), (self.warehouse.view_name,)
        if cursor is None:
            cursor = self.connection.cursor()
            try:
                cursor.execute(statement, params)
                row = cursor.fetchone()
            finally:
                self._rollback()
        else:
            cursor.execute(statement, params)
            row = cursor.fetchone()
        return (row[0], row[1]) if row else (0, None)

    def _refresh_unless_covered(self, asked_after: int) -> ViewRefresh:
        """One serializable transaction under the table's lock: refresh (unless covered), count, summarize."""
        warehouse, view = self.warehouse, self.warehouse.view_name
        self.connection.autocommit = True  # the transaction is opened explicitly, at the shared isolation level
        cursor = self.connection.cursor()
        try:
            cursor.execute(warehouse.statement("begin_serializable"))
            cursor.execute(warehouse.statement("lock_table_for_refresh"))
            refreshes, table_rows = self._last_refresh(cursor)
            refreshed = refreshes <= asked_after
            if refreshed:
                cursor.execute(warehouse.statement("refresh_view"))
                cursor.execute(warehouse.statement("count_table_rows"))
                (table_rows,) = cursor.fetchone()
                refreshes += 1
                cursor.execute(warehouse.statement("record_view_refresh"), (view, refreshes, table_rows))
                cursor.execute(warehouse.statement("forget_older_view_refreshes"), (view, refreshes))
            cursor.execute(warehouse.statement("view_summary"))
            groups, movie_count_total = cursor.fetchone()
            self.connection.commit()
        except BaseException:
            self._rollback()
            raise
        finally:
            self.connection.autocommit = False
        return ViewRefresh(groups, movie_count_total, table_rows, refreshes, refreshed)

    def _create_view_if_missing(self) -> None:
        """The view and its refresh bookkeeping, each created only when missing (and a lost race ignored)."""
        warehouse = self.warehouse
        missing = [
            name
            for name, relation in (("create_view", warehouse.view_name), ("create_view_refreshes", "view_refreshes"))
            if not self.query_one("relation_exists", (warehouse.schema_name, relation))[0]
        ]
        if not missing:
            return
        self.connection.autocommit = True  # Redshift creates a materialized view outside an open transaction
        try:
            cursor = self.connection.cursor()
            for name in missing:
                try:
                    cursor.execute(warehouse.statement(name))
                except redshift_connector.Error as error:
                    if not created_concurrently(error):  # else another run created it since we looked
                        raise
        finally:
            self.connection.autocommit = False
