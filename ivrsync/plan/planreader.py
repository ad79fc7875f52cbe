"""Strict typed reading of ivrsync's own plan document (`planfile` says what it holds).

The read shape has its own reader in `smartflo.readshape`: that one maps a foreign, inconsistent
shape with coercions; this one refuses anything ivrsync did not write, naming the file and the
field's path.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from ivrsync.body import in_body_order
from ivrsync.errors import PlanFileError
from ivrsync.model import Action, Change, Create, FieldChange, IvrRef, Plan

_ACTIONS: tuple[str, ...] = get_args(Action)


class PlanReader:
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

    def plan(self, document: Mapping[str, Any], *, creates: bool) -> Plan:
        """The plan of a document; `creates`: its version may hold creates (3 on)."""
        targets = document["targets"]
        if targets is not None:
            targets = tuple(
                self.int_(t, f"targets[{i}]") for i, t in enumerate(self.list_(targets, "targets"))
            )
        made: list[Create] = []
        changes: list[Change] = []
        for i, item in enumerate(self.list_(document["changes"], "changes")):
            where = f"changes[{i}]"
            if creates and isinstance(item, dict) and item.get("action") == "create":
                made.append(self.create(item, where))
            else:
                changes.append(self.change(item, where))
        return Plan(
            lineage=self.optional_str(document["lineage"], "lineage"),
            serial=self.int_(document["serial"], "serial"),
            changes=tuple(changes),
            creates=tuple(made),
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
        if action not in _ACTIONS or action == "create":
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

    def create(self, item: Any, where: str) -> Create:
        required = ("id", "name", "action", "source", "fields", "body", "digest", "routes_to")
        obj = self.object_(item, where, required)
        if obj["id"] is not None:
            raise self.error(f"{where}.id", "expected null: a new IVR has no id yet")
        body = obj["body"]
        if not isinstance(body, dict):
            raise self.error(f"{where}.body", "expected an object")
        routes = self.list_(obj["routes_to"], f"{where}.routes_to")
        return Create(
            name=self.str_(obj["name"], f"{where}.name"),
            source=self.str_(obj["source"], f"{where}.source"),
            fields=tuple(
                self.field_change(fc, f"{where}.fields[{i}]")
                for i, fc in enumerate(self.list_(obj["fields"], f"{where}.fields"))
            ),
            body=in_body_order(body),
            digest=self.str_(obj["digest"], f"{where}.digest"),
            routes_to=tuple(self.str_(r, f"{where}.routes_to[{i}]") for i, r in enumerate(routes)),
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
