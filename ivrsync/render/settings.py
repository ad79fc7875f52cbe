"""`ivrsync config`: every effective setting, its value and where it came from. Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence


def render_settings_text(rows: Sequence[tuple[str, str, str]], file: str | None) -> str:
    """One aligned line per setting (`name = value  # origin`), the file used first."""
    lines = [f"# settings file: {file or 'none found (built-in defaults and environment only)'}"]
    width = max((len(f"{name} = {value}") for name, value, _ in rows), default=0)
    for name, value, origin in rows:
        lines.append(f"{name} = {value}".ljust(width) + f"  # {origin}")
    return "\n".join(lines) + "\n"


def render_settings_json(rows: Sequence[tuple[str, str, str]], file: str | None) -> str:
    document = {
        "file": file,
        "settings": [{"name": n, "value": v, "origin": o} for n, v, o in rows],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
