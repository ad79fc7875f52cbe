"""IVR documents and files for tests: one valid document, variations of it, files on disk."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

#: A complete, valid IVR document (the YAML file's mapping), as in the README's example.
BASE_DOCUMENT: dict[str, Any] = {
    "id": 349,
    "name": "Support IVR",
    "description": "IVR for the support team",
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
    "menu": [
        {"option": "1", "destination": "extension|05047530002"},
        {"option": "2", "destination": "extension|845"},
    ],
}


def ivr_document(ivr_id: int = 349, **overrides: Any) -> dict[str, Any]:
    """A valid IVR document with a given id (and a name derived from it), fields overridable."""
    document = copy.deepcopy(BASE_DOCUMENT)
    document["id"] = ivr_id
    document["name"] = f"IVR {ivr_id}"
    document.update(overrides)
    return document


def write_ivr(folder: Path, document: dict[str, Any], name: str | None = None) -> Path:
    """Write a document as a YAML file named after its id (or `name`); return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"ivr-{document['id']}.yaml")
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


#: A valid IVR file; the line numbers below refer to it.
VALID = """\
id: 349
name: Support IVR
description: IVR for the support team
recording: recording|0231
timeout: 20
incorrect_count: 5
invalid_recording: recording|349
invalid_destination: extension|05047530002
timeout_retry_recording: recording|52156
timeout_recording: recording|123
timeout_destination: extension|05047530002
timeout_tries: 3
recording_invalid: recording|58999
menu:
  - option: "1"
    destination: extension|05047530002
  - option: 2
    destination: extension|845
"""


def edited(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


#: What the documented sample must map to, written out by hand from the smartflo-api.md table.
SAMPLE_BODY: dict[str, Any] = {
    "name": "Welcome IVR",
    "description": "Welcome IVR",
    "recording": "recording|19549",
    "timeout": 30,
    "incorrect_count": 1,
    "invalid_recording": "recording|244",
    "invalid_destination": "extension|050109590001",
    "timeout_retry_recording": "recording|245",
    "timeout_recording": "recording|245",
    "timeout_destination": "extension|050109590001",
    "timeout_tries": 1,
    "recording_invalid": "recording|244",
    "option": ["1"],
    "destination": ["ringgroup|17839"],
}
