"""State entries, state files and journal lines for the state tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ivrsync.body import digest_body
from ivrsync.model import State, StateEntry
from ivrsync.state import render_state_document

APPLIED_AT = "2026-11-26T23:30:00Z"
LINEAGE = "0b7f3c1e-8f43-4c4e-9a57-3f0c2f9d5a11"


def body_of(ivr_id: int, name: str | None = None) -> dict[str, Any]:
    return {
        "name": name or f"IVR {ivr_id}",
        "description": "",
        "recording": "recording|0231",
        "timeout": 20,
        "incorrect_count": 5,
        "invalid_recording": "recording|349",
        "invalid_destination": "extension|05047530002",
        "timeout_retry_recording": "recording|52156",
        "timeout_recording": "recording|123",
        "timeout_destination": "extension|05047530002",
        "timeout_tries": 3,
        "recording_invalid": "recording|58999",
        "option": ["1", "2"],
        "destination": ["extension|05047530002", "extension|845"],
    }


def entry_of(ivr_id: int, name: str | None = None, source: str | None = None) -> StateEntry:
    body = body_of(ivr_id, name)
    return StateEntry(
        id=ivr_id,
        body=body,
        digest=digest_body(body),
        source=source or f"ivr-configs/ivr-{ivr_id}.yaml",
        applied_at=APPLIED_AT,
    )


def write_state(path: Path, *entries: StateEntry, serial: int = 3) -> bytes:
    state = State(lineage=LINEAGE, serial=serial, entries={e.id: e for e in entries})
    data = render_state_document(state).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def journal_bytes(lineage: str | None, serial: int, *records: dict[str, Any]) -> bytes:
    header = {"journal_version": 1, "lineage": lineage, "serial": serial}
    return b"".join(
        json.dumps(line, sort_keys=True).encode("utf-8") + b"\n" for line in (header, *records)
    )


def applied(entry: StateEntry) -> dict[str, Any]:
    return {
        "op": "applied",
        "entry": {
            "id": entry.id,
            "body": dict(entry.body),
            "digest": entry.digest,
            "source": entry.source,
            "applied_at": entry.applied_at,
        },
    }


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())
