"""The one mapping between the read shape of `GET /v1/ivrs` and the PUT body.

Smartflo lists IVRs in a different shape from the one `PUT /v1/ivr/{id}` takes (see
smartflo-api.md, "List"): renamed fields, a destination's type and id in two fields, bare recording
ids, and ids that arrive as strings or numbers, even within one object. Every read-shape field name
ivrsync knows lives in the tables below, so a correction to the docs is a one-line change here.

`live_ivr_from_read_shape` produces exactly the body `ivrsync.body.body_from_document` would for
the same IVR (BODY_FIELDS order, wire references, menu sorted by DTMF key, options as strings), so
live IVRs, YAML files and the state compare with `==` and share digests.
`read_shape_from_body` is its inverse; the fake server stores PUT bodies with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, NoReturn

from ivrsync.body import REFERENCE_SEPARATOR, dtmf_key, dtmf_rank
from ivrsync.errors import ApiError
from ivrsync.model import BODY_FIELDS, Body, LiveIvr

#: The type a bare recording id on the read side stands for.
RECORDING_TYPE = "recording"

#: Read-shape string fields copied as they are.
TEXT_READ_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "name"),
    ("description", "description"),
)

#: Read-shape integer fields -> body fields.
INTEGER_READ_FIELDS: tuple[tuple[str, str], ...] = (
    ("timeout", "timeout"),
    ("invalid_retries", "incorrect_count"),
    ("timeout_retries", "timeout_tries"),
)

#: Read-shape recording fields (bare ids) -> body fields (`recording|<id>`).
#:
#: [inference] The docs never say which read field is the body's `invalid_recording` and which
#: its `recording_invalid`. The read side has `invalid_retry_recording` (a string, like every
#: other recording) and `invalid_recording` (a number); we take the names to be reversed, as the
#: smartflo-api.md table does: read `invalid_retry_recording` (played on each invalid entry) is
#: the body's `invalid_recording`, and read `invalid_recording` is the body's `recording_invalid`.
#: #: The `[smartflo] recordings` setting chooses: "swapped" is this reading, "direct" the other
#: (read `invalid_recording` is the body's `invalid_recording`); `ivrsync probe` settles it.
RecordingMapping = Literal["swapped", "direct"]
RECORDING_FIELDS_BY_MAPPING: dict[str, tuple[tuple[str, str], ...]] = {
    "swapped": (
        ("recording", "recording"),
        ("invalid_retry_recording", "invalid_recording"),
        ("timeout_retry_recording", "timeout_retry_recording"),
        ("timeout_recording", "timeout_recording"),
        ("invalid_recording", "recording_invalid"),
    ),
    "direct": (
        ("recording", "recording"),
        ("invalid_retry_recording", "recording_invalid"),
        ("timeout_retry_recording", "timeout_retry_recording"),
        ("timeout_recording", "timeout_recording"),
        ("invalid_recording", "invalid_recording"),
    ),
}
#: The default mapping's rows.
RECORDING_FIELDS = RECORDING_FIELDS_BY_MAPPING["swapped"]

#: Read-shape recording fields that the list sample shows as JSON numbers; `read_shape_from_body`
#: writes them as numbers too (when that loses nothing, e.g. no leading zero).
NUMERIC_READ_IDS: frozenset[str] = frozenset({"invalid_recording"})

#: (read type field, read id field) -> body field, for destinations split in two on the read side.
DESTINATION_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("invalid_destination_type", "invalid_destination", "invalid_destination"),
    ("timeout_dest_type", "timeout_destination", "timeout_destination"),
)

#: The menu: a list of objects under this key, each with these fields.
MENU_FIELD = "ivr_menu"
MENU_OPTION = "option"
MENU_DESTINATION_TYPE = "destination_type"
MENU_DESTINATION_ID = "destination_id"
#: Menu fields the PUT body cannot express (or, for SMS templates, only where the account has them
#: enabled): a non-zero value is a warning, since a full PUT may clear it. "0" means none.
MENU_PORTAL_ONLY: tuple[str, ...] = ("webhook_id", "sms_template_id")
SMS_TEMPLATE_FIELD = "sms_template_id"
WEBHOOK_FIELD = "webhook_id"

#: The optional body field carrying per-option SMS templates (Servetel/Acefone document it).
BODY_SMS_TEMPLATE = "sms_template"

#: A read-only field kept by `read_shape_from_body` from the previous read shape.
ADDED_BY = "added_by"

#: Key order of a read-shape item, as in the documented sample (only for readable output).
READ_ORDER: tuple[str, ...] = (
    "id",
    "name",
    "description",
    "recording",
    "timeout",
    "invalid_retries",
    "invalid_retry_recording",
    "invalid_destination_type",
    "invalid_destination",
    "timeout_retry_recording",
    "timeout_recording",
    "timeout_dest_type",
    "timeout_destination",
    "timeout_retries",
    ADDED_BY,
    "invalid_recording",
    MENU_FIELD,
)

_NONE_IDS = frozenset({"", "0"})

#: The largest IVR id ivrsync takes from the server. Smartflo ids are database keys; an id the
#: state, the YAML files and `PUT /v1/ivr/{id}` must all carry is refused beyond a signed 64-bit
#: integer, as it is when it is not positive (the state refuses ids below 1).
MAX_IVR_ID = 2**63 - 1
#: Digits of the longest integer read from a string (`"20"`): any field's honest value is far
#: shorter, and int() of a text beyond Python's int-string limit raises.
_MAX_DIGITS = 30
_QUOTED = 40


class _ItemReader:
    """Reads one read-shape item, raising ApiError that names the IVR and the field."""

    def __init__(self, item: Mapping[str, Any], index: int | None = None) -> None:
        self.item = item
        self.label = "an IVR" if index is None else f"IVR #{index + 1} of the list"
        if not isinstance(item, Mapping):
            self.fail("", f"expected a JSON object, got {_json_type(item)}")
        name = item.get("name")
        if isinstance(name, str):
            self.label += f" (named {_quoted(name)})"
        self.id = self.ivr_id()
        self.label = f"IVR {self.id}"

    def ivr_id(self) -> int:
        """The item's id: refused unless an integer from 1 to MAX_IVR_ID, the ids the state,
        the YAML files and the next PUT can all carry."""
        value = self.value("id", self.item)
        ivr_id = self.integer("id", self.item)
        if not 1 <= ivr_id <= MAX_IVR_ID:
            self.fail(
                "id",
                f"an IVR id must be a whole number from 1 to {MAX_IVR_ID}, got {_json_type(value)}",
            )
        return ivr_id

    def fail(self, field: str, problem: str) -> NoReturn:
        where = f"{self.label}, field {field!r}" if field else self.label
        raise ApiError(
            f"cannot read {where} from GET /v1/ivrs: {problem}",
            hint="the API's read shape may have changed; ivrsync.smartflo.readshape maps it",
        )

    def value(self, field: str, source: Mapping[str, Any], where: str = "") -> Any:
        """`source[field]`; `where` prefixes the field in errors (`ivr_menu[0].`)."""
        if field not in source:
            self.fail(where + field, "missing")
        return source[field]

    def text(self, field: str, source: Mapping[str, Any], where: str = "") -> str:
        value = self.value(field, source, where)
        if not isinstance(value, str):
            self.fail(where + field, f"expected a string, got {_json_type(value)}")
        return self.unicode(where + field, value)

    def unicode(self, field: str, text: str) -> str:
        """`text`, refused when it cannot be written as UTF-8 (JSON allows lone surrogates
        such as "\\ud800"; a YAML file, the state and the next PUT could not carry them)."""
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            self.fail(field, "the text holds characters that are not valid Unicode")
        return text

    def integer(self, field: str, source: Mapping[str, Any], where: str = "") -> int:
        value = self.value(field, source, where)
        if isinstance(value, str) and value.isascii() and value.isdecimal():
            if len(value) > _MAX_DIGITS:
                self.fail(
                    where + field, f"expected an integer, got a string of {len(value)} digits"
                )
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where + field, f"expected an integer, got {_json_type(value)}")
        return int(value)

    def ident(self, field: str, source: Mapping[str, Any], where: str = "") -> str:
        """An id as a string: numbers become their decimal text, strings keep leading zeros."""
        value = self.value(field, source, where)
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.fail(where + field, f"expected an id, got {_json_type(value)}")
        text = self.unicode(where + field, str(value))
        if not text.strip():
            self.fail(where + field, "expected an id, got an empty string")
        return text

    def reference(self, kind: str, ident: str) -> str:
        return f"{kind}{REFERENCE_SEPARATOR}{ident}"

    def recording(self, field: str) -> str:
        ident = self.ident(field, self.item)
        # A value that already names its type (`outbound_tts|12`) is kept as it is.
        if "||" in ident:  # a server that stores the two-pipe form: back to the canonical one
            return ident.replace("||", REFERENCE_SEPARATOR, 1)
        if REFERENCE_SEPARATOR in ident:
            return ident
        return self.reference(RECORDING_TYPE, ident)


def read_shape_id(item: Any, *, index: int | None = None) -> int:
    """The id of one item of `GET /v1/ivrs` (the `index`-th, when given, for messages).

    ApiError naming the item when it is not an object or its id is not an integer from 1 to
    MAX_IVR_ID: 0, negative, huge, floats, booleans and strings that are not plain decimal.
    """
    return _ItemReader(item, index).id


def live_ivr_from_read_shape(
    item: Mapping[str, Any], *, recordings: RecordingMapping = "swapped"
) -> LiveIvr:
    """Map one item of `GET /v1/ivrs` to the IVR's PUT body.

    Raises ApiError naming the IVR and the field when a field is missing or of a type that cannot
    be mapped (bools are not integers; numbers are accepted as ids and become strings). `added_by`
    and any field not in the tables above are ignored.
    """
    reader = _ItemReader(item)
    fields: dict[str, Any] = {}
    for read, write in TEXT_READ_FIELDS:
        fields[write] = reader.text(read, item)
    for read, write in INTEGER_READ_FIELDS:
        fields[write] = reader.integer(read, item)
    for read, write in RECORDING_FIELDS_BY_MAPPING[recordings]:
        fields[write] = reader.recording(read)
    for type_field, id_field, write in DESTINATION_FIELDS:
        fields[write] = reader.reference(
            reader.text(type_field, item), reader.ident(id_field, item)
        )
    options, destinations, warnings = _read_menu(reader)
    fields["option"] = options
    fields["destination"] = destinations
    body = {name: fields[name] for name in BODY_FIELDS}
    return LiveIvr(id=reader.id, name=body["name"], body=body, warnings=tuple(warnings))


def _read_menu(reader: _ItemReader) -> tuple[list[str], list[str], list[str]]:
    menu = reader.value(MENU_FIELD, reader.item)
    if not isinstance(menu, list):
        reader.fail(MENU_FIELD, f"expected a list, got {_json_type(menu)}")
    entries: dict[str, str] = {}
    warnings: list[str] = []
    for index, entry in enumerate(menu):
        where = f"{MENU_FIELD}[{index}]"
        if not isinstance(entry, Mapping):
            reader.fail(where, f"expected a JSON object, got {_json_type(entry)}")
        key = dtmf_key(reader.ident(MENU_OPTION, entry, f"{where}."))
        if key in entries:
            reader.fail(f"{where}.{MENU_OPTION}", f"option {key!r} appears twice")
        kind = reader.text(MENU_DESTINATION_TYPE, entry, f"{where}.")
        ident = reader.ident(MENU_DESTINATION_ID, entry, f"{where}.")
        entries[key] = reader.reference(kind, ident)
        for portal_field in MENU_PORTAL_ONLY:
            value = entry.get(portal_field)
            if not _is_none_id(value):
                warnings.append(
                    f"IVR {reader.id} ({reader.item.get('name')}), option {key}: "
                    f"{portal_field} {value} is set in the portal but the PUT body cannot "
                    "carry it; a full PUT may clear it"
                )
    order = sorted(entries, key=dtmf_rank)
    return order, [entries[key] for key in order], warnings


def _is_none_id(value: object) -> bool:
    return value is None or value == 0 or (isinstance(value, str) and value.strip() in _NONE_IDS)


def read_shape_from_body(
    ivr_id: int,
    body: Body,
    *,
    previous: Mapping[str, Any] | None = None,
    recordings: RecordingMapping = "swapped",
) -> dict[str, Any]:
    """The read shape `GET /v1/ivrs` would show after `PUT /v1/ivr/{ivr_id}` with `body`.

    The inverse of `live_ivr_from_read_shape`: for every well-formed body,
    `live_ivr_from_read_shape(read_shape_from_body(i, b)).body == b`. Recordings of the
    `recording` type become bare ids (other types keep their prefix). From `previous` (the read
    shape before the PUT) it keeps `added_by`, and each menu option's webhook and SMS template
    ids where the option still exists; a body's `sms_template` list, when present, replaces the
    SMS template ids. Raises ApiError when a reference is not of the form `type|id`.
    """
    before: Mapping[str, Any] = previous or {}
    read: dict[str, Any] = {"id": ivr_id}
    written = dict(body)
    for read_name, write in TEXT_READ_FIELDS:
        read[read_name] = written[write]
    for read_name, write in INTEGER_READ_FIELDS:
        read[read_name] = written[write]
    for read_name, write in RECORDING_FIELDS_BY_MAPPING[recordings]:
        read[read_name] = _bare_recording(read_name, written[write], ivr_id, write)
    for type_field, id_field, write in DESTINATION_FIELDS:
        read[type_field], read[id_field] = _split_reference(written[write], ivr_id, write)
    if ADDED_BY in before:
        read[ADDED_BY] = before[ADDED_BY]
    read[MENU_FIELD] = _write_menu(ivr_id, written, before)
    return {name: read[name] for name in READ_ORDER if name in read}


def _write_menu(ivr_id: int, body: Mapping[str, Any], before: Mapping[str, Any]) -> list[Any]:
    kept: dict[str, Mapping[str, Any]] = {}
    for entry in before.get(MENU_FIELD) or ():
        if isinstance(entry, Mapping) and MENU_OPTION in entry:
            kept[dtmf_key(entry[MENU_OPTION])] = entry
    templates: Sequence[Any] | None = body.get(BODY_SMS_TEMPLATE)
    menu: list[Any] = []
    for index, (option, destination) in enumerate(
        zip(body["option"], body["destination"], strict=True)
    ):
        kind, ident = _split_reference(destination, ivr_id, f"destination[{index}]")
        old = kept.get(dtmf_key(option), {})
        sms = old.get(SMS_TEMPLATE_FIELD, "0")
        if templates is not None and index < len(templates):
            sms = templates[index] or "0"
        menu.append(
            {
                MENU_OPTION: option,
                MENU_DESTINATION_TYPE: kind,
                MENU_DESTINATION_ID: ident,
                SMS_TEMPLATE_FIELD: sms,
                WEBHOOK_FIELD: old.get(WEBHOOK_FIELD, "0"),
            }
        )
    return menu


def _split_reference(reference: object, ivr_id: int, field: str) -> tuple[str, str]:
    if isinstance(reference, str):
        kind, sep, ident = reference.partition(REFERENCE_SEPARATOR)
        if sep and kind and ident:
            return kind, ident
    raise ApiError(f"IVR {ivr_id}, field {field!r}: {reference!r} is not a `type|id` reference")


def _bare_recording(read_name: str, reference: object, ivr_id: int, field: str) -> Any:
    kind, ident = _split_reference(reference, ivr_id, field)
    if kind != RECORDING_TYPE:
        return reference
    if read_name in NUMERIC_READ_IDS and ident.isdecimal() and str(int(ident)) == ident:
        return int(ident)
    return ident


def _shortened(text: str) -> str:
    return text if len(text) <= _QUOTED else text[: _QUOTED - 3] + "..."


def _quoted(text: str) -> str:
    """`repr` of at most _QUOTED characters of `text`: escaped, bounded."""
    return repr(text) if len(text) <= _QUOTED else repr(text[: _QUOTED - 3]) + "..."


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"a number ({_shortened(str(value))})"
    if isinstance(value, str):
        return f"a string ({_quoted(value)})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
