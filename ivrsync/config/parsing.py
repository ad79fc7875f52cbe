"""YAML text -> the document, on PyYAML's C parser, with what the loader must know besides.

PyYAML's own constructor is pure Python and visits every node through several generic layers; for
the plain shapes IVR files are made of (mappings of text keys, lists, text, decimal integers,
booleans, null) `parse` builds the document from the composed nodes directly, about twice as fast
as `yaml.load` with `CSafeLoader`. Anything else (tags, anchors and aliases, `<<` merges, the same
key twice, integers with a leading zero or in another base, floats, dates) goes through the full
safe constructor instead (`_Loader`), with its checks: duplicate keys, which PyYAML would silently
collapse, octal-looking integers, and values no constructor can build. Both build the same value
for every file (tests/test_loader.py compares them).
"""

from __future__ import annotations

import sys
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, ClassVar

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ivrsync.config.positions import MERGE_TAG, mark

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml is present wherever the wheels are
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

#: Whether PyYAML's C parser is in use: its error messages differ from the pure-Python one's, so
#: the cache of results (`ivrsync.config.summary`) tells them apart.
C_PARSER = _BaseLoader.__name__ == "CSafeLoader"

_CACHED_SCALAR_LENGTH = 64
_CACHE_SIZE = 50_000
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
#: Longer digit strings go through the full constructor, which knows Python's int-string limit.
_FAST_DIGITS = 18

#: What the constructors of PyYAML's safe loader raise for a value they cannot build: int() and
#: float() of the text (`!!int "abc"`, too many digits), a failed regex match (`!!timestamp "x"`),
#: a missing table entry (`!!bool "maybe"`), datetime's range checks (`2001-13-45`).
_CONSTRUCTION_ERRORS = (ValueError, TypeError, KeyError, AttributeError, ArithmeticError)


class BadValue(Exception):
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
class DuplicateKey:
    key: str
    first: tuple[int, int]  # 1-based line, column
    again: tuple[int, int]


class Loader(_BaseLoader):
    """The safe loader plus duplicate-key and octal detection, and a faster resolver.

    The duplicate check costs one dict per mapping: keys are constructed once (construct_object
    caches them, so the base class reuses the same objects) and looked up in a dict.
    """

    #: Plain scalar -> its resolved tag. Resolving runs a few regexes per scalar and the same
    #: keys and small values recur in every file, so remembering them makes this loader faster
    #: than a plain CSafeLoader. The result depends on the value alone: safe loaders have no path
    #: resolvers. Bounded, so odd input cannot grow it without limit.
    _plain_tags: ClassVar[dict[str, str]] = {}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[DuplicateKey] = []
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
                raise BadValue(node, "too long") from None
            raise
        # Hexadecimal and base-60 integers are not bound by that limit, but every later str()
        # or repr() of them would be.
        if _too_many_digits(value):
            raise BadValue(node, "too long")
        return value

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        # Every value is built here (scalars directly, collections' items through here too):
        # the one place to turn a constructor's foreign exception into a positioned problem.
        try:
            return super().construct_object(node, deep=deep)
        except _CONSTRUCTION_ERRORS:
            raise BadValue(node, "invalid") from None

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        # Called from C for every node. A safe loader has no path resolvers, so collections and
        # quoted scalars get the default tags, and a plain scalar whose first character starts
        # no implicit pattern (most text: `recording|0231`, `Support IVR`) is text.
        if not _SHORTCUTS:  # pragma: no cover - only if someone changed PyYAML's resolvers
            return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]
        if kind is not ScalarNode:
            return _MAP if kind is MappingNode else _SEQ
        if not implicit[0]:
            return _STR
        if value[:1] not in _IMPLICIT_STARTS:
            return _STR
        tag = self._plain_tags.get(value)
        if tag is None:
            tag = str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]
            if len(value) <= _CACHED_SCALAR_LENGTH and len(self._plain_tags) < _CACHE_SIZE:
                self._plain_tags[value] = tag
        return tag

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
                self.duplicates.append(DuplicateKey(str(key), mark(first), mark(key_node)))


Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_yaml_int)


#: The first characters (and "" for the empty scalar) that some implicit resolver looks at.
_IMPLICIT_STARTS = frozenset(
    key for key in _BaseLoader.yaml_implicit_resolvers if isinstance(key, str)
)
#: The shortcuts of `Loader.resolve` hold for the standard resolvers: no path resolvers, no
#: wildcard implicit ones (which PyYAML keys by None).
_SHORTCUTS = not _BaseLoader.yaml_path_resolvers and None not in _BaseLoader.yaml_implicit_resolvers


class _Unusual(Exception):
    """The fast builder met something only the full constructor handles."""


_BOOLEANS = SafeConstructor.bool_values


def _build(node: Node, seen: set[int]) -> Any:
    """The value of `node` for the plain shapes, else `_Unusual`. `seen` holds the collections
    built so far: one met twice is an alias, left to the full constructor (which shares it)."""
    kind = type(node)
    if kind is ScalarNode:
        tag = node.tag
        value = node.value
        if tag == _STR:
            return value
        if tag == _INT:
            # Plain decimal only: a leading zero, a sign, `_`, hex or base 60 need the full path.
            digits = value.isascii() and value.isdigit() and len(value) <= _FAST_DIGITS
            if digits and (value[0] != "0" or value == "0"):
                return int(value)
        elif tag == _BOOL:
            found = _BOOLEANS.get(value.lower())
            if found is not None:
                return found
        elif tag == _NULL:
            return None
        raise _Unusual
    if id(node) in seen:
        raise _Unusual
    seen.add(id(node))
    if kind is MappingNode and node.tag == _MAP:
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode or key_node.tag == MERGE_TAG:
                raise _Unusual
            mapping[_build(key_node, seen)] = _build(value_node, seen)
        if len(mapping) != len(node.value):  # the same key twice: the full path names them
            raise _Unusual
        return mapping
    if kind is SequenceNode and node.tag == _SEQ:
        return [_build(item, seen) for item in node.value]
    raise _Unusual  # a tagged collection (!!set, !!omap, !!python/...)


@dataclass(frozen=True)
class Parsed:
    """One document: its root node (None for an empty stream) and value, and what was noticed."""

    node: Node | None
    document: Any
    duplicates: tuple[DuplicateKey, ...] = ()
    octal_integers: bool = False


def parse(text: str) -> Parsed:
    """Parse one YAML document (see the module's docstring).

    Raises what PyYAML raises for bad syntax (`yaml.MarkedYAMLError`, `yaml.YAMLError`),
    `BadValue` for a value no constructor can build, and RecursionError for deep nesting.
    """
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Parsed(None, None)
        try:
            return Parsed(node, _build(node, set()))
        except (_Unusual, RecursionError):
            pass
        document = loader.construct_document(node)
        return Parsed(node, document, tuple(loader.duplicates), loader.octal_integers)
    finally:
        loader.dispose()


def compose(text: str) -> Node | None:
    """The root node of `text`, which parsed before (for positions; see `LoadedFile.locate`)."""
    loader = Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def resolved_tag(value: str) -> str:
    """The tag YAML gives the plain scalar `value` (`030` -> int)."""
    loader = Loader("")
    try:
        return loader.resolve(ScalarNode, value, (True, False))
    finally:
        loader.dispose()
