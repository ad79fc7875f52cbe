"""A fake account for import and drift tests: the documented sample plus 30 generated IVRs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ivrsync.body import body_from_document
from ivrsync.fake_smartflo import FakeSmartflo
from ivrsync.smartflo.readshape import read_shape_from_body
from tests.testing.documents import ivr_document

SAMPLE = Path(__file__).parent.parent / "data" / "live" / "ivrs-list.json"
TOKEN = "tok-import-5f1e9c"

#: Names of the generated IVRs: plain, clashing, with slashes, accents, non-Latin text.
NAMES = ["Sales", "Support", "Support", "Sales / Returns", "Café Niño", "सहायता", "../etc"]


def generated_ivrs(count: int = 30) -> list[dict[str, Any]]:
    """`count` IVRs in the read shape, ids 1001.., with varied names and menus."""
    items = []
    for n in range(count):
        ivr_id = 1001 + n
        document = ivr_document(
            ivr_id,
            name=f"{NAMES[n % len(NAMES)]}{'' if n < len(NAMES) else f' {n}'}",
            timeout=10 + n,
            menu=[
                {"option": "1", "destination": f"extension|0504753{n:04d}"},
                {"option": str(n % 8 + 2), "destination": "ringgroup|17839"},
                {"option": "#", "destination": "hangup|1"},
            ],
        )
        items.append(read_shape_from_body(ivr_id, body_from_document(document)))
    return items


def seed() -> list[dict[str, Any]]:
    sample: list[dict[str, Any]] = json.loads(SAMPLE.read_text(encoding="utf-8"))["ivrs"]
    return [*sample, *generated_ivrs()]


def env_for(fake: FakeSmartflo) -> dict[str, str]:
    return {"SMARTFLO_API_TOKEN": TOKEN, "SMARTFLO_BASE_URL": fake.url}
