"""Where each table header and key of an `ivrsync.toml` is: lines for messages, spans for edits.

`tomllib` parses and rejects bad syntax but gives no positions, so `scan_layout` walks the
(already valid) text once more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KeyPath = tuple[str, ...]


@dataclass(frozen=True)
class Span:
    """Where a key is: its 1-based `line`, and the offsets of its value (`start`..`end`)."""

    line: int
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class Header:
    """A `[table]` (or `[[array]]`) header: its path, line, and the offset where its line starts."""

    path: KeyPath
    line: int
    offset: int
    array: bool


@dataclass
class Layout:
    """The positions `scan_layout` found. The first definition of a path wins."""

    keys: dict[KeyPath, Span] = field(default_factory=dict)
    headers: list[Header] = field(default_factory=list)
    #: Each key/value pair in text order: its full path and span (inline table members too).
    pairs: list[tuple[KeyPath, Span]] = field(default_factory=list)

    def line_of(self, path: KeyPath) -> int | None:
        """The line of `path`, else of its nearest defined parent (an inline table, a header)."""
        for size in range(len(path), 0, -1):
            span = self.keys.get(path[:size])
            if span is not None:
                return span.line
        return None


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = frozenset(",]}#\n\r")


class _Scanner:
    """A walk over valid TOML text that records positions; it assumes tomllib accepted it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.layout = Layout()

    def peek(self, count: int = 1) -> str:
        return self.text[self.pos : self.pos + count]

    def advance(self, count: int = 1) -> None:
        end = min(self.pos + count, len(self.text))
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def skip_blanks(self) -> None:
        while self.peek() in {" ", "\t"}:
            self.pos += 1

    def skip_trivia(self) -> None:
        """Blanks, newlines and comments."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t\r":
                self.pos += 1
            elif char == "\n":
                self.advance()
            elif char == "#":
                newline = self.text.find("\n", self.pos)
                self.pos = len(self.text) if newline < 0 else newline
            else:
                return

    def record(self, path: KeyPath, span: Span, *, parents_from: int) -> None:
        for size in range(parents_from, len(path)):
            self.layout.keys.setdefault(path[:size], Span(span.line))
        self.layout.keys.setdefault(path, span)
        self.layout.pairs.append((path, span))

    def scan(self) -> Layout:
        table: KeyPath = ()
        while True:
            self.skip_trivia()
            if self.pos >= len(self.text):
                return self.layout
            if self.peek() == "[":
                table = self.header()
            else:
                self.pair(table, parents_from=len(table) + 1)

    def header(self) -> KeyPath:
        offset = self.text.rfind("\n", 0, self.pos) + 1
        array = self.peek(2) == "[["
        line = self.line
        self.advance(2 if array else 1)
        path = self.key()
        self.skip_blanks()
        self.advance(2 if array else 1)
        self.layout.headers.append(Header(path, line, offset, array))
        self.layout.keys.setdefault(path, Span(line))
        for size in range(1, len(path)):
            self.layout.keys.setdefault(path[:size], Span(line))
        return path

    def pair(self, prefix: KeyPath, *, parents_from: int) -> None:
        line = self.line
        path = prefix + self.key()
        self.skip_blanks()
        if self.peek() == "=":
            self.advance()
        self.skip_blanks()
        start = self.pos
        self.value(path)
        self.record(path, Span(line, start, self.pos), parents_from=parents_from)

    def key(self) -> KeyPath:
        parts: list[str] = []
        while True:
            self.skip_blanks()
            char = self.peek()
            if char in {'"', "'"}:
                start = self.pos
                self.string()
                raw = self.text[start : self.pos]
                import tomllib  # here: only a settings file with such a key needs it

                parts.append(str(tomllib.loads(f"k = {raw}")["k"]))
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if match is None:  # not valid TOML: keep going rather than loop
                    self.advance()
                    parts.append("")
                else:
                    parts.append(match.group())
                    self.pos = match.end()
            self.skip_blanks()
            if self.peek() != ".":
                return tuple(parts)
            self.advance()

    def string(self) -> None:
        quote = self.peek()
        triple = self.peek(3) == quote * 3
        self.advance(3 if triple else 1)
        while self.pos < len(self.text):
            if quote == '"' and self.peek() == "\\":
                self.advance(2)
            elif triple and self.peek(3) == quote * 3:
                run = 3
                while run < 5 and self.text[self.pos + run : self.pos + run + 1] == quote:
                    run += 1
                self.advance(run)
                return
            elif not triple and self.peek() == quote:
                self.advance()
                return
            else:
                self.advance()

    def value(self, path: KeyPath) -> None:
        char = self.peek()
        if char in {'"', "'"}:
            self.string()
        elif char == "[":
            self.advance()
            while self.pos < len(self.text):
                self.skip_trivia()
                if self.peek() == "]":
                    self.advance()
                    return
                before = self.pos
                self.value(path)
                self.skip_trivia()
                if self.peek() == "," or self.pos == before:  # (no progress: not valid TOML)
                    self.advance()
        elif char == "{":
            self.advance()
            while self.pos < len(self.text):
                self.skip_trivia()
                if self.peek() == "}":
                    self.advance()
                    return
                if self.peek() == ",":
                    self.advance()
                    continue
                self.pair(path, parents_from=len(path) + 1)
        else:
            end = self.pos
            while end < len(self.text) and self.text[end] not in _SCALAR_END:
                end += 1
            while end > self.pos and self.text[end - 1] in " \t":
                end -= 1
            self.pos = end


def scan_layout(text: str) -> Layout:
    """The positions of the headers, keys and values of `text`, which must be valid TOML."""
    return _Scanner(text).scan()
