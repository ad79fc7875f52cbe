"""The plan as a versioned JSON document: `plan --format json`, `plan --out`, `apply PLANFILE`.

The document (version 3)::

    {
      "version": 3,
      "ivrsync_version": "0.1.0",
      "lineage": "<state lineage or null>",
      "serial": 7,
      "partial": false,
      "targets": null,                       # or the sorted ids of a --target plan
      "summary": {"create": 1, "update": 1, "adopt": 0, "forget": 0, "unchanged": 39},
      "changes": [{"id": null, "name": "Returns", "action": "create", ...,
                   "routes_to": ["Refunds"]},
                  {"id": 349, "name": "...", "action": "update", "source": "ivr-configs/x.yaml",
                   "fields": [{"field": "timeout", "before": 20, "after": 30}],
                   "body": {...} or null, "digest": "sha256:..." or null,
                   "state_digest": "sha256:..." or null}],
      "unchanged": [{"id": 350, "name": "...", "source": "..."}],
      "checksum": "sha256:<hex>"
    }

Version 3 added creates: a new IVR is a change with `"action": "create"` and `"id": null`, its
whole body, `state_digest` null, and `routes_to`, the names of the new IVRs it routes to (its
body says `ivr|@<name>` for them). Creates come first, in the order apply sends them; other
changes may route to them by name too. `summary` gained `create`. Version 2 documents (no
creates) are still read.

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
from ivrsync.errors import PlanFileError
from ivrsync.files import read_regular_file, write_atomically
from ivrsync.model import Action, Change, Create, Plan
from ivrsync.plan.planreader import PlanReader

PLAN_FORMAT_VERSION = 3
#: Older versions this ivrsync still reads (each a subset of the current one).
_READABLE_VERSIONS = (2, PLAN_FORMAT_VERSION)

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
            "create": plan.count("create"),
            "update": plan.count("update"),
            "adopt": plan.count("adopt"),
            "forget": plan.count("forget"),
            "unchanged": len(plan.unchanged),
        },
        "changes": [
            *(_create_to_document(create) for create in plan.creates),
            *(_change_to_document(change) for change in plan.changes),
        ],
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
    reader = PlanReader(path)
    if not isinstance(document, dict):
        raise reader.error("", "expected a JSON object")
    # Version 1 plans named the key `version`; every document now says `version`.
    version = document.get("version", document.get("format_version"))
    if version not in _READABLE_VERSIONS:
        raise PlanFileError(
            f"the plan file {path} has version {json.dumps(version)}; "
            f"this ivrsync reads version {PLAN_FORMAT_VERSION}",
            hint="make the plan again with this ivrsync version: `ivrsync plan --out FILE`",
        )
    missing = [name for name in _TOP_FIELDS if name not in document]
    if missing:
        raise reader.error("", f"missing field(s): {', '.join(missing)}")
    _check_checksum(path, document, key)
    return reader.plan(document, creates=version >= 3)


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


def _create_to_document(create: Create) -> dict[str, Any]:
    return {
        "id": None,
        "name": create.name,
        "action": "create",
        "source": create.source,
        "fields": [
            {"field": fc.field, "before": fc.before, "after": fc.after} for fc in create.fields
        ],
        "body": dict(create.body),
        "digest": create.digest,
        "state_digest": None,
        "routes_to": list(create.routes_to),
    }


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
