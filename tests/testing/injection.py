"""Hostile text for output-injection tests, and the checks that output stayed inert.

`HOSTILE` packs into one value everything text can do to a terminal, a CI log or a pull-request
comment: an OSC title and a CSI colour (ESC), a C1 CSI (U+009B), bidi overrides and isolates, a
line separator, a carriage return, a line break followed by a GitHub workflow command, the legacy
`##[` command form, a backtick run and a mention.
"""

from __future__ import annotations

import json
import re

HOSTILE = (
    "Evil\x1b]0;owned\x07\x1b[31mred\u009b2J\u202eoverride\u2066isolate\u2069"
    "\u2028sep\rback\n::error title=x::injected ##[add-mask]secret ``tick`` @octocat"
)

#: The raw characters of HOSTILE that must never reach output as they are.
RAW = ("\x1b", "\x07", "\u009b", "\u202e", "\u2066", "\u2069", "\u2028", "\r")


def yaml_text(value: str) -> str:
    """`value` as a YAML double-quoted scalar (JSON's escapes are YAML's too)."""
    return json.dumps(value)


def unsafe_characters(text: str) -> list[str]:
    """Characters of `text` that no output should hold raw: unprintable ones, but line breaks."""
    return [c for c in text if not (c == "\n" or c.isprintable() or c in "\u200c\u200d")]


def workflow_command_lines(text: str) -> list[str]:
    """Lines GitHub Actions would run as workflow commands (`::x::` at the start, or `##[`)."""
    return [line for line in text.split("\n") if line.lstrip().startswith("::") or "##[" in line]


def assert_inert(text: str, *, commands: int = 0) -> None:
    """No raw control, bidi or separator character, and exactly `commands` workflow commands
    (those ivrsync writes itself, as in `--format github`)."""
    assert unsafe_characters(text) == [], text
    assert len(workflow_command_lines(text)) == commands, workflow_command_lines(text)


_FENCED = re.compile(r"^(`{3,})[^\n]*\n.*?^\1\s*$", re.DOTALL | re.MULTILINE)
_HTML_CODE = re.compile(r"<code>.*?</code>", re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)


def outside_code(markdown: str) -> str:
    """`markdown` without its fenced blocks, `<code>` elements and code spans."""
    return _CODE_SPAN.sub("", _HTML_CODE.sub("", _FENCED.sub("", markdown)))


def mentions(markdown: str) -> list[str]:
    """The `@name` mentions GitHub would link (and notify) in `markdown`."""
    return re.findall(r"(?<![\w`])@[A-Za-z0-9-]+", outside_code(markdown))
