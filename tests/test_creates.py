"""Creates, piece by piece: the id write-back's text edit, the create order, plan documents with
creates, the intents file, the live-name check and the recorded-id matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivrsync.body import digest_body, referenced_names, resolve_names
from ivrsync.config.edits import EditError, with_id, write_id
from ivrsync.errors import ConfigError, CreateConflictError, StateError
from ivrsync.model import Create, CreateIntent, IvrConfig, NewIvrConfig, Plan, State, StateEntry
from ivrsync.plan.creates import (
    creation_order,
    plan_desired,
    refuse_taken,
    settle_recorded,
    taken_names,
)
from ivrsync.plan.planfile import load_plan, save_plan
from ivrsync.render.plan_text import render_plan_text
from ivrsync.state import CreateIntents
from tests.testing.documents import ivr_document

# -- the id write-back -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: A\nmenu: []\n", "id: 7\nname: A\nmenu: []\n"),
        (
            "# yaml-language-server: $schema=x\n# why\nname: A   # keep\n",
            "# yaml-language-server: $schema=x\n# why\nid: 7\nname: A   # keep\n",
        ),
        ("---\r\nname: A\r\n", "---\r\nid: 7\r\nname: A\r\n"),
        ("  name: A\n  menu: []\n", "  id: 7\n  name: A\n  menu: []\n"),
        ("{name: A, menu: []}\n", "{id: 7, name: A, menu: []}\n"),
        ("description: d\nname: A\n", "id: 7\ndescription: d\nname: A\n"),
        ("!!map {name: A}\n", "!!map {id: 7, name: A}\n"),
    ],
    ids=["plain", "comments", "crlf-and-marker", "indented", "flow", "other-first-key", "tag"],
)
def test_with_id_adds_one_line_and_keeps_the_rest(text: str, expected: str) -> None:
    assert with_id(text, 7) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("id: 3\nname: A\n", "already has an id"),
        ("- name: A\n", "no longer holds one mapping"),
        ("name: [\n", "no longer parses"),
    ],
)
def test_with_id_refuses_what_it_cannot_edit_safely(text: str, why: str) -> None:
    with pytest.raises(EditError, match=why):
        with_id(text, 7)


def test_write_id_edits_the_file_and_a_second_time_does_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("# mine\nname: A\n", encoding="utf-8")
    assert write_id(path, 9, name="A") is True
    assert path.read_text(encoding="utf-8") == "# mine\nid: 9\nname: A\n"
    assert write_id(path, 9, name="A") is False


def test_write_id_refuses_a_file_that_became_another_ivr_or_a_link(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("name: B\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no longer the new IVR 'A'"):
        write_id(path, 9, name="A")
    assert path.read_text(encoding="utf-8") == "name: B\n"
    target = tmp_path / "target.yaml"
    target.write_text("name: A\n", encoding="utf-8")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    with pytest.raises(ConfigError, match="cannot write the new id 9"):
        write_id(link, 9, name="A")
    assert target.read_text(encoding="utf-8") == "name: A\n"


# -- order, references -------------------------------------------------------------------------


def _create(name: str, *routes: str) -> Create:
    body = {"name": name, "destination": [f"ivr|@{r}" for r in routes]}
    return Create(name, f"{name}.yaml", (), body, digest_body(body), referenced_names(body))


def test_creation_order_puts_each_create_after_what_it_routes_to() -> None:
    creates = [_create("A", "C"), _create("B"), _create("C", "B", "Outside")]
    assert [c.name for c in creation_order(creates)] == ["B", "C", "A"]


def test_creation_order_refuses_a_loop() -> None:
    with pytest.raises(ValueError, match="loop"):
        creation_order([_create("A", "B"), _create("B", "A")])


def test_a_long_chain_of_new_ivrs_needs_no_recursion() -> None:
    chain = [_create(f"n{i:05}", f"n{i + 1:05}") for i in range(5000)] + [_create("n05000")]
    order = creation_order(chain)
    assert order[0].name == "n05000"
    assert order[-1].name == "n00000"


def test_resolve_names_writes_known_ids_and_keeps_the_rest() -> None:
    body = {
        "invalid_destination": "ivr|@Sales",
        "timeout_destination": "hangup|1",
        "destination": ["ivr|@Sales", "ivr|@New one", "ivr|4"],
    }
    assert resolve_names(body, {"Sales": 41}) == {
        "invalid_destination": "ivr|41",
        "timeout_destination": "hangup|1",
        "destination": ["ivr|41", "ivr|@New one", "ivr|4"],
    }


# -- plans -------------------------------------------------------------------------------------


def _new(name: str, *routes: str) -> NewIvrConfig:
    document = ivr_document(1, name=name)
    del document["id"]
    from ivrsync.body import body_from_document

    document["menu"] = [{"option": "1", "destination": f"ivr|@{r}"} for r in routes] or [
        {"option": "1", "destination": "hangup|1"}
    ]
    body = body_from_document(document)
    return NewIvrConfig(name, f"ivr-configs/{name}.yaml", body, digest_body(body))


def test_a_plan_with_creates_round_trips_through_its_document(tmp_path: Path) -> None:
    plan, _ = plan_desired([], [_new("Returns", "Refunds"), _new("Refunds")], State(None, 0))
    assert [c.name for c in plan.creates] == ["Refunds", "Returns"]
    assert plan.creates[1].routes_to == ("Refunds",)
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    assert load_plan(path) == plan
    text = render_plan_text(plan)
    assert '+ new IVR "Returns" (ivr-configs/Returns.yaml) will be created' in text
    assert 'created after "Refunds", which it routes to' in text
    assert "Plan: 2 to create, 0 to update, 0 to adopt, 0 to forget, 0 unchanged." in text


def test_a_partial_plan_creates_nothing_and_refuses_a_route_to_a_new_ivr() -> None:
    from ivrsync.body import body_from_document
    from ivrsync.errors import UsageError

    document = ivr_document(5, menu=[{"option": "1", "destination": "ivr|@Returns"}])
    body = body_from_document(document)
    config = IvrConfig(5, "IVR 5", "ivr-5.yaml", body, digest_body(body))
    plan, _ = plan_desired([], [_new("Returns")], State(None, 0), targets=[])
    assert plan.creates == ()
    with pytest.raises(UsageError, match="routes to the new IVR 'Returns'"):
        plan_desired([config], [_new("Returns")], State(None, 0), targets=[5])


def test_only_recorded_creates_are_matched_to_state_entries() -> None:
    new = _new("Returns")
    entry = StateEntry(77, new.body, new.digest, "elsewhere/Returns.yaml", "2026-12-01T00:00:00Z")
    state = State("x", 1, {77: entry})
    # An entry that merely shares the name is not this file's IVR...
    assert settle_recorded([], [new], state, {}).new == (new,)
    # ...one the intents say was created for it is, whatever folder the run started in.
    settled = settle_recorded([], [new], state, {"Returns": 77})
    assert [c.id for c in settled.configs] == [77]
    assert settled.new == ()
    assert [w.ivr_id for w in settled.write_backs] == [77]


def test_taken_names_compare_as_the_portal_shows_them() -> None:
    creates = [_create("Returns "), _create("Other")]
    taken = taken_names(creates, {12: "returns", 13: "Sales"})
    assert [(c.name, i) for c, i in taken] == [("Returns ", 12)]
    with pytest.raises(CreateConflictError, match="already exists live as IVR 12") as caught:
        refuse_taken(taken, sent_nothing=True)
    assert "ivrsync import --id 12" in caught.value.hint
    refuse_taken([], sent_nothing=True)  # nothing taken: no error


def test_plan_is_empty_only_without_creates() -> None:
    assert Plan(None, 0, (), ()).is_empty
    assert not Plan(None, 0, (), (), creates=(_create("A"),)).is_empty


# -- the intents file --------------------------------------------------------------------------


def test_intents_are_added_marked_and_removed(tmp_path: Path) -> None:
    intents = CreateIntents(tmp_path / "state.json.creates")
    assert intents.load() == ()
    body = {"name": "A"}
    intent = CreateIntent("A", "a.yaml", body, digest_body(body), "2026-12-01T00:00:00Z")
    intents.add(intent)
    intents.add(CreateIntent("A", "a.yaml", body, digest_body(body), "2026-12-01T00:00:00Z", 9))
    assert [i.ivr_id for i in intents.load()] == [9]
    intents.remove("A")
    assert not intents.path.exists()


@pytest.mark.parametrize(
    "text",
    ["{", "[]", '{"version": 2, "intents": []}', '{"version": 1, "intents": [{"name": "A"}]}'],
)
def test_a_corrupt_intents_file_is_an_error_naming_it(tmp_path: Path, text: str) -> None:
    path = tmp_path / "state.json.creates"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StateError, match=r"create intents file .*state\.json\.creates"):
        CreateIntents(path).load()


def test_a_saved_plan_whose_create_was_edited_is_refused_before_anything_is_sent() -> None:
    from dataclasses import replace

    from ivrsync.errors import PlanFileError
    from ivrsync.plan.verify import verify_saved_plan

    plan, _ = plan_desired([], [_new("Returns")], State(None, 0))
    verify_saved_plan(plan, State(None, 0))  # as made: holds up
    [create] = plan.creates
    louder = dict(create.body, timeout=999)
    edits = [
        replace(create, body=louder, digest=digest_body(louder)),  # fails the schema
        replace(create, digest="sha256:" + "0" * 64),  # not its body's digest
        replace(create, fields=create.fields[1:]),  # shows less than it sends
        replace(create, routes_to=("Elsewhere",)),  # says it waits for another
    ]
    for edited in edits:
        with pytest.raises(PlanFileError, match="new 'Returns': "):
            verify_saved_plan(replace(plan, creates=(edited,)), State(None, 0))
