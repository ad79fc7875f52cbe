"""`ivrsync state list|show|unlock` output: the managed IVRs, one entry, a removed lock. Pure.

Names, sources and bodies come from the state file (and, through import, from the portal), the
lock holder from the lock file: all shown through `ivrsync.render.escape`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from ivrsync.body import document_from_body
from ivrsync.model import LockHolder, StateEntry, StateView
from ivrsync.render.escape import json_document, quoted, shown

OutputFormat = Literal["text", "json"]


def _name_of(entry: StateEntry) -> str:
    name = entry.body.get("name")
    return name if isinstance(name, str) else ""


def render_state_list(view: StateView, state_path: str, output_format: OutputFormat) -> str:
    """The managed IVRs sorted by id, then a footer with lineage, serial and count."""
    state = view.state
    entries = [state.entries[ivr_id] for ivr_id in sorted(state.entries)]
    if output_format == "json":
        document: dict[str, Any] = {
            "state": state_path,
            "lineage": state.lineage,
            "serial": state.serial,
            "count": len(entries),
            "journal_records": view.journal_records,
            "ivrs": [
                {
                    "id": entry.id,
                    "name": _name_of(entry),
                    "source": entry.source,
                    "applied_at": entry.applied_at,
                    "digest": entry.digest,
                }
                for entry in entries
            ],
        }
        return json_document(document)
    lines: list[str] = []
    if entries:
        rows = [("ID", "NAME", "SOURCE", "APPLIED AT")] + [
            (str(e.id), shown(_name_of(e)), shown(e.source), shown(e.applied_at)) for e in entries
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            lines.append("  ".join([*cells, row[3]]))
        lines.append("")
    else:
        lines.append(f"No IVRs are managed in {shown(state_path)} yet.")
    count = f"{len(entries)} IVR" + ("" if len(entries) == 1 else "s")
    lines.append(f"lineage: {state.lineage or 'none (never written)'}")
    lines.append(f"serial:  {state.serial}")
    lines.append(f"count:   {count}")
    if view.journal_records:
        lines.append(
            f"note: {view.journal_records} change(s) come from the journal of an interrupted "
            "apply; the next apply merges them into the state file"
        )
    return "\n".join(lines) + "\n"


def render_state_entry(entry: StateEntry, output_format: OutputFormat) -> str:
    """One state entry: id, name, source, time, digest and the body pretty-printed."""
    if output_format == "json":
        document = {
            "id": entry.id,
            "name": _name_of(entry),
            "source": entry.source,
            "applied_at": entry.applied_at,
            "digest": entry.digest,
            "body": dict(entry.body),
        }
        return json_document(document)
    return (
        f"IVR {entry.id}: {shown(_name_of(entry))}\n"
        f"source:     {shown(entry.source)}\n"
        f"applied at: {shown(entry.applied_at)}\n"
        f"digest:     {shown(entry.digest)}\n"
        f"last applied, as the IVR file writes it:\n{_as_file(entry)}"
    )


def _as_file(entry: StateEntry) -> str:
    """The body in the IVR file's shape (fields, then the menu as option/destination pairs),
    indented, each value as JSON (which YAML reads the same): the words a reviewer wrote."""
    document = document_from_body(entry.id, entry.body)
    lines = [f"  {name}: {quoted(value)}" for name, value in document.items() if name != "menu"]
    lines.append("  menu:" if document["menu"] else "  menu: []")
    for item in document["menu"]:
        lines.append(f"    - option: {quoted(item['option'])}")
        lines.append(f"      destination: {quoted(item['destination'])}")
    return "\n".join(lines) + "\n"


def render_unlocked(lock_path: Path, holder: LockHolder) -> str:
    return f"removed {shown(str(lock_path))}: it was held by {shown(holder.describe())}"
