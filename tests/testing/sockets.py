"""A scripted socket server on 127.0.0.1, for what only a real connection shows.

A read timeout alone never stops a server that drips bytes, and a capped timeout is only proved
on a real socket. Each connection's request head is read and kept, then a script answers (or
does not); every script is bounded in time, so a test that fails cannot hang the suite.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

Script = Callable[[socket.socket], None]

#: A self-signed certificate for 127.0.0.1 (valid to 2126) and its key, for tests only:
#: `openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=127.0.0.1
#: -addext subjectAltName=IP:127.0.0.1 -addext basicConstraints=critical,CA:TRUE
#: -addext keyUsage=critical,digitalSignature,keyCertSign`.
TLS_FOLDER = Path(__file__).resolve().parent.parent / "data" / "tls"
LOOPBACK_CERT = TLS_FOLDER / "loopback-cert.pem"
LOOPBACK_KEY = TLS_FOLDER / "loopback-key.pem"


@dataclass
class Served:
    url: str
    heads: list[bytes] = field(default_factory=list)  # each request's head, as it arrived


@contextlib.contextmanager
def scripted_server(script: Script, *, tls: bool = False) -> Iterator[Served]:
    """A one-thread-per-connection server running `script` after each request's head.

    `tls`: serve HTTPS with the loopback certificate (a client trusts it only when told to).
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    context: ssl.SSLContext | None = None
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(LOOPBACK_CERT, LOOPBACK_KEY)
    served = Served(f"{'https' if tls else 'http'}://127.0.0.1:{listener.getsockname()[1]}")

    def serve(conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            if context is not None:
                conn = context.wrap_socket(conn, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                more = conn.recv(65536)
                if not more:
                    return
                data += more
            served.heads.append(data.split(b"\r\n\r\n")[0])
            script(conn)
        except OSError:
            pass  # a handshake the client refused, or a client that hung up (a bounded one does)
        finally:
            conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def drip_head(seconds: float = 8, every: float = 0.2) -> Script:
    """The status line and headers one byte every `every` s; gives up after `seconds`."""
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
        b"X-Padding: " + b"." * 200 + b"\r\n\r\n{}"
    )

    def script(conn: socket.socket) -> None:
        end = time.monotonic() + seconds
        for byte in head:
            if time.monotonic() >= end:
                return
            conn.sendall(bytes([byte]))
            time.sleep(every)

    return script


def answer_ok(conn: socket.socket) -> None:
    body = b'{"success": true, "message": "ok", "ivrs": []}'
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
    conn.sendall(head.encode() + b"\r\nConnection: close\r\n\r\n" + body)
