"""Which fields an "edit in the portal" (`PATCH /_fake/ivrs/{id}`, `FakeSmartflo.edit_ivr`) takes.

An edit names fields in one of two shapes:

- read shape: name, description, recording, timeout, invalid_retries, invalid_retry_recording,
  invalid_destination_type, invalid_destination, timeout_retry_recording, timeout_recording,
  timeout_dest_type, timeout_destination, timeout_retries, added_by, invalid_recording, ivr_menu.
- PUT body: name, description, recording, timeout, incorrect_count, invalid_recording,
  invalid_destination, timeout_retry_recording, timeout_recording, timeout_destination,
  timeout_tries, recording_invalid, option, destination, sms_template.

Read-shape fields (as `GET /v1/ivrs` shows them) are stored as given, values unchecked, so a test
can make the list show anything. PUT-body fields (as `PUT /v1/ivr/{id}` takes them, references in
the dialect's separator) change the IVR's current body, which is then checked like a PUT body and
stored as a PUT would store it (mapped through readshape and the dialect), except that webhooks are
always kept.

Several names are in both shapes (`recording`, `invalid_recording`, ...), with different meanings.
The shape is "read", "body", or "auto" (the default): the body shape when a name only the body has
is given (incorrect_count, timeout_tries, recording_invalid, option, destination, sms_template),
else the read shape. `id` cannot be edited; any other name is refused, naming the accepted ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

from ivrsync.fake_smartflo.checks import OPTIONAL_FIELDS
from ivrsync.model import BODY_FIELDS
from ivrsync.smartflo.readshape import READ_ORDER

EditShape = Literal["auto", "read", "body"]
EDIT_SHAPES: tuple[str, ...] = get_args(EditShape)

READ_NAMES: tuple[str, ...] = tuple(name for name in READ_ORDER if name != "id")
BODY_NAMES: tuple[str, ...] = (*BODY_FIELDS, *OPTIONAL_FIELDS)
_BODY_ONLY = frozenset(BODY_NAMES) - frozenset(READ_NAMES)
_READ_ONLY = frozenset(READ_NAMES) - frozenset(BODY_NAMES)


class EditError(ValueError):
    """An edit the fake refuses; its message names the field and what is accepted."""


def edit_shape(names: Iterable[str], shape: str = "auto") -> Literal["read", "body"]:
    """The shape an edit of `names` is in. Raises EditError for an unknown shape or name, an
    attempt to change the id, or (with "auto") names only the read shape has mixed with names
    only the body has."""
    given = list(names)
    if shape not in EDIT_SHAPES:
        raise EditError(f"unknown edit shape {shape!r}; choose one of: {', '.join(EDIT_SHAPES)}")
    if "id" in given:
        raise EditError("an IVR's id cannot be edited")
    if shape == "auto":
        body_only = sorted(_BODY_ONLY.intersection(given))
        read_only = sorted(_READ_ONLY.intersection(given))
        if body_only and read_only:
            raise EditError(
                f"the edit mixes read-shape fields ({', '.join(read_only)}) with PUT-body fields "
                f"({', '.join(body_only)}); send one shape at a time"
            )
        resolved: Literal["read", "body"] = "body" if body_only else "read"
    else:
        resolved = "body" if shape == "body" else "read"
    accepted = BODY_NAMES if resolved == "body" else READ_NAMES
    for name in given:
        if name not in accepted:
            raise EditError(_unknown(name, shape))
    return resolved


def _unknown(name: str, shape: str) -> str:
    lists = {
        "read": f"read-shape fields: {', '.join(READ_NAMES)}",
        "body": f"PUT-body fields: {', '.join(BODY_NAMES)}",
    }
    accepted = "; ".join(text for key, text in lists.items() if shape in (key, "auto"))
    return f"unknown field {name!r}; accepted {accepted}"


def help_text() -> str:
    """The accepted names, for `--help`."""
    return f"Read-shape fields: {', '.join(READ_NAMES)}. PUT-body fields: {', '.join(BODY_NAMES)}."
