"""The warehouse: Amazon Redshift in production, an embedded PostgreSQL locally.

Both are reached through `redshift_connector` and run the same statements from `sql/`.
"""

import contextlib
import datetime as dt
import re
import threading
import uuid
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
from quality_movies.resources.lake import STAGING
from quality_movies.resources.s3_lake import S3Lake

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
SCHEMA, TABLE, VIEW = "movies", "imdb_movies_rating", "year_aggregated_genre"
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,126}")
S3_URI = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[\w!\-.*()/=]+")
IAM_ROLE_ARN = re.compile(r"arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+")
# What a lost connection raises; the server has then rolled the transaction back by itself.
CONNECTION_LOST = (redshift_connector.InterfaceError, OSError)
# redshift_connector refuses statements with more than 32,767 bound parameters.
MAX_BIND_PARAMETERS = 32_767
INSERT_COLUMNS = len(DATA_COLUMNS) + len(LINEAGE_COLUMNS)
ROWS_PER_INSERT = MAX_BIND_PARAMETERS // INSERT_COLUMNS
# SQLSTATEs of a CREATE that lost a race with another run creating the same object: PostgreSQL's
# IF NOT EXISTS checks before it inserts into its catalog, so the loser hits the catalog's unique
# index (23505) or finds the object (42P06 schema, 42P07 relation, 42710 the row type that a
# table or materialized view brings with it).
ALREADY_EXISTS = frozenset({"23505", "42P06", "42P07", "42710"})
# pgserver guards its start-up against other processes (a file lock) but not against other
# threads of this one: two threads would both run initdb on the same folder.
_EMBEDDED_START = threading.Lock()


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


class Warehouse(dg.ConfigurableResource):
    """Loads good rows per source file and maintains the year/genre materialized view."""

    schema_name: str = Field(default=SCHEMA, description="Schema of the table and the view.")
    table_name: str = Field(default=TABLE, description="Table of good rows.")
    view_name: str = Field(default=VIEW, description="Materialized view counting movies by year and genre.")

    def statement(self, name: str, **literals: str) -> str:
        """`sql/<name>.sql` with the configured identifiers validated and quoted in."""
        identifiers = {"schema": self.schema_name, "table": self.table_name, "view": self.view_name}
        return sql(name).format(**{k: quote_identifier(v) for k, v in identifiers.items()}, **literals)

    def _insert_statement(self, row_count: int) -> str:
        group = "(" + ", ".join(["%s"] * INSERT_COLUMNS) + ")"
        return self.statement("insert_rows").rstrip() + "\n" + ",\n".join([group] * row_count)

    @abstractmethod
    def _connect(self) -> redshift_connector.Connection:
        """A new connection; each subclass knows where its warehouse is."""

    @contextmanager
    def connection(self) -> Iterator[redshift_connector.Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            with contextlib.suppress(*CONNECTION_LOST):  # closing a dead connection must not hide why it died
                conn.close()

    def query_one(self, name: str, params: Sequence[Any] = ()) -> tuple:
        """Run the read-only statement `sql/<name>.sql` and return its single row."""
        with self.connection() as conn:
            cursor = conn.cursor()
            cursor.execute(self.statement(name), tuple(params) or None)
            row = cursor.fetchone()
            conn.rollback()
        return tuple(row)

    def ensure_table(self, attempts: int = 3) -> None:
        """Create the schema and the table if missing, also when other runs are creating them too."""
        for attempt in range(1, attempts + 1):
            try:
                with self.connection() as conn:
                    cursor = conn.cursor()
                    cursor.execute(self.statement("create_schema"))
                    cursor.execute(self.statement("create_table"))
                    conn.commit()
                return
            except redshift_connector.Error as error:
                # Each lost race means one more object now exists; the next attempt skips it.
                if attempt == attempts or not created_concurrently(error):
                    raise

    def replace_file_rows(self, source_file: str, rows: pl.DataFrame, run_id: str) -> int:
        """Atomically replace the rows of `source_file` with `rows` (typed as the contract says).

        One transaction: the file's old rows are deleted and the new ones bulk-loaded;
        any failure rolls back, leaving the table exactly as it was.
        """
        loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        loaded = rows.with_columns(
            source_file=pl.lit(source_file), run_id=pl.lit(run_id), loaded_at=pl.lit(loaded_at, dtype=pl.Datetime("us"))
        )
        with self.connection() as conn:
            cursor = conn.cursor()
            try:
                cursor.execute(self.statement("delete_file_rows"), (source_file,))
                self._bulk_insert(cursor, loaded)
                conn.commit()
            except BaseException:
                with contextlib.suppress(*CONNECTION_LOST):  # a lost connection was rolled back by the server
                    conn.rollback()
                raise
        return rows.height

    def _bulk_insert(self, cursor: redshift_connector.Cursor, rows: pl.DataFrame) -> None:
        """Multi-row INSERTs with bound values: the path any PostgreSQL-protocol warehouse takes."""
        for batch in rows.iter_slices(ROWS_PER_INSERT):
            params = [value for row in batch.iter_rows() for value in row]
            cursor.execute(self._insert_statement(batch.height), params)

    def refresh_view(self) -> None:
        """Create the materialized view if missing, then refresh it (in its own transaction)."""
        with self.connection() as conn:
            conn.autocommit = True
            cursor = conn.cursor()
            cursor.execute(self.statement("relation_exists"), (self.schema_name, self.view_name))
            if cursor.fetchone()[0] == 0:
                try:
                    cursor.execute(self.statement("create_view"))
                except redshift_connector.Error as error:
                    if not created_concurrently(error):  # else another run created it since we looked
                        raise
            cursor.execute(self.statement("refresh_view"))


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
        if self.iam:
            return redshift_connector.connect(
                iam=True,
                host=self.host,
                port=self.port,
                database=self.database,
                db_user=self.db_user,
                cluster_identifier=self.cluster_identifier,
                region=self.region,
                ssl=True,
            )
        return redshift_connector.connect(
            host=self.host,
            port=self.port,
            database=self.database,
            user=self.user,
            password=self.password,
            ssl=self.ssl,
        )

    def _bulk_insert(self, cursor: redshift_connector.Cursor, rows: pl.DataFrame) -> None:
        """Stage the rows as Parquet in S3 and COPY them, inside the caller's transaction."""
        if self.copy_stage is None or self.copy_iam_role is None:
            super()._bulk_insert(cursor, rows)
            return
        key = self.stage_for_copy(rows)
        try:
            cursor.execute(self.copy_statement(self.copy_stage.uri(key), self.copy_iam_role))
        finally:
            self.copy_stage.delete(key)

    def copy_statement(self, source_uri: str, iam_role: str) -> str:
        """The COPY of one staged file; both literals are validated before they are quoted in."""
        if not S3_URI.fullmatch(source_uri):
            raise ValueError(f"refusing to COPY from {source_uri!r}: not a plain s3:// object URI")
        if not IAM_ROLE_ARN.fullmatch(iam_role):
            raise ValueError(f"refusing to COPY with role {iam_role!r}: not an IAM role ARN")
        return self.statement("copy_parquet", source=f"'{source_uri}'", iam_role=f"'{iam_role}'")

    def stage_for_copy(self, rows: pl.DataFrame) -> str:
        """Write rows (table columns, in table order) as one Parquet object; returns its key."""
        key = f"{STAGING}/redshift_copy/{uuid.uuid4().hex}.parquet"
        self.copy_stage.write_frame(key, rows, "parquet")
        return key


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
    with _EMBEDDED_START:
        info = pgserver.get_server(data_dir.resolve(), cleanup_mode="stop").get_postmaster_info()
    return RedshiftProtocolAdapter(Path(info.socket_dir) / f".s.PGSQL.{info.port}")
