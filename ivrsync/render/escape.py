"""Text ivrsync did not write, made safe to print: the one escaping module of every renderer.

Values, IVR names and file names come from files anyone can put in a pull request, and names and
messages come from the server. Printed as they are, they could move the cursor, retitle the
terminal or hide text (ESC, OSC, CSI, C1 controls such as U+009B); reorder what a reviewer reads
(bidi overrides and isolates, U+202A-U+202E, U+2066-U+2069); start a line of their own (a
newline) that GitHub Actions runs as a workflow command (`::error ...`, `::add-mask::`, the
legacy `##[...]`) in a job that holds the production token; or notify people (`@user`) and break
the layout of a pull-request comment. So every renderer passes such text through one of these:

- `shown(text)`: one line for a terminal or a log. Every character Python does not call
  printable (controls, format characters such as bidi overrides, separators other than the
  space, the lone surrogates of an undecodable file name) is written as its escape (`\\n`,
  `\\x1b`, `\\u202e`), and workflow commands are broken up (`::` at the start, `##[` anywhere).
- `shown_lines(text)`: `shown` for each line of a text meant to have several (error messages).
- `quoted(value)`: a value as one line of JSON (a string in double quotes), escaped the same way
  and still valid JSON; `json_document(value)`: indented JSON for `--format json`, likewise;
  `json_text(text)`: JSON text written elsewhere (the plan document), likewise. JSON escapes lose
  nothing: the output parses back to the same value.
- `code_span(text)` (markdown) and `html_code(text)` (inside HTML such as `<summary>`): inline
  code, where `@user`, `#12`, HTML and markdown stay inert.

`shown` does not double backslashes, so text that was escaped already (the API client escapes
server messages) is not escaped twice; the JSON forms are unambiguous.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Invisible but harmless, and needed to write Indic scripts and emoji: never escaped.
_JOINERS = frozenset("\u200c\u200d")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: A workflow command: `::name ...::` at a line start (the runner ignores leading whitespace,
#: and after `shown` a space is the only whitespace left), or the legacy `##[name]` anywhere.
_COMMAND = re.compile(r"^( *):(?=:)|#(?=#\[)")
_JSON_COMMAND = re.compile(r"#(?=#\[)")
_BACKTICKS = re.compile(r"`+")


def _is_safe(char: str) -> bool:
    return char.isprintable() or char in _JOINERS


def _escape(char: str) -> str:
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _json_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON writes other planes as a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _neutralise(match: re.Match[str]) -> str:
    if match.group(1) is not None:  # the first colon of a `::` command
        return f"{match.group(1)}\\x3a"
    return "\\x23"  # the first `#` of `##[`


def shown(text: str) -> str:
    """`text` as one safe line for a terminal or log (see the module docstring)."""
    if not text.isprintable():
        text = "".join(char if _is_safe(char) else _escape(char) for char in text)
    if ":" in text or "##[" in text:
        text = _COMMAND.sub(_neutralise, text)
    return text


def shown_lines(text: str) -> str:
    """`text` with its line breaks kept and each line `shown` (for multi-line messages)."""
    return "\n".join(shown(line) for line in text.split("\n"))


def json_text(text: str) -> str:
    """JSON text with every unsafe character inside its strings written as a JSON escape.

    json.dumps already escapes C0 controls; without ensure_ascii it leaves C1 controls, bidi and
    format characters, line separators (U+2028) and lone surrogates raw. The structure of the
    JSON is ASCII, so everything replaced here sits inside a string.
    """
    if not text.isprintable():
        text = "".join(
            char if char == "\n" or _is_safe(char) else _json_escape(char) for char in text
        )
    if "##[" in text:
        text = _JSON_COMMAND.sub("\\\\u0023", text)
    return text


def quoted(value: Any) -> str:
    """`value` as one line of JSON (`"Support IVR"`, `["1", "2"]`), safe to print."""
    return json_text(json.dumps(value, ensure_ascii=False))


def json_document(value: Any) -> str:
    """`value` as indented JSON ending in a newline, safe to print; parses back to `value`."""
    return json_text(json.dumps(value, indent=2, ensure_ascii=False)) + "\n"


def code_span(text: str) -> str:
    """`text` (through `shown`) as markdown inline code, whatever backticks or spaces it holds.

    The fence is one backtick longer than the longest run inside, and the content is padded with
    a space when it starts or ends with a backtick or a space (markdown strips exactly one each
    side). Not for table cells: there a `|` ends the cell even inside code (use `html_code`).
    """
    content = shown(text)
    longest = max((len(run) for run in _BACKTICKS.findall(content)), default=0)
    fence = "`" * (longest + 1)
    if not content or content[0] in "` " or content[-1] in "` ":
        content = f" {content} "
    return f"{fence}{content}{fence}"


def html_code(text: str) -> str:
    """`text` (through `shown`) as `<code>...</code>` for HTML blocks and table cells."""
    import html  # here: only markdown plans need it, and its import costs every run

    escaped = html.escape(shown(text)).replace("|", "&#124;")
    return f"<code>{escaped}</code>"
