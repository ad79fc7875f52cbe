"""HTTP/1.1 for the fake: a threading server that joins what it starts, and the request handler.

Real sockets, keep-alive, one thread per connection: a client with 8 connections gets 8 requests
served at once, so latency and concurrency behave as against the real API. What to answer is the
`Backend`'s business (`FakeSmartflo`); this module only moves bytes.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

from ivrsync.fake_smartflo.answers import DROP, Answer, Outcome, failure


class Backend(Protocol):
    """What the handler calls, from its own thread, once per request."""

    verbose: bool

    def handle_api(
        self, method: str, path: str, authorization: str | None, raw: bytes | None
    ) -> Outcome: ...

    def handle_control(self, method: str, path: str, query: str, raw: bytes | None) -> Answer: ...


class Server(ThreadingHTTPServer):
    """A threading server that can close every connection and join every thread on close.

    Handler threads are daemons (a stuck client must not keep a process alive), but unlike
    socketserver's default they are still tracked and joined, so tests leak no thread or socket.
    """

    daemon_threads = True
    allow_reuse_address = True
    backend: Backend

    def __init__(self, address: tuple[str, int], backend: Backend) -> None:
        # Set before binding: a failed bind calls server_close(), which reads them.
        self._connections: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()
        self._tracking = threading.Lock()
        self.backend = backend
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._run_handler, args=(request, client_address), daemon=True
        )
        with self._tracking:
            self._handler_threads.add(thread)
            self._connections.add(request)
        thread.start()

    def _run_handler(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._tracking:
                self._connections.discard(request)
                self._handler_threads.discard(threading.current_thread())

    def server_close(self) -> None:
        super().server_close()
        with self._tracking:
            connections = list(self._connections)
            threads = list(self._handler_threads)
        for connection in connections:
            # Wakes a handler blocked reading the next request of a keep-alive connection.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-request (as clients with timeouts do) is not an error.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection serves many requests
    # Headers and body go out in two writes; with Nagle's algorithm and the client's delayed
    # ACKs, every answer would wait ~40 ms, swamping the configured latency in benchmarks.
    disable_nagle_algorithm = True
    server: Server
    server_version = "FakeSmartflo/1"

    def do_GET(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        backend = self.server.backend
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._send(failure(411, "Send a Content-Length."))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            self._send(failure(400, "Bad Content-Length."))
            return
        raw = self.rfile.read(length) if length > 0 else None
        url = urlsplit(self.path)
        try:
            if url.path.startswith("/_fake/"):
                outcome: Outcome = backend.handle_control(self.command, url.path, url.query, raw)
            else:
                outcome = backend.handle_api(
                    self.command, url.path, self.headers.get("Authorization"), raw
                )
        except Exception as exc:  # a bug in the fake: answer, so the client sees it
            outcome = failure(500, f"fake Smartflo bug: {type(exc).__name__}: {exc}")
            self.log_error("%s", outcome.payload.decode())
        if outcome == DROP:
            self.close_connection = True
            return
        assert isinstance(outcome, Answer)
        self._send(outcome)

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.payload)))
        for name, value in answer.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(answer.payload)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.backend.verbose:
            super().log_message(format, *args)
