"""The warehouse: Amazon Redshift in production, an embedded PostgreSQL locally.

Both are reached through `redshift_connector` and run the same statements from `sql/`.
"""

from __future__ import annotations

import datetime as dt
import warnings
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import redshift_connector
from pydantic import Field, PrivateAttr

from quality_movies.contract import DATA_COLUMNS, LINEAGE_COLUMNS

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
SCHEMA, TABLE, VIEW = "movies", "imdb_movies_rating", "year_aggregated_genre"
# redshift_connector refuses statements with more than 32,767 bound parameters.
MAX_BIND_PARAMETERS = 32_767
INSERT_COLUMNS = len(DATA_COLUMNS) + len(LINEAGE_COLUMNS)
ROWS_PER_INSERT = MAX_BIND_PARAMETERS // INSERT_COLUMNS


def sql(name: str) -> str:
    """The text of `sql/<name>.sql`, the one place where warehouse SQL lives."""
    return (SQL_DIR / f"{name}.sql").read_text()


def _insert_statement(row_count: int) -> str:
    group = "(" + ", ".join(["%s"] * INSERT_COLUMNS) + ")"
    return sql("insert_rows").rstrip() + "\n" + ",\n".join([group] * row_count)


class Warehouse(dg.ConfigurableResource):
    """Loads good rows per source file and maintains the year/genre materialized view."""

    @abstractmethod
    def _connect(self) -> redshift_connector.Connection:
        """A new connection; each subclass knows where its warehouse is."""

    @contextmanager
    def connection(self) -> Iterator[redshift_connector.Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    def query_one(self, name: str, params: Sequence[Any] = ()) -> tuple:
        """Run the read-only statement `sql/<name>.sql` and return its single row."""
        with self.connection() as conn:
            cursor = conn.cursor()
            cursor.execute(sql(name), tuple(params) or None)
            row = cursor.fetchone()
            conn.rollback()
        return tuple(row)

    def ensure_table(self) -> None:
        """Create the schema and the table if missing."""
        with self.connection() as conn:
            cursor = conn.cursor()
            cursor.execute(sql("create_schema"))
            cursor.execute(sql("create_table"))
            conn.commit()

    def replace_file_rows(self, source_file: str, rows: pl.DataFrame, run_id: str) -> int:
        """Atomically replace the rows of `source_file` with `rows` (typed as the contract says).

        One transaction: the file's old rows are deleted and the new ones inserted in
        batches; any failure rolls back, leaving the table exactly as it was.
        """
        loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        lineage = (source_file, run_id, loaded_at)
        with self.connection() as conn:
            cursor = conn.cursor()
            try:
                cursor.execute(sql("delete_file_rows"), (source_file,))
                for batch in rows.iter_slices(ROWS_PER_INSERT):
                    params = [value for row in batch.iter_rows() for value in (*row, *lineage)]
                    cursor.execute(_insert_statement(batch.height), params)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
        return rows.height

    def refresh_view(self) -> None:
        """Create the materialized view if missing, then refresh it (in its own transaction)."""
        with self.connection() as conn:
            conn.autocommit = True
            cursor = conn.cursor()
            cursor.execute(sql("relation_exists"), (SCHEMA, VIEW))
            if cursor.fetchone()[0] == 0:
                cursor.execute(sql("create_view"))
            cursor.execute(sql("refresh_view"))


class RedshiftWarehouse(Warehouse):
    """Amazon Redshift (or any endpoint speaking its protocol), by host and password."""

    host: str
    port: int = 5439
    database: str = "dev"
    user: str
    password: str
    ssl: bool = True

    def _connect(self) -> redshift_connector.Connection:
        return redshift_connector.connect(
            host=self.host,
            port=self.port,
            database=self.database,
            user=self.user,
            password=self.password,
            ssl=self.ssl,
        )


class EmbeddedWarehouse(Warehouse):
    """A real PostgreSQL started on demand from the `pgserver` package, in a local folder.

    It listens on a Unix socket only; an in-process adapter on 127.0.0.1 lets
    `redshift_connector` in (see `pg_adapter`).
    """

    data_dir: str = Field(description="Folder holding the PostgreSQL cluster (created on first use).")
    _adapter: Any = PrivateAttr(default=None)

    def _connect(self) -> redshift_connector.Connection:
        if self._adapter is None:
            self._adapter = start_embedded_postgres(Path(self.data_dir))
        return redshift_connector.connect(
            host=self._adapter.host,
            port=self._adapter.port,
            database="postgres",
            user="postgres",
            password="",
            ssl=False,
        )


def start_embedded_postgres(data_dir: Path):
    """Start (or join) the PostgreSQL in `data_dir` and return a loopback adapter to it."""
    with warnings.catch_warnings():  # pgserver warns at import when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver

    from quality_movies.resources.pg_adapter import RedshiftProtocolAdapter

    data_dir.mkdir(parents=True, exist_ok=True)
    info = pgserver.get_server(data_dir.resolve(), cleanup_mode="stop").get_postmaster_info()
    return RedshiftProtocolAdapter(Path(info.socket_dir) / f".s.PGSQL.{info.port}")
