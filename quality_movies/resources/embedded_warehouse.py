"""The local warehouse: a real PostgreSQL started on demand from the `pgserver` package.

It listens on a Unix socket only; an in-process adapter on 127.0.0.1 lets `redshift_connector` in
(`pg_adapter`), with the home's own password (`embedded_auth`). Good rows reach it as a CSV file that
the server reads itself (`COPY ... FROM '<file>'`), the local twin of Redshift's COPY from S3.
"""

import os
import re
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import redshift_connector
from pydantic import Field, PrivateAttr

from quality_movies.resources.embedded_auth import drop_dead_handles, embedded_secret, require_password
from quality_movies.resources.warehouse import (
    APPLICATION,
    LOADED_COLUMNS,
    MAX_PREPARED_STATEMENTS,
    Warehouse,
    quote_identifier,
    sql,
)

# An absolute path whose segments hold nothing that could end or change a quoted SQL literal.
SERVER_FILE = re.compile(r"(/[\w.+@-][\w .+@-]*)+")

# pgserver guards its start-up against other processes (a file lock) but not against other
# threads of this one: two threads would both run initdb on the same folder.
_EMBEDDED_START = threading.Lock()


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
        columns = ", ".join(quote_identifier(name) for name in LOADED_COLUMNS)
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
                define_getdate(_connect_embedded(adapter, secret))
        except BaseException:
            adapter.close()
            raise
    return adapter


def define_getdate(conn: redshift_connector.Connection) -> None:
    """Give the server Redshift's GETDATE() (the table's `loaded_at` default) if it lacks it, then close `conn`.

    Run under pgserver's start-up lock, so two processes starting the server never define it at once.
    """
    try:
        cursor = conn.cursor()
        cursor.execute(sql("function_exists"), ("public", "getdate"))
        if not cursor.fetchone()[0]:
            cursor.execute(sql("embedded_getdate"))
        conn.commit()
    finally:
        conn.close()


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
