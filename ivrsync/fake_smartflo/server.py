"""A strict fake of the Smartflo IVR API on 127.0.0.1, for tests and rehearsals.

Real sockets, real HTTP/1.1 keep-alive, one thread per connection: a client with 8 connections
gets 8 requests served at once, so latency and concurrency behave as against the real API. The
account lives in memory, in the documented read shape; PUT bodies are checked strictly
(`checks.put_body_problem`) and stored through `ivrsync.smartflo.readshape.read_shape_from_body`.

The fake never prints: it logs requests to stderr only when `verbose` is set.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import secrets
import socket
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlsplit

from ivrsync.errors import ApiError, UsageError
from ivrsync.fake_smartflo.checks import put_body_problem
from ivrsync.fake_smartflo.faults import FaultConfig, FaultKind, FaultPicker
from ivrsync.smartflo.readshape import read_shape_from_body

HOST = "127.0.0.1"

#: After this many failed logins for one email, login answers 429 (the docs: repeated logins
#: lock the account).
LOGIN_LOCKOUT = 5

_IVR_PATH = re.compile(r"^/v1/ivr/(?P<id>[^/]+)$")
_CONTROL_IVR_PATH = re.compile(r"^/_fake/ivrs/(?P<id>[^/]+)$")

#: Bodies of the `success_false*` faults and of the genuine errors, as Smartflo words them
#: (Laravel's default messages where Smartflo's are not documented).
_MESSAGES = {
    400: "The given data was invalid.",
    401: "Unauthenticated.",
    403: "API access is not enabled for this account. Please contact Tata Tele Business.",
    404: "IVR not found.",
    429: "Too Many Attempts.",
    500: "Server Error",
}
_GATEWAY_PAGES = {
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


@dataclass(frozen=True)
class RecordedRequest:
    """One API request as the fake saw it, recorded before its answer is sent.

    `body` is the parsed JSON body (None when absent or not JSON), with a login's password
    masked; the Authorization header is never recorded. `status` is None when no answer was sent
    (a `drop` fault, or a `timeout` fault that never answers). `concurrent` counts the API requests
    in flight when this one started, itself included.
    """

    method: str
    path: str
    body: Any
    status: int | None
    fault: FaultKind | None
    concurrent: int

    @property
    def ivr_id(self) -> int | None:
        """The IVR a `PUT /v1/ivr/{id}` targets, else None."""
        match = _IVR_PATH.match(self.path)
        return int(match["id"]) if match and match["id"].isdecimal() else None


@dataclass(frozen=True)
class _Answer:
    status: int
    payload: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


_DROP: Literal["drop"] = "drop"
_Outcome = _Answer | Literal["drop"]


def _json_answer(status: int, data: Any, headers: tuple[tuple[str, str], ...] = ()) -> _Answer:
    return _Answer(status, json.dumps(data).encode("utf-8"), headers=headers)


def _failure(status: int, message: str | None = None) -> _Answer:
    return _json_answer(status, {"success": False, "message": message or _MESSAGES[status]})


@dataclass
class _Account:
    """The in-memory account; every access holds `lock`."""

    ivrs: dict[int, dict[str, Any]]
    tokens: set[str]
    users: dict[str, str]
    failed_logins: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeSmartflo:
    """A fake Smartflo account served over HTTP on 127.0.0.1.

    A context manager: `__enter__` binds and starts serving (port 0 picks a free port),
    `__exit__` stops it, closes the listening socket and every open connection, and joins every
    thread. Seed IVRs are given in the read shape of `GET /v1/ivrs`; only their `id` is checked.
    `token` is accepted as `Authorization: Bearer <token>`, as is any token a login issued;
    `users` maps emails to passwords for `POST /v1/auth/login`.
    """

    def __init__(
        self,
        *,
        ivrs: Sequence[Mapping[str, Any]] = (),
        token: str = "test-token",  # noqa: S107 (a fake account's token, not a secret)
        users: Mapping[str, str] | None = None,
        latency: float = 0.0,
        faults: FaultConfig | None = None,
        port: int = 0,
        verbose: bool = False,
    ) -> None:
        seeded: dict[int, dict[str, Any]] = {}
        for item in ivrs:
            ivr_id = _seed_id(item)
            if ivr_id in seeded:
                raise UsageError(f"the seed lists IVR {ivr_id} twice")
            seeded[ivr_id] = copy.deepcopy(dict(item))
        self._account = _Account(ivrs=seeded, tokens={token}, users=dict(users or {}))
        self.latency = latency
        self.verbose = verbose
        self._picker = FaultPicker(faults or FaultConfig())
        self._requested_port = port
        self._requests: list[RecordedRequest] = []
        # PUTs kept apart too: tests poll puts() while an apply runs, so it must stay cheap.
        self._puts: list[RecordedRequest] = []
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Bind and serve in a background thread. Raises UsageError when the port is taken."""
        if self._server is not None:
            raise RuntimeError("the fake Smartflo server is already running")
        try:
            server = _Server((HOST, self._requested_port), _Handler)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {HOST}:{self._requested_port}: {exc.strerror or exc}",
                hint="choose another --port, or --port 0 for any free port",
            ) from exc
        server.fake = self
        self._stopping.clear()
        self._server = server
        # A short poll interval makes stop() quick: shutdown() waits for the loop to notice.
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="fake-smartflo", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release every socket and thread. Idempotent."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()  # wakes handlers sleeping on latency or a timeout fault
        server.shutdown()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeSmartflo:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake Smartflo server is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`, once started."""
        return f"http://{HOST}:{self.port}"

    # -- inspection and control (the same as the /_fake/ endpoints) ------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every API request so far, in the order their answers were decided (a copy)."""
        with self._lock:
            return list(self._requests)

    def puts(self) -> list[RecordedRequest]:
        """The `PUT /v1/ivr/{id}` requests so far, accepted or not."""
        with self._lock:
            return list(self._puts)

    def reset_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self._puts.clear()

    def live_ivrs(self) -> list[dict[str, Any]]:
        """The account's IVRs in the read shape of `GET /v1/ivrs`, sorted by id (copies)."""
        with self._account.lock:
            return [copy.deepcopy(self._account.ivrs[i]) for i in sorted(self._account.ivrs)]

    def edit_ivr(self, ivr_id: int, **read_shape_fields: Any) -> None:
        """Change read-shape fields of an IVR, as a person editing it in the portal would.

        Raises KeyError for an unknown id and ValueError for an attempt to change the id.
        """
        if "id" in read_shape_fields:
            raise ValueError("an IVR's id cannot be edited")
        with self._account.lock:
            if ivr_id not in self._account.ivrs:
                raise KeyError(f"no IVR {ivr_id} in the fake account")
            self._account.ivrs[ivr_id].update(copy.deepcopy(read_shape_fields))

    def set_faults(self, faults: FaultConfig | None) -> None:
        """Replace the fault config; scripted faults start over with their full counts."""
        picker = FaultPicker(faults or FaultConfig())
        with self._lock:
            self._picker = picker

    @property
    def faults(self) -> FaultConfig:
        with self._lock:
            return self._picker.config

    # -- request handling (called from handler threads) ------------------------------------

    def _begin(self) -> int:
        with self._lock:
            self._in_flight += 1
            return self._in_flight

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            if request.method == "PUT" and request.ivr_id is not None:
                self._puts.append(request)

    def _pick_fault(self, method: str, ivr_id: int | None) -> tuple[FaultKind | None, FaultConfig]:
        """The fault for a request, with the config that chose it (set_faults may race)."""
        with self._lock:
            picker = self._picker
        return picker.pick(method, ivr_id), picker.config

    def _handle_api(
        self, method: str, path: str, authorization: str | None, raw: bytes | None
    ) -> _Outcome:
        """Answer one API request: latency, then a fault if one is due, then the real thing."""
        concurrent = self._begin()
        try:
            body, is_json = _parse_json(raw)
            fault: FaultKind | None = None
            config = self.faults
            if self.latency:
                self._stopping.wait(self.latency)
            route = _route(method, path)
            if route in ("list", "put"):
                fault, config = self._pick_fault(method, _path_ivr_id(path))
            outcome = self._fault_outcome(fault, config) if fault else None
            if outcome is None:
                outcome = self._serve(route, method, path, authorization, body, is_json)
            recorded_body = _mask_password(body) if route == "login" else body
            status = outcome.status if isinstance(outcome, _Answer) else None
            self._record(RecordedRequest(method, path, recorded_body, status, fault, concurrent))
            return outcome
        finally:
            self._end()

    def _fault_outcome(self, fault: FaultKind, config: FaultConfig) -> _Outcome | None:
        """The answer a fault gives, or None when the request then proceeds normally."""
        if fault == "timeout":
            self._stopping.wait(config.timeout_delay)
            return None if config.timeout_answers else _DROP
        if fault == "drop":
            return _DROP
        if fault == "429":
            return _json_answer(
                429,
                {"success": False, "message": _MESSAGES[429]},
                headers=(("Retry-After", str(config.retry_after)),),
            )
        if fault == "500":
            return _failure(500)
        if fault in ("502", "503", "504"):
            status = int(fault)
            title = f"{status} {_GATEWAY_PAGES[status]}"
            page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
            return _Answer(status, page.encode("utf-8"), content_type="text/html")
        if fault == "success_false":
            return _failure(200, "The IVR could not be updated.")
        status = int(fault.rsplit("_", 1)[1])  # success_false_<status>
        return _failure(status)

    def _serve(
        self,
        route: str,
        method: str,
        path: str,
        authorization: str | None,
        body: Any,
        is_json: bool,
    ) -> _Answer:
        if route == "login":
            return self._login(body, is_json)
        if route == "unknown":
            return _failure(404, "Not found.")
        if route == "method":
            return _failure(405, f"The {method} method is not supported for this route.")
        if not self._authorized(authorization):
            return _failure(401)
        if route == "list":
            return _json_answer(200, {"ivrs": self.live_ivrs()})
        return self._put(path, body, is_json)

    def _authorized(self, authorization: str | None) -> bool:
        scheme, _, token = (authorization or "").partition(" ")
        with self._account.lock:
            return scheme == "Bearer" and token in self._account.tokens

    def _login(self, body: Any, is_json: bool) -> _Answer:
        if not is_json or not isinstance(body, dict):
            return _failure(400, "The request body must be a JSON object.")
        email, password = body.get("email"), body.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            return _failure(400, "The email and password fields are required.")
        account = self._account
        with account.lock:
            failures = account.failed_logins.get(email, 0)
            if failures >= LOGIN_LOCKOUT:
                return _failure(429, "Too many login attempts. Please try again later.")
            expected = account.users.get(email)
            if expected is None or not secrets.compare_digest(expected, password):
                account.failed_logins[email] = failures + 1
                # No status is documented for a failed login; 200 with success false is the
                # stricter test of a client (it must read the body, not just the status).
                return _json_answer(
                    200,
                    {
                        "success": False,
                        "message": "The username or password is incorrect.",
                        "login_failed_count": failures + 1,
                    },
                )
            account.failed_logins.pop(email, None)
            token = "fake-" + secrets.token_hex(16)
            account.tokens.add(token)
        return _json_answer(
            200,
            {
                "success": True,
                "access_token": token,
                "token_type": "bearer",
                "expires_in": 3600,
                "number_of_days_left": 30,
            },
        )

    def _put(self, path: str, body: Any, is_json: bool) -> _Answer:
        ivr_id = _path_ivr_id(path)
        with self._account.lock:
            previous = self._account.ivrs.get(ivr_id) if ivr_id is not None else None
        if ivr_id is None or previous is None:
            return _failure(404)
        if not is_json:
            return _failure(400, "The request body must be JSON.")
        problem = put_body_problem(body)
        if problem:
            return _failure(400, problem)
        try:
            stored = read_shape_from_body(ivr_id, body, previous=previous)
        except ApiError as exc:  # put_body_problem accepts only what readshape can store
            return _failure(400, exc.message)
        with self._account.lock:
            self._account.ivrs[ivr_id] = stored
        return _json_answer(200, {"success": True, "message": "IVR updated successfully"})

    def _handle_control(self, method: str, path: str, raw: bytes | None) -> _Answer:
        """The /_fake/ endpoints other processes use to inspect and steer the fake."""
        body, is_json = _parse_json(raw)
        if method == "GET" and path == "/_fake/requests":
            return _json_answer(200, {"requests": [asdict(r) for r in self.requests]})
        if method == "POST" and path == "/_fake/reset-requests":
            self.reset_requests()
            return _json_answer(200, {"success": True})
        if method == "GET" and path == "/_fake/ivrs":
            return _json_answer(200, {"ivrs": self.live_ivrs()})
        if method == "GET" and path == "/_fake/faults":
            return _json_answer(200, {"faults": self.faults.to_json()})
        if method == "PUT" and path == "/_fake/faults":
            if not is_json:
                return _failure(400, "Send a fault config as JSON (or null for none).")
            try:
                faults = None if body is None else FaultConfig.from_json(body)
            except UsageError as exc:
                return _failure(400, exc.message)
            self.set_faults(faults)
            return _json_answer(200, {"success": True, "faults": self.faults.to_json()})
        match = _CONTROL_IVR_PATH.match(path)
        if method == "PATCH" and match:
            if not match["id"].isdecimal():
                return _failure(404)
            if not is_json or not isinstance(body, dict):
                return _failure(400, "Send the read-shape fields to change as a JSON object.")
            try:
                self.edit_ivr(int(match["id"]), **body)
            except KeyError:
                return _failure(404)
            except ValueError as exc:
                return _failure(400, str(exc))
            ivr = next(i for i in self.live_ivrs() if i["id"] == int(match["id"]))
            return _json_answer(200, {"success": True, "ivr": ivr})
        return _failure(404, "No such control endpoint.")


def _seed_id(item: Mapping[str, Any]) -> int:
    value = item.get("id") if isinstance(item, Mapping) else None
    if isinstance(value, str) and value.isascii() and value.isdecimal():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"every seed IVR needs an integer id, got {value!r}")
    return value


def _route(method: str, path: str) -> str:
    if path == "/v1/auth/login":
        return "login" if method == "POST" else "method"
    if path == "/v1/ivrs":
        return "list" if method == "GET" else "method"
    if _IVR_PATH.match(path):
        return "put" if method == "PUT" else "method"
    return "unknown"


def _path_ivr_id(path: str) -> int | None:
    match = _IVR_PATH.match(path)
    if match and match["id"].isascii() and match["id"].isdecimal():
        return int(match["id"])
    return None


def _parse_json(raw: bytes | None) -> tuple[Any, bool]:
    """(value, True) for a JSON body; (None, False) for none or a body that is not JSON."""
    if not raw:
        return None, False
    try:
        return json.loads(raw), True
    except ValueError:
        return None, False


def _mask_password(body: Any) -> Any:
    if isinstance(body, dict) and "password" in body:
        return {**body, "password": "***"}
    return body


class _Server(ThreadingHTTPServer):
    """A threading server that can close every connection and join every thread on close.

    Handler threads are daemons (a stuck client must not keep a process alive), but unlike
    socketserver's default they are still tracked and joined, so tests leak no thread or socket.
    """

    daemon_threads = True
    allow_reuse_address = True
    fake: FakeSmartflo

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        # Set before binding: a failed bind calls server_close(), which reads them.
        self._connections: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()
        self._tracking = threading.Lock()
        super().__init__(address, handler)

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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection serves many requests
    # Headers and body go out in two writes; with Nagle's algorithm and the client's delayed
    # ACKs, every answer would wait ~40 ms, swamping the configured latency in benchmarks.
    disable_nagle_algorithm = True
    server: _Server
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
        fake = self.server.fake
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._send(_failure(411, "Send a Content-Length."))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            self._send(_failure(400, "Bad Content-Length."))
            return
        raw = self.rfile.read(length) if length > 0 else None
        path = urlsplit(self.path).path
        try:
            if path.startswith("/_fake/"):
                outcome: _Outcome = fake._handle_control(self.command, path, raw)
            else:
                outcome = fake._handle_api(
                    self.command, path, self.headers.get("Authorization"), raw
                )
        except Exception as exc:  # a bug in the fake: answer, so the client sees it
            outcome = _failure(500, f"fake Smartflo bug: {type(exc).__name__}: {exc}")
            self.log_error("%s", outcome.payload.decode())
        if outcome == _DROP:
            self.close_connection = True
            return
        assert isinstance(outcome, _Answer)
        self._send(outcome)

    def _send(self, answer: _Answer) -> None:
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
        if self.server.fake.verbose:
            super().log_message(format, *args)
