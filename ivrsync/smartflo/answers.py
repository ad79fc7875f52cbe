"""A server's answer as data, its JSON decoded defensively, and described without leaking (pure).

The client turns every HTTP response into an `Answer` (status, a few headers, the body read
within its limits). Decoding the body is the JSON parser boundary: a hostile or broken server
can send JSON nested deeper than Python's recursion limit, integers longer than its int-string
limit, `NaN`/`Infinity`, or lone surrogate escapes (`"\\ud800"`, which decode to a `str` that
cannot be printed or written as UTF-8). None of those becomes a payload: `Answer.problem` says
why, and the caller raises its usual ApiError quoting that reason.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

Redact = Callable[[str], str]

#: How much of a server message or non-JSON body to quote in an error.
QUOTE_LIMIT = 300

#: How deeply an answer may nest. `GET /v1/ivrs` nests four levels (object, list, IVR, menu
#: list, option); 32 leaves room for any honest answer and keeps every later recursive walk
#: (diffing, YAML, JSON) far from the recursion limit.
MAX_JSON_DEPTH = 32

#: How much of a text is kept before redacting and shortening it (see `quote`).
_QUOTE_WINDOW = 64 * 1024

# Bidirectional-text controls: quoted verbatim they can reorder what a terminal shows.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: what the client needs of it, with the body already decoded."""

    status: int
    content: bytes = b""
    content_type: str = ""
    location: str = ""
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        """A 2xx whose body does not say `"success": false`."""
        return 200 <= self.status < 300 and not says_failure(self.payload)

    @property
    def payload(self) -> Any:
        """The decoded JSON body; None when empty, not JSON, or refused (see `problem`)."""
        return self._decoded[0]

    @property
    def problem(self) -> str:
        """Why a body that is JSON was refused; "" when it was not refused."""
        return self._decoded[1]

    @cached_property
    def _decoded(self) -> tuple[Any, str]:
        return decode_json(self.content)


def decode_json(content: bytes) -> tuple[Any, str]:
    """(payload, "") for usable JSON; (None, "") for no JSON at all; (None, why) when refused."""
    if not content.strip():
        return None, ""
    try:
        payload = json.loads(content, parse_constant=_refuse_constant)
    except RecursionError:
        return None, "it is nested too deeply to read"
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None, ""
    except ValueError as exc:  # the int-string limit, or a refused constant
        if "integer string conversion" in str(exc):
            limit = sys.get_int_max_str_digits()
            return None, f"it has a number longer than {limit} digits"
        return None, str(exc)
    problem = _refusal(payload)
    return (None, problem) if problem else (payload, "")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"it contains {name}, which is not a JSON number")


def _refusal(payload: Any) -> str:
    """Why a parsed payload cannot be used, or "": checked iteratively, never recursively."""
    stack: list[tuple[Any, int]] = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not _is_text(value):
                return "it contains a lone surrogate escape (such as \\ud800), which is not text"
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                return f"it is nested more than {MAX_JSON_DEPTH} levels deep"
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    return ""


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def says_failure(payload: Any) -> bool:
    if not isinstance(payload, dict):
        return False
    success = payload.get("success")
    return success is False or (isinstance(success, str) and success.strip().lower() == "false")


def server_message(payload: Any) -> str:
    """The server's `message` (and `errors`, when present) as one line, or ""."""
    if not isinstance(payload, dict):
        return ""
    parts = []
    message = payload.get("message")
    if isinstance(message, str) and message.strip():
        parts.append(message.strip())
    elif message not in (None, ""):
        parts.append(json.dumps(message, ensure_ascii=False))
    errors = payload.get("errors")
    if errors:
        parts.append(json.dumps(errors, ensure_ascii=False))
    return " ".join(parts)


def server_text(answer: Answer, redact: Redact) -> str:
    """What the server said: its `message` when it has one, else a short description."""
    message = server_message(answer.payload)
    return quote(message, redact) if message else describe(answer, redact)


def describe(answer: Answer, redact: Redact) -> str:
    """A brief, redacted description of a body that carries no usable message."""
    content = answer.content
    if not content.strip():
        return "empty body"
    if answer.payload is not None:
        return "JSON " + quote(json.dumps(answer.payload, ensure_ascii=False), redact)
    if answer.problem:
        # Not quoted: the body is hostile or broken, and its text would say nothing more.
        return f"JSON that ivrsync refuses to read: {answer.problem} ({len(content)} bytes)"
    kind = answer.content_type.split(";")[0].strip() or "unknown type"
    described = f"non-JSON body ({kind}, {len(content)} bytes)"
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return described  # binary: quoting it would only garble the message
    return f"{described}: {quote(text, redact, escape=False)!r}"


def quote(text: str, redact: Redact, *, escape: bool = True) -> str:
    """`text` on one line, redacted, terminal controls escaped, cut to QUOTE_LIMIT characters.

    Whitespace is collapsed first and only then is the text cut to a window and redacted: a
    secret's whitespace matches any whitespace, and positions no longer move after the cut, so
    no piece of a secret can slide into the quoted part.
    """
    text = redact(" ".join(text.split())[:_QUOTE_WINDOW])
    if escape:
        text = "".join(_escaped(c) for c in text)
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 3] + "..."


def _escaped(char: str) -> str:
    code = ord(char)
    if code < 0x20 or 0x7F <= code < 0xA0 or char in _BIDI:
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char
