"""Fitting markdown blocks into a size budget."""

from __future__ import annotations

import pytest

from ivrsync.render.markdown_budget import fit_prefix, joined_length


def test_joined_length_counts_one_separator_per_block() -> None:
    assert joined_length(["abc", "de"]) == 3 + 2 + 2 + 2


@pytest.mark.parametrize(
    ("room", "expected"),
    [
        (0, []),
        (4, []),
        (5, ["abc"]),
        (8, ["abc"]),
        (9, ["abc", "de"]),
        (100, ["abc", "de", "f"]),
    ],
    ids=["nothing-fits", "one-short", "exactly-one", "between", "exactly-two", "all"],
)
def test_fit_prefix_keeps_the_longest_prefix_that_fits(room: int, expected: list[str]) -> None:
    assert fit_prefix(["abc", "de", "f"], room) == expected


def test_fit_prefix_never_skips_a_block_to_fit_a_later_one() -> None:
    # A report must stay in order: a small block after a big one is left out too.
    assert fit_prefix(["a", "x" * 50, "b"], 10) == ["a"]
