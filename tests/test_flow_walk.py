"""ivrsync.flow.walk: the routing rules of a call, press by press."""

from __future__ import annotations

import pytest

from ivrsync.flow.walk import answer, find_ivr, ivrs_by_id, press, walk
from ivrsync.model import CallPath, CallStep
from tests.testing.flow import configs, ivr, menu

PERSON = "extension|05047530002"

# IVR 1: two timeout retries, one invalid retry; 1 -> IVR 2, 2 -> a ring group, 7 -> IVR 99.
IVRS = ivrs_by_id(
    configs(
        ivr(
            1,
            menu(k1="ivr|2", k2="ringgroup|5", k7="ivr|99"),
            name="Main",
            recording="recording|10",
            timeout_tries=2,
            incorrect_count=1,
            timeout_retry_recording="recording|11",
            timeout_recording="recording|12",
            invalid_recording="recording|13",
            recording_invalid="recording|14",
            timeout_destination="department|1",
            invalid_destination="ivr|2",
        ),
        ivr(2, menu(star="ivr|1", k1=PERSON), name="Sales", recording="outbound_tts|20"),
    )
)


def _walk(*presses: str) -> CallPath:
    return walk(IVRS, IVRS[1], presses)


def _trail(path: CallPath) -> list[tuple[str, str, str]]:
    return [(step.press, step.at, step.event) for step in path.steps]


def test_the_call_starts_in_the_menu_hearing_its_recording() -> None:
    path = _walk()

    assert path.steps == (CallStep("", "ivr|1", "Main", "start", ("recording|10",)),)
    assert path.in_menu


def test_a_menu_key_enters_the_next_ivr() -> None:
    path = _walk("1", "1")

    assert _trail(path) == [
        ("", "ivr|1", "start"),
        ("1", "ivr|2", "routed"),
        ("1", PERSON, "routed"),
    ]
    assert path.heard == ("recording|10", "outbound_tts|20")
    assert not path.in_menu


def test_the_timeout_destination_comes_on_the_timeout_after_the_last_retry() -> None:
    path = _walk("timeout", "timeout", "timeout")

    assert _trail(path)[1:] == [
        ("timeout", "ivr|1", "retry"),
        ("timeout", "ivr|1", "retry"),
        ("timeout", "department|1", "timed_out"),
    ]
    assert [step.count for step in path.steps] == [0, 1, 2, 3]
    assert path.heard == (
        "recording|10",
        "recording|11",
        "recording|10",
        "recording|11",
        "recording|10",
        "recording|12",
    )


@pytest.mark.parametrize("wrong", ["invalid", "5", "#"], ids=["invalid", "missing-key", "hash"])
def test_the_invalid_destination_comes_after_incorrect_count_wrong_keys(wrong: str) -> None:
    path = _walk(wrong, wrong)

    assert _trail(path)[1:] == [(wrong, "ivr|1", "invalid_retry"), (wrong, "ivr|2", "invalid_out")]
    assert path.steps[2].heard == ("recording|14", "outbound_tts|20")


def test_timeouts_and_invalid_keys_are_counted_apart() -> None:
    path = _walk("timeout", "invalid", "timeout")

    assert [step.event for step in path.steps[1:]] == ["retry", "invalid_retry", "retry"]


def test_counts_start_again_in_each_ivr_entered() -> None:
    path = _walk("invalid", "1", "*", "invalid")

    assert path.end.event == "invalid_retry"
    assert path.end.at == "ivr|1"


def test_an_unmanaged_ivr_ends_the_walk_and_later_presses_are_unused() -> None:
    path = _walk("7", "1", "2")

    assert path.end == CallStep("7", "ivr|99", "", "routed")
    assert path.unused == 2
    assert not path.in_menu


def test_press_refuses_what_no_caller_can_do() -> None:
    with pytest.raises(ValueError, match="not a press"):
        press(IVRS, answer(IVRS[1]), "10")
    left = press(IVRS, answer(IVRS[1]), "2")
    with pytest.raises(ValueError, match="left the menus"):
        press(IVRS, left, "1")


@pytest.mark.parametrize(
    ("start", "found"),
    [
        (1, 1),
        ("2", 2),
        ("ivr|2", 2),
        ("  sales ", 2),
        ("MAIN", 1),
        ("Nobody", None),
        (3, None),
        ("ivr|3", None),
    ],
    ids=["id", "id-text", "reference", "name-spaces", "name-case", "no-name", "no-id", "no-ref"],
)
def test_find_ivr_takes_an_id_a_reference_or_a_name(start: str | int, found: int | None) -> None:
    config = find_ivr(IVRS, start)

    assert (config.id if config else None) == found


def test_find_ivr_takes_the_lowest_id_of_a_repeated_name() -> None:
    ivrs = ivrs_by_id(configs(ivr(9, name="Same"), ivr(4, name="same")))

    found = find_ivr(ivrs, "Same")

    assert found is not None
    assert found.id == 4
