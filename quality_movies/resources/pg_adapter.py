"""A loopback proxy that lets `redshift_connector` talk to plain PostgreSQL.

Redshift's driver opens every session with start-up parameters that only Redshift
knows (`client_protocol_version`, `driver_version`, ...); PostgreSQL refuses them
with `FATAL: unrecognized configuration parameter`. The proxy rewrites the start-up
packet without those keys, declines SSL and GSS encryption (the hop is loopback to a
Unix socket), mends the one authentication message the driver misreads (see
`driver_readable_auth`), and then relays bytes untouched, so the warehouse is reached
through the very driver and SQL that production uses.

Every local user can reach 127.0.0.1, so on Linux the proxy admits only connections from sockets
owned by its own uid (see `tcp_peer_uid`); the server behind it also asks for the per-home password.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
from pathlib import Path

REDSHIFT_ONLY_PARAMETERS = frozenset(
    {
        b"client_protocol_version",
        b"driver_version",
        b"os_version",
        b"driver_discovery_version",
        b"plugin_name",
        b"idp_type",
        b"provider_name",
        b"identity_namespace",
        b"token_type",
    }
)
PROTOCOL_3_0 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
LOOPBACK = "127.0.0.1"
AUTHENTICATION_OK, AUTHENTICATION_SASL = struct.pack("!i", 0), struct.pack("!i", 10)
# Linux's table of IPv4 TCP sockets; column 8 is the uid that owns each one.
PROC_NET_TCP = Path("/proc/net/tcp")


class StartupError(ValueError):
    """The client's first packet is not a PostgreSQL start-up message."""


def strip_startup_parameters(body: bytes) -> bytes:
    """Return a start-up message body (after the length word) without Redshift-only keys."""
    (protocol,) = struct.unpack("!i", body[:4])
    if protocol != PROTOCOL_3_0:
        return body  # CancelRequest and anything else pass through unchanged
    fields = body[4:].split(b"\x00")
    if len(fields) < 2 or fields[-2:] != [b"", b""]:
        raise StartupError("start-up message is not a list of NUL-terminated key/value pairs")
    pairs = fields[:-2]
    if len(pairs) % 2:
        raise StartupError("start-up message has a key without a value")
    kept = bytearray(body[:4])
    for key, value in zip(pairs[::2], pairs[1::2], strict=False):
        if key not in REDSHIFT_ONLY_PARAMETERS:
            kept += key + b"\x00" + value + b"\x00"
    kept += b"\x00"
    return bytes(kept)


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client closed the connection during start-up")
        data += chunk
    return bytes(data)


def _read_startup(client: socket.socket) -> bytes:
    """Answer encryption requests with 'N' and return the rewritten start-up packet."""
    while True:
        (length,) = struct.unpack("!i", _read_exactly(client, 4))
        if not 8 <= length <= 10_000:
            raise StartupError(f"implausible start-up packet length {length}")
        body = _read_exactly(client, length - 4)
        (code,) = struct.unpack("!i", body[:4])
        if code in (SSL_REQUEST, GSSENC_REQUEST):
            client.sendall(b"N")
            continue
        body = strip_startup_parameters(body)
        return struct.pack("!i", len(body) + 4) + body


def proc_net_address(host: str, port: int) -> str:
    """`host:port` as /proc/net/tcp writes it: the address's 4 bytes as one host-order word, both in hex."""
    (word,) = struct.unpack("=I", socket.inet_aton(host))
    return f"{word:08X}:{port:04X}"


def tcp_peer_uid(table: str, peer: tuple[str, int], own: tuple[str, int]) -> int | None:
    """The uid owning the socket at `peer` connected to `own`, from /proc/net/tcp text; None if not listed."""
    wanted = (proc_net_address(*peer), proc_net_address(*own))
    for line in table.splitlines()[1:]:
        fields = line.split()
        if (fields[1], fields[2]) == wanted:
            return int(fields[7])
    return None


def driver_readable_auth(body: bytes) -> bytes:
    """An authentication request's body as redshift_connector reads it.

    PostgreSQL ends AuthenticationSASL's list of mechanisms with an empty name; the driver keeps that
    empty name as a mechanism and fails (scramp: "mechanism name is not supported"). Without the
    final terminator the list reads as the mechanisms alone. Other requests are returned unchanged.
    """
    if body[:4] == AUTHENTICATION_SASL and body.endswith(b"\x00\x00"):
        return body[:-1]
    return body


def _relay_authentication(server: socket.socket, client: socket.socket) -> None:
    """Relay the server's messages one by one until authentication succeeds or fails, then bytes as they come."""
    try:
        while True:
            kind = _read_exactly(server, 1)
            (length,) = struct.unpack("!i", _read_exactly(server, 4))
            body = _read_exactly(server, length - 4)
            if kind == b"R":
                body = driver_readable_auth(body)
            client.sendall(kind + struct.pack("!i", len(body) + 4) + body)
            if kind != b"R" or body[:4] == AUTHENTICATION_OK:
                break
    except OSError:  # also ConnectionError from _read_exactly: either side went away
        for sock in (server, client):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return
    _relay(server, client)


def _relay(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class RedshiftProtocolAdapter:
    """Listens on 127.0.0.1 and forwards each connection to a PostgreSQL Unix socket."""

    def __init__(self, unix_socket: Path, port: int = 0, *, owner_only: bool = True) -> None:
        self.unix_socket = unix_socket
        self.owner_only = owner_only  # False only in tests that show what the password alone refuses
        self._listener = socket.create_server((LOOPBACK, port))
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="pg-adapter", daemon=True)
        self._thread.start()

    @property
    def host(self) -> str:
        return LOOPBACK

    def close(self) -> None:
        """Stop accepting connections; established sessions end with their sockets."""
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            # Replies are small messages relayed as they come: without this, Nagle's algorithm and the
            # client's delayed acknowledgements hold each one back (measured 86 ms a query; 1.3 ms with it).
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def admits(self, client: socket.socket) -> bool:
        """Whether the process at the other end of `client` runs as our uid (Linux; elsewhere, yes).

        Loopback TCP tells nothing about who connects; on Linux the kernel lists each socket's owner in
        /proc/net/tcp, and the client's socket is the row whose local end is our peer and whose remote
        end is us. Other systems have no such table: there the server's password is the only guard.
        """
        if not self.owner_only or not PROC_NET_TCP.exists():
            return True
        table = PROC_NET_TCP.read_text()
        return tcp_peer_uid(table, client.getpeername(), client.getsockname()) == os.geteuid()

    def _handle(self, client: socket.socket) -> None:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            if not self.admits(client):
                raise ConnectionRefusedError("the client runs as another user")
            startup = _read_startup(client)
            server.connect(str(self.unix_socket))
            server.sendall(startup)
        except (OSError, StartupError):
            client.close()
            server.close()
            return
        threading.Thread(target=_relay_authentication, args=(server, client), daemon=True).start()
        _relay(client, server)
