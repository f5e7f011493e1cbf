"""A TCP relay on 127.0.0.1 between a client and a server, for the mail fault tests: it passes bytes both ways
(TLS goes through untouched) and, when told, cuts a connection after the server has sent N bytes on it
(``cut_after``) or stops passing the server's bytes there while keeping the connection open (``stall_after``).

The counts are per connection; changing them affects connections made afterwards.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

HOST = "127.0.0.1"


class Relay:
    """Listens on ``(listen, port)`` (another loopback address than the server's: a name its certificate does
    not have); each connection goes to ``(HOST, target)``."""

    def __init__(self, target: int, listen: str = HOST) -> None:
        self.target = target
        self.cut_after: int | None = None
        self.stall_after: int | None = None
        #: Bytes the server sent, per connection, as far as the relay passed them.
        self.passed: list[int] = []
        self._listener = socket.create_server((listen, 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection((HOST, self.target))
            self._sockets += [client, server]
            index = len(self.passed)
            self.passed.append(0)
            limits = (self.cut_after, self.stall_after)
            threading.Thread(target=self._pump, args=(client, server, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, (index, *limits)), daemon=True).start()

    def _pump(
        self, source: socket.socket, sink: socket.socket, counted: tuple[int, int | None, int | None] | None
    ) -> None:
        """Copy ``source`` to ``sink``; for the server's side (``counted``: connection, cut, stall), up to the
        limits."""
        try:
            while data := source.recv(65536):
                if counted is not None:
                    index, cut, stall = counted
                    limit = cut if cut is not None else stall
                    if limit is not None and self.passed[index] + len(data) >= limit:
                        sink.sendall(data[: limit - self.passed[index]])
                        self.passed[index] = limit
                        if cut is not None:
                            break
                        self._closed.wait()  # stalled: hold the connection open, pass nothing more
                        break
                    self.passed[index] += len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with suppress(OSError):
                    s.close()

    def close(self) -> None:
        self._closed.set()
        with suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        with suppress(OSError):
            self._listener.close()
        for s in self._sockets:
            with suppress(OSError):
                s.close()


@contextmanager
def relay(target: int, listen: str = HOST) -> Iterator[Relay]:
    r = Relay(target, listen)
    try:
        yield r
    finally:
        r.close()
