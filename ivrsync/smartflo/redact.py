"""Removing secrets from text that came from the server or from the HTTP library (pure).

A server that echoes a request back may quote a secret in any of the encodings a web stack
applies: raw, JSON-escaped (also PHP's `\\/`), percent-encoded (with or without `/` kept,
`quote_plus`'s `+`, upper- or lower-case hex), HTML-escaped (named or numeric entities), or
base64 (standard or URL-safe, padded or not, also inside a longer base64 text such as a Basic
`Authorization` header). `Redactor` replaces every such form by `[redacted]`.

The character-wise encodings are matched by one pattern per secret in which every character
may appear in any of its encodings, so mixed forms (`quote()` keeping `/`, JSON with `\\/`,
HTML inside JSON) are caught without listing each combination. A run of whitespace in a secret
matches any run of whitespace, so a secret survives the whitespace collapsing done when a
message is shortened. Over-matching is harmless here: it can only hide text, never show it.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable

REDACTED = "[redacted]"

# Characters that HTML-escaping (html.escape, PHP's htmlspecialchars) turns into named or fixed
# numeric entities.
_HTML_NAMED = {
    "&": ("&amp;",),
    "<": ("&lt;",),
    ">": ("&gt;",),
    '"': ("&quot;",),
    "'": ("&#x27;", "&#039;", "&apos;"),
}
# JSON's two-character escapes; `/` is PHP's (json_encode escapes it by default).
_JSON_SHORT = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n"}
_JSON_SHORT |= {"\r": "\\r", "\t": "\\t"}

#: A base64 piece shorter than this is not redacted on its own: it would match by chance.
_MIN_BASE64 = 8


class Redactor:
    """Replaces every known encoding of a set of secrets; thread-safe, secrets can be added.

    Empty secrets are ignored. Longer secrets are removed first, so a secret that contains
    another one is removed whole.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self._patterns: tuple[re.Pattern[str], ...] = ()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Redact `secret` (and its encodings) from now on."""
        if not secret:
            return
        with self._lock:
            if secret in self._secrets:
                return
            secrets = sorted((*self._secrets, secret), key=len, reverse=True)
            # Replaced in one assignment: a reader sees the old tuple or the new, never a mix.
            self._patterns = tuple(_pattern(s) for s in secrets)
            self._secrets = tuple(secrets)

    def __call__(self, text: str) -> str:
        """`text` with every form of every secret replaced by `[redacted]`."""
        for pattern in self._patterns:
            text = pattern.sub(REDACTED, text)
        return text

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"


def _pattern(secret: str) -> re.Pattern[str]:
    """One pattern matching `secret` in any encoding `Redactor` knows (longest forms first)."""
    forms = sorted(_base64_forms(secret), key=len, reverse=True)
    pieces = [re.escape(form) for form in forms]
    pieces.append("".join(_run_pattern(run) for run in re.findall(r"\s+|\S", secret)))
    return re.compile("|".join(pieces))


def _run_pattern(run: str) -> str:
    if run.isspace():
        # Raw whitespace may have been collapsed or re-wrapped; encoded, every character stays.
        return "(?:\\s+|" + "".join(_char_pattern(c) for c in run) + ")"
    return _char_pattern(run)


def _char_pattern(char: str) -> str:
    """Any one encoding of `char`, as a regular expression."""
    forms = {char, *_json_forms(char), *_HTML_NAMED.get(char, ())}
    forms |= {_html(form) for form in _json_forms(char)}  # HTML-escaped JSON
    if char == " ":
        forms.add("+")  # quote_plus, form encoding
    patterns = {re.escape(form) for form in forms}
    encoded = char.encode("utf-8", "surrogatepass")
    patterns.add("".join(f"%(?i:{byte:02x})" for byte in encoded))  # quote(), any hex case
    code = ord(char)
    patterns.add(f"&#0*{code};")
    patterns.add(f"&#[xX]0*(?i:{code:x});")
    return "(?:" + "|".join(sorted(patterns, key=len, reverse=True)) + ")"


def _json_forms(char: str) -> set[str]:
    forms = {_JSON_SHORT[char]} if char in _JSON_SHORT else set()
    code = ord(char)
    if code > 0xFFFF:
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        forms |= {f"\\u{high:04x}\\u{low:04x}", f"\\u{high:04X}\\u{low:04X}"}
    else:
        forms |= {f"\\u{code:04x}", f"\\u{code:04X}"}
    return forms


def _html(text: str) -> str:
    """`text` HTML-escaped with named entities (html.escape's choice for `'`), for forms
    longer than one character; numeric entities of the character itself are matched apart."""
    return "".join(_HTML_NAMED[c][0] if c in _HTML_NAMED else c for c in text)


def _base64_forms(secret: str) -> set[str]:
    """The base64 texts a secret can show up as, standard and URL-safe.

    Whole: the secret's own encoding, padded and not. Embedded: a longer text that was encoded
    (`email:password` in a Basic header) puts the secret at one of three byte offsets; for each,
    only the characters made of the secret's bits alone are fixed, and those are what is matched.
    """
    data = secret.encode("utf-8", "surrogatepass")
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode("ascii")
        forms |= {whole, whole.rstrip("=")}
        for offset in range(3):
            text = encode(b"\0" * offset + data + b"\0\0").decode("ascii")
            first = -(-8 * offset // 6)  # the first character holding no bit of the prefix
            last = 8 * (offset + len(data)) // 6  # the first one holding a bit of what follows
            piece = text[first:last]
            if len(piece) >= _MIN_BASE64:
                forms.add(piece)
    return forms
