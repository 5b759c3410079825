import socket
import struct

import pytest

from quality_movies.resources.pg_adapter import (
    PROTOCOL_3_0,
    SSL_REQUEST,
    StartupError,
    strip_startup_parameters,
)


def _startup_body(**params: str) -> bytes:
    pairs = b"".join(k.encode() + b"\x00" + v.encode() + b"\x00" for k, v in params.items())
    return struct.pack("!i", PROTOCOL_3_0) + pairs + b"\x00"


def test_startup_rewrite_drops_redshift_only_parameters_and_keeps_the_rest():
    body = _startup_body(
        user="postgres",
        database="postgres",
        application_name="qm",
        client_protocol_version="2",
        driver_version="2.2.0",
        os_version="Linux",
        driver_discovery_version="1",
    )
    assert strip_startup_parameters(body) == _startup_body(user="postgres", database="postgres", application_name="qm")


def test_startup_rewrite_rejects_a_malformed_parameter_list():
    with pytest.raises(StartupError):
        strip_startup_parameters(struct.pack("!i", PROTOCOL_3_0) + b"user\x00postgres")


def test_adapter_declines_ssl_and_listens_on_loopback_only(warehouse):
    with warehouse.connection():
        adapter = warehouse._adapter
    assert adapter._listener.getsockname()[0] == "127.0.0.1"
    with socket.create_connection((adapter.host, adapter.port), timeout=5) as sock:
        sock.sendall(struct.pack("!ii", 8, SSL_REQUEST))
        assert sock.recv(1) == b"N"


def test_redshift_connector_runs_bound_queries_on_the_embedded_postgres(warehouse):
    with warehouse.connection() as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT %s::int + 1, %s, current_setting('server_version_num')::int", (41, "Björnstrand"))
        answer, name, version = cursor.fetchone()
    assert (answer, name) == (42, "Björnstrand")
    assert version >= 160000
