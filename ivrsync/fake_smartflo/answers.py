"""The fake's answers: JSON and HTML bodies as Smartflo words them, and what each fault answers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from ivrsync.fake_smartflo.faults import FaultConfig, FaultKind

#: Bodies of the `success_false*` faults and of the genuine errors, as Smartflo words them
#: (Laravel's default messages where Smartflo's are not documented).
MESSAGES = {
    400: "The given data was invalid.",
    401: "Unauthenticated.",
    403: "API access is not enabled for this account. Please contact Tata Tele Business.",
    404: "IVR not found.",
    429: "Too Many Attempts.",
    500: "Server Error",
}
GATEWAY_PAGES = {
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, body bytes, content type and extra headers."""

    status: int
    payload: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


#: The outcome that closes the connection without answering.
DROP: Literal["drop"] = "drop"
Outcome = Answer | Literal["drop"]


def json_answer(status: int, data: Any, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    return Answer(status, json.dumps(data).encode("utf-8"), headers=headers)


def failure(status: int, message: str | None = None) -> Answer:
    """`{"success": false, "message": ...}` with `status`; the message defaults to MESSAGES'."""
    return json_answer(status, {"success": False, "message": message or MESSAGES[status]})


def too_many(retry_after: int) -> Answer:
    """A 429 with its Retry-After header (whole seconds)."""
    return json_answer(
        429,
        {"success": False, "message": MESSAGES[429]},
        headers=(("Retry-After", str(retry_after)),),
    )


def fault_answer(fault: FaultKind, config: FaultConfig) -> Answer:
    """The answer of a fault that answers at once (every kind but timeout and the drops)."""
    if fault == "429":
        return too_many(config.retry_after)
    if fault == "500":
        return failure(500)
    if fault in ("502", "503", "504"):
        status = int(fault)
        title = f"{status} {GATEWAY_PAGES[status]}"
        page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return Answer(status, page.encode("utf-8"), content_type="text/html")
    if fault == "success_false":
        return failure(200, "The IVR could not be updated.")
    status = int(fault.rsplit("_", 1)[1])  # success_false_<status>
    return failure(status)
