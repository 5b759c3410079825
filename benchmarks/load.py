"""The warehouse load, as the warehouse step runs it: staged good rows into the embedded PostgreSQL.

The rows are the Parquet that `quality-movies validate` (run_stage) wrote for a file of good rows only,
read lazily as the step reads the lake's staged rows; the timed work is one
`WarehouseSession.replace_file_rows` (delete the file's rows, bulk load, commit) in a fresh cluster.
The embedded warehouse loads by a server-side COPY of a staged CSV; `InsertingWarehouse` is the same
warehouse loading by the INSERT fallback, the baseline. The backend serving the loading session is
sampled for its peak memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import redshift_connector
from memory import PeakSampler

from quality_movies.resources.embedded_warehouse import EmbeddedWarehouse

SOURCE_FILE = "input_data/benchmark_good_rows.csv"
SCHEMA = "benchmark"


class InsertingWarehouse(EmbeddedWarehouse):
    """The embedded warehouse loading by multi-row INSERTs: what a warehouse without a COPY stage does."""

    @contextmanager
    def staged_load(self, rows: pl.LazyFrame) -> Iterator[Callable[[redshift_connector.Cursor], None]]:
        yield lambda cursor: self.insert_rows(cursor, rows)


def backend_pid(connection: redshift_connector.Connection) -> int:
    """The process id of the PostgreSQL backend serving `connection`."""
    cursor = connection.cursor()
    cursor.execute("SELECT pg_backend_pid()")  # a measurement probe, not warehouse SQL
    (pid,) = cursor.fetchone()
    connection.rollback()  # the load starts its own transaction
    return pid


def load_work(good_rows: Path, out_dir: Path, rows: int | None, *, insert: bool) -> Callable[[], dict[str, Any]]:
    """Start a fresh cluster and open a session (not timed); return the load to time.

    `rows` loads only the first rows (the INSERT baseline runs on a slice).
    """
    kind = InsertingWarehouse if insert else EmbeddedWarehouse
    warehouse = kind(data_dir=str(out_dir / "warehouse"), schema_name=SCHEMA)
    staged = pl.scan_parquet(good_rows)
    staged = staged.head(rows) if rows else staged
    expected = staged.select(pl.len()).collect().item()
    stack = ExitStack()
    session = stack.enter_context(warehouse.session())
    session.ensure_table()
    pid = backend_pid(session.connection)
    backend = stack.enter_context(PeakSampler(lambda: [pid]))

    def work() -> dict[str, Any]:
        loaded = session.replace_file_rows(SOURCE_FILE, staged, run_id="benchmark")
        stack.pop_all().close()  # stops sampling the backend and closes the session
        return {
            "rows": loaded,
            "backend_peak_rss": backend.peak_rss,
            "backend_peak_anon": backend.peak_anon,
            "rows_in_table": lambda: _rows_in_table(warehouse, expected),
        }

    return work


def _rows_in_table(warehouse: EmbeddedWarehouse, expected: int) -> int:
    """The file's rows in the table, after the load; a load that lost or doubled rows stops the benchmark."""
    in_table = warehouse.query_one("count_file_rows", (SOURCE_FILE,))[0]
    if in_table != expected:
        raise SystemExit(f"the load left {in_table} rows of {SOURCE_FILE} in the table, expected {expected}")
    return in_table
