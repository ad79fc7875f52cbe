"""Hostile state files and journal lines: what json.loads accepts (or crashes on) but no file
ivrsync wrote can hold. Each must be a clean "corrupt" StateError, never an internal error."""

from __future__ import annotations

import json

from ivrsync.model import State
from ivrsync.state import render_state_document
from tests.testing.state import LINEAGE, applied, entry_of


def _valid_text() -> str:
    return render_state_document(State(LINEAGE, 3, {349: entry_of(349)}))


def text_edit(old: str, new: str) -> bytes:
    """The valid state file's text with `old` replaced once by `new` (for what JSON can't say)."""
    text = _valid_text()
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


_SERIAL = '"serial": 3'
_TIMEOUT = '"timeout": 20'
_KEY = '"349": {'

#: What json.loads accepts (or crashes on) but no state file ivrsync wrote can hold: each must be
#: a clean "corrupt" StateError, never an internal error (exit 3).
HOSTILE_FILES = [
    (
        text_edit(_SERIAL, '"serial": 1' + "0" * 5000),
        "is corrupt: it holds an integer longer than 4300 digits",
        "int-too-long-serial",
    ),
    (
        text_edit(_TIMEOUT, '"timeout": 2' + "0" * 5000),
        "is corrupt: it holds an integer longer than 4300 digits",
        "int-too-long-in-body",
    ),
    (
        text_edit(_KEY, '"' + "1" * 5000 + '": {'),
        "the IVR id must be a positive integer, found '111111",
        "id-key-too-long",
    ),
    (
        text_edit(_KEY, '"\\u00b2": {'),
        "ivrs.²: the IVR id must be a positive integer",
        "id-sup2",
    ),
    (
        text_edit(_KEY, '"\\u0663\\u0664\\u0669": {'),
        "ivrs.٣٤٩: the IVR id must be a positive integer, found '٣٤٩'",
        "id-arabic-digits",
    ),
    (
        text_edit('"name": "IVR 349"', '"name": "IVR \\ud800"'),
        "ivrs.349.body holds text that is not Unicode (a lone surrogate such as \\ud800)",
        "surrogate-in-body",
    ),
    (
        text_edit('"source": "ivr-configs/ivr-349.yaml"', '"source": "\\udfff.yaml"'),
        "ivrs.349.source is not Unicode text: '\\udfff.yaml'",
        "surrogate-in-source",
    ),
    (
        text_edit(_KEY, '"\\ud800": {'),
        "the IVR id must be a positive integer, found '\\ud800'",
        "surrogate-in-key",
    ),
    (
        text_edit(f'"lineage": "{LINEAGE}"', '"lineage": "\\udbff"'),
        "'lineage' must be a UUID, found '\\udbff'",
        "surrogate-in-lineage",
    ),
    (b"[" * 100_000, "is corrupt: it is nested too deeply", "deep-top-level"),
    (
        text_edit(_SERIAL, '"serial": ' + "[" * 50_000 + "]" * 50_000),
        "is corrupt: it is nested too deeply",
        "deep-value",
    ),
    (
        text_edit(_TIMEOUT, '"timeout": ' + "[" * 100 + "]" * 100),
        "ivrs.349.body nests more than 16 levels deep",
        "deep-body-within-the-parser-limit",
    ),
    (
        text_edit(f'"lineage": "{LINEAGE}"', '"lineage": ' + "[" * 900 + "]" * 900),
        "'lineage' must be a UUID, found [[[[...]]]]",  # quoted, but bounded
        "deep-lineage-quoted",
    ),
    (text_edit(_SERIAL, '"serial": NaN'), "is corrupt: it holds NaN, which is not", "nan"),
    (
        text_edit(_TIMEOUT, '"timeout": Infinity'),
        "is corrupt: it holds Infinity, which is not a JSON number",
        "infinity",
    ),
    (
        text_edit(_TIMEOUT, '"timeout": -Infinity'),
        "is corrupt: it holds -Infinity, which is not a JSON number",
        "minus-infinity",
    ),
    (
        text_edit(_TIMEOUT, '"timeout": 1e400'),
        "is corrupt: it holds the number 1e400, too large for a float",
        "float-overflow",
    ),
    (
        text_edit('"version": 1', '"version": 1, ' + ", ".join(f'"k{n}": 0' for n in range(9))),
        "it has unknown keys: 'k0', 'k1', 'k2', 'k3', 'k4', and 4 more",
        "many-unknown-keys-listed-briefly",
    ),
]


# Hostile lines: a clean error naming the file and the line, also as the last line


def _record_text(old: str, new: str) -> bytes:
    text = json.dumps(applied(entry_of(2)), sort_keys=True)
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


HOSTILE_LINES = [
    (
        b'{"id": 1' + b"0" * 5000 + b', "op": "forgotten"}',
        "line 2: it holds an integer longer than 4300 digits",
        "int-too-long-id",
    ),
    (
        _record_text('"timeout": 20', '"timeout": 2' + "0" * 5000),
        "line 2: it holds an integer longer than 4300 digits",
        "int-too-long-in-body",
    ),
    (
        _record_text('"timeout": 20', '"timeout": NaN'),
        "line 2: it holds NaN, which is not a JSON number",
        "nan",
    ),
    (b'{"id": Infinity, "op": "forgotten"}', "line 2: it holds Infinity, which is not", "inf"),
    (
        _record_text('"timeout": 20', '"timeout": 1e999'),
        "line 2: it holds the number 1e999, too large for a float",
        "float-overflow",
    ),
    (
        _record_text('"name": "IVR 2"', '"name": "\\udc00"'),
        "line 2 entry.body holds text that is not Unicode (a lone surrogate",
        "surrogate-in-body",
    ),
    (
        _record_text('"source": "ivr-configs/ivr-2.yaml"', '"source": "\\ud83d"'),
        "line 2 entry.source is not Unicode text: '\\ud83d'",
        "surrogate-in-source",
    ),
    (b"[" * 100_000, "line 2: it is nested too deeply", "deep"),
    (
        _record_text('"timeout": 20', '"timeout": ' + "[" * 200 + "]" * 200),
        "line 2 entry.body nests more than 16 levels deep",
        "deep-body",
    ),
]
