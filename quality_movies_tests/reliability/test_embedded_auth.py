"""Nobody let in: the embedded PostgreSQL asks for its per-home secret and its adapter admits only our uid.

The home here is made as pgserver alone makes it (`trust`), by a process then killed with SIGKILL: the
cluster every existing home has, and the pid a crash leaves in pgserver's handle file.
"""

from __future__ import annotations

import base64
import json
import os
import pwd
import signal
import socket
import stat
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import redshift_connector
from scramp import ScramClient, ScramMechanism

from quality_movies.resources.embedded_auth import (
    HANDLE_PIDS,
    EmbeddedAuthError,
    hba_allows_trust,
    hba_demanding_password,
    scram_verifier,
    secret_file,
)
from quality_movies.resources.embedded_warehouse import EmbeddedWarehouse, start_embedded_postgres
from quality_movies.resources.pg_adapter import PROTOCOL_3_0, RedshiftProtocolAdapter

INTRUDER = "qm_intruder_auth"
SYSTEM_PYTHON = "/usr/bin/python3"
INITDB_HBA = """\
# TYPE  DATABASE        USER            ADDRESS                 METHOD

# "local" is for Unix domain socket connections only
local   all             all                                     trust
# IPv4 local connections:
host    all             all             127.0.0.1/32            trust
host    replication     all             ::1/128                 trust   # kept comment
local   all             trust                                   trust
"""
# Run as pgserver's first user would: start the server, then die without any clean-up.
LEGACY_START = """
import os, signal, sys, warnings
warnings.simplefilter("ignore")
import pgserver
pgserver.get_server(sys.argv[1], cleanup_mode="stop")
os.kill(os.getpid(), signal.SIGKILL)
"""


# -- pure helpers ----------------------------------------------------------------------------------


def test_every_trust_rule_becomes_scram_and_nothing_else_changes():
    rewritten = hba_demanding_password(INITDB_HBA)

    assert hba_allows_trust(INITDB_HBA)
    assert not hba_allows_trust(rewritten)
    assert rewritten.count("scram-sha-256") == 4
    assert "local   all             trust                                   scram-sha-256\n" in rewritten
    assert "::1/128                 scram-sha-256   # kept comment\n" in rewritten
    assert rewritten.splitlines()[:3] == INITDB_HBA.splitlines()[:3]  # comments, headers and blanks as they were


def test_the_verifier_is_one_the_server_side_of_scram_accepts_for_the_secret_alone():
    verifier = scram_verifier("the-secret")
    _, head, keys = verifier.split("$")
    iterations, salt = head.split(":")
    stored_key, server_key = keys.split(":")
    auth_info = (base64.b64decode(salt), base64.b64decode(stored_key), base64.b64decode(server_key), int(iterations))

    def login(password: str) -> bool:
        server = ScramMechanism("SCRAM-SHA-256").make_server(lambda _user: auth_info)
        client = ScramClient(["SCRAM-SHA-256"], "postgres", password)
        server.set_client_first(client.get_client_first())
        client.set_server_first(server.get_server_first())
        try:
            server.set_client_final(client.get_client_final())
        except Exception:
            return False
        return True

    assert login("the-secret")
    assert not login("")
    assert not login("the-secre")


# -- the legacy home, started by today's code path --------------------------------------------------


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A `trust` cluster left running by a killed process, then started by the project (which migrates it)."""
    data_dir = tmp_path_factory.mktemp("legacy_home") / "warehouse"
    data_dir.mkdir()
    killed = subprocess.run([sys.executable, "-c", LEGACY_START, str(data_dir)], capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    before = {
        "hba": (data_dir / "pg_hba.conf").read_text(),
        "handles": json.loads((data_dir / HANDLE_PIDS).read_text()),
    }
    warehouse = EmbeddedWarehouse(data_dir=str(data_dir))
    with warehouse.connection() as conn:
        conn.cursor().execute("SELECT 1")
    return {"warehouse": warehouse, "data_dir": data_dir.resolve(), "before": before}


def test_a_killed_process_pid_is_dropped_from_pgservers_handle_file_at_start(legacy):
    (dead,) = legacy["before"]["handles"]  # the killed process, still listed as using the server
    with pytest.raises(ProcessLookupError):
        os.kill(dead, 0)

    handles = json.loads((legacy["data_dir"] / HANDLE_PIDS).read_text())

    assert dead not in handles
    assert handles == [os.getpid()]  # so this process, the last one, stops the server when it exits


def test_the_secret_file_is_readable_by_its_owner_alone(legacy):
    info = secret_file(legacy["data_dir"]).stat()

    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_uid == os.geteuid()
    assert secret_file(legacy["data_dir"]).parent == legacy["data_dir"].parent  # beside the cluster, not in it


def test_a_trust_cluster_is_migrated_to_scram_on_start(legacy):
    assert hba_allows_trust(legacy["before"]["hba"])  # as pgserver made it

    assert not hba_allows_trust((legacy["data_dir"] / "pg_hba.conf").read_text())
    with legacy["warehouse"].connection() as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'postgres'")
        assert cursor.fetchone() == [True]


@pytest.mark.parametrize("password", ["", "wrong", "postgres"])
def test_a_wrong_or_empty_password_is_refused_through_the_adapter(legacy, password):
    adapter = legacy["warehouse"]._adapter
    with pytest.raises(redshift_connector.ProgrammingError, match="28P01"):
        redshift_connector.connect(
            host=adapter.host, port=adapter.port, database="postgres", user="postgres", password=password, ssl=False
        )


@pytest.mark.parametrize("password", ["", "wrong"])
def test_a_wrong_or_empty_password_is_refused_straight_at_the_unix_socket(legacy, password):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(legacy["warehouse"]._adapter.unix_socket))

        assert _login(sock, password) == "28P01"


def test_the_secret_opens_the_unix_socket(legacy):
    secret = secret_file(legacy["data_dir"]).read_text().strip()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(legacy["warehouse"]._adapter.unix_socket))

        assert _login(sock, secret) == "ok"


def _startup_packet(user: str = "postgres") -> bytes:
    body = struct.pack("!i", PROTOCOL_3_0) + b"user\x00" + user.encode() + b"\x00database\x00postgres\x00\x00"
    return struct.pack("!i", len(body) + 4) + body


def _message(sock: socket.socket) -> tuple[bytes, bytes]:
    header = sock.recv(5, socket.MSG_WAITALL)
    (length,) = struct.unpack("!i", header[1:])
    return header[:1], sock.recv(length - 4, socket.MSG_WAITALL) if length > 4 else b""


def _login(sock: socket.socket, password: str) -> str:
    """A plain PostgreSQL login (SCRAM done by scramp): "ok", "trust" (no password asked) or the SQLSTATE."""
    sock.sendall(_startup_packet())
    kind, body = _message(sock)
    if (kind, body[:4]) == (b"R", struct.pack("!i", 0)):
        return "trust"
    assert (kind, body[:4]) == (b"R", struct.pack("!i", 10)), (kind, body)
    client = ScramClient(["SCRAM-SHA-256"], "postgres", password)
    first = client.get_client_first().encode()
    sock.sendall(_frame(b"p", b"SCRAM-SHA-256\x00" + struct.pack("!i", len(first)) + first))
    kind, body = _message(sock)
    assert kind == b"R", body
    client.set_server_first(body[4:].decode())
    sock.sendall(_frame(b"p", client.get_client_final().encode()))
    kind, body = _message(sock)
    if kind == b"E":
        return dict((field[:1].decode(), field[1:].decode()) for field in body.split(b"\x00") if field)["C"]
    client.set_server_final(body[4:].decode())
    kind, body = _message(sock)
    return "ok" if (kind, body[:4]) == (b"R", struct.pack("!i", 0)) else repr((kind, body))


def _frame(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def test_a_secret_that_does_not_open_the_cluster_is_reported_with_the_way_out(tmp_path):
    data_dir = tmp_path / "warehouse"
    with EmbeddedWarehouse(data_dir=str(data_dir)).connection():
        pass
    secret_file(data_dir).write_text("a-secret-from-another-home")

    with pytest.raises(EmbeddedAuthError, match="change scram-sha-256 back to trust") as raised:
        start_embedded_postgres(data_dir)

    assert "a-secret-from-another-home" not in str(raised.value)


CONCURRENT_START = """
import sys
from quality_movies.resources.embedded_warehouse import EmbeddedWarehouse, start_embedded_postgres
with EmbeddedWarehouse(data_dir=sys.argv[1]).connection() as conn:
    conn.cursor().execute("SELECT 1")
"""


def test_processes_starting_a_trust_cluster_at_once_all_get_in_and_it_ends_migrated(tmp_path):
    data_dir = tmp_path / "warehouse"
    data_dir.mkdir()
    subprocess.run([sys.executable, "-c", LEGACY_START, str(data_dir)], capture_output=True, timeout=120)
    handles = data_dir / HANDLE_PIDS
    handles.write_text(handles.read_text()[:-1])  # also cut short, as a kill while pgserver rewrites it leaves it
    starts = [
        subprocess.Popen([sys.executable, "-c", CONCURRENT_START, str(data_dir)], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    errors = [start.communicate(timeout=300)[1] for start in starts]

    assert [start.returncode for start in starts] == [0] * 4, errors
    assert not hba_allows_trust((data_dir / "pg_hba.conf").read_text())
    assert json.loads((data_dir / HANDLE_PIDS).read_text()) == []  # the last one out stopped the server


# -- another OS user ---------------------------------------------------------------------------------

# What the other user runs, with the system python3 alone: a start-up packet, then the first reply's
# type and authentication code ("closed" when the connection is shut without a word).
INTRUDER_PROBE = textwrap.dedent(
    """
    import socket, struct, sys
    unix = sys.argv[1] == "unix"
    sock = socket.socket(socket.AF_UNIX if unix else socket.AF_INET, socket.SOCK_STREAM)
    address = sys.argv[2] if unix else ("127.0.0.1", int(sys.argv[2]))
    sock.settimeout(10)
    try:
        sock.connect(address)
    except PermissionError:
        print("denied"); sys.exit()
    body = struct.pack("!i", 196608) + b"user\\x00postgres\\x00database\\x00postgres\\x00\\x00"
    sock.sendall(struct.pack("!i", len(body) + 4) + body)
    try:
        reply = sock.recv(9, socket.MSG_WAITALL)
    except ConnectionResetError:
        reply = b""
    print("closed" if not reply else f"{reply[:1].decode()}{struct.unpack('!i', reply[5:9])[0]}")
    """
)


@pytest.fixture(scope="module")
def intruder() -> str:
    """A system user created for this test (removed afterwards); the test needs root to make one."""
    if os.geteuid() != 0:
        pytest.skip("creating a second OS user needs root; run the suite as root to try another local user")
    if not Path(SYSTEM_PYTHON).exists():
        pytest.skip(f"{SYSTEM_PYTHON} is missing: the other user needs an interpreter of its own")
    created = False
    try:
        pwd.getpwnam(INTRUDER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", INTRUDER], check=True
        )
        created = True
    yield INTRUDER
    if created:
        subprocess.run(["userdel", INTRUDER], check=True)


def _probe_as(user: str, *target: str) -> str:
    entry = pwd.getpwnam(user)
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", INTRUDER_PROBE, *target],
        user=entry.pw_uid,
        group=entry.pw_gid,
        extra_groups=[],
        cwd="/",
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_another_local_user_is_closed_out_by_the_adapter_before_any_authentication(legacy, intruder):
    adapter = legacy["warehouse"]._adapter

    assert _probe_as(intruder, "tcp", str(adapter.port)) == "closed"


def test_another_local_user_past_the_adapter_or_at_the_unix_socket_is_still_asked_for_the_password(legacy, intruder):
    unix_socket = legacy["warehouse"]._adapter.unix_socket
    unguarded = RedshiftProtocolAdapter(unix_socket, owner_only=False)
    try:
        past_the_adapter = _probe_as(intruder, "tcp", str(unguarded.port))
    finally:
        unguarded.close()
    at_the_socket = _probe_as(intruder, "unix", str(unix_socket))

    assert past_the_adapter == "R10"  # AuthenticationSASL: a password is demanded ("R0" would be a login)
    assert at_the_socket in {"denied", "R10"}  # the socket's folder is the server's alone, or the password is asked


def test_another_local_user_at_a_socket_in_pgservers_shared_runtime_folder_is_asked_for_the_password(
    tmp_path, intruder
):
    # A cluster path too long for a socket name makes pgserver put the socket in a folder every user may
    # enter (mode 0777): there the password is the only guard.
    warehouse = EmbeddedWarehouse(data_dir=str(tmp_path / ("w" * 100)))
    with warehouse.connection():
        unix_socket = warehouse._adapter.unix_socket
    assert not unix_socket.is_relative_to(tmp_path)
    assert stat.S_IMODE(unix_socket.parent.stat().st_mode) == 0o777

    assert _probe_as(intruder, "unix", str(unix_socket)) == "R10"
