"""Between a body as a dialect's server parses it and the read shape the fake stores.

The one mapping lives in `ivrsync.smartflo.readshape`; this module only adapts a dialect to it:
it cuts references at the dialect's separator, routes the two uncertain recordings per the
dialect's pairing, and patches in afterwards what readshape cannot express (a lenient server's
mangled references). Bodies given here have passed `checks.put_body_problem` for the dialect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ivrsync.body import REFERENCE_SEPARATOR
from ivrsync.fake_smartflo.checks import is_reference
from ivrsync.fake_smartflo.dialect import Dialect
from ivrsync.smartflo.readshape import (
    DESTINATION_FIELDS,
    MENU_DESTINATION_ID,
    MENU_DESTINATION_TYPE,
    MENU_FIELD,
    RECORDING_FIELDS,
    RECORDING_TYPE,
    WEBHOOK_FIELD,
    live_ivr_from_read_shape,
    read_shape_from_body,
)

#: Stands in for a mangled reference while readshape maps the rest; patched over afterwards.
_PLACEHOLDER = f"{RECORDING_TYPE}{REFERENCE_SEPARATOR}0"

#: Read field -> the body field readshape fills it from.
_READSHAPE_SOURCES = dict(RECORDING_FIELDS)

_Patch = Callable[[dict[str, Any]], None]


def _readshape_form(kind: str, ident: str) -> str | None:
    """The reference readshape reads as (kind, ident), or None when it cannot express it."""
    if not kind or not ident or REFERENCE_SEPARATOR in kind:
        return None
    return f"{kind}{REFERENCE_SEPARATOR}{ident}"


def read_shape_of_write(
    ivr_id: int,
    body: Mapping[str, Any],
    dialect: Dialect,
    *,
    previous: Mapping[str, Any] | None,
    clear_webhooks: bool = False,
) -> dict[str, Any]:
    """The read shape `GET /v1/ivrs` shows after a server speaking `dialect` stores `body`.

    `previous` is the read shape before (None for a new IVR): `added_by` and the menu's webhook
    and SMS template ids survive as `read_shape_from_body` keeps them, unless `clear_webhooks`.
    May raise ApiError from readshape (only for a body `put_body_problem` should have refused).
    """
    canonical = dict(body)
    patches: list[_Patch] = []

    for read_name, source in dialect.recording_sources().items():
        value = body[source]
        kind, ident = dialect.split(value)
        target = _READSHAPE_SOURCES[read_name]
        form = _readshape_form(kind, ident)
        canonical[target] = form or _PLACEHOLDER
        if form is None or kind != RECORDING_TYPE:
            # Bare ids are for `recording`s only; any other type reads back as written.
            shown = ident if kind == RECORDING_TYPE else value
            patches.append(_set(read_name, shown))

    for type_field, id_field, name in DESTINATION_FIELDS:
        kind, ident = dialect.split(body[name])
        form = _readshape_form(kind, ident)
        canonical[name] = form or _PLACEHOLDER
        if form is None:
            patches.append(_set(type_field, kind))
            patches.append(_set(id_field, ident))

    destinations = []
    for index, destination in enumerate(body["destination"]):
        kind, ident = dialect.split(destination)
        form = _readshape_form(kind, ident)
        destinations.append(form or _PLACEHOLDER)
        if form is None:
            patches.append(_set_menu(index, kind, ident))
    canonical["destination"] = destinations

    read = read_shape_from_body(ivr_id, canonical, previous=previous)
    for patch in patches:
        patch(read)
    if clear_webhooks:
        for entry in read[MENU_FIELD]:
            entry[WEBHOOK_FIELD] = "0"
    return read


def _set(name: str, value: Any) -> _Patch:
    def patch(read: dict[str, Any]) -> None:
        read[name] = value

    return patch


def _set_menu(index: int, kind: str, ident: str) -> _Patch:
    def patch(read: dict[str, Any]) -> None:
        read[MENU_FIELD][index][MENU_DESTINATION_TYPE] = kind
        read[MENU_FIELD][index][MENU_DESTINATION_ID] = ident

    return patch


def body_of_read_shape(item: Mapping[str, Any], dialect: Dialect) -> dict[str, Any]:
    """The body a client speaking `dialect` would PUT to keep `item` as it is.

    The inverse of `read_shape_of_write` for clean references. Raises ApiError when readshape
    cannot read `item` (a lenient server's mangled values, or a portal edit gone wrong).
    """
    canonical = live_ivr_from_read_shape(item).body
    body = dict(canonical)
    for read_name, source in dialect.recording_sources().items():
        body[source] = canonical[_READSHAPE_SOURCES[read_name]]
    for name, value in body.items():
        if name in _REFERENCE_NAMES:
            body[name] = _in_dialect(value, dialect)
    body["destination"] = [_in_dialect(value, dialect) for value in canonical["destination"]]
    return body


_REFERENCE_NAMES = frozenset(
    {*(write for _, write in RECORDING_FIELDS), *(name for _, _, name in DESTINATION_FIELDS)}
)


def _in_dialect(reference: str, dialect: Dialect) -> str:
    # A recording of another type is shown as written, so it may be in the dialect's form already.
    if is_reference(reference, dialect.separator):
        return reference
    kind, _, ident = reference.partition(REFERENCE_SEPARATOR)
    return dialect.join(kind, ident)
