"""The JSON Schema of an IVR file, as shipped in the package (`ivrsync/schemas/ivr.schema.json`).

The schema is the one source of truth for the file format: the validator checks documents against
it, editors read it through the `# yaml-language-server: $schema=...` line, and the destination
types are listed only in it (`destination_types()` reads them back for messages).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_RESOURCE = "schemas/ivr.schema.json"

# Each branch of `$defs.destination.anyOf` starts with `^(type|type|...)\|`.
_TYPES_PREFIX = re.compile(r"^\^\(([a-z_|]+)\)\\\|")


@cache
def schema_text() -> str:
    """The packaged schema file's text, exactly as shipped (ends with a newline)."""
    return resources.files("ivrsync").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """The packaged schema as a fresh dict (callers may modify their copy)."""
    schema: dict[str, Any] = json.loads(schema_text())
    return schema


@cache
def destination_types() -> tuple[str, ...]:
    """The destination types the schema accepts, in the schema's order.

    Read from the patterns of `$defs.destination`, so the schema stays the only list.
    """
    types: list[str] = []
    for branch in load_schema()["$defs"]["destination"]["anyOf"]:
        match = _TYPES_PREFIX.match(branch["pattern"])
        if match is None:  # pragma: no cover - guarded by tests/test_schema.py
            raise ValueError(f"unexpected destination pattern {branch['pattern']!r}")
        types.extend(match.group(1).split("|"))
    return tuple(types)


@cache
def recording_types() -> tuple[str, ...]:
    """The recording reference types the schema accepts (`recording`, `outbound_tts`)."""
    match = _TYPES_PREFIX.match(load_schema()["$defs"]["recording"]["pattern"])
    if match is None:  # pragma: no cover - guarded by tests/test_schema.py
        raise ValueError("unexpected recording pattern")
    return tuple(match.group(1).split("|"))
