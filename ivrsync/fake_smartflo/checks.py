"""How strictly the fake server checks a PUT or POST body: as strictly as the docs allow.

The reference marks every field mandatory and gives its type (smartflo-api.md, "Update"); it says
nothing of value ranges, so only shapes are checked here. Ranges are the schema's business.
Create (`POST /v1/ivr`) takes the same fields, so it gets the same checks.
"""

from __future__ import annotations

from typing import Any

from ivrsync.model import (
    BODY_FIELDS,
    DTMF_KEYS,
    INTEGER_FIELDS,
    REFERENCE_FIELDS,
    SCALAR_FIELDS,
)

#: Documented only by Servetel/Acefone ("where the account has SMS templates enabled").
OPTIONAL_FIELDS: tuple[str, ...] = ("sms_template",)


# A pipe anywhere but the one separator means the other separator convention.
_PIPE = "|"


def put_body_problem(body: Any, *, separator: str = "|", strict: bool = True) -> str | None:
    """Why `body` is not an acceptable PUT (or POST) body, naming the field; None when it is.

    References must be `type<separator>id` when `strict`; otherwise any string passes (a lenient
    server stores whatever it makes of it, see `dialect`).
    """
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    unknown = sorted(set(body) - set(BODY_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        return f"The {unknown[0]} field is not allowed."
    for name in BODY_FIELDS:
        if name not in body:
            return f"The {name} field is required."
    reference = separator if strict else None
    for name in SCALAR_FIELDS:
        problem = _scalar_problem(name, body[name], reference)
        if problem:
            return problem
    return _menu_problem(body, reference)


def _scalar_problem(name: str, value: Any, separator: str | None) -> str | None:
    if name in INTEGER_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"The {name} field must be an integer."
        return None
    if not isinstance(value, str):
        return f"The {name} field must be a string."
    if name in REFERENCE_FIELDS and separator and not is_reference(value, separator):
        return f"The {name} field must be of the form type{separator}id."
    return None


def is_reference(value: str, separator: str = "|") -> bool:
    """`type<separator>id` with a non-empty type and id, and no other pipe."""
    kind, sep, ident = value.partition(separator)
    return bool(
        sep
        and kind
        and ident.strip()
        and _PIPE not in kind
        and _PIPE not in ident
        and kind == kind.strip()
    )


def _menu_problem(body: dict[str, Any], separator: str | None) -> str | None:
    arrays = {
        name: body[name] for name in ("option", "destination", *OPTIONAL_FIELDS) if name in body
    }
    for name, value in arrays.items():
        if not isinstance(value, list):
            return f"The {name} field must be an array."
        if not all(isinstance(item, str) for item in value):
            return f"The {name} field must be an array of strings."
    options, destinations = arrays["option"], arrays["destination"]
    for name, value in arrays.items():
        if len(value) != len(options):
            return f"The {name} field must have as many items as option ({len(options)})."
    seen: set[str] = set()
    for index, key in enumerate(options):
        if key not in DTMF_KEYS:
            return f"The option.{index} field must be a DTMF key (0-9, * or #)."
        if key in seen:
            return f"The option.{index} field has a duplicate value."
        seen.add(key)
    for index, destination in enumerate(destinations):
        if separator and not is_reference(destination, separator):
            return f"The destination.{index} field must be of the form type{separator}id."
    return None
