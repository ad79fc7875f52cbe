"""Create intents: the new IVRs an apply is creating, written down before each POST.

`<state>.creates` holds, as one JSON document, every create ivrsync has begun and not finished:
`{"version": 1, "intents": [{"name", "source", "body", "digest", "started_at", "id"}]}`. An
intent is written (atomically, fsynced) before the POST with `id` null, rewritten with the new
id once the state records it, and removed once the id is in the IVR's file too. A POST is not
idempotent, so this file is how the next run tells "a create I may have made" (complete it from
the live IVRs) from "an IVR someone else made with that name" (refuse it): a run killed between
the POST and the id discovery, or a POST whose answer was lost, leaves its intent here.

Only a run holding the state lock writes it. Losing it is safe (the live-name check refuses a
create whose name exists), so a corrupt file is an error to fix by hand, never guessed around.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from ivrsync.errors import StateError
from ivrsync.files import read_regular_file, write_atomically
from ivrsync.model import CreateIntent
from ivrsync.state.document import CorruptDocument, NotJson, decode_json, parse_entry

INTENTS_VERSION: Final = 1
#: Intents are a handful of bodies at most (the creates of one run).
MAX_INTENTS_BYTES: Final = 16 << 20
_KEYS: Final = frozenset({"name", "source", "body", "digest", "started_at", "id"})


class CreateIntents:
    """The create intents file at `path`. Cheap to create; touches no file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> tuple[CreateIntent, ...]:
        """Every intent, in the order written; () when the file does not exist.

        Raises StateError naming the file when it cannot be read or is not an intents file.
        """
        try:
            data = read_regular_file(self.path, limit=MAX_INTENTS_BYTES)
        except FileNotFoundError:
            return ()
        except OSError as exc:
            raise self._error(f"cannot be read: {exc.strerror or exc}") from exc
        try:
            return _parse(decode_json(data))
        except (CorruptDocument, NotJson) as exc:
            raise self._error(f"is corrupt: {exc}") from None

    def add(self, intent: CreateIntent) -> None:
        """Write `intent` down (durable when this returns), replacing one of the same name."""
        kept = [i for i in self.load() if i.name != intent.name]
        self._write([*kept, intent])

    def remove(self, name: str) -> None:
        """Drop the intent of `name` (its create is settled); the file goes with the last one."""
        intents = self.load()
        kept = [i for i in intents if i.name != name]
        if len(kept) == len(intents):
            return
        if kept:
            self._write(kept)
        else:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise self._error(f"cannot be removed: {exc.strerror or exc}") from exc

    def _write(self, intents: Sequence[CreateIntent]) -> None:
        document = {"version": INTENTS_VERSION, "intents": [_document(i) for i in intents]}
        text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        try:
            write_atomically(self.path, text.encode("utf-8"))
        except OSError as exc:
            raise self._error(f"cannot be written: {exc.strerror or exc}") from exc

    def _error(self, what: str) -> StateError:
        return StateError(
            f"the create intents file {self.path} {what}",
            hint="it lists creates a killed run may have made; compare it with the IVRs in the "
            "portal, import any it made (`ivrsync import --id N`), then delete the file",
        )


def recorded_ids(intents: Sequence[CreateIntent]) -> dict[str, int]:
    """The creates recorded in the state whose id is not yet in their file: id by name."""
    return {i.name: i.ivr_id for i in intents if i.ivr_id is not None}


def _document(intent: CreateIntent) -> dict[str, Any]:
    return {
        "name": intent.name,
        "source": intent.source,
        "body": dict(intent.body),
        "digest": intent.digest,
        "started_at": intent.started_at,
        "id": intent.ivr_id,
    }


def _parse(document: object) -> tuple[CreateIntent, ...]:
    if not isinstance(document, dict) or document.get("version") != INTENTS_VERSION:
        raise CorruptDocument(f"expected an object with version {INTENTS_VERSION}")
    raw = document.get("intents")
    if not isinstance(raw, list):
        raise CorruptDocument("intents must be a list")
    intents = []
    for index, item in enumerate(raw):
        where = f"intents[{index}]"
        if not isinstance(item, dict) or set(item) != _KEYS or not isinstance(item["name"], str):
            raise CorruptDocument(f"{where} must be an object with {', '.join(sorted(_KEYS))}")
        # The same checks as a state entry's (shape, Unicode, depth, digest), with the start
        # time in the place of the applied time; the id is not known yet (1 stands in).
        entry = parse_entry(
            1,
            {
                "body": item["body"],
                "digest": item["digest"],
                "source": item["source"],
                "applied_at": item["started_at"],
            },
            where,
        )
        ivr_id = item["id"]
        if ivr_id is not None and (
            not isinstance(ivr_id, int) or isinstance(ivr_id, bool) or ivr_id < 1
        ):
            raise CorruptDocument(f"{where}.id must be a positive integer or null")
        intents.append(
            CreateIntent(
                item["name"], entry.source, entry.body, entry.digest, entry.applied_at, ivr_id
            )
        )
    return tuple(intents)
