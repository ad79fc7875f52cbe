"""Kinds of setting values: each converts and validates a TOML, flag or environment value.

`check` takes a TOML (or command-line) value, `parse` an environment variable's text; both raise
`Invalid` naming what was expected and what was found.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path, PurePath
from typing import ClassVar, cast


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`did you mean `x`?` for the candidate closest to `word`, or "" when none is close."""
    import difflib  # here: only a mistyped value needs it

    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else ""


class Invalid(Exception):
    """A value a kind refuses: what was `expected`, what was `found` (both as shown to users)."""

    def __init__(self, expected: str, found: str, *, hint: str = "") -> None:
        super().__init__(f"expected {expected}, found {found}")
        self.expected = expected
        self.found = found
        self.hint = hint


def describe(value: object) -> str:
    """A value as named in an error: `"fast" (a string)`, `0 (an integer)`, `a table`."""
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a boolean)"
    if isinstance(value, int):
        return f"{value} (an integer)"
    if isinstance(value, float):
        return f"{value!r} (a float)"
    if isinstance(value, str):
        return f"{toml_string(value)} (a string)"
    if isinstance(value, PurePath):
        return f"{toml_string(value.as_posix())} (a path)"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, datetime | date | time):
        return f"{value.isoformat()} (a date or time)"
    return f"{value!r} (a {type(value).__name__})"


def toml_string(text: str) -> str:
    """`text` as a TOML basic string (double-quoted, escaped)."""
    out = ['"']
    for char in text:
        if char in {'"', "\\"}:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


class Kind:
    """How a setting's value is checked, parsed from text and written back as TOML."""

    def check(self, value: object) -> object:
        """The value, validated (and normalised) from TOML or a command-line flag."""
        raise NotImplementedError

    def parse(self, text: str) -> object:
        """The value, from an environment variable's text."""
        return self.check(text)

    def expected(self) -> str:
        """What a valid value is, as in "expected <this>"."""
        raise NotImplementedError

    def to_toml(self, value: object) -> str:
        """`value` as a TOML literal."""
        raise NotImplementedError


@dataclass(frozen=True)
class Boolean(Kind):
    _TRUE: ClassVar[frozenset[str]] = frozenset({"true", "1", "yes", "on"})
    _FALSE: ClassVar[frozenset[str]] = frozenset({"false", "0", "no", "off"})

    def check(self, value: object) -> bool:
        if not isinstance(value, bool):
            raise Invalid(self.expected(), describe(value))
        return value

    def parse(self, text: str) -> bool:
        word = text.strip().lower()
        if word in self._TRUE:
            return True
        if word in self._FALSE:
            return False
        raise Invalid("true or false (also 1/0, yes/no, on/off)", toml_string(text))

    def expected(self) -> str:
        return "true or false"

    def to_toml(self, value: object) -> str:
        return "true" if value else "false"


def _range_text(minimum: float | None, maximum: float | None, *, min_open: bool = False) -> str:
    if minimum is not None and maximum is not None:
        low = f"greater than {minimum:g}" if min_open else f"at least {minimum:g}"
        if min_open:
            return f"{low} and at most {maximum:g}"
        return f"from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f"greater than {minimum:g}" if min_open else f"at least {minimum:g}"
    if maximum is not None:
        return f"at most {maximum:g}"
    return ""


@dataclass(frozen=True)
class Integer(Kind):
    minimum: int | None = None
    maximum: int | None = None

    def check(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(self.expected(), describe(value))
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            raise Invalid(self.expected(), describe(value))
        return value

    def parse(self, text: str) -> int:
        try:
            number = int(text.strip(), 10)
        except ValueError:
            raise Invalid(self.expected(), toml_string(text)) from None
        return self.check(number)

    def expected(self) -> str:
        limits = _range_text(self.minimum, self.maximum)
        return f"an integer {limits}" if limits else "an integer"

    def to_toml(self, value: object) -> str:
        return str(value)


@dataclass(frozen=True)
class Number(Kind):
    """A float; an integer is accepted (and converted). Never NaN or infinite."""

    minimum: float | None = None
    maximum: float | None = None
    min_open: bool = False
    note: str = ""

    def check(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(self.expected(), describe(value))
        number = float(value)
        if not math.isfinite(number):
            raise Invalid(self.expected(), describe(value))
        if self.minimum is not None and (
            number < self.minimum or (self.min_open and number == self.minimum)
        ):
            raise Invalid(self.expected(), describe(value))
        if self.maximum is not None and number > self.maximum:
            raise Invalid(self.expected(), describe(value))
        return number

    def parse(self, text: str) -> float:
        try:
            number = float(text.strip())
        except ValueError:
            raise Invalid(self.expected(), toml_string(text)) from None
        return self.check(number)

    def expected(self) -> str:
        limits = _range_text(self.minimum, self.maximum, min_open=self.min_open)
        text = f"a number {limits}" if limits else "a number"
        return f"{text} ({self.note})" if self.note else text

    def to_toml(self, value: object) -> str:
        assert isinstance(value, int | float)
        return repr(float(value))


@dataclass(frozen=True)
class Choice(Kind):
    choices: tuple[str, ...]

    def check(self, value: object) -> str:
        if not isinstance(value, str) or value not in self.choices:
            hint = did_you_mean(value, self.choices) if isinstance(value, str) else ""
            raise Invalid(self.expected(), describe(value), hint=hint)
        return value

    def parse(self, text: str) -> str:
        return self.check(text.strip())

    def expected(self) -> str:
        shown = [toml_string(choice) for choice in self.choices]
        return " or ".join(shown) if len(shown) <= 2 else ", ".join(shown[:-1]) + " or " + shown[-1]

    def to_toml(self, value: object) -> str:
        assert isinstance(value, str)
        return toml_string(value)


@dataclass(frozen=True)
class Text(Kind):
    """A string matching `pattern` (whole); `what` names it in errors."""

    pattern: str
    what: str
    hint: str = ""

    def check(self, value: object) -> str:
        if not isinstance(value, str) or not re.fullmatch(self.pattern, value):
            raise Invalid(self.expected(), describe(value), hint=self.hint)
        return value

    def expected(self) -> str:
        return self.what

    def to_toml(self, value: object) -> str:
        assert isinstance(value, str)
        return toml_string(value)


@dataclass(frozen=True)
class PathText(Kind):
    """A non-empty path. A relative path in the file is relative to the file's folder."""

    def check(self, value: object) -> Path:
        if isinstance(value, PurePath):
            value = value.as_posix()
        if not isinstance(value, str) or not value.strip() or "\0" in value:
            raise Invalid(self.expected(), describe(value))
        return Path(value)

    def expected(self) -> str:
        return "a non-empty path (a string)"

    def to_toml(self, value: object) -> str:
        assert isinstance(value, str | PurePath)
        return toml_string(value.as_posix() if isinstance(value, PurePath) else value)


@dataclass(frozen=True)
class IvrList(Kind):
    """An array of IVR names (non-empty strings) or ids (positive integers)."""

    def check(self, value: object) -> tuple[str | int, ...]:
        if not isinstance(value, list | tuple):
            raise Invalid(self.expected(), describe(value))
        items: list[str | int] = []
        for item in value:
            name = isinstance(item, str) and bool(item.strip())
            ivr_id = isinstance(item, int) and not isinstance(item, bool) and item >= 1
            if not (name or ivr_id):
                raise Invalid(self.expected(), f"an array holding {describe(item)}")
            items.append(cast("str | int", item))
        return tuple(items)

    def parse(self, text: str) -> tuple[str | int, ...]:
        """Comma-separated; an item of digits only is an id."""
        parts = [part.strip() for part in text.split(",") if part.strip()]
        return self.check([int(part) if part.isdigit() else part for part in parts])

    def expected(self) -> str:
        return "an array of IVR names (strings) or ids (positive integers)"

    def to_toml(self, value: object) -> str:
        assert isinstance(value, list | tuple)
        return (
            "["
            + ", ".join(toml_string(item) if isinstance(item, str) else str(item) for item in value)
            + "]"
        )


#: The kind of a `[checks]` value.
