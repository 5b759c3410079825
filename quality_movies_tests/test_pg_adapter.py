import os
import socket
import struct

import pytest

from quality_movies.resources.pg_adapter import (
    PROC_NET_TCP,
    PROTOCOL_3_0,
    SSL_REQUEST,
    StartupError,
    driver_readable_auth,
    proc_net_address,
    strip_startup_parameters,
    tcp_peer_uid,
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


def test_the_sasl_request_loses_the_empty_mechanism_name_the_driver_would_choke_on():
    sasl = struct.pack("!i", 10) + b"SCRAM-SHA-256\x00\x00"  # as PostgreSQL 16 sends it
    other = struct.pack("!i", 0)

    assert driver_readable_auth(sasl)[4:-1].split(b"\x00") == [b"SCRAM-SHA-256"]  # the driver's own parsing
    assert driver_readable_auth(other) == other


def test_proc_net_addresses_are_written_as_the_kernel_writes_them():
    expected = "0100007F:1538" if struct.pack("=I", 1) == b"\x01\x00\x00\x00" else "7F000001:1538"
    assert proc_net_address("127.0.0.1", 5432) == expected


SAMPLE_TABLE = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:D431 0100007F:1538 01 00000000:00000000 00:00000000 00000000 65534        0 1 1
   1: 0100007F:1538 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 2 1
"""


def test_the_peer_uid_is_the_owner_of_the_socket_whose_local_end_is_our_peer():
    if struct.pack("=I", 1) != b"\x01\x00\x00\x00":
        pytest.skip("the sample table is written for a little-endian kernel")
    assert tcp_peer_uid(SAMPLE_TABLE, ("127.0.0.1", 0xD431), ("127.0.0.1", 5432)) == 65534
    assert tcp_peer_uid(SAMPLE_TABLE, ("127.0.0.1", 5432), ("127.0.0.1", 0xD431)) == 0
    assert tcp_peer_uid(SAMPLE_TABLE, ("127.0.0.1", 1), ("127.0.0.1", 5432)) is None


@pytest.mark.skipif(not PROC_NET_TCP.exists(), reason="/proc/net/tcp is Linux's; elsewhere the password alone guards")
def test_the_kernel_reports_our_own_uid_for_a_connection_we_open():
    with socket.create_server(("127.0.0.1", 0)) as listener, socket.create_connection(listener.getsockname()) as client:
        accepted, _ = listener.accept()
        with accepted:
            table = PROC_NET_TCP.read_text()
            assert tcp_peer_uid(table, accepted.getpeername(), accepted.getsockname()) == os.geteuid()
            assert client.getsockname() == accepted.getpeername()
