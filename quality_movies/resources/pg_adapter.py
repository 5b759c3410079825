"""A loopback proxy that lets `redshift_connector` talk to plain PostgreSQL.

Redshift's driver opens every session with start-up parameters that only Redshift
knows (`client_protocol_version`, `driver_version`, ...); PostgreSQL refuses them
with `FATAL: unrecognized configuration parameter`. The proxy rewrites the start-up
packet without those keys, declines SSL and GSS encryption (the hop is loopback to a
Unix socket), and then relays bytes untouched, so the warehouse is reached through
the very driver and SQL that production uses.
"""

from __future__ import annotations

import contextlib
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

    def __init__(self, unix_socket: Path, port: int = 0) -> None:
        self.unix_socket = unix_socket
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

    def _handle(self, client: socket.socket) -> None:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            startup = _read_startup(client)
            server.connect(str(self.unix_socket))
            server.sendall(startup)
        except (OSError, StartupError):
            client.close()
            server.close()
            return
        threading.Thread(target=_relay, args=(server, client), daemon=True).start()
        _relay(client, server)
