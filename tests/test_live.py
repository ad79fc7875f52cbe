"""fetch_live: one list call, each item mapped by readshape, keyed by id."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ivrsync.errors import ApiError
from ivrsync.smartflo.live import fetch_live
from tests.testing.documents import SAMPLE_BODY

SAMPLE = Path(__file__).parent / "data" / "live" / "ivrs-list.json"


class Lister:
    """A client that answers `list_ivrs` with fixed items and counts the calls."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.calls = 0

    def list_ivrs(self) -> list[dict[str, Any]]:
        self.calls += 1
        return copy.deepcopy(self.items)


def sample_item(**changes: Any) -> dict[str, Any]:
    (item,) = json.loads(SAMPLE.read_text(encoding="utf-8"))["ivrs"]
    item.update(changes)
    return dict(item)


def test_the_documented_sample_maps_to_the_put_body() -> None:
    client = Lister([sample_item()])

    live = fetch_live(client).ivrs

    assert client.calls == 1
    assert list(live) == [7926]
    assert live[7926].body == SAMPLE_BODY
    assert live[7926].warnings == ()


def test_ids_as_strings_are_keyed_as_integers() -> None:
    live = fetch_live(Lister([sample_item(id="7926"), sample_item(id=12, name="Other")])).ivrs

    assert {ivr_id: ivr.name for ivr_id, ivr in live.items()} == {7926: "Welcome IVR", 12: "Other"}


def test_an_id_listed_twice_is_an_error_naming_it() -> None:
    client = Lister([sample_item(), sample_item(id="7926", name="Copy")])

    with pytest.raises(ApiError, match=r"lists IVR 7926 twice \('Welcome IVR' and 'Copy'\)"):
        fetch_live(client)


def test_an_unmappable_item_is_kept_aside_and_required_only_where_needed() -> None:
    item = sample_item(id=13, name="Odd")
    del item["timeout"]

    account = fetch_live(Lister([sample_item(), item]))

    assert list(account.ivrs) == [7926]
    assert list(account.unreadable) == [13]
    account.require([7926])  # the readable one: no error
    with pytest.raises(ApiError, match="IVR 13, field 'timeout'"):
        account.require([7926, 13])
    assert account.skipped([7926]) == [f"IVR 13 was left out: {account.unreadable[13].message}"]
    assert account.skipped([7926, 13]) == []


@pytest.mark.parametrize(
    "item",
    [{"name": "no id"}, ["not", "an", "object"]],
    ids=["missing-id", "not-an-object"],
)
def test_an_item_whose_id_cannot_be_read_fails_the_whole_read(item: Any) -> None:
    # Without an id there is no telling whether a managed IVR is affected.
    with pytest.raises(ApiError, match="GET /v1/ivrs"):
        fetch_live(Lister([sample_item(), item]))
