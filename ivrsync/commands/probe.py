"""`probe`: settle the API dialect on the user's own account, with one scratch IVR.

The questions (smartflo-api.md, section 6) are answered by the server itself: which auth scheme
it accepts, which reference separator an IVR PUT takes, which read field holds which of the two
"invalid" recordings, whether a full PUT clears a menu option's webhook, and which of the
account's destination types the IVR PUT accepts. Test bodies are built only from values the
account already has (its recordings and destinations), each PUT is read back, and the scratch
IVR's original body is restored and verified at the end, whatever happened in between.

At most `MAX_REQUESTS` requests are sent (login included), paced by the rate limit setting.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ivrsync.body import REFERENCE_SEPARATOR, Separator
from ivrsync.commands.runtime import Runtime
from ivrsync.errors import ApiError, IvrsyncError, UsageError
from ivrsync.files import write_atomically
from ivrsync.model import Body, ProbeFinding
from ivrsync.settings import SETTINGS_FILE_NAME, write_dialect
from ivrsync.smartflo.readshape import (
    MENU_FIELD,
    WEBHOOK_FIELD,
    RecordingMapping,
    live_ivr_from_read_shape,
)
from ivrsync.state import StateStore

#: The most destination types tried (one PUT each): enough for every type the docs name.
MAX_DESTINATION_TYPES = 6
#: Login, the first read (and its one retry with the other auth scheme), two separators with a
#: read each, the destination types, the restore and its read.
MAX_REQUESTS = 1 + 2 + 4 + MAX_DESTINATION_TYPES + 2

SEPARATORS: tuple[Separator, ...] = ("|", "||")
MAPPINGS: tuple[RecordingMapping, ...] = ("swapped", "direct")


@dataclass(frozen=True)
class ProbeResult:
    findings: tuple[ProbeFinding, ...]
    restored: bool
    original: Mapping[str, Any]  # the scratch IVR's PUT body before the probe
    requests: int
    written_to: Path | None = None
    restore_file: Path | None = None

    @property
    def answers(self) -> dict[str, str]:
        """The dialect settings learned (`separator`, `auth_scheme`, `recordings`)."""
        keys = ("separator", "auth_scheme", "recordings")
        return {f.question: f.answer for f in self.findings if f.question in keys and f.answer}


@dataclass
class _Session:
    client: Any
    ivr_id: int
    requests: int = 0
    changed: bool = False  # a PUT was accepted: the scratch IVR must be restored
    findings: list[ProbeFinding] = field(default_factory=list)

    def read(self) -> list[dict[str, Any]]:
        self.requests += 1
        items: list[dict[str, Any]] = self.client.list_ivrs()
        return items

    def put(self, body: Body) -> str:
        self.requests += 1
        message: str = self.client.put_ivr(self.ivr_id, body)
        self.changed = True
        return message

    def item(self, items: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
        return next((i for i in items if str(i.get("id")).strip() == str(self.ivr_id)), None)


def probe(
    ivr_id: int,
    runtime: Runtime,
    *,
    write: bool,
    allow_managed: bool,
    confirm: Callable[[str], bool],
) -> ProbeResult:
    """Probe the dialect with IVR `ivr_id`. Raises UsageError for a managed IVR (unless
    `allow_managed`) or when the person does not confirm; ApiError when the account cannot be
    read at all. Never leaves the scratch IVR changed without saying so in the result."""
    settings = runtime.settings
    runtime.check_base_url()
    credentials = runtime.credentials()
    if ivr_id in StateStore(settings.paths.state).load().entries and not allow_managed:
        raise UsageError(
            f"IVR {ivr_id} is managed by ivrsync (it is in the state); the probe rewrites it",
            hint="make a scratch IVR in the portal for the probe, or pass --allow-managed",
        )
    question = (
        f"The probe rewrites IVR {ivr_id} several times (at most {MAX_REQUESTS} requests) and "
        "then restores it. Go on?"
    )
    if not confirm(question):
        raise UsageError("probe cancelled; nothing was sent")
    with runtime.open_client(settings.smartflo, credentials, auth_scheme="auto") as client:
        session = _Session(client, ivr_id)
        items = session.read()
        session.findings.append(_auth_finding(client))
        original_item = session.item(items)
        if original_item is None:
            raise UsageError(
                f"IVR {ivr_id} is not in the account (GET /v1/ivrs does not list it)",
                hint="create a scratch IVR in the portal and pass its id",
            )
        original_item = dict(original_item)
        return _run(session, items, original_item, runtime, write=write)


def _auth_finding(client: Any) -> ProbeFinding:
    used = client.auth_scheme_used
    if used is None:
        return ProbeFinding("auth_scheme", None, "no request was accepted")
    other = "raw" if used == "bearer" else "bearer"
    if client.auth_scheme_used == "raw":
        evidence = "GET /v1/ivrs with `Bearer <token>` was refused (401); the raw token worked"
    else:
        evidence = f"GET /v1/ivrs with `Bearer <token>` was accepted ({other} not needed)"
    return ProbeFinding("auth_scheme", used, evidence)


def _run(
    session: _Session,
    items: list[dict[str, Any]],
    original_item: dict[str, Any],
    runtime: Runtime,
    *,
    write: bool,
) -> ProbeResult:
    # Both mappings read the same menu and destinations; the recordings are settled below, and
    # the restore uses the mapping learned (or the setting, if the account could not tell).
    mapping: RecordingMapping = runtime.settings.smartflo.recordings
    original = live_ivr_from_read_shape(original_item, recordings=mapping).body
    recordings = _recordings(items)
    test = dict(original)
    if len(recordings) >= 2:
        test["invalid_recording"], test["recording_invalid"] = recordings[0], recordings[1]
    separator: Separator | None = None
    stored: Mapping[str, Any] | None = None
    evidence = []
    try:
        for candidate in SEPARATORS:
            session.client.separator = candidate
            try:
                session.put(test)
            except ApiError as refused:
                evidence.append(f"PUT with {candidate!r} refused: {refused.message}")
                continue
            read = session.item(session.read())
            if read is not None and _references_equal(read, test):
                separator, stored = candidate, read
                evidence.append(f"with {candidate!r} read back equal")
                break
            evidence.append(f"with {candidate!r} accepted but read back differently")
        session.findings.append(ProbeFinding("separator", separator, "; ".join(evidence)))
        if separator is not None and stored is not None:
            mapping = _recordings_finding(session, stored, test, recordings, mapping)
            _webhook_finding(session, original_item, stored)
            _destination_finding(session, items, test)
        else:
            session.findings.append(
                ProbeFinding("recordings", None, "no separator worked, so nothing was read back")
            )
    finally:
        restored, restore_file = _restore(session, original_item, mapping, separator, runtime)
    result = ProbeResult(tuple(session.findings), restored, original, session.requests)
    result = replace(result, restore_file=restore_file)
    if write and result.answers:
        target = runtime.settings.file or Path(SETTINGS_FILE_NAME)
        write_dialect(target, result.answers)
        result = replace(result, written_to=target)
    return result


def _recordings(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """Distinct `recording|<id>` references the account already uses, in a stable order."""
    fields = ("recording", "invalid_recording", "timeout_retry_recording", "timeout_recording")
    found: dict[str, None] = {}
    for item in items:
        try:
            body = live_ivr_from_read_shape(item).body
        except ApiError:
            continue
        for name in (*fields, "recording_invalid"):
            value = body.get(name)
            if isinstance(value, str) and value.startswith("recording" + REFERENCE_SEPARATOR):
                found.setdefault(value)
    return list(found)


def _references_equal(read: Mapping[str, Any], sent: Body) -> bool:
    """Does the read item hold the sent references (the recording pair aside)?"""
    try:
        body = live_ivr_from_read_shape(read).body
    except ApiError:
        return False
    pair = {"invalid_recording", "recording_invalid"}
    return all(body[name] == sent[name] for name in sent if name not in pair)


def _recordings_finding(
    session: _Session,
    stored: Mapping[str, Any],
    sent: Body,
    recordings: Sequence[str],
    fallback: RecordingMapping,
) -> RecordingMapping:
    if len(recordings) < 2:
        session.findings.append(
            ProbeFinding("recordings", None, "the account has fewer than two distinct recordings")
        )
        return fallback
    for mapping in MAPPINGS:
        body = live_ivr_from_read_shape(stored, recordings=mapping).body
        if (body["invalid_recording"], body["recording_invalid"]) == (
            sent["invalid_recording"],
            sent["recording_invalid"],
        ):
            read_name = "invalid_retry_recording" if mapping == "swapped" else "invalid_recording"
            evidence = (
                f"sent invalid_recording {sent['invalid_recording']} and recording_invalid "
                f"{sent['recording_invalid']}; the read field {read_name} shows the first"
            )
            session.findings.append(ProbeFinding("recordings", mapping, evidence))
            return mapping
    session.findings.append(ProbeFinding("recordings", None, "neither mapping reads back equal"))
    return fallback


def _webhooks(item: Mapping[str, Any]) -> dict[str, str]:
    menu = item.get(MENU_FIELD)
    if not isinstance(menu, list):
        return {}
    return {
        str(entry.get("option")): str(entry.get(WEBHOOK_FIELD))
        for entry in menu
        if isinstance(entry, Mapping) and str(entry.get(WEBHOOK_FIELD, "0")) not in ("", "0")
    }


def _webhook_finding(
    session: _Session, before: Mapping[str, Any], after: Mapping[str, Any]
) -> None:
    had = _webhooks(before)
    if not had:
        session.findings.append(
            ProbeFinding("webhooks", None, "the scratch IVR has no webhook on a menu option")
        )
        return
    kept = _webhooks(after)
    cleared = sorted(set(had) - set(kept))
    answer = "cleared by a full PUT" if cleared else "kept by a full PUT"
    keys = ", ".join(cleared or sorted(had))
    session.findings.append(ProbeFinding("webhooks", answer, f"options {keys} had a webhook"))


def _destination_finding(session: _Session, items: Sequence[Mapping[str, Any]], base: Body) -> None:
    examples: dict[str, str] = {}
    for item in items:
        try:
            body = live_ivr_from_read_shape(item).body
        except ApiError:
            continue
        for destination in (*body["destination"], body["invalid_destination"]):
            kind = destination.partition(REFERENCE_SEPARATOR)[0]
            examples.setdefault(kind, destination)
    accepted, refused = [], []
    for kind, destination in list(examples.items())[:MAX_DESTINATION_TYPES]:
        body = dict(base) | {"timeout_destination": destination}
        try:
            session.put(body)
            accepted.append(kind)
        except ApiError as exc:
            refused.append(f"{kind} ({exc.message})")
    answer = ", ".join(accepted) or None
    evidence = "refused: " + "; ".join(refused) if refused else "every type tried was accepted"
    session.findings.append(ProbeFinding("destination types", answer, evidence))


def _restore(
    session: _Session,
    original_item: Mapping[str, Any],
    mapping: RecordingMapping,
    separator: Separator | None,
    runtime: Runtime,
) -> tuple[bool, Path | None]:
    """PUT the original body back and verify it by reading it back; on failure, save it where
    a person finds it. With no separator learned, each is tried (a lenient server accepted a
    test body without storing it right)."""
    body = live_ivr_from_read_shape(original_item, recordings=mapping).body
    if not session.changed:
        return True, None
    order = [separator] if separator is not None else list(SEPARATORS)
    for candidate in order:
        try:
            session.client.separator = candidate
            session.put(body)
            read = session.item(session.read())
        except IvrsyncError as exc:
            runtime.warn(f"the restore of IVR {session.ivr_id} failed: {exc.message}")
            continue
        if read is not None and live_ivr_from_read_shape(read, recordings=mapping).body == body:
            return True, None
    saved = runtime.settings.paths.state.parent / f"probe-{session.ivr_id}-original.json"
    text = json.dumps(dict(body), indent=2, ensure_ascii=False) + "\n"
    write_atomically(saved, text.encode("utf-8"))
    return False, saved
