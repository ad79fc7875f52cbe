"""IVR data for the benchmarks: generated YAML files and fixed documents, written once here.

`write_corpus` makes many varied, valid IVR files (menus of 2-8 keys, some `ivr|<id>` links
inside the set) in 20 sub-folders, as a large company's repository might hold them.
`fixed_document` is one complete document, for benchmarks that vary a single field.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

KEYS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#")
DESTINATIONS = ("extension|0504753{:04d}", "department|{}", "ringgroup|1{:04d}", "agent|0502{:07d}")
FIRST_ID = 10_000
SEED = 20261126


def ivr_text(ivr_id: int, rng: random.Random, count: int) -> str:
    """One valid IVR file; `ivr|` destinations point at ids in `FIRST_ID .. FIRST_ID + count`."""
    menu = []
    for key in rng.sample(KEYS, rng.randint(2, 8)):
        if rng.random() < 0.2:
            destination = f"ivr|{FIRST_ID + rng.randrange(count)}"
        elif rng.random() < 0.05:
            destination = "hangup|1"
        else:
            destination = rng.choice(DESTINATIONS).format(rng.randrange(10_000))
        menu.append(f'  - option: "{key}"\n    destination: {destination}\n')
    return (
        "# yaml-language-server: $schema=../schemas/ivr.schema.json\n"
        f"id: {ivr_id}\n"
        f"name: Branch {ivr_id} menu\n"
        f"description: Generated IVR number {ivr_id}\n"
        f"recording: recording|{rng.randrange(100_000)}\n"
        f"timeout: {rng.randint(5, 60)}\n"
        f"incorrect_count: {rng.randint(1, 5)}\n"
        f"invalid_recording: recording|{rng.randrange(100_000)}\n"
        f"invalid_destination: extension|0504753{rng.randrange(10_000):04d}\n"
        f"timeout_retry_recording: recording|{rng.randrange(100_000)}\n"
        f"timeout_recording: recording|{rng.randrange(100_000)}\n"
        f"timeout_destination: department|{rng.randrange(100)}\n"
        f"timeout_tries: {rng.randint(1, 5)}\n"
        f"recording_invalid: outbound_tts|{rng.randrange(100_000)}\n"
        "menu:\n" + "".join(menu)
    )


def write_corpus(folder: Path, count: int, *, broken_every: int = 0) -> list[Path]:
    """Write `count` IVR files (every `broken_every`-th with a misspelt field); return them."""
    rng = random.Random(SEED)
    paths = []
    for index in range(count):
        ivr_id = FIRST_ID + index
        text = ivr_text(ivr_id, rng, count)
        if broken_every and index % broken_every == 0:
            text = text.replace("timeout: ", "timout: ", 1)
        sub = folder / f"region-{index % 20:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"ivr-{ivr_id}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def fixed_document(ivr_id: int, **overrides: Any) -> dict[str, Any]:
    """A complete IVR document (the YAML mapping) with a given id; fields overridable."""
    document: dict[str, Any] = {
        "id": ivr_id,
        "name": f"IVR {ivr_id}",
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
    document.update(overrides)
    return document
