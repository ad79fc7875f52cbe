"""Writing settings: the commented default file, and probe answers as a minimal text edit."""

from __future__ import annotations

import re
import textwrap
import tomllib
from collections.abc import Mapping
from pathlib import Path

from ivrsync.errors import UsageError
from ivrsync.files import display_path, write_atomically
from ivrsync.settings.kinds import (
    Invalid,
    toml_string,
)
from ivrsync.settings.layout import (
    Layout,
    scan_layout,
)
from ivrsync.settings.load import (
    parse_text,
    read_text,
)
from ivrsync.settings.schema import (
    CHECKS_DOC,
    CHECKS_SECTION,
    DIALECT_KEYS,
    SECTIONS,
    SETTINGS,
    SETTINGS_BY_NAME,
    SETTINGS_FILE_NAME,
)

_SECTION = "smartflo"


def default_settings_text() -> str:
    """A commented `ivrsync.toml`: every section, every setting at its default, commented out."""
    lines = [
        f"# {SETTINGS_FILE_NAME}: ivrsync's settings. Each setting is shown at its built-in",
        "# default, commented out: uncomment a line to change it.",
        "# Precedence: command-line flag > environment variable > this file > default.",
        "# Relative paths are relative to this file's folder.",
        "# No secrets here: the API token is read from the variable [smartflo] token_env names.",
    ]
    for section, cls in SECTIONS.items():
        lines.append("")
        lines += _comment(" ".join((cls.__doc__ or "").split()))
        lines.append(f"[{section}]")
        for spec in SETTINGS:
            if spec.section != section:
                continue
            lines += _comment(spec.doc + (f" Env: {spec.env}." if spec.env else ""))
            lines.append(f"# {spec.key} = {spec.kind.to_toml(spec.default)}")
    lines += ["", *_comment(CHECKS_DOC), f"[{CHECKS_SECTION}]", '# some-rule = "error"', ""]
    return "\n".join(lines)


def _comment(text: str) -> list[str]:
    return textwrap.wrap(text, width=99, initial_indent="# ", subsequent_indent="# ")


#: The text `ivrsync init` writes.
DEFAULT_SETTINGS_TEXT = default_settings_text()


def write_dialect(path: Path, answers: Mapping[str, str]) -> None:
    """Record probe answers (`separator`, `auth_scheme`, `recordings` -> value) in `path`.

    A minimal text edit: a key present in `[smartflo]` gets its value replaced in place (the
    rest of its line, comments and order kept); a key that is only commented out there (as in
    `DEFAULT_SETTINGS_TEXT`) replaces that commented line; another missing key goes after the
    last key of the section. The section is appended when missing, the file created when
    missing. Written atomically. Raises UsageError when the file cannot be read or is not valid
    TOML (nothing written); ValueError for a key that is no dialect key or an invalid value.
    """
    for key, value in answers.items():
        if key not in DIALECT_KEYS:
            raise ValueError(f"not a dialect key: {key!r} (expected one of {DIALECT_KEYS})")
        try:
            SETTINGS_BY_NAME[f"{_SECTION}.{key}"].kind.check(value)
        except Invalid as bad:
            raise ValueError(f"{_SECTION}.{key}: {bad}") from None
    shown = display_path(path)
    text = read_text(path) if path.exists() else ""
    parse_text(text, shown)
    newline = "\r\n" if "\r\n" in text else "\n"
    for key in DIALECT_KEYS:
        if key in answers:
            text = _set_key(text, key, toml_string(answers[key]), newline, shown)
    written = tomllib.loads(text).get(_SECTION, {})
    if any(written.get(key) != value for key, value in answers.items()):  # pragma: no cover
        raise RuntimeError(f"editing {shown} did not record {dict(answers)}")
    write_atomically(path, text.encode("utf-8"))


def _set_key(text: str, key: str, literal: str, newline: str, shown: str) -> str:
    """`text` with `[smartflo] key = literal`, by the smallest edit."""
    layout = scan_layout(text)
    span = layout.keys.get((_SECTION, key))
    if span is not None:
        if span.start < 0:
            raise UsageError(
                f"{shown}:{span.line}: cannot record {_SECTION}.{key}: it is a table there",
                hint=f"make it a key of [{_SECTION}], e.g. {key} = {literal}",
            )
        return text[: span.start] + literal + text[span.end :]
    section = layout.keys.get((_SECTION,))
    if section is None:
        return _append_section(text, f"{key} = {literal}", newline)
    if section.start >= 0:  # `smartflo = { ... }`, an inline table
        return _add_to_inline_table(text, section.start, section.end, f"{key} = {literal}")
    header = next((h for h in layout.headers if h.path == (_SECTION,) and not h.array), None)
    if header is None:  # made by dotted keys (`smartflo.timeout = 5`) or sub-tables only
        top = min((h.offset for h in layout.headers), default=len(text))
        if any(path[:1] == (_SECTION,) and span.start < top for path, span in layout.pairs):
            line = f"{_SECTION}.{key} = {literal}"
            return _insert_after_pairs(text, layout, 0, top, line, newline)
        return _append_section(text, f"{key} = {literal}", newline)
    end = min((h.offset for h in layout.headers if h.offset > header.offset), default=len(text))
    commented = re.compile(rf"(?m)^[ \t]*#[ \t]*{re.escape(key)}[ \t]*=[^\r\n]*")
    for match in commented.finditer(text, header.offset, end):
        if not any(span.start <= match.start() < span.end for _, span in layout.pairs):
            return text[: match.start()] + f"{key} = {literal}" + text[match.end() :]
    return _insert_after_pairs(text, layout, header.offset, end, f"{key} = {literal}", newline)


def _append_section(text: str, line: str, newline: str) -> str:
    if text and not text.endswith("\n"):
        text += newline
    if text.strip():
        text += newline
    return f"{text}[{_SECTION}]{newline}{line}{newline}"


def _add_to_inline_table(text: str, start: int, end: int, pair: str) -> str:
    close = end - 1  # the `}`
    inside = text[start + 1 : close]
    if inside.strip():
        last = start + 1 + len(inside.rstrip())
        return f"{text[:last]}, {pair}{text[last:]}"
    return f"{text[: start + 1]} {pair} {text[close:]}"


def _insert_after_pairs(
    text: str, layout: Layout, begin: int, end: int, line: str, newline: str
) -> str:
    """`line` inserted after the last `[smartflo]` pair between `begin` and `end` (or, when
    there is none, after the line at `begin`, the header)."""
    ends = [
        span.end
        for path, span in layout.pairs
        if path[:1] == (_SECTION,) and begin <= span.start < end
    ]
    anchor = max(ends, default=begin)
    line_end = text.find("\n", anchor)
    if line_end < 0:
        return f"{text}{newline}{line}{newline}"
    return f"{text[: line_end + 1]}{line}{newline}{text[line_end + 1 :]}"
