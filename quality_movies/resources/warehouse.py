"""The warehouse: Amazon Redshift in production, an embedded PostgreSQL locally (`embedded_warehouse`).

Both are reached through `redshift_connector` and run the same statements from `sql/`. A step
opens one `session()` (one connection) and runs its operations through it. Good rows are
bulk-loaded by a server-side COPY: from Parquet staged in S3 on Redshift, from a CSV file the
server reads itself on the embedded PostgreSQL.
"""

import contextlib
import re
import uuid
from abc import abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import dagster as dg
import polars as pl
import redshift_connector
from pydantic import Field

from quality_movies.contract import DATA_COLUMNS, LINEAGE_COLUMNS
from quality_movies.resources.lake import STAGING
from quality_movies.resources.s3_lake import S3Lake
from quality_movies.resources.warehouse_session import (
    CONNECTION_LOST,
    WarehouseSession,
    created_concurrently,
    quote_identifier,
    sql,
)

# Re-exported: callers name the warehouse module for all of it.
__all__ = [
    "RedshiftWarehouse",
    "Warehouse",
    "WarehouseSession",
    "created_concurrently",
    "quote_identifier",
    "sql",
]

SCHEMA, TABLE, VIEW = "movies", "imdb_movies_rating", "year_aggregated_genre"
TABLE_COLUMNS = tuple(column.name for column in (*DATA_COLUMNS, *LINEAGE_COLUMNS))
# Set by the server, not the loader: its DEFAULT (GETDATE(), see sql/create_table.sql) fills it at the load, so
# one clock stamps every load whichever machine ran it. Loads name the other columns and stage only those.
SET_BY_SERVER = ("loaded_at",)
LOADED_COLUMNS = tuple(name for name in TABLE_COLUMNS if name not in SET_BY_SERVER)
S3_URI = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[\w!\-.*()/=]+")
IAM_ROLE_ARN = re.compile(r"arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+")
# redshift_connector refuses statements with more than 32,767 bound parameters.
MAX_BIND_PARAMETERS = 32_767
ROWS_PER_INSERT = MAX_BIND_PARAMETERS // len(LOADED_COLUMNS)
# redshift_connector keeps a named server-side statement per distinct (SQL, parameter types), up to
# 1,000, and a NULL has a type of its own: each NULL pattern of an INSERT batch was a new statement of
# megabytes in the backend. 0 sends every statement unnamed, so the server holds at most one. Measured
# on 100k rows with varying NULLs: backend peak 113 MiB instead of 787 MiB, ~10% slower.
MAX_PREPARED_STATEMENTS = 0
# Named, the session shows who it is in pg_stat_activity / STV_SESSIONS; unnamed, the driver walks the
# interpreter's stack at every connect to find a name (0.1-0.4 s measured).
APPLICATION = "quality_movies"
# How long past the server's statement_timeout the socket waits for an answer before giving up on the server.
SOCKET_MARGIN_SECONDS = 60


class Warehouse(dg.ConfigurableResource):
    """Loads good rows per source file and maintains the year/genre materialized view."""

    schema_name: str = Field(default=SCHEMA, description="Schema of the table and the view.")
    table_name: str = Field(default=TABLE, description="Table of good rows.")
    view_name: str = Field(default=VIEW, description="Materialized view counting movies by year and genre.")
    connect_timeout_seconds: int = Field(
        default=30, gt=0, description="Longest wait to connect and log in (a server that never answers fails)."
    )
    statement_timeout_seconds: int = Field(
        default=3600, gt=0, description="Longest a statement may run (the server cancels it: statement_timeout)."
    )

    def statement(self, name: str, **literals: str) -> str:
        """`sql/<name>.sql` with the configured identifiers validated and quoted in."""
        identifiers = {"schema": self.schema_name, "table": self.table_name, "view": self.view_name}
        return sql(name).format(**{k: quote_identifier(v) for k, v in identifiers.items()}, **literals)

    @abstractmethod
    def _connect(self) -> redshift_connector.Connection:
        """A new connection; each subclass knows where its warehouse is."""

    @contextmanager
    def connection(self) -> Iterator[redshift_connector.Connection]:
        """A new connection, its statements bounded in time, closed on the way out."""
        conn = self._connect()
        try:
            self._bound_statements(conn)
            yield conn
        finally:
            with contextlib.suppress(*CONNECTION_LOST):  # closing a dead connection must not hide why it died
                conn.close()

    def _bound_statements(self, conn: redshift_connector.Connection) -> None:
        """The server cancels statements running past the timeout; the socket gives up a little later.

        The driver's `timeout` (the connect timeout, for start-up and login) stays on the socket for every
        read, which would cut a long COPY short: once logged in, the socket waits a margin past the server's
        own limit, so that only a server that stops answering altogether is given up on (the driver has no
        public setting for this, hence its socket).
        """
        cursor = conn.cursor()
        cursor.execute(f"SET statement_timeout TO {self.statement_timeout_seconds * 1000}")
        conn.commit()  # a SET in a transaction rolled back later would be undone
        conn._usock.settimeout(self.statement_timeout_seconds + SOCKET_MARGIN_SECONDS)

    @contextmanager
    def session(self) -> Iterator[WarehouseSession]:
        """One connection for a step's operations (create, load, count, refresh)."""
        with self.connection() as conn:
            yield WarehouseSession(self, conn)

    # One operation in a session of its own: for callers outside a step (tests, the CLI).
    def query_one(self, name: str, params: tuple = ()) -> tuple:
        """Run the read-only statement `sql/<name>.sql` and return its single row."""
        with self.session() as session:
            return session.query_one(name, params)

    def ensure_table(self, attempts: int = 3) -> None:
        """Create the schema and the table if missing, also when other runs are creating them too."""
        with self.session() as session:
            session.ensure_table(attempts)

    def replace_file_rows(self, source_file: str, rows: pl.LazyFrame, run_id: str) -> int:
        """Atomically replace the rows of `source_file` with `rows`; see `WarehouseSession.replace_file_rows`."""
        with self.session() as session:
            return session.replace_file_rows(source_file, rows, run_id)

    def refresh_view(self) -> None:
        """Create the materialized view if missing, then refresh it."""
        with self.session() as session:
            session.refresh_view()

    def lock_file_rows(self, cursor: redshift_connector.Cursor, source_file: str) -> None:
        """Lock, until the transaction ends, so one load of `source_file` runs at a time (Redshift: the table)."""
        cursor.execute(self.statement("lock_table"))

    @abstractmethod
    def staged_load(self, rows: pl.LazyFrame) -> AbstractContextManager[Callable[[redshift_connector.Cursor], None]]:
        """Stage `rows` (the `LOADED_COLUMNS`, in order) where the server loads them from, before the load's
        transaction opens (no lock is held while they are written); yields the load, run inside that
        transaction. What was staged is removed on the way out, whatever happens."""

    def insert_rows(
        self, cursor: redshift_connector.Cursor, rows: pl.LazyFrame, rows_per_insert: int = ROWS_PER_INSERT
    ) -> int:
        """Multi-row INSERTs with bound values, read in batches: the path any PostgreSQL-protocol warehouse takes.

        The connection's `max_prepared_statements` bounds what the varying NULL patterns leave in the server.
        """
        loaded = 0
        for chunk in rows.collect_batches(chunk_size=rows_per_insert):
            for batch in chunk.iter_slices(rows_per_insert):
                params = [value for row in batch.iter_rows() for value in row]
                cursor.execute(self._insert_statement(batch.height), params)
                loaded += batch.height
        return loaded

    def _insert_statement(self, row_count: int) -> str:
        group = "(" + ", ".join(["%s"] * len(LOADED_COLUMNS)) + ")"
        return self.statement("insert_rows").rstrip() + "\n" + ",\n".join([group] * row_count)


class RedshiftWarehouse(Warehouse):
    """Amazon Redshift, by password or by IAM; bulk loads by COPY from S3 when a stage is set."""

    host: str
    port: int = 5439
    database: str = "dev"
    user: str | None = Field(default=None, description="Database user (password authentication).")
    password: str | None = Field(default=None, description="Its password; never logged.")
    ssl: bool = True
    iam: bool = Field(default=False, description="Authenticate with IAM credentials instead of a password.")
    db_user: str | None = Field(default=None, description="Database user to get IAM credentials for.")
    cluster_identifier: str | None = Field(default=None, description="Cluster, for IAM authentication.")
    region: str | None = None
    copy_iam_role: str | None = Field(default=None, description="IAM role ARN Redshift assumes to read the stage.")
    copy_stage: S3Lake | None = Field(default=None, description="Bucket where good rows are staged for COPY.")

    def _connect(self) -> redshift_connector.Connection:
        common = {
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "application_name": APPLICATION,
            "timeout": self.connect_timeout_seconds,
        }
        if self.iam:
            return redshift_connector.connect(
                iam=True,
                **common,
                db_user=self.db_user,
                cluster_identifier=self.cluster_identifier,
                region=self.region,
                ssl=True,
                max_prepared_statements=MAX_PREPARED_STATEMENTS,
            )
        return redshift_connector.connect(
            **common,
            user=self.user,
            password=self.password,
            ssl=self.ssl,
            max_prepared_statements=MAX_PREPARED_STATEMENTS,
        )

    @contextmanager
    def staged_load(self, rows: pl.LazyFrame) -> Iterator[Callable[[redshift_connector.Cursor], None]]:
        """Rows staged as Parquet in S3 and loaded by COPY; without a stage, INSERTed."""
        if self.copy_stage is None or self.copy_iam_role is None:
            yield lambda cursor: self.insert_rows(cursor, rows)
            return
        key = self.stage_for_copy(rows)
        try:
            yield lambda cursor: cursor.execute(self.copy_statement(self.copy_stage.uri(key), self.copy_iam_role))
        finally:
            self.copy_stage.delete(key)

    def copy_statement(self, source_uri: str, iam_role: str) -> str:
        """The COPY of one staged file; both literals are validated before they are quoted in."""
        if not S3_URI.fullmatch(source_uri):
            raise ValueError(f"refusing to COPY from {source_uri!r}: not a plain s3:// object URI")
        if not IAM_ROLE_ARN.fullmatch(iam_role):
            raise ValueError(f"refusing to COPY with role {iam_role!r}: not an IAM role ARN")
        columns = ", ".join(quote_identifier(name) for name in LOADED_COLUMNS)
        return self.statement("copy_parquet", columns=columns, source=f"'{source_uri}'", iam_role=f"'{iam_role}'")

    def stage_for_copy(self, rows: pl.LazyFrame) -> str:
        """Stream rows (the `LOADED_COLUMNS`, in table order) into one Parquet object; returns its key.

        Snappy, the codec every Parquet reader has. No timestamp travels: `loaded_at` is the server's.
        """
        key = f"{STAGING}/redshift_copy/{uuid.uuid4().hex}.parquet"
        rows.sink_parquet(
            self.copy_stage.uri(key), compression="snappy", storage_options=self.copy_stage.storage_options()
        )
        return key
