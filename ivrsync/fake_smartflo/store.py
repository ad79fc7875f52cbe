"""The fake account in memory: IVRs in the read shape of `GET /v1/ivrs`, tokens, users, logins.

Writes (PUT, POST, portal edits) are checked and stored as the account's `Dialect` says. Every
method is thread-safe (one lock for the account) and returns copies, so no caller can change the
account except through these methods.
"""

from __future__ import annotations

import copy
import secrets
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from ivrsync.errors import ApiError, UsageError
from ivrsync.fake_smartflo.answers import Answer, failure, json_answer
from ivrsync.fake_smartflo.checks import put_body_problem
from ivrsync.fake_smartflo.dialect import Dialect
from ivrsync.fake_smartflo.edits import EditError, edit_shape
from ivrsync.fake_smartflo.shapes import body_of_read_shape, read_shape_of_write

#: After this many failed logins for one email, login answers 429 (the docs: repeated logins
#: lock the account).
LOGIN_LOCKOUT = 5


class Account:
    """IVRs by id (read shape), accepted tokens, users (email -> password), failed logins.

    Seed IVRs are given in the read shape; only their `id` is checked (an integer, or a string
    of digits). Raises UsageError for a bad or repeated id. IVRs created by POST get ids above
    every seed id, counting up.
    """

    def __init__(
        self,
        *,
        ivrs: Sequence[Mapping[str, Any]],
        token: str,
        users: Mapping[str, str] | None,
        dialect: Dialect,
    ) -> None:
        seeded: dict[int, dict[str, Any]] = {}
        for item in ivrs:
            ivr_id = _seed_id(item)
            if ivr_id in seeded:
                raise UsageError(f"the seed lists IVR {ivr_id} twice")
            seeded[ivr_id] = copy.deepcopy(dict(item))
        self._ivrs = seeded
        self._tokens = {token}
        self._users = dict(users or {})
        self._failed_logins: dict[str, int] = {}
        self._next_id = max(seeded, default=0) + 1
        self.dialect = dialect
        self._lock = threading.Lock()

    def live_ivrs(self) -> list[dict[str, Any]]:
        """Every IVR in the read shape, sorted by id (copies)."""
        with self._lock:
            return [copy.deepcopy(self._ivrs[i]) for i in sorted(self._ivrs)]

    def ivr(self, ivr_id: int) -> dict[str, Any] | None:
        """One IVR in the read shape (a copy), or None."""
        with self._lock:
            item = self._ivrs.get(ivr_id)
            return copy.deepcopy(item) if item is not None else None

    def accepts(self, token: str) -> bool:
        """Whether `token` is the account's token or one a login issued."""
        with self._lock:
            return token in self._tokens

    def auth_problem(self, authorization: str | None) -> str | None:
        """The 401 message for an Authorization header, None when the dialect accepts it."""
        return self.dialect.auth_problem(authorization, self.accepts)

    def login(self, body: Any, is_json: bool) -> Answer:
        """`POST /v1/auth/login`: a new token, the documented failure, or 429 once locked."""
        if not is_json or not isinstance(body, dict):
            return failure(400, "The request body must be a JSON object.")
        email, password = body.get("email"), body.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            return failure(400, "The email and password fields are required.")
        with self._lock:
            failures = self._failed_logins.get(email, 0)
            if failures >= LOGIN_LOCKOUT:
                return failure(429, "Too many login attempts. Please try again later.")
            expected = self._users.get(email)
            if expected is None or not secrets.compare_digest(expected, password):
                self._failed_logins[email] = failures + 1
                # No status is documented for a failed login; 200 with success false is the
                # stricter test of a client (it must read the body, not just the status).
                return json_answer(
                    200,
                    {
                        "success": False,
                        "message": "The username or password is incorrect.",
                        "login_failed_count": failures + 1,
                    },
                )
            self._failed_logins.pop(email, None)
            token = "fake-" + secrets.token_hex(16)
            self._tokens.add(token)
        return json_answer(
            200,
            {
                "success": True,
                "access_token": token,
                "token_type": "bearer",
                "expires_in": 3600,
                "number_of_days_left": 30,
            },
        )

    def _body_problem(self, body: Any) -> str | None:
        dialect = self.dialect
        return put_body_problem(body, separator=dialect.separator, strict=dialect.separator_strict)

    def put(self, ivr_id: int | None, body: Any, is_json: bool) -> Answer:
        """`PUT /v1/ivr/{id}`: check the body strictly, then store it as the list would show it."""
        previous = self.ivr(ivr_id) if ivr_id is not None else None
        if ivr_id is None or previous is None:
            return failure(404)
        if not is_json:
            return failure(400, "The request body must be JSON.")
        problem = self._body_problem(body)
        if problem:
            return failure(400, problem)
        try:
            stored = read_shape_of_write(
                ivr_id,
                body,
                self.dialect,
                previous=previous,
                clear_webhooks=self.dialect.webhooks_cleared_by_put,
            )
        except ApiError as exc:  # put_body_problem accepts only what readshape can store
            return failure(400, exc.message)
        with self._lock:
            self._ivrs[ivr_id] = stored
        return json_answer(200, {"success": True, "message": "IVR updated successfully"})

    def create(self, body: Any, is_json: bool) -> tuple[Answer, int | None]:
        """`POST /v1/ivr`: the PUT's checks, then a new IVR. The answer, like the documented
        one, carries no id; the new id is returned beside it (None when nothing was created)."""
        if not is_json:
            return failure(400, "The request body must be JSON."), None
        problem = self._body_problem(body)
        if problem:
            return failure(400, problem), None
        with self._lock:
            ivr_id = self._next_id
            try:
                stored = read_shape_of_write(ivr_id, body, self.dialect, previous=None)
            except ApiError as exc:  # as in put()
                return failure(400, exc.message), None
            self._ivrs[ivr_id] = stored
            self._next_id += 1
        return json_answer(200, {"success": True, "message": "IVR created successfully"}), ivr_id

    def edit(self, ivr_id: int, fields: Mapping[str, Any], shape: str = "auto") -> None:
        """Change an IVR as the portal would, naming fields in either shape (see `edits`).

        KeyError for an unknown id; EditError (a ValueError) for a refused name or shape, or a
        PUT-body edit whose result is not a valid body.
        """
        resolved = edit_shape(fields, shape)
        changes = copy.deepcopy(dict(fields))
        with self._lock:
            current = self._ivrs.get(ivr_id)
            if current is None:
                raise KeyError(f"no IVR {ivr_id} in the fake account")
            if resolved == "read":
                current.update(changes)
                return
            try:
                body = body_of_read_shape(current, self.dialect) | changes
            except ApiError as exc:
                raise EditError(
                    f"IVR {ivr_id} cannot be edited by PUT-body fields: {exc.message}"
                ) from exc
            problem = self._body_problem(body)
            if problem:
                raise EditError(problem)
            try:
                stored = read_shape_of_write(ivr_id, body, self.dialect, previous=current)
            except ApiError as exc:
                raise EditError(exc.message) from exc
            self._ivrs[ivr_id] = stored


def _seed_id(item: Mapping[str, Any]) -> int:
    value = item.get("id") if isinstance(item, Mapping) else None
    if isinstance(value, str) and value.isascii() and value.isdecimal():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"every seed IVR needs an integer id, got {value!r}")
    return value
