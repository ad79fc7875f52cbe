"""Read and parse IVR YAML files, and say where things are in them.

Reading is bounded and never blocks (`read_config`); parsing is `ivrsync.config.parsing`'s
(`yaml_errors` words its errors, `positions` finds nodes). Node positions are *not* kept on the
happy path: when a caller needs the line and column of a JSON path (to report a problem),
`LoadedFile` composes the text again, once, and looks nodes up in it (`LoadedFile.locate`). A
valid file costs one C parse and nothing more.

Hostile files end in a Problem, never a crash or a stall: reading stops at MAX_CONFIG_BYTES; a
value PyYAML's constructors cannot build (`!!int "abc"`, `!!timestamp "x"`, a date that is no
date) and an integer beyond Python's int-string limit become a problem at that value; and the
position lookups index each mapping once (`positions.NodeIndex`), so reporting many problems
stays linear in the size of the file.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import Node, ScalarNode

from ivrsync.config.parsing import BadValue, compose, parse, resolved_tag
from ivrsync.config.positions import JsonPath, NodeIndex, format_path, mark
from ivrsync.files import FileRefusedError, display_path, read_limited
from ivrsync.model import Problem, Severity

_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_READ_FLAGS = os.O_RDONLY | _O_NONBLOCK | os.O_CLOEXEC

#: The largest IVR file ivrsync reads. An IVR file is one or two KB; anything near this bound is
#: not an IVR file, and reading it whole (a 1 GB file in a pull request) would cost the CI job its
#: memory.
MAX_CONFIG_BYTES = 4 << 20


@dataclass(frozen=True)
class LoadedFile:
    """One file, read and parsed.

    `document` is the parsed YAML value when the file could be parsed as a single document (it may
    still be of any type; callers check it is a mapping), else None with `parsed` false. `problems`
    are the reading and parsing problems: unreadable, not UTF-8, syntax, empty, several documents,
    not a mapping, duplicate keys. A file with duplicate keys still has its document (the last
    value wins, as in PyYAML) so that schema problems can be reported in the same run.
    """

    path: Path
    display: str
    text: str | None
    document: Any
    parsed: bool
    problems: tuple[Problem, ...] = ()
    #: Some integer is written with a leading zero (`030`), which YAML versions read differently.
    octal_integers: bool = False

    @property
    def is_mapping(self) -> bool:
        return self.parsed and isinstance(self.document, dict)

    def problem(
        self,
        message: str,
        *,
        at: tuple[int, int] = (0, 0),
        json_path: JsonPath = (),
        severity: Severity = "error",
        hint: str = "",
    ) -> Problem:
        """A Problem in this file."""
        return Problem(
            file=self.display,
            line=at[0],
            column=at[1],
            path=format_path(json_path),
            message=message,
            severity=severity,
            hint=hint,
        )

    def locate(self, json_path: JsonPath, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at `json_path`, or of its key when `key` is true.

        Lazy: the first call composes the text again to get node positions. When the path cannot be
        followed all the way (a missing field), the position of the deepest node reached is
        returned, so a missing field points at the mapping that lacks it. (0, 0) when the file
        has no document. Each step costs O(1) once its mapping is indexed.
        """
        nodes = self._nodes
        if nodes is None:
            return 0, 0
        node: Node = nodes.root
        key_node: Node | None = None
        for part in json_path:
            step = nodes.child(node, part)
            if step is None:
                return mark(node)
            key_node, node = step
        if key and key_node is not None:
            return mark(key_node)
        return mark(node)

    def source_text(self, json_path: JsonPath) -> str | None:
        """The text written for the scalar at `json_path` (`yes`, `0231`), before YAML typed it.

        None when the path does not lead to a scalar. Lazy, like `locate`.
        """
        nodes = self._nodes
        if nodes is None:
            return None
        node = nodes.root
        for part in json_path:
            step = nodes.child(node, part)
            if step is None:
                return None
            node = step[1]
        return node.value if isinstance(node, ScalarNode) else None

    def mapping_path_at(self, position: tuple[int, int]) -> tuple[str | int, ...]:
        """The JSON path of the mapping holding the key that starts at `position` (1-based)."""
        nodes = self._nodes
        return () if nodes is None else nodes.mapping_path_at(position)

    @cached_property
    def _nodes(self) -> NodeIndex | None:
        if self.text is None or not self.parsed:
            return None
        root = compose(self.text)
        return None if root is None else NodeIndex(root)


def load_file(path: Path, display: str | None = None) -> LoadedFile:
    """Read, decode and parse one file. Never raises for bad input: problems are in the result.

    `display` is the name to report the file under (default: `display_path(path)`).
    """
    display = display or display_path(path)
    data = read_config(path, display)
    if isinstance(data, LoadedFile):
        return data
    return parse_bytes(path, display, data)


def _failed(
    path: str | Path, display: str, message: str, hint: str, at: tuple[int, int], text: str | None
) -> LoadedFile:
    problem = Problem(display, at[0], at[1], "", message, "error", hint)
    return LoadedFile(Path(path), display, text, None, parsed=False, problems=(problem,))


def read_config(path: str | Path, display: str) -> bytes | LoadedFile:
    """The bytes of one IVR file, or the LoadedFile saying why it cannot be read.

    Only regular files, at most MAX_CONFIG_BYTES, opened without blocking (a FIFO named x.yaml
    must not hang the run). Never raises for bad input.
    """
    try:
        fd = os.open(path, _READ_FLAGS)
        try:
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode):
                kind = "a folder" if stat.S_ISDIR(status.st_mode) else "not a regular file"
                return _failed(
                    path,
                    display,
                    f"cannot read: {kind}",
                    "IVR files must be regular YAML files",
                    (0, 0),
                    None,
                )
            # One read of the size fstat gave (plus one byte, to see the end): an IVR file is
            # small, and this is the one system call per file that reading costs beyond open.
            data = os.pread(fd, min(status.st_size, MAX_CONFIG_BYTES) + 1, 0)
            if len(data) > status.st_size or len(data) > MAX_CONFIG_BYTES:
                # It grew meanwhile, or is too large: read it the careful, bounded way.
                data = read_limited(fd, limit=MAX_CONFIG_BYTES, path=display)
        finally:
            os.close(fd)
    except OSError as exc:
        if isinstance(exc, FileRefusedError) and exc.errno == errno.EFBIG:
            return _failed(
                path,
                display,
                f"the file is larger than {MAX_CONFIG_BYTES >> 20} MiB, the most ivrsync reads "
                "from an IVR file",
                "an IVR file is a few KB: keep one IVR per file, and only IVR files in the folder",
                (0, 0),
                None,
            )
        return _failed(
            path,
            display,
            f"cannot read: {exc.strerror or exc}",
            "check that the file exists and is readable (a broken link, or permissions?)",
            (0, 0),
            None,
        )
    return data


def parse_bytes(path: Path, display: str, data: bytes) -> LoadedFile:
    """Decode and parse the bytes of one file (see `load_file`)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _failed(
            path,
            display,
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded",
            "save the file as UTF-8",
            _byte_position(data, exc.start),
            None,
        )
    return parse_text(path, display, text.removeprefix("\ufeff"))


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a byte offset; the column counts characters where it can."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def parse_text(path: Path, display: str, text: str) -> LoadedFile:
    """Parse the text of one file (see `load_file`)."""

    def failed(message: str, hint: str, at: tuple[int, int]) -> LoadedFile:
        return _failed(path, display, message, hint, at, text)

    try:
        parsed = parse(text)
    except yaml.MarkedYAMLError as exc:
        # Imported here: only a broken file needs the wording (and its modules cost start-up).
        from ivrsync.config.yaml_errors import describe_yaml_error

        return failed(*describe_yaml_error(exc, text))
    except BadValue as exc:
        bad = exc.node
        value = bad.value if isinstance(bad, ScalarNode) else ""
        explicit = isinstance(bad, ScalarNode) and (
            bad.style not in (None, "")  # quoted: only a tag makes it anything but text
            or bad.tag != resolved_tag(value)
        )
        from ivrsync.config.yaml_errors import describe_bad_value

        message, hint = describe_bad_value(bad.tag, value, explicit=explicit, reason=exc.reason)
        return failed(message, hint, mark(bad))
    except yaml.YAMLError as exc:
        # ReaderError (a forbidden character) carries an offset, not a mark.
        position = getattr(exc, "position", 0)
        reason = getattr(exc, "reason", "unreadable character")
        encoded = text.encode("utf-8")
        at = _byte_position(encoded, min(position, len(encoded)))
        return failed(
            f"YAML cannot contain this character: {reason}",
            "remove the control character, or write it as an escape inside double quotes",
            at,
        )
    except RecursionError:
        return failed(
            "the YAML is nested too deeply", "an IVR file needs only three levels", (1, 1)
        )

    node: Node | None = parsed.node
    if node is None:
        return failed(
            "the file is empty: it holds no IVR",
            "write one IVR mapping (id, name, ..., menu), or delete the file",
            (1, 1),
        )
    document = parsed.document
    start = mark(node)
    if document is None:
        return failed(
            "the document is empty (null): expected a mapping of IVR fields",
            "write one IVR mapping (id, name, ..., menu)",
            start,
        )
    octal = parsed.octal_integers
    loaded = LoadedFile(path, display, text, document, parsed=True, octal_integers=octal)
    problems: list[Problem] = []
    if not isinstance(document, dict):
        problems.append(
            loaded.problem(
                f"the document is {_kind(document)}: expected a mapping of IVR fields",
                at=start,
                hint="write the fields as `key: value` lines at the top level (id: 349, ...)",
            )
        )
    for duplicate in parsed.duplicates:
        json_path = (*loaded.mapping_path_at(duplicate.again), duplicate.key)
        problems.append(
            loaded.problem(
                f"duplicate key '{_shortened(duplicate.key)}': first at line {duplicate.first[0]}, "
                f"again at line {duplicate.again[0]}",
                at=duplicate.again,
                json_path=json_path,
                hint=_duplicate_key_hint(json_path, duplicate.again[0]),
            )
        )
    if not problems:
        return loaded
    return LoadedFile(
        path, display, text, document, parsed=True, problems=tuple(problems), octal_integers=octal
    )


def _shortened(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a single text value"
    return f"a single {type(value).__name__} value"


def _duplicate_key_hint(json_path: JsonPath, line: int) -> str:
    from ivrsync.config.yaml_errors import duplicate_key_hint

    return duplicate_key_hint(json_path, line)
