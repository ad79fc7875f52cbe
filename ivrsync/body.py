"""From a validated YAML document to the exact PUT body, and the body's digest.

The body is canonical: keys in `BODY_FIELDS` order, the menu sorted by DTMF key with integer keys
turned into strings. So reordering keys or menu entries in YAML, or writing `2` for `"2"`, gives the
same body and the same digest, and a plan never shows a change that is not one.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from ivrsync.model import (
    BODY_FIELDS,
    DTMF_KEYS,
    INTEGER_FIELDS,
    REFERENCE_FIELDS,
    SCALAR_FIELDS,
    Body,
)

#: The separator between a reference's type and id (`extension|0504...`) in YAML files, bodies,
#: digests, the state and plan files: one canonical form, whatever the API takes. The IVR pages
#: use one pipe, other Smartflo pages two; which one the IVR PUT takes is the `separator`
#: setting, applied only on the way out (`wire_body`), so changing the setting changes no
#: digest and no plan.
REFERENCE_SEPARATOR: Final = "|"

#: The separators the API may take (`[smartflo] separator`).
Separator = Literal["|", "||"]

_KEY_RANK = {key: rank for rank, key in enumerate(DTMF_KEYS)}
_BODY_KEYS = frozenset(BODY_FIELDS)
_BODY_VALUES = operator.itemgetter(*BODY_FIELDS)


def dtmf_key(option: object) -> str:
    """The DTMF key as a string: `2` and `"2"` are the same key."""
    return str(option)


def dtmf_rank(key: str) -> int:
    """Sort rank of a DTMF key; unknown keys (already reported by validation) sort last."""
    return _KEY_RANK.get(key, len(_KEY_RANK))


def body_from_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical PUT body of a schema-valid IVR document (the YAML mapping).

    Precondition: the document passed schema validation; this function does not re-check it.
    """
    body: dict[str, Any] = {}
    for name in SCALAR_FIELDS:
        value = document[name]
        body[name] = value
    menu = sorted(
        ((dtmf_key(entry["option"]), entry["destination"]) for entry in document["menu"]),
        key=lambda pair: dtmf_rank(pair[0]),
    )
    body["option"] = [key for key, _ in menu]
    body["destination"] = [dest for _, dest in menu]
    return body


def document_from_body(ivr_id: int, body: Body) -> dict[str, Any]:
    """The IVR document (YAML mapping) of a canonical body: the inverse of `body_from_document`.

    Keys come as a file lists them: `id`, the scalar fields, then `menu` as
    `{option, destination}` pairs in the body's order. For every canonical body `b`,
    `body_from_document(document_from_body(i, b)) == b`.
    """
    document: dict[str, Any] = {"id": ivr_id}
    for name in SCALAR_FIELDS:
        value = body[name]
        document[name] = value
    document["menu"] = [
        {"option": option, "destination": destination}
        for option, destination in zip(body["option"], body["destination"], strict=True)
    ]
    return document


def menu_of(body: Body) -> dict[str, str]:
    """The body's menu as {DTMF key: destination}, in canonical order."""
    return dict(zip(body["option"], body["destination"], strict=True))


def canonical_json(body: Body) -> str:
    """The one serialisation digests are taken over: sorted keys, no spaces, UTF-8 text."""
    return _CANONICAL.encode(body)


#: `json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`, with the
#: encoder made once: a digest is taken of every IVR of every run.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest_body(body: Body) -> str:
    """`sha256:<hex>` of the canonical JSON of a body."""
    return "sha256:" + hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def in_body_order(body: Mapping[str, Any]) -> dict[str, Any]:
    """`body` with `BODY_FIELDS` first, in order, other keys after: JSON documents store bodies
    with sorted keys, while the PUT (and every comparison of bodies as text) wants this order."""
    if body.keys() == _BODY_KEYS:  # the usual case, in C: a state holds thousands
        return dict(zip(BODY_FIELDS, _BODY_VALUES(body)))  # noqa: B905 - the same keys
    ordered = {name: body[name] for name in BODY_FIELDS if name in body}
    ordered.update((name, value) for name, value in body.items() if name not in ordered)
    return ordered


def wire_reference(reference: str, separator: Separator) -> str:
    """A canonical reference (`type|id`) with the API's separator."""
    if separator == REFERENCE_SEPARATOR:
        return reference
    kind, _, ident = reference.partition(REFERENCE_SEPARATOR)
    return f"{kind}{separator}{ident}"


def wire_body(body: Body, separator: Separator) -> dict[str, Any]:
    """The body as the API takes it: every reference with `separator`. Only the client calls
    this, on the way out; everything else (digests, state, plans) keeps the canonical body."""
    sent = dict(body)
    if separator == REFERENCE_SEPARATOR:
        return sent
    for name in REFERENCE_FIELDS:
        if isinstance(sent.get(name), str):
            sent[name] = wire_reference(sent[name], separator)
    sent["destination"] = [wire_reference(d, separator) for d in body["destination"]]
    return sent


#: A destination naming another IVR of the config set by name instead of id: `ivr|@Sales`.
#: No Smartflo id starts with `@`, so the two forms cannot be confused. Name references to IVRs
#: with ids are resolved when files are loaded; those to new IVRs stay in the body until apply
#: has created them, and no body holding one is ever sent.
NAME_REFERENCE_PREFIX: Final = "ivr" + REFERENCE_SEPARATOR + "@"

#: The scalar body fields that hold a destination (the menu's `destination` list is the other).
DESTINATION_FIELDS: Final = ("invalid_destination", "timeout_destination")


def referenced_name(reference: object) -> str | None:
    """The IVR name of `ivr|@<name>`, else None."""
    if isinstance(reference, str) and reference.startswith(NAME_REFERENCE_PREFIX):
        return reference[len(NAME_REFERENCE_PREFIX) :]
    return None


def referenced_names(body: Body) -> tuple[str, ...]:
    """The IVR names `body` routes to by name, each once, in body order."""
    names: dict[str, None] = {}
    for value in (*(body.get(f) for f in DESTINATION_FIELDS), *body.get("destination", ())):
        name = referenced_name(value)
        if name is not None:
            names[name] = None
    return tuple(names)


def resolve_names(body: Body, ids: Mapping[str, int]) -> dict[str, Any]:
    """`body` with every `ivr|@<name>` whose name is in `ids` written as `ivr|<id>`."""

    def resolved(value: Any) -> Any:
        name = referenced_name(value)
        if name is None or name not in ids:
            return value
        return f"ivr{REFERENCE_SEPARATOR}{ids[name]}"

    out = dict(body)
    for field in DESTINATION_FIELDS:
        if field in out:
            out[field] = resolved(out[field])
    if "destination" in out:
        out["destination"] = [resolved(d) for d in out["destination"]]
    return out


#: Where the whole-number fields stand among the scalar fields, and where the text ones do.
_INTEGERS = operator.itemgetter(
    *(i for i, name in enumerate(SCALAR_FIELDS) if name in INTEGER_FIELDS)
)
_TEXTS = operator.itemgetter(
    *(i for i, name in enumerate(SCALAR_FIELDS) if name not in INTEGER_FIELDS)
)
_INT = frozenset({int})
_TEXT = frozenset({str})


def scalars_typed(scalars: Sequence[Any]) -> bool:
    """Whether `scalars` (one for each of `SCALAR_FIELDS`) have the types of a valid body's:
    whole numbers (no bool) for `INTEGER_FIELDS`, text for the others. The caches' copies of
    bodies are checked with it: a forged number written as text would crash the checks that
    compare it. Type sets, built in C: a warm run checks thousands."""
    return set(map(type, _INTEGERS(scalars))) <= _INT and set(map(type, _TEXTS(scalars))) <= _TEXT
