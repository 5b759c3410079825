"""A warehouse that never answers, or a statement that never ends, fails the step instead of hanging it."""

import socket
import threading
import time

import pytest
import redshift_connector

from quality_movies.resources.warehouse import RedshiftWarehouse
from quality_movies.resources.warehouse_session import CONNECTION_LOST


@pytest.fixture
def silent_server():
    """A loopback listener that accepts connections and never sends a byte."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_server_that_accepts_and_never_answers_fails_the_connection_within_its_timeout(silent_server):
    warehouse = RedshiftWarehouse(
        host="127.0.0.1", port=silent_server, user="u", password="p", ssl=False, connect_timeout_seconds=2
    )
    started = time.monotonic()

    with pytest.raises(CONNECTION_LOST), warehouse.connection():  # what a warehouse step retries, then fails on
        pass

    assert time.monotonic() - started < 30  # bounded by the 2 s timeout, not by the server


def test_a_statement_running_past_its_timeout_is_cancelled_by_the_server(warehouse):
    bounded = warehouse.model_copy(update={"statement_timeout_seconds": 1})

    with bounded.connection() as conn:
        cursor = conn.cursor()
        with pytest.raises(redshift_connector.ProgrammingError, match="statement timeout"):
            cursor.execute("SELECT pg_sleep(5)")  # a probe standing for a statement that never ends
        conn.rollback()
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "1s"  # set once per connection, not undone by the rollback
