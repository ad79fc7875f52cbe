"""A saved plan is checked before apply sends anything: it must say exactly what it sends.

The plan file's checksum is an unkeyed sha256 (or, with `IVRSYNC_PLAN_KEY`, an HMAC): it
catches an edited plan by accident, not an adversary who can edit the artifact. So apply never
trusts a plan more than a reviewer did: before any request, each body must pass the schema and
be canonical (exactly what `plan` would have made from a file), match its digest, and produce,
against the current state, exactly the field changes the plan shows (what the reviewer read).
"""

from __future__ import annotations

from ivrsync.body import body_from_document, digest_body, document_from_body, referenced_names
from ivrsync.config.validate import document_errors
from ivrsync.errors import PlanFileError
from ivrsync.model import BODY_FIELDS, Body, Change, Create, Plan, State
from ivrsync.plan.diff import all_fields, diff_bodies


def verify_saved_plan(plan: Plan, state: State) -> None:
    """Raise PlanFileError naming every change whose body or fields do not hold up."""
    problems = [f"  new {c.name!r}: {why}" for c in plan.creates if (why := _create_problem(c))]
    problems += [f"  {c.id} {c.name}: {why}" for c in plan.changes if (why := _problem(c, state))]
    if problems:
        raise PlanFileError(
            "the plan file does not hold up; nothing was sent:\n" + "\n".join(problems),
            hint="apply only plans CI made itself (its own artifacts); make and review a new "
            "plan with `ivrsync plan --out FILE`",
        )


_EDITED = "the field changes it shows are not what its body does (edited after review?)"


def _body_problem(body: Body, digest: str, ivr_id: int | None, request: str) -> str | None:
    """Why a saved body is not one ivrsync could have made (fields, schema, canonical form,
    digest); `ivr_id` None for a new IVR, whose file has no id."""
    if list(body) != list(BODY_FIELDS):
        return f"its body has other fields than the {request} body's"
    document = document_from_body(ivr_id or 1, body)
    if ivr_id is None:
        del document["id"]
    errors = document_errors(document)
    if errors:
        return "its body fails the schema: " + "; ".join(errors[:3])
    if body_from_document(document) != dict(body):
        return "its body is not in canonical form (no plan made by ivrsync looks like this)"
    if digest_body(body) != digest:
        return "its body does not match its digest"
    return None


def _create_problem(create: Create) -> str | None:
    """Why a saved create does not hold up, as `_problem` asks of the others; None when it does."""
    body = create.body
    why = _body_problem(body, create.digest, None, "POST")
    if why is not None:
        return why
    if body.get("name") != create.name or referenced_names(body) != create.routes_to:
        return "its name or the new IVRs it routes to are not its body's"
    return _EDITED if all_fields(body) != create.fields else None


def _problem(change: Change, state: State) -> str | None:
    entry = state.entries.get(change.id)
    if change.action == "forget":
        if change.body is not None or change.fields:
            return "a forget must send nothing"
        return None if entry is not None else "forgets an IVR the state does not manage"
    body = change.body
    if body is None or change.digest is None:
        return f"an {change.action} without a body"
    why = _body_problem(body, change.digest, change.id, "PUT")
    if why is not None:
        return why
    if change.action == "update":
        if entry is None:
            return "updates an IVR the state does not manage"
        expected = diff_bodies(entry.body, body)
    else:
        if entry is not None:
            return "adopts an IVR the state already manages"
        expected = all_fields(body)
    return _EDITED if expected != change.fields else None


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
