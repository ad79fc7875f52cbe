"""The `/_fake/` endpoints, through which other processes inspect and steer a running fake.

They mirror FakeSmartflo's Python API; they need no token and are never recorded as requests.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from ivrsync.errors import UsageError
from ivrsync.fake_smartflo.answers import Answer, failure, json_answer
from ivrsync.fake_smartflo.faults import FaultConfig

if TYPE_CHECKING:
    from ivrsync.fake_smartflo.server import FakeSmartflo

_CONTROL_IVR_PATH = re.compile(r"^/_fake/ivrs/(?P<id>[^/]+)$")


def parse_json(raw: bytes | None) -> tuple[Any, bool]:
    """(value, True) for a JSON body; (None, False) for none or a body that is not JSON."""
    if not raw:
        return None, False
    try:
        return json.loads(raw), True
    except ValueError:
        return None, False


def handle_control(
    fake: FakeSmartflo, method: str, path: str, query: str, raw: bytes | None
) -> Answer:
    """Answer one `/_fake/` request."""
    body, is_json = parse_json(raw)
    if method == "GET" and path == "/_fake/requests":
        return json_answer(200, {"requests": [asdict(r) for r in fake.requests]})
    if method == "POST" and path == "/_fake/reset-requests":
        fake.reset_requests()
        return json_answer(200, {"success": True})
    if method == "GET" and path == "/_fake/ivrs":
        return json_answer(200, {"ivrs": fake.live_ivrs()})
    if method == "GET" and path == "/_fake/faults":
        return json_answer(200, {"faults": fake.faults.to_json()})
    if method == "PUT" and path == "/_fake/faults":
        if not is_json:
            return failure(400, "Send a fault config as JSON (or null for none).")
        try:
            faults = None if body is None else FaultConfig.from_json(body)
        except UsageError as exc:
            return failure(400, exc.message)
        fake.set_faults(faults)
        return json_answer(200, {"success": True, "faults": fake.faults.to_json()})
    match = _CONTROL_IVR_PATH.match(path)
    if method == "PATCH" and match:
        return _patch_ivr(fake, match["id"], body, is_json)
    return failure(404, "No such control endpoint.")


def _patch_ivr(fake: FakeSmartflo, raw_id: str, body: Any, is_json: bool) -> Answer:
    if not raw_id.isdecimal():
        return failure(404)
    if not is_json or not isinstance(body, dict):
        return failure(400, "Send the read-shape fields to change as a JSON object.")
    ivr_id = int(raw_id)
    try:
        fake.edit_ivr(ivr_id, **body)
    except KeyError:
        return failure(404)
    except ValueError as exc:
        return failure(400, str(exc))
    ivr = next(i for i in fake.live_ivrs() if i["id"] == ivr_id)
    return json_answer(200, {"success": True, "ivr": ivr})
