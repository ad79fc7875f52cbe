"""A fake of the GitHub REST endpoints the action uses, served on 127.0.0.1 over real HTTP.

Issue comments of one repository: list (with `Link` pagination, paged by `per_page_cap` whatever
the client asks), create, update; the token is checked on every request, and a comment by
someone else cannot be edited (403), as on GitHub.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "ghs_test-token-not-real-0123456789"
REPO = "acme/ivrs"
BOT = "github-actions[bot]"


@dataclass
class FakeGitHub:
    """In-memory issue comments of one repository, served over HTTP like api.github.com."""

    per_page_cap: int = 100
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1000
    url: str = ""

    def add(self, number: int, body: str, author: str) -> int:
        self.next_id += 1
        item = {"id": self.next_id, "body": body, "user": {"login": author}}
        self.comments.setdefault(number, []).append(item)
        return self.next_id

    def bodies(self, number: int) -> list[tuple[str, str]]:
        return [(c["user"]["login"], c["body"]) for c in self.comments.get(number, [])]

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] != "GET"]


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    list_path = re.compile(rf"/repos/{re.escape(REPO)}/issues/(\d+)/comments")
    edit_path = re.compile(rf"/repos/{re.escape(REPO)}/issues/comments/(\d+)")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self) -> bool:
            fake.requests.append((self.command, self.path))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._reply(401, {"message": "Bad credentials"})
                return False
            return True

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length", "0"))
            payload: dict[str, Any] = json.loads(self.rfile.read(length))
            return payload

        def do_GET(self) -> None:
            if not self._authorized():
                return
            parts = urllib.parse.urlsplit(self.path)
            match = list_path.fullmatch(parts.path)
            if match is None:
                self._reply(404, {"message": "Not Found"})
                return
            number = int(match.group(1))
            query = urllib.parse.parse_qs(parts.query)
            per_page = min(int(query.get("per_page", ["30"])[0]), fake.per_page_cap)
            page = int(query.get("page", ["1"])[0])
            items = fake.comments.get(number, [])
            chunk = items[(page - 1) * per_page : page * per_page]
            headers = {}
            last = max(1, -(-len(items) // per_page))
            if page < last:
                base = f"{fake.url}{parts.path}?per_page={per_page}"
                headers["Link"] = (
                    f'<{base}&page={page + 1}>; rel="next", <{base}&page={last}>; rel="last"'
                )
            self._reply(200, chunk, headers)

        def do_POST(self) -> None:
            if not self._authorized():
                return
            match = list_path.fullmatch(self.path)
            if match is None:
                self._reply(404, {"message": "Not Found"})
                return
            number = int(match.group(1))
            comment_id = fake.add(number, self._body()["body"], BOT)
            self._reply(201, fake.comments[number][-1] | {"id": comment_id})

        def do_PATCH(self) -> None:
            if not self._authorized():
                return
            match = edit_path.fullmatch(self.path)
            comment_id = int(match.group(1)) if match else -1
            for items in fake.comments.values():
                for item in items:
                    if item["id"] == comment_id:
                        if item["user"]["login"] != BOT:
                            self._reply(403, {"message": "not yours"})
                            return
                        item["body"] = self._body()["body"]
                        self._reply(200, item)
                        return
            self._reply(404, {"message": "Not Found"})

    return Handler


@contextmanager
def serve_fake_github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
