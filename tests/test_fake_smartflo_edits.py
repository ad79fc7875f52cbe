"""Edits "in the portal" on the fake: read-shape or PUT-body names, and nothing else."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import ivrsync.fake_smartflo
from ivrsync.fake_smartflo import EditError, FakeSmartflo, edits
from ivrsync.fake_smartflo.edits import BODY_NAMES, READ_NAMES
from ivrsync.smartflo.readshape import live_ivr_from_read_shape
from tests.testing.cli import RunCli
from tests.testing.fake import AUTH, TOKEN, loopback_client, put_body, seed_ivrs


@pytest.fixture
def fake() -> Iterator[FakeSmartflo]:
    with FakeSmartflo(ivrs=seed_ivrs(), token=TOKEN) as server:
        yield server


@pytest.fixture
def client(fake: FakeSmartflo) -> Iterator[httpx.Client]:
    with loopback_client(base_url=fake.url, timeout=5.0) as http:
        yield http


def test_a_put_body_name_is_mapped_to_its_read_field(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    response = client.patch("/_fake/ivrs/7926", json={"incorrect_count": 4})

    assert response.status_code == 200
    assert response.json()["ivr"]["invalid_retries"] == 4
    assert "incorrect_count" not in fake.live_ivrs()[0]
    assert live_ivr_from_read_shape(fake.live_ivrs()[0]).body["incorrect_count"] == 4


def test_a_body_shape_edit_changes_only_what_it_names(fake: FakeSmartflo) -> None:
    before = live_ivr_from_read_shape(fake.live_ivrs()[0]).body

    fake.edit_ivr(7926, option=["1", "2"], destination=["extension|05047530002", "ringgroup|17839"])

    after = fake.live_ivrs()[0]
    assert live_ivr_from_read_shape(after).body == before | {
        "option": ["1", "2"],
        "destination": ["extension|05047530002", "ringgroup|17839"],
    }
    assert after["added_by"] == 10959


def test_names_in_both_shapes_are_read_shape_names_unless_body_shape_is_asked_for(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    read = client.patch("/_fake/ivrs/7926", json={"invalid_recording": 300}).json()["ivr"]
    body = client.patch(
        "/_fake/ivrs/7926?shape=body", json={"invalid_recording": "recording|301"}
    ).json()["ivr"]

    assert read["invalid_recording"] == 300
    # The body's invalid_recording is the read shape's invalid_retry_recording (swapped).
    assert (body["invalid_retry_recording"], body["invalid_recording"]) == ("301", 300)


def test_body_shape_edits_follow_the_dialect() -> None:
    seed = [seed_ivrs()[0] | {"invalid_recording": 999}]  # the seed's two recordings differ
    with FakeSmartflo(ivrs=seed, separator="||", recordings="direct") as fake:
        fake.edit_ivr(7926, shape="body", invalid_recording="recording||301")
        with pytest.raises(EditError, match=r"type\|\|id"):
            fake.edit_ivr(7926, shape="body", recording="recording|1")
        live = fake.live_ivrs()[0]

    assert live["invalid_recording"] == 301
    assert live["invalid_retry_recording"] == "244"  # the other recording, untouched


def test_body_shape_edits_keep_webhooks_even_where_a_put_clears_them() -> None:
    seed = seed_ivrs()
    seed[0]["ivr_menu"][0]["webhook_id"] = "12"
    with FakeSmartflo(ivrs=seed, webhooks_cleared_by_put=True) as fake:
        fake.edit_ivr(7926, timeout_tries=2)

        assert fake.live_ivrs()[0]["ivr_menu"][0]["webhook_id"] == "12"


@pytest.mark.parametrize(
    ("query", "body", "message"),
    [
        ("", {"bogus": 1}, "unknown field 'bogus'; accepted read-shape fields: name,"),
        ("", {"timeout": 3, "shape": "body"}, "unknown field 'shape'"),
        ("", {"ivr_id": 3}, "unknown field 'ivr_id'"),
        ("?shape=read", {"incorrect_count": 4}, "unknown field 'incorrect_count'"),
        ("?shape=body", {"invalid_retries": 4}, "unknown field 'invalid_retries'; accepted PUT"),
        ("?shape=sideways", {"timeout": 3}, "unknown edit shape 'sideways'"),
        ("", {"invalid_retries": 1, "incorrect_count": 4}, "the edit mixes read-shape fields"),
        ("", {"id": 1}, "an IVR's id cannot be edited"),
        ("", {"timeout_tries": "3"}, "The timeout_tries field must be an integer."),
        ("", {"option": ["1", "2"]}, "The destination field must have as many items"),
    ],
    ids=[
        "unknown",
        "shape as a field",
        "ivr_id as a field",
        "body name as read",
        "read name as body",
        "unknown shape",
        "mixed shapes",
        "id",
        "bad body value",
        "menu half changed",
    ],
)
def test_refused_edits_get_400_naming_the_problem_and_change_nothing(
    fake: FakeSmartflo, client: httpx.Client, query: str, body: dict[str, Any], message: str
) -> None:
    response = client.patch(f"/_fake/ivrs/7926{query}", json=body)

    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert fake.live_ivrs() == seed_ivrs()


def test_unknown_names_are_refused_with_every_accepted_name(fake: FakeSmartflo) -> None:
    with pytest.raises(ValueError, match="unknown field 'bogus'") as raised:
        fake.edit_ivr(7926, bogus=1)

    assert all(name in str(raised.value) for name in (*READ_NAMES, *BODY_NAMES))
    assert fake.live_ivrs() == seed_ivrs()


def test_a_body_shape_edit_of_an_unreadable_ivr_is_refused(fake: FakeSmartflo) -> None:
    fake.edit_ivr(7926, recording="")  # read shape: anything goes

    with pytest.raises(EditError, match="cannot be edited by PUT-body fields"):
        fake.edit_ivr(7926, timeout_tries=2)


def test_edits_of_string_ids_answer_the_edited_ivr(client: httpx.Client) -> None:
    with FakeSmartflo(ivrs=[seed_ivrs()[0] | {"id": "7926"}]) as fake:
        response = client.patch(f"{fake.url}/_fake/ivrs/7926", json={"timeout": 45})

    assert response.status_code == 200
    assert (response.json()["ivr"]["id"], response.json()["ivr"]["timeout"]) == ("7926", 45)


def test_a_put_after_a_body_shape_edit_reads_back_as_sent(
    fake: FakeSmartflo, client: httpx.Client
) -> None:
    fake.edit_ivr(7926, incorrect_count=9)

    client.put("/v1/ivr/7926", json=put_body(), headers=AUTH)

    assert live_ivr_from_read_shape(fake.live_ivrs()[0]).body == put_body()


# -- the documentation lists exactly the accepted names -----------------------------------------


def _listed(doc: str, label: str) -> list[str]:
    match = re.search(rf"- {label}: (.*?)\.\n(?:- |\n|$)", doc, re.DOTALL)
    assert match, f"no '- {label}:' list"
    return [name.strip() for name in match[1].replace("\n", " ").split(",")]


@pytest.mark.parametrize(
    "doc", [ivrsync.fake_smartflo.__doc__, edits.__doc__], ids=["package", "edits"]
)
def test_docstrings_list_exactly_the_accepted_names(doc: str | None) -> None:
    assert doc
    assert _listed(doc, "read shape") == list(READ_NAMES)
    assert _listed(doc, "PUT body") == list(BODY_NAMES)


def test_help_lists_every_accepted_name(run_cli: RunCli) -> None:
    result = run_cli("fake-smartflo", "--help")

    words = set(re.findall(r"[a-z_]+", result.stdout))
    assert result.exit_code == 0
    assert set(READ_NAMES) | set(BODY_NAMES) <= words
