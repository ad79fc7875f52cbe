"""New IVRs: files without an `id`, and the plan's creates (`POST /v1/ivr`)."""

from __future__ import annotations

from dataclasses import dataclass

from ivrsync.model.values import Body, FieldChange


@dataclass(frozen=True)
class NewIvrConfig:
    """One valid IVR file without an `id`: an IVR that `apply` creates.

    `body` may still hold name references (`ivr|@<name>`) to other new IVRs: their ids exist
    only once those are created. References to IVRs with ids are already resolved.
    """

    name: str
    source: str
    body: Body
    digest: str  # of `body` as it stands, references included


@dataclass(frozen=True)
class Create:
    """What a plan creates: one new IVR, its whole body, and the new IVRs it routes to.

    `routes_to` names the other new IVRs this one's body refers to (`ivr|@<name>`), so apply
    creates those first. `fields` is the whole body as changes from nothing, as for an adopt.
    """

    name: str
    source: str
    fields: tuple[FieldChange, ...]
    body: Body
    digest: str
    routes_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreateIntent:
    """A create ivrsync journaled before its POST and has not finished.

    `ivr_id` is None until the new id is known and recorded in the state; the intent is dropped
    once the id is written into the file too. A run killed (or a POST answered ambiguously)
    before that leaves it, and the next apply completes the create: with no id, from the live
    IVRs; with one, by writing the id into the file.
    """

    name: str
    source: str
    body: Body
    digest: str
    started_at: str  # ISO 8601, UTC
    ivr_id: int | None = None
