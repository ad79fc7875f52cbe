"""The `/_fake/` endpoints, through which other processes inspect and steer a running fake.

They mirror FakeSmartflo's Python API; they need no token, are never recorded as requests, and
are never rate-limited or faulted.

- `GET /_fake/requests`: `{"requests": [...], "rate_limited_count": n}` (RecordedRequest fields).
- `POST /_fake/reset-requests`: forget them (and the count).
- `GET /_fake/ivrs`: the account in the read shape. `GET /_fake/dialect`: the Dialect's settings.
- `GET /_fake/faults`, `PUT /_fake/faults` (a fault config, or null for none).
- `PATCH /_fake/ivrs/{id}[?shape=read|body]`: an edit in the portal, fields in the read shape or
  the PUT body's (see `edits` for the names); answers the IVR's read shape after the edit.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs

from ivrsync.errors import UsageError
from ivrsync.fake_smartflo.answers import Answer, failure, json_answer
from ivrsync.fake_smartflo.edits import EditShape, edit_shape
from ivrsync.fake_smartflo.faults import FaultConfig
from ivrsync.smartflo.readshape import read_shape_id

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
        return json_answer(
            200,
            {
                "requests": [asdict(r) for r in fake.requests],
                "rate_limited_count": fake.rate_limited_count,
            },
        )
    if method == "POST" and path == "/_fake/reset-requests":
        fake.reset_requests()
        return json_answer(200, {"success": True})
    if method == "GET" and path == "/_fake/ivrs":
        return json_answer(200, {"ivrs": fake.live_ivrs()})
    if method == "GET" and path == "/_fake/dialect":
        return json_answer(200, {"dialect": asdict(fake.dialect)})
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
        shapes = parse_qs(query).get("shape", ["auto"])
        return _patch_ivr(fake, match["id"], shapes[-1], body, is_json)
    return failure(404, "No such control endpoint.")


def _patch_ivr(fake: FakeSmartflo, raw_id: str, shape: str, body: Any, is_json: bool) -> Answer:
    if not (raw_id.isascii() and raw_id.isdecimal()):
        return failure(404)
    if not is_json or not isinstance(body, dict):
        return failure(
            400, "Send the fields to change (read-shape or PUT-body names) as a JSON object."
        )
    ivr_id = int(raw_id)
    try:
        # Checked here first: a field named `shape` or `ivr_id` must be refused by name, not
        # collide with edit_ivr's own parameters.
        edit_shape(body, shape)
        fake.edit_ivr(ivr_id, cast(EditShape, shape), **body)
    except KeyError:
        return failure(404)
    except ValueError as exc:
        return failure(400, str(exc))
    # Seed ids may be strings ("7926"): compare them as the client would.
    ivr = next(i for i in fake.live_ivrs() if read_shape_id(i) == ivr_id)
    return json_answer(200, {"success": True, "ivr": ivr})
