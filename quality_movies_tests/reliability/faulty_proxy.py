"""A TCP proxy on 127.0.0.1 that injects network faults between the driver and the warehouse."""

import contextlib
import socket
import threading


class FaultyProxy:
    """Forwards to `target_port`; can refuse connections (`down`) or cut one after `cut_after` bytes."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.down = False
        self.refusals_left = 0  # refuse this many connections, then forward again
        self.cut_after: int | None = None  # client bytes forwarded before the connection is cut
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            if self.down or self.refusals_left > 0:
                self.refusals_left = max(0, self.refusals_left - 1)
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(server, client, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(client, server, self.cut_after), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while chunk := source.recv(65536):
                if limit is not None and sent + len(chunk) > limit:
                    break  # the network fails mid-statement
                sink.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):  # the other direction may have closed it already
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
