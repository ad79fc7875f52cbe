"""State files this ivrsync checked before, read again without checking each entry again.

Checking a state file (`document.parse_state`) recomputes every entry's digest and looks at every
value: most of the time of reading a 10,000-IVR state, on every plan. What it finds depends on
the file's bytes and on this code alone, so when a memo (the commands pass the cache's, see
`ivrsync.config.cache.SeenBytes`) says these exact bytes passed before, the entries are built
straight from the document. The memo is a hint, not a proof: anything unexpected while building
falls back to the full check, which then decides.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any, Protocol

from ivrsync import __version__
from ivrsync.body import in_body_order
from ivrsync.model import State, StateEntry
from ivrsync.state.document import STATE_VERSION, CorruptDocument, decode_json


class Memo(Protocol):
    """Byte strings that passed the full check (`ivrsync.config.cache.SeenBytes` is one)."""

    def seen(self, data: bytes) -> bool: ...

    def remember(self, data: bytes) -> None: ...


def fingerprint() -> bytes:
    """What checking a state file depends on besides its bytes: this code, ivrsync's version,
    Python (and its int-string limit, which the JSON decoding enforces)."""
    digest = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parent.parent
    for source in (*sorted((package / "state").glob("*.py")), package / "body.py"):
        try:
            digest.update(source.read_bytes())
        except OSError:
            digest.update(b"unreadable " + str(source).encode("utf-8", "surrogatepass"))
    parts = ("state", __version__, sys.version, str(sys.get_int_max_str_digits()))
    return "\0".join((*parts, digest.hexdigest())).encode("utf-8")


def state_seen_before(data: bytes) -> State | None:
    """The State of a state file's bytes that passed the full check before; None when anything
    is not as that check left it (then the caller checks in full)."""
    try:
        document: Any = decode_json(data.decode("utf-8"))
        if document.get("version") != STATE_VERSION:
            return None
        entries = {}
        for key, raw in document["ivrs"].items():
            ivr_id = int(key)
            entries[ivr_id] = StateEntry(
                id=ivr_id,
                body=in_body_order(raw["body"]),
                digest=raw["digest"],
                source=raw["source"],
                applied_at=raw["applied_at"],
            )
        return State(
            lineage=document["lineage"],
            serial=document["serial"],
            entries=dict(sorted(entries.items())),
        )
    except (CorruptDocument, UnicodeDecodeError, AttributeError, KeyError, TypeError, ValueError):
        return None
