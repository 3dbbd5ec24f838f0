"""A TCP proxy in front of PostgreSQL that a test can cut and restore, to play a database outage."""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class DatabaseProxy:
    """Forwards 127.0.0.1:<port> to the real server; `cut()` drops every connection and refuses new ones."""

    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5432) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._up = True
        self._closed = False
        threading.Thread(target=self._accept, name="db-proxy", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                up = self._up
            if not up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=3)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass  # a cut or a closed peer ends the pipe; both sockets are closed below
        finally:
            for sock in (src, dst):
                try:
                    sock.close()
                except OSError:  # already closed by the other direction
                    continue

    def cut(self) -> None:
        with self._lock:
            self._up = False
            doomed, self._open = self._open, []
        for sock in doomed:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:  # already gone
                continue

    def restore(self) -> None:
        with self._lock:
            self._up = True

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()

    def __enter__(self) -> DatabaseProxy:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()
