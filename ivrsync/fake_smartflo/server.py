"""A strict fake of the Smartflo IVR API on 127.0.0.1, for tests and rehearsals.

The account lives in memory, in the documented read shape (`store.Account`); PUT and POST bodies
are checked strictly (`checks.put_body_problem`) and stored through
`ivrsync.smartflo.readshape.read_shape_from_body`, adapted to the server's `dialect.Dialect` (one
hypothesis about the real API per setting) by `shapes`. HTTP is `transport`'s business, the
answers' wording `answers`', the `/_fake/` control endpoints `control`'s, portal edits `edits`'.

Endpoints: `POST /v1/auth/login`, `GET /v1/ivrs`, `PUT /v1/ivr/{id}`, `POST /v1/ivr` (create: the
new id is max(seed ids) + 1, then counting up, and is not in the answer, as documented).

The fake never prints: it logs requests to stderr only when `verbose` is set.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from ivrsync.errors import UsageError
from ivrsync.fake_smartflo.answers import (
    DROP,
    Answer,
    Outcome,
    failure,
    fault_answer,
    json_answer,
    too_many,
)
from ivrsync.fake_smartflo.control import handle_control, parse_json
from ivrsync.fake_smartflo.dialect import AuthScheme, Dialect, RecordingNames, Separator
from ivrsync.fake_smartflo.edits import EditShape
from ivrsync.fake_smartflo.faults import FaultConfig, FaultKind, FaultPicker
from ivrsync.fake_smartflo.ratelimit import TokenBucket, retry_after
from ivrsync.fake_smartflo.recorded import (
    CREATE_PATH,
    FAULTED_ROUTES,
    RecordedRequest,
    mask_password,
    path_ivr_id,
    route_of,
)
from ivrsync.fake_smartflo.store import Account
from ivrsync.fake_smartflo.transport import Server

HOST = "127.0.0.1"


class FakeSmartflo:
    """A fake Smartflo account served over HTTP on 127.0.0.1.

    A context manager: `__enter__` binds and starts serving (port 0 picks a free port),
    `__exit__` stops it, closes the listening socket and every open connection, and joins every
    thread. Seed IVRs are given in the read shape of `GET /v1/ivrs`; only their `id` is checked.
    `token` is accepted as `Authorization: Bearer <token>` (or as the `auth` dialect says), as is
    any token a login issued; `users` maps emails to passwords for `POST /v1/auth/login`.

    `separator`, `separator_strict`, `auth`, `recordings`, `webhooks_cleared_by_put` and
    `rate_limit` choose the `Dialect` (see `ivrsync.fake_smartflo.dialect`); their defaults are
    the fake's behaviour before dialects existed. UsageError for a value not listed there.
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
        separator: Separator = "|",
        separator_strict: bool = True,
        auth: AuthScheme = "bearer",
        recordings: RecordingNames = "swapped",
        webhooks_cleared_by_put: bool = False,
        rate_limit: float | None = None,
    ) -> None:
        dialect = Dialect(
            separator=separator,
            separator_strict=separator_strict,
            auth=auth,
            recordings=recordings,
            webhooks_cleared_by_put=webhooks_cleared_by_put,
            rate_limit=rate_limit,
        )
        self._account = Account(ivrs=ivrs, token=token, users=users, dialect=dialect)
        self._bucket = TokenBucket(rate_limit) if rate_limit is not None else None
        self.latency = latency
        self.verbose = verbose
        self._picker = FaultPicker(faults or FaultConfig())
        self._requested_port = port
        self._requests: list[RecordedRequest] = []
        # PUTs kept apart too: tests poll puts() while an apply runs, so it must stay cheap.
        self._puts: list[RecordedRequest] = []
        self._posts: list[RecordedRequest] = []
        self._rate_limited = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Bind and serve in a background thread. Raises UsageError when the port is taken."""
        if self._server is not None:
            raise RuntimeError("the fake Smartflo server is already running")
        try:
            server = Server((HOST, self._requested_port), self)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {HOST}:{self._requested_port}: {exc.strerror or exc}",
                hint="choose another --port, or --port 0 for any free port",
            ) from exc
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

    def posts(self) -> list[RecordedRequest]:
        """The `POST /v1/ivr` (create) requests so far, accepted or not."""
        with self._lock:
            return list(self._posts)

    @property
    def rate_limited_count(self) -> int:
        """How many 429s the rate limit has sent (429 faults not included)."""
        with self._lock:
            return self._rate_limited

    def reset_requests(self) -> None:
        """Forget the recorded requests and the rate-limited count (not the IVRs or tokens)."""
        with self._lock:
            self._requests.clear()
            self._puts.clear()
            self._posts.clear()
            self._rate_limited = 0

    @property
    def dialect(self) -> Dialect:
        """The hypotheses about the real API this fake behaves by."""
        return self._account.dialect

    def live_ivrs(self) -> list[dict[str, Any]]:
        """The account's IVRs in the read shape of `GET /v1/ivrs`, sorted by id (copies)."""
        return self._account.live_ivrs()

    def edit_ivr(self, ivr_id: int, shape: EditShape = "auto", **fields: Any) -> None:
        """Change fields of an IVR, as a person editing it in the portal would.

        `fields` are read-shape or PUT-body names (`shape` "read", "body", or "auto" to tell them
        apart; the accepted names are in `ivrsync.fake_smartflo.edits`). Raises KeyError for an
        unknown id and ValueError (`edits.EditError`) for an unknown field, an attempt to change
        the id, or a PUT-body edit whose result a PUT would refuse.
        """
        self._account.edit(ivr_id, fields, shape)

    def set_faults(self, faults: FaultConfig | None) -> None:
        """Replace the fault config; scripted faults start over with their full counts."""
        picker = FaultPicker(faults or FaultConfig())
        with self._lock:
            self._picker = picker

    @property
    def faults(self) -> FaultConfig:
        with self._lock:
            return self._picker.config

    # -- request handling (called from handler threads; see transport.Backend) -------------

    def handle_control(self, method: str, path: str, query: str, raw: bytes | None) -> Answer:
        """One `/_fake/` request (see `control`)."""
        return handle_control(self, method, path, query, raw)

    def handle_api(
        self, method: str, path: str, authorization: str | None, raw: bytes | None
    ) -> Outcome:
        """Answer one API request: the rate limit (decided on arrival), latency, then a fault if
        one is due, then the real thing."""
        concurrent = self._begin()
        try:
            wait = self._bucket.take() if self._bucket is not None else None
            body, is_json = parse_json(raw)
            fault: FaultKind | None = None
            created: int | None = None
            if self.latency:
                self._stopping.wait(self.latency)
            route = route_of(method, path)
            outcome: Outcome | None
            if wait is not None:
                outcome = too_many(retry_after(wait))
            else:
                config = self.faults
                if route in FAULTED_ROUTES:
                    fault, config = self._pick_fault(method, path_ivr_id(path))
                outcome = self._fault_outcome(fault, config) if fault else None
                if outcome is None:
                    outcome, created = self._serve(
                        route, method, path, authorization, body, is_json
                    )
                    if fault == "drop_after_apply":
                        outcome = DROP
            recorded_body = mask_password(body) if route == "login" else body
            status = outcome.status if isinstance(outcome, Answer) else None
            self._record(
                RecordedRequest(
                    method,
                    path,
                    recorded_body,
                    status,
                    fault,
                    concurrent,
                    rate_limited=wait is not None,
                    created_id=created,
                )
            )
            return outcome
        finally:
            self._end()

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
            elif request.method == "POST" and request.path == CREATE_PATH:
                self._posts.append(request)
            if request.rate_limited:
                self._rate_limited += 1

    def _pick_fault(self, method: str, ivr_id: int | None) -> tuple[FaultKind | None, FaultConfig]:
        """The fault for a request, with the config that chose it (set_faults may race)."""
        with self._lock:
            picker = self._picker
        return picker.pick(method, ivr_id), picker.config

    def _fault_outcome(self, fault: FaultKind, config: FaultConfig) -> Outcome | None:
        """The answer a fault gives, or None when the request then proceeds normally."""
        if fault == "timeout":
            self._stopping.wait(config.timeout_delay)
            return None if config.timeout_answers else DROP
        if fault == "drop":
            return DROP
        if fault == "drop_after_apply":
            return None  # served, then dropped by handle_api
        return fault_answer(fault, config)

    def _serve(
        self,
        route: str,
        method: str,
        path: str,
        authorization: str | None,
        body: Any,
        is_json: bool,
    ) -> tuple[Answer, int | None]:
        """The answer, and the id of the IVR a create made (else None)."""
        if route == "login":
            return self._account.login(body, is_json), None
        if route == "unknown":
            return failure(404, "Not found."), None
        if route == "method":
            return failure(405, f"The {method} method is not supported for this route."), None
        problem = self._account.auth_problem(authorization)
        if problem:
            return failure(401, problem), None
        if route == "list":
            return json_answer(200, {"ivrs": self.live_ivrs()}), None
        if route == "create":
            return self._account.create(body, is_json)
        return self._account.put(path_ivr_id(path), body, is_json), None
