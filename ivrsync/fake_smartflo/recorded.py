"""What the fake records of each API request, and which route a request takes.

Routes: "login" (`POST /v1/auth/login`), "list" (`GET /v1/ivrs`), "put" (`PUT /v1/ivr/{id}`),
"create" (`POST /v1/ivr`), "method" (a known path, another method: 405) and "unknown" (404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ivrsync.fake_smartflo.faults import FaultKind

IVR_PATH = re.compile(r"^/v1/ivr/(?P<id>[^/]+)$")
CREATE_PATH = "/v1/ivr"
#: The routes faults apply to. Login is left out: its failures are its own (lockout, password).
FAULTED_ROUTES = frozenset({"list", "put", "create"})


@dataclass(frozen=True)
class RecordedRequest:
    """One API request as the fake saw it, recorded before its answer is sent.

    `body` is the parsed JSON body (None when absent or not JSON), with a login's password
    masked; the Authorization header is never recorded. `status` is None when no answer was sent
    (a `drop` or `drop_after_apply` fault, or a `timeout` fault that never answers). `concurrent`
    counts the API requests in flight when this one started, itself included. `rate_limited` is
    True for a 429 of the rate limit (not of a fault). `created_id` is the id a `POST /v1/ivr`
    created (also under `drop_after_apply`), else None.
    """

    method: str
    path: str
    body: Any
    status: int | None
    fault: FaultKind | None
    concurrent: int
    rate_limited: bool = False
    created_id: int | None = None

    @property
    def ivr_id(self) -> int | None:
        """The IVR a `PUT /v1/ivr/{id}` targets, else None."""
        return path_ivr_id(self.path)


def route_of(method: str, path: str) -> str:
    """The route of a request (see the module docstring)."""
    if path == "/v1/auth/login":
        return "login" if method == "POST" else "method"
    if path == "/v1/ivrs":
        return "list" if method == "GET" else "method"
    if path == CREATE_PATH:
        return "create" if method == "POST" else "method"
    if IVR_PATH.match(path):
        return "put" if method == "PUT" else "method"
    return "unknown"


def path_ivr_id(path: str) -> int | None:
    """The id in `/v1/ivr/{id}` when it is a number, else None."""
    match = IVR_PATH.match(path)
    if match and match["id"].isascii() and match["id"].isdecimal():
        return int(match["id"])
    return None


def mask_password(body: Any) -> Any:
    """A login body with its password masked, for the recording."""
    if isinstance(body, dict) and "password" in body:
        return {**body, "password": "***"}
    return body
