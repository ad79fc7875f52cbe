"""Read and parse IVR YAML files, and say where things are in them.

The module that parses YAML (`yaml_errors` words its errors, `positions` finds nodes). Parsing
runs on PyYAML's C parser (`CSafeLoader`, or the pure-Python `SafeLoader` when libyaml is
missing) with one addition: the constructor notices duplicate keys, which PyYAML would silently
collapse. Node positions are *not* kept on the happy path: when a caller needs the line and
column of a JSON path (to report a problem), `LoadedFile` composes the text again, once, and
looks nodes up in it (`LoadedFile.locate`). A valid file costs one C parse and nothing more.

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
import sys
from collections.abc import Hashable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from ivrsync.config.positions import MERGE_TAG, JsonPath, NodeIndex, format_path, mark
from ivrsync.config.yaml_errors import describe_bad_value, describe_yaml_error, duplicate_key_hint
from ivrsync.files import FileRefusedError, display_path, read_limited
from ivrsync.model import Problem, Severity

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml is present wherever the wheels are
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CACHED_SCALAR_LENGTH = 64
_CACHE_SIZE = 50_000

#: The largest IVR file ivrsync reads. An IVR file is one or two KB; anything near this bound is
#: not an IVR file, and reading it whole (a 1 GB file in a pull request) would cost the CI job its
#: memory.
MAX_CONFIG_BYTES = 4 << 20

#: What the constructors of PyYAML's safe loader raise for a value they cannot build: int() and
#: float() of the text (`!!int "abc"`, too many digits), a failed regex match (`!!timestamp "x"`),
#: a missing table entry (`!!bool "maybe"`), datetime's range checks (`2001-13-45`).
_CONSTRUCTION_ERRORS = (ValueError, TypeError, KeyError, AttributeError, ArithmeticError)


class _BadValue(Exception):
    """A value no constructor could build; `reason` is "invalid" or "too long"."""

    def __init__(self, node: Node, reason: str) -> None:
        super().__init__(reason)
        self.node = node
        self.reason = reason


def _too_many_digits(value: int) -> bool:
    """Whether `str(value)` would exceed Python's int-string limit (and so raise ValueError)."""
    limit = sys.get_int_max_str_digits()
    # Below 2**64 an int has at most 20 digits: the exact check is for the rare huge ones.
    return limit > 0 and value.bit_length() > 64 and abs(value) >= 10**limit


@dataclass(frozen=True)
class _DuplicateKey:
    key: str
    first: tuple[int, int]  # 1-based line, column
    again: tuple[int, int]


class _Loader(_BaseLoader):
    """The safe loader plus duplicate-key detection.

    The check costs one dict per mapping: keys are constructed once (construct_object caches them,
    so the base class reuses the same objects) and looked up in a dict.
    """

    #: Plain scalar -> its resolved tag. Resolving runs a few regexes per scalar and the same
    #: keys and small values recur in every file, so remembering them makes this loader faster
    #: than a plain CSafeLoader. The result depends on the value alone: safe loaders have no path
    #: resolvers. Bounded, so odd input cannot grow it without limit.
    _plain_tags: ClassVar[dict[str, str]] = {}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[_DuplicateKey] = []
        self.octal_integers = False

    def construct_yaml_int(self, node: ScalarNode) -> int:
        # YAML 1.1 (PyYAML) reads `030` as octal 24; YAML 1.2 (editors) reads 30. Note it, so
        # validation can ask which was meant (cheap: this runs for integers only).
        text = node.value.lstrip("+-")
        if text[:1] == "0" and len(text.lstrip("0_")) > 1 and text.replace("_", "").isdigit():
            self.octal_integers = True
        try:
            value = int(super().construct_yaml_int(node))
        except ValueError as exc:
            if "integer string conversion" in str(exc):  # the digits limit of int()
                raise _BadValue(node, "too long") from None
            raise
        # Hexadecimal and base-60 integers are not bound by that limit, but every later str()
        # or repr() of them would be.
        if _too_many_digits(value):
            raise _BadValue(node, "too long")
        return value

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        # Every value is built here (scalars directly, collections' items through here too):
        # the one place to turn a constructor's foreign exception into a positioned problem.
        try:
            return super().construct_object(node, deep=deep)
        except _CONSTRUCTION_ERRORS:
            raise _BadValue(node, "invalid") from None

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            tag = self._plain_tags.get(value)
            if tag is None:
                tag = str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]
                if len(value) <= _CACHED_SCALAR_LENGTH and len(self._plain_tags) < _CACHE_SIZE:
                    self._plain_tags[value] = tag
            return tag
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        # The base class flattens `<<` merges into node.value in place; keep the explicit
        # entries, since a merged key overridden by an explicit one is no duplicate.
        explicit = list(node.value)
        mapping = super().construct_mapping(node, deep=deep)
        if len(mapping) < len(node.value):  # some keys collided: find out which
            self._record_duplicates(explicit)
        return mapping

    def _record_duplicates(self, entries: list[tuple[Node, Node]]) -> None:
        seen: dict[Any, Node] = {}
        for key_node, _ in entries:
            if key_node.tag == MERGE_TAG:
                continue
            key = self.construct_object(key_node)  # cached: the same object as in the mapping
            first = seen.setdefault(key, key_node)
            if first is not key_node:
                self.duplicates.append(_DuplicateKey(str(key), mark(first), mark(key_node)))


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


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
        loader = _Loader(self.text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
        return None if root is None else NodeIndex(root)


def load_file(path: Path, display: str | None = None) -> LoadedFile:
    """Read, decode and parse one file. Never raises for bad input: problems are in the result.

    `display` is the name to report the file under (default: `display_path(path)`).
    """
    display = display or display_path(path)

    def failed(
        message: str, hint: str, at: tuple[int, int] = (0, 0), text: str | None = None
    ) -> LoadedFile:
        problem = Problem(display, at[0], at[1], "", message, "error", hint)
        return LoadedFile(path, display, text, None, parsed=False, problems=(problem,))

    try:
        # Non-blocking open, then fstat: a FIFO named x.yaml must not hang the run.
        fd = os.open(path, os.O_RDONLY | _O_NONBLOCK)
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
                return failed(f"cannot read: {kind}", "IVR files must be regular YAML files")
            data = read_limited(fd, limit=MAX_CONFIG_BYTES, path=display)
        finally:
            os.close(fd)
    except OSError as exc:
        if isinstance(exc, FileRefusedError) and exc.errno == errno.EFBIG:
            return failed(
                f"the file is larger than {MAX_CONFIG_BYTES >> 20} MiB, the most ivrsync reads "
                "from an IVR file",
                "an IVR file is a few KB: keep one IVR per file, and only IVR files in the folder",
            )
        return failed(
            f"cannot read: {exc.strerror or exc}",
            "check that the file exists and is readable (a broken link, or permissions?)",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return failed(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded",
            "save the file as UTF-8",
            at=_byte_position(data, exc.start),
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
        problem = Problem(display, at[0], at[1], "", message, "error", hint)
        return LoadedFile(path, display, text, None, parsed=False, problems=(problem,))

    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        document = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        return failed(*describe_yaml_error(exc, text))
    except _BadValue as exc:
        bad = exc.node
        value = bad.value if isinstance(bad, ScalarNode) else ""
        explicit = isinstance(bad, ScalarNode) and (
            bad.style not in (None, "")  # quoted: only a tag makes it anything but text
            or bad.tag != loader.resolve(ScalarNode, value, (True, False))
        )
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
    finally:
        loader.dispose()

    if node is None:
        return failed(
            "the file is empty: it holds no IVR",
            "write one IVR mapping (id, name, ..., menu), or delete the file",
            (1, 1),
        )
    start = mark(node)
    if document is None:
        return failed(
            "the document is empty (null): expected a mapping of IVR fields",
            "write one IVR mapping (id, name, ..., menu)",
            start,
        )
    octal = loader.octal_integers
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
    for duplicate in loader.duplicates:
        json_path = (*loaded.mapping_path_at(duplicate.again), duplicate.key)
        problems.append(
            loaded.problem(
                f"duplicate key '{_shortened(duplicate.key)}': first at line {duplicate.first[0]}, "
                f"again at line {duplicate.again[0]}",
                at=duplicate.again,
                json_path=json_path,
                hint=duplicate_key_hint(json_path, duplicate.again[0]),
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
