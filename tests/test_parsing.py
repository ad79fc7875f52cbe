"""config/parsing.py: the fast builder builds what PyYAML's full safe constructor builds.

Every document is parsed both ways: `parse` (the fast builder, falling back to the constructor)
and the constructor alone (`Loader`, with its duplicate-key and octal checks); values, types,
duplicates and the octal flag must agree.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ivrsync.config.parsing import Loader, parse


def constructed(text: str) -> tuple[Any, list[Any], bool]:
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        document = None if node is None else loader.construct_document(node)
        return document, loader.duplicates, loader.octal_integers
    finally:
        loader.dispose()


def typed(value: Any) -> Any:
    """`value` with every scalar paired with its type: `1 == True` must not hide a difference."""
    if isinstance(value, dict):
        return {typed(k): typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


def assert_same(text: str) -> None:
    try:
        document, duplicates, octal = constructed(text)
    except yaml.YAMLError as exc:  # a document neither can build: both say so alike
        error = exc
    else:
        error = None
    if error is not None:
        with pytest.raises(type(error)) as raised:
            parse(text)
        assert str(raised.value) == str(error)
        return
    parsed = parse(text)

    assert typed(parsed.document) == typed(document)
    assert list(parsed.duplicates) == duplicates
    assert parsed.octal_integers is octal


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**25), max_value=10**25),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["030", "0x1F", "1_000", "yes", "No", "~", "2001-12-14", "1:30", "+5", "-0"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(VALUES)
def test_documents_yaml_writes_are_read_alike(value: Any) -> None:
    assert_same(yaml.safe_dump(value))


@given(st.lists(st.sampled_from(["030", "0o17", "12", "0", "00", "1_2", "+3", "true", "'5'"])))
def test_plain_scalars_are_typed_alike(scalars: list[str]) -> None:
    assert_same("".join(f"k{index}: {scalar}\n" for index, scalar in enumerate(scalars)))


@pytest.mark.parametrize(
    "text",
    [
        "id: 1\nid: 2\n",  # the same key twice
        "a: &x [1, 2]\nb: *x\n",  # an alias
        "base: &b {x: 1}\nmerged:\n  <<: *b\n  y: 2\n",  # a merge
        "timeout: 030\n",  # octal-looking
        "n: 0x1F\nm: 1_000\nt: 1:30\n",  # other bases and base 60
        "s: !!set {a, b}\n",
        "o: !!omap [{a: 1}]\n",
        "d: 2001-12-14\nf: 1.5\ni: .inf\n",
        "1: one\ntrue: yes\n~: null\n",  # keys that are no text
        "? [a, b]\n: complex\n",  # a key that is a sequence
        "x: !!str 12\ny: !!int '7'\n",
        "",
        "just text\n",
        "- 1\n- [2, {a: b}]\n",
        "big: " + "9" * 30 + "\n",
    ],
    ids=[
        "duplicate",
        "alias",
        "merge",
        "octal",
        "bases",
        "set",
        "omap",
        "dates-floats",
        "scalar-keys",
        "complex-key",
        "explicit-tags",
        "empty",
        "text",
        "sequence",
        "big-integer",
    ],
)
def test_unusual_documents_are_read_alike(text: str) -> None:
    assert_same(text)
