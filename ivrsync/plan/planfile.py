"""The plan as a versioned JSON document: `plan --format json`, `plan --out`, `apply PLANFILE`.

The document (version 2)::

    {
      "version": 2,
      "ivrsync_version": "0.1.0",
      "lineage": "<state lineage or null>",
      "serial": 7,
      "partial": false,
      "targets": null,                       # or the sorted ids of a --target plan
      "summary": {"update": 1, "adopt": 0, "forget": 0, "unchanged": 39},
      "changes": [{"id": 349, "name": "...", "action": "update", "source": "ivr-configs/x.yaml",
                   "fields": [{"field": "timeout", "before": 20, "after": 30}],
                   "body": {...} or null, "digest": "sha256:..." or null,
                   "state_digest": "sha256:..." or null}],
      "unchanged": [{"id": 350, "name": "...", "source": "..."}],
      "checksum": "sha256:<hex>"
    }

`checksum` is the sha256 of the canonical JSON (sorted keys, no spaces, UTF-8) of every other
field, so a plan edited by hand after review is refused rather than applied.

Reading is defensive, since the file is whatever path `apply` was given: only a regular file, at
most MAX_PLAN_BYTES (a FIFO or `/dev/zero` cannot stall or exhaust the run, which holds the state
lock), and only JSON this module could have written: no NaN, no integer beyond Python's
int-string limit, no lone surrogate (`"\\ud800"`), nesting at most MAX_PLAN_DEPTH levels. Each
of these is a PlanFileError naming the file, never a crash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from ivrsync import __version__
from ivrsync.body import in_body_order
from ivrsync.errors import PlanFileError
from ivrsync.files import read_regular_file, write_atomically
from ivrsync.model import Action, Change, FieldChange, IvrRef, Plan, State

PLAN_FORMAT_VERSION = 2

#: The largest plan file ivrsync reads, as large as the largest state file: a plan holds at most
#: one body per IVR, as the state does. A larger file is not a plan ivrsync made.
MAX_PLAN_BYTES = 64 << 20
#: How deeply a plan document may nest. A plan nests six levels (document, changes, change,
#: fields, field change, a list value); bodies are flat. Deeper JSON is no plan, and would drive
#: later recursive steps (digests, diffs) into Python's recursion limit.
MAX_PLAN_DEPTH = 32
_READ_HINT = "pass the file written by `ivrsync plan --out FILE`"

_ACTIONS: tuple[str, ...] = get_args(Action)
_TOP_FIELDS = (
    "version",
    "ivrsync_version",
    "lineage",
    "serial",
    "partial",
    "targets",
    "summary",
    "changes",
    "unchanged",
    "checksum",
)


def plan_to_document(plan: Plan, *, key: bytes | None = None) -> dict[str, Any]:
    """The plan as the documented JSON-compatible dict, checksum (or, with `key`, HMAC)
    included."""
    document: dict[str, Any] = {
        "version": PLAN_FORMAT_VERSION,
        "ivrsync_version": __version__,
        "lineage": plan.lineage,
        "serial": plan.serial,
        "partial": plan.targets is not None,
        "targets": None if plan.targets is None else list(plan.targets),
        "summary": {
            "update": plan.count("update"),
            "adopt": plan.count("adopt"),
            "forget": plan.count("forget"),
            "unchanged": len(plan.unchanged),
        },
        "changes": [_change_to_document(change) for change in plan.changes],
        "unchanged": [
            {"id": ref.id, "name": ref.name, "source": ref.source} for ref in plan.unchanged
        ],
    }
    document["checksum"] = document_checksum(document, key=key)
    return document


#: The environment variable holding the key of keyed plan checksums (a CI secret).
PLAN_KEY_VARIABLE = "IVRSYNC_PLAN_KEY"
_KEYED = "hmac-sha256:"


def document_checksum(document: Mapping[str, Any], *, key: bytes | None = None) -> str:
    """`sha256:<hex>` over the canonical JSON of the document without its `checksum` field, or
    with `key` `hmac-sha256:<hex>`: only a holder of the key can make a plan that verifies."""
    content = {name: value for name, value in document.items() if name != "checksum"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if key is not None:
        return _KEYED + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def render_plan_json(plan: Plan, *, key: bytes | None = None) -> str:
    """The plan document as text: indented, keys sorted, newline at the end."""
    document = plan_to_document(plan, key=key)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def save_plan(plan: Plan, path: Path, *, key: bytes | None = None) -> None:
    """Write the plan document to `path` atomically: readers see the old file or the new one.

    Raises `PlanFileError` naming the file when it cannot be written.
    """
    try:
        text = render_plan_json(plan, key=key)
        write_atomically(path, text.encode("utf-8"), make_folder=False)
    except OSError as exc:
        raise PlanFileError(
            f"cannot write the plan file {path}: {exc.strerror or exc}",
            hint="check that the folder is writable and the disk is not full",
        ) from exc


def load_plan(path: Path, *, key: bytes | None = None) -> Plan:
    """Read a plan saved by `save_plan` (or `plan --format json`). Never writes.

    Raises `PlanFileError` naming the file when it cannot be read, is not JSON, has another
    `version`, fails its checksum (it was edited) or lacks a documented field.
    `load_plan(p)` after `save_plan(plan, p)` equals `plan`.
    """
    document = _read_document(path)
    reader = _PlanReader(path)
    if not isinstance(document, dict):
        raise reader.error("", "expected a JSON object")
    # Version 1 plans named the key `version`; every document now says `version`.
    version = document.get("version", document.get("format_version"))
    if version != PLAN_FORMAT_VERSION:
        raise PlanFileError(
            f"the plan file {path} has version {json.dumps(version)}; "
            f"this ivrsync reads version {PLAN_FORMAT_VERSION}",
            hint="make the plan again with this ivrsync version: `ivrsync plan --out FILE`",
        )
    missing = [name for name in _TOP_FIELDS if name not in document]
    if missing:
        raise reader.error("", f"missing field(s): {', '.join(missing)}")
    _check_checksum(path, document, key)
    return reader.plan(document)


def _check_checksum(path: Path, document: Mapping[str, Any], key: bytes | None) -> None:
    """With a key, only a plan keyed with it passes; without one, a keyed plan is refused too
    (it cannot be checked), so a team that signs plans never applies an unsigned one by mistake."""
    given = str(document["checksum"])
    if given.startswith(_KEYED) and key is None:
        raise PlanFileError(
            f"the plan file {path} is signed with a key (hmac-sha256), and no key is set",
            hint=f"set {PLAN_KEY_VARIABLE} to the key the plan was made with",
        )
    if key is not None and not given.startswith(_KEYED):
        raise PlanFileError(
            f"the plan file {path} is not signed, and {PLAN_KEY_VARIABLE} is set: only plans "
            "made with the key are applied",
            hint=f"make the plan with {PLAN_KEY_VARIABLE} set: `ivrsync plan --out FILE`",
        )
    expected = document_checksum(document, key=key)
    if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8")):
        raise PlanFileError(
            f"the plan file {path} fails its checksum: it was changed after it was made",
            hint="never edit a plan; make a new one with `ivrsync plan --out FILE` and review it",
        )


def _read_document(path: Path) -> Any:
    """The parsed JSON of the plan file; PlanFileError for anything a plan cannot be."""
    try:
        data = read_regular_file(path, limit=MAX_PLAN_BYTES)
    except OSError as exc:
        raise PlanFileError(
            f"cannot read the plan file {path}: {exc.strerror or exc}", hint=_READ_HINT
        ) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanFileError(
            f"the plan file {path} is not UTF-8 text (byte {exc.start})", hint=_READ_HINT
        ) from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise PlanFileError(
            f"the plan file {path} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            hint=_READ_HINT,
        ) from None
    except RecursionError:
        refusal = f"it nests more than {MAX_PLAN_DEPTH} levels deep"
    except ValueError as exc:  # the int-string limit, or a refused constant
        refusal = (
            str(exc)
            if str(exc).startswith("it ")
            else (f"it holds an integer longer than {sys.get_int_max_str_digits()} digits")
        )
    else:
        refusal = _refusal(document)
        if not refusal:
            return document
    raise PlanFileError(f"the plan file {path} is not a valid plan: {refusal}", hint=_READ_HINT)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"it holds {name}, which is not a JSON number")


def _refusal(document: Any) -> str:
    """Why parsed JSON cannot be a plan ivrsync wrote, or "". Iterative: no recursion limit."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "it holds text that is not Unicode (a lone surrogate such as \\ud800)"
        elif isinstance(value, dict | list):
            if depth > MAX_PLAN_DEPTH:
                return f"it nests more than {MAX_PLAN_DEPTH} levels deep"
            items = [*value, *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    return ""


def _change_to_document(change: Change) -> dict[str, Any]:
    return {
        "id": change.id,
        "name": change.name,
        "action": change.action,
        "source": change.source,
        "fields": [
            {"field": fc.field, "before": fc.before, "after": fc.after} for fc in change.fields
        ],
        "body": None if change.body is None else dict(change.body),
        "digest": change.digest,
        "state_digest": change.state_digest,
    }


class _PlanReader:
    """Strict typed access to ivrsync's own plan document; every failure names the file and the
    field's path. (The read shape has its own reader in `smartflo.readshape`: that one maps a
    foreign, inconsistent shape with coercions, this one refuses anything ivrsync did not write.)"""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, where: str, message: str) -> PlanFileError:
        at = f" at {where}" if where else ""
        return PlanFileError(
            f"the plan file {self.path} is not a valid plan{at}: {message}",
            hint="pass the file written by `ivrsync plan --out FILE`, unedited",
        )

    def plan(self, document: Mapping[str, Any]) -> Plan:
        targets = document["targets"]
        if targets is not None:
            targets = tuple(
                self.int_(t, f"targets[{i}]") for i, t in enumerate(self.list_(targets, "targets"))
            )
        return Plan(
            lineage=self.optional_str(document["lineage"], "lineage"),
            serial=self.int_(document["serial"], "serial"),
            changes=tuple(
                self.change(item, f"changes[{i}]")
                for i, item in enumerate(self.list_(document["changes"], "changes"))
            ),
            unchanged=tuple(
                self.ref(item, f"unchanged[{i}]")
                for i, item in enumerate(self.list_(document["unchanged"], "unchanged"))
            ),
            targets=targets,
        )

    def change(self, item: Any, where: str) -> Change:
        obj = self.object_(
            item,
            where,
            ("id", "name", "action", "source", "fields", "body", "digest", "state_digest"),
        )
        action = obj["action"]
        if action not in _ACTIONS:
            raise self.error(f"{where}.action", f"expected one of {', '.join(_ACTIONS)}")
        body = obj["body"]
        if body is not None and not isinstance(body, dict):
            raise self.error(f"{where}.body", "expected an object or null")
        fields = tuple(
            self.field_change(fc, f"{where}.fields[{i}]")
            for i, fc in enumerate(self.list_(obj["fields"], f"{where}.fields"))
        )
        return Change(
            id=self.int_(obj["id"], f"{where}.id"),
            name=self.str_(obj["name"], f"{where}.name"),
            action=action,
            source=self.str_(obj["source"], f"{where}.source"),
            fields=fields,
            body=None if body is None else in_body_order(body),
            digest=self.optional_str(obj["digest"], f"{where}.digest"),
            state_digest=self.optional_str(obj["state_digest"], f"{where}.state_digest"),
        )

    def field_change(self, item: Any, where: str) -> FieldChange:
        obj = self.object_(item, where, ("field", "before", "after"))
        return FieldChange(self.str_(obj["field"], f"{where}.field"), obj["before"], obj["after"])

    def ref(self, item: Any, where: str) -> IvrRef:
        obj = self.object_(item, where, ("id", "name", "source"))
        return IvrRef(
            self.int_(obj["id"], f"{where}.id"),
            self.str_(obj["name"], f"{where}.name"),
            self.str_(obj["source"], f"{where}.source"),
        )

    def object_(self, value: Any, where: str, required: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(where, "expected an object")
        missing = [name for name in required if name not in value]
        if missing:
            raise self.error(where, f"missing field(s): {', '.join(missing)}")
        return value

    def list_(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.error(where, "expected a list")
        return value

    def int_(self, value: Any, where: str) -> int:
        # bool is an int in Python, never in a plan.
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error(where, "expected an integer")
        return value

    def str_(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.error(where, "expected a string")
        return value

    def optional_str(self, value: Any, where: str) -> str | None:
        return None if value is None else self.str_(value, where)


def moved_since_plan(plan: Plan, state: State) -> list[Change]:
    """The plan's changes whose IVR the state no longer holds as it did when the plan was made."""
    moved = []
    for change in plan.changes:
        entry = state.entries.get(change.id)
        if (entry.digest if entry is not None else None) != change.state_digest:
            moved.append(change)
    return moved


def check_plan_current(plan: Plan, state: State) -> None:
    """Raise PlanFileError when `state` is not the state the saved `plan` was made from.

    The lineage and serial decide; the message names every IVR of the plan whose state entry
    moved since, so the user knows what a new review would show.
    """
    if plan.lineage == state.lineage and plan.serial == state.serial:
        return
    moved = moved_since_plan(plan, state)
    was = f"lineage {plan.lineage or 'none'}, serial {plan.serial}"
    now = f"lineage {state.lineage or 'none'}, serial {state.serial}"
    lines = [f"the state changed since this plan was made ({was}; now {now}); nothing was sent"]
    if moved:
        lines.append(f"IVRs of this plan whose state moved ({len(moved)}):")
        lines.extend(f"  {c.id} {c.name}" for c in moved)
    else:
        lines.append("none of this plan's IVRs moved, but other state entries did")
    raise PlanFileError(
        "\n".join(lines),
        hint="make and review a new plan (`ivrsync plan --out FILE`), then apply that file",
    )
