"""The warehouse: Amazon Redshift in production, an embedded PostgreSQL locally.

Both are reached through `redshift_connector` and run the same statements from `sql/`. A step
opens one `session()` (one connection) and runs its operations through it. Good rows are
bulk-loaded by a server-side COPY: from Parquet staged in S3 on Redshift, from a CSV file the
server reads itself on the embedded PostgreSQL.
"""

import contextlib
import os
import re
import threading
import uuid
import warnings
from abc import abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import redshift_connector
from pydantic import Field, PrivateAttr

from quality_movies.contract import DATA_COLUMNS, LINEAGE_COLUMNS
from quality_movies.resources.embedded_auth import drop_dead_handles, embedded_secret, require_password
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
    "EmbeddedWarehouse",
    "RedshiftWarehouse",
    "Warehouse",
    "WarehouseSession",
    "created_concurrently",
    "quote_identifier",
    "sql",
]

SCHEMA, TABLE, VIEW = "movies", "imdb_movies_rating", "year_aggregated_genre"
TABLE_COLUMNS = tuple(column.name for column in (*DATA_COLUMNS, *LINEAGE_COLUMNS))
S3_URI = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[\w!\-.*()/=]+")
IAM_ROLE_ARN = re.compile(r"arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+")
# An absolute path whose segments hold nothing that could end or change a quoted SQL literal.
SERVER_FILE = re.compile(r"(/[\w.+@-][\w .+@-]*)+")
# redshift_connector refuses statements with more than 32,767 bound parameters.
MAX_BIND_PARAMETERS = 32_767
ROWS_PER_INSERT = MAX_BIND_PARAMETERS // len(TABLE_COLUMNS)
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
# pgserver guards its start-up against other processes (a file lock) but not against other
# threads of this one: two threads would both run initdb on the same folder.
_EMBEDDED_START = threading.Lock()


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
        """Stage `rows` (every table column, in order) where the server loads them from, before the load's
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
        group = "(" + ", ".join(["%s"] * len(TABLE_COLUMNS)) + ")"
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
        columns = ", ".join(quote_identifier(name) for name in TABLE_COLUMNS)
        return self.statement("copy_parquet", columns=columns, source=f"'{source_uri}'", iam_role=f"'{iam_role}'")

    def stage_for_copy(self, rows: pl.LazyFrame) -> str:
        """Stream rows (table columns, in table order) into one Parquet object; returns its key.

        Snappy, the codec every Parquet reader has; `loaded_at` (UTC) marked as such, which gives the column
        the TIMESTAMP_MICROS converted type older readers, Redshift's among them, look for.
        """
        key = f"{STAGING}/redshift_copy/{uuid.uuid4().hex}.parquet"
        rows.with_columns(pl.col("loaded_at").dt.replace_time_zone("UTC")).sink_parquet(
            self.copy_stage.uri(key), compression="snappy", storage_options=self.copy_stage.storage_options()
        )
        return key


class EmbeddedWarehouse(Warehouse):
    """A real PostgreSQL started on demand from the `pgserver` package, in a local folder.

    It listens on a Unix socket only; an in-process adapter on 127.0.0.1 lets
    `redshift_connector` in (see `pg_adapter`). Good rows reach it as a CSV file that the
    server reads itself (`COPY ... FROM '<file>'`), the local twin of Redshift's COPY from S3.
    """

    data_dir: str = Field(description="Folder holding the PostgreSQL cluster (created on first use).")
    _adapter: Any = PrivateAttr(default=None)

    def _connect(self) -> redshift_connector.Connection:
        if self._adapter is None:
            self._adapter = start_embedded_postgres(Path(self.data_dir))
        return _connect_embedded(self._adapter, embedded_secret(Path(self.data_dir)), self.connect_timeout_seconds)

    def lock_file_rows(self, cursor: redshift_connector.Cursor, source_file: str) -> None:
        """A transaction-level advisory lock on (table, `source_file`): loads of other files go on meanwhile."""
        cursor.execute(self.statement("lock_file_rows"), (f"{self.schema_name}.{self.table_name}", source_file))

    @contextmanager
    def staged_load(self, rows: pl.LazyFrame) -> Iterator[Callable[[redshift_connector.Cursor], None]]:
        """Rows streamed to a CSV file the server can read, loaded by COPY from it."""
        with self.server_readable_file(".csv") as path:
            rows.sink_csv(path)  # nulls as unquoted empty fields, "" for an empty string: COPY's CSV reading
            _hand_to_server(path, self.server_owner())
            yield lambda cursor: cursor.execute(self.copy_csv_statement(str(path)))

    def copy_csv_statement(self, server_file: str) -> str:
        """The COPY of one CSV file on the server's file system; the path is validated before it is quoted in."""
        if not SERVER_FILE.fullmatch(server_file) or "/../" in f"{server_file}/":
            raise ValueError(f"refusing to COPY from {server_file!r}: not an absolute path of plain characters")
        columns = ", ".join(quote_identifier(name) for name in TABLE_COLUMNS)
        return self.statement("copy_csv", columns=columns, source=f"'{server_file}'")

    def copy_stage_dir(self) -> Path:
        """The folder, beside the cluster's, where rows wait for the server to COPY them."""
        data_dir = Path(self.data_dir).resolve()
        return data_dir.with_name(f"{data_dir.name}.copy")

    def server_owner(self) -> tuple[int, int]:
        """User and group the postmaster runs as (pgserver runs it as `pgserver` when we are root).

        PostgreSQL starts only on a data directory owned by the user it runs as, so the owner is it.
        """
        info = os.stat(Path(self.data_dir).resolve())
        return info.st_uid, info.st_gid

    @contextmanager
    def server_readable_file(self, suffix: str) -> Iterator[Path]:
        """A new file path in `copy_stage_dir()` that the server may read; deleted afterwards, whatever happens."""
        folder = self.copy_stage_dir()
        folder.mkdir(mode=0o700, exist_ok=True)
        _hand_to_server(folder, self.server_owner())
        path = folder / f"{uuid.uuid4().hex}{suffix}"
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)


def _hand_to_server(path: Path, owner: tuple[int, int]) -> None:
    """Make `path` the server's alone (mode 0700 or 0600): no other local user reads the staged rows."""
    path.chmod(0o700 if path.is_dir() else 0o600)
    if (path.stat().st_uid, path.stat().st_gid) != owner:
        os.chown(path, *owner)  # only when we are root, and then pgserver's server user is not


def start_embedded_postgres(data_dir: Path):
    """Start (or join) the PostgreSQL in `data_dir`, password-protected, and return a loopback adapter to it."""
    with warnings.catch_warnings():  # pgserver warns at import when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver

    from quality_movies.resources.pg_adapter import RedshiftProtocolAdapter

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = embedded_secret(data_dir)
    # pgserver's inter-process start-up lock, also held while it adds or removes a handle: with it, no
    # handle is dropped as another process adds one, and one process migrates a `trust` cluster (two
    # concurrent ALTER ROLE fail with "tuple concurrently updated") while the others find it done.
    starting = pgserver.PostgresServer._lock
    with _EMBEDDED_START:
        with starting:
            drop_dead_handles(data_dir)
        info = pgserver.get_server(data_dir, cleanup_mode="stop").get_postmaster_info()
        adapter = RedshiftProtocolAdapter(Path(info.socket_dir) / f".s.PGSQL.{info.port}")
        try:
            with starting:
                require_password(data_dir, secret, lambda password: _connect_embedded(adapter, password))
        except BaseException:
            adapter.close()
            raise
    return adapter


def _connect_embedded(adapter, password: str, timeout: int | None = None) -> redshift_connector.Connection:
    """A connection as `postgres` to the embedded PostgreSQL through its adapter."""
    return redshift_connector.connect(
        timeout=timeout,
        host=adapter.host,
        port=adapter.port,
        database="postgres",
        user="postgres",
        password=password,
        ssl=False,
        application_name=APPLICATION,
        max_prepared_statements=MAX_PREPARED_STATEMENTS,
    )
