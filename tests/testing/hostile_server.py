"""A small hostile Smartflo on 127.0.0.1: canned answers, byte for byte, that the fake refuses.

The fake server validates what it is seeded with (an id must be an integer, a name text), so the
answers a hostile or broken server could send (ids that are strings, floats or booleans, JSON the
fake would never write) come from here instead, and so does a slow one (`head_drip`: the status
line and headers a byte at a time). Every request is recorded (method and path).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "tok-hostile-server-8d2c41"

#: The longest a dripping answer goes on when the client never hangs up (a client that is held).
DRIP_LIMIT = 20.0


@dataclass
class Canned:
    """What the server answers: `list_body` to GET /v1/ivrs, `put_status`/`put_body` to PUTs.

    `head_drip`: seconds between the bytes of every answer's status line and headers (about 250
    of them); None sends each answer at once.
    """

    list_body: bytes = b'{"ivrs": []}'
    put_status: int = 200
    put_body: bytes = b'{"success": true, "message": "IVR updated"}'
    head_drip: float | None = None
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""

    def puts(self) -> list[str]:
        return [path for method, path in self.requests if method == "PUT"]


def list_answer(*items: Any) -> bytes:
    """The GET /v1/ivrs answer holding `items`, as JSON bytes (ensure_ascii keeps surrogates)."""
    return json.dumps({"ivrs": list(items)}).encode("ascii")


@contextlib.contextmanager
def hostile_server(canned: Canned) -> Iterator[Canned]:
    """Serve `canned` on a free loopback port until the block ends; `canned.url` is set."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: bytes) -> None:
            if canned.head_drip is not None:
                self._drip(status, body, canned.head_drip)
                return
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _drip(self, status: int, body: bytes, every: float) -> None:
            head = (
                f"HTTP/1.0 {status} Slow\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nX-Padding: {'.' * 160}\r\n\r\n"
            ).encode("ascii")
            end = time.monotonic() + DRIP_LIMIT
            with contextlib.suppress(OSError):  # the client hung up: what a bounded one does
                for byte in head:
                    if time.monotonic() > end:
                        return
                    self.wfile.write(bytes([byte]))
                    time.sleep(every)
                self.wfile.write(body)

        def do_GET(self) -> None:
            canned.requests.append(("GET", self.path))
            if self.path.split("?")[0] == "/v1/ivrs":
                self._answer(200, canned.list_body)
            else:
                self._answer(404, b'{"success": false, "message": "not found"}')

        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            canned.requests.append(("PUT", self.path))
            self._answer(canned.put_status, canned.put_body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll: shutdown() waits for it, and tests start many servers.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    canned.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield canned
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
