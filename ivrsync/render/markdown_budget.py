"""Fitting markdown blocks into a comment's size budget, shared by the plan and drift reports.

GitHub refuses comments over 65,536 characters; reports keep under a smaller limit by keeping the
longest prefix of their blocks that fits, then saying what they left out.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Blocks are joined with a blank line.
SEPARATOR = "\n\n"


def joined_length(blocks: Sequence[str]) -> int:
    """Characters `blocks` take with one separator each (an upper bound of their joined length)."""
    return sum(len(block) + len(SEPARATOR) for block in blocks)


def fit_prefix(blocks: Sequence[str], room: int) -> list[str]:
    """The longest prefix of `blocks` whose `joined_length` is at most `room`."""
    kept: list[str] = []
    used = 0
    for block in blocks:
        used += len(block) + len(SEPARATOR)
        if used > room:
            break
        kept.append(block)
    return kept
