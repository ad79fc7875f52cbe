"""`load_config_set`: schema problems in plain words, cross-file checks, and the valid configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ivrsync.body import digest_body
from ivrsync.config.validate import load_config_dir, load_config_set
from ivrsync.errors import UsageError
from ivrsync.model import Problem
from tests.testing.documents import VALID, edited, ivr_document, write_ivr

DATA = Path(__file__).parent / "data" / "validate"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def problems_of(text: str, workdir: Path) -> list[tuple[int, int, str, str, str]]:
    (workdir / "ivr.yaml").write_text(text, encoding="utf-8")
    result = load_config_set(["ivr.yaml"])
    return [(p.line, p.column, p.path, p.severity, p.message) for p in result.problems]


def test_the_valid_file_has_no_problems(workdir: Path) -> None:
    assert problems_of(VALID, workdir) == []


SCHEMA_CASES = [
    (
        "timeout: 20",
        "timeout: twenty",
        [(5, 10, "timeout", "error", "expected a whole number, got the text 'twenty'")],
    ),
    (
        "timeout: 20",
        "timeout: 20.0",
        [(5, 10, "timeout", "error", "expected a whole number, got the number 20.0")],
    ),
    (
        "timeout: 20",
        "timeout: 0",
        [(5, 10, "timeout", "error", "0 is below the minimum of 1")],
    ),
    (
        "incorrect_count: 5",
        "incorrect_count: 11",
        [(6, 18, "incorrect_count", "error", "11 is above the maximum of 10")],
    ),
    (
        "id: 349",
        "id: -3",
        [(1, 5, "id", "error", "-3 is below the minimum of 1")],
    ),
    (
        "id: 349",
        "id: true",
        [(1, 5, "id", "error", "expected a whole number, got the boolean true")],
    ),
    (
        "name: Support IVR",
        "name: ''",
        [(2, 7, "name", "error", "must not be blank")],
    ),
    (
        "name: Support IVR",
        "name: 1234",
        [(2, 7, "name", "error", "expected text, got the number 1234")],
    ),
    (
        "timeout_tries: 3\n",
        "",
        [(1, 1, "timeout_tries", "error", "missing field 'timeout_tries'")],
    ),
    (
        "timeout_tries: 3",
        "timeout_retries: 3",
        # One problem, at the mistyped key: not also "missing field 'timeout_tries'".
        [
            (
                12,
                1,
                "timeout_retries",
                "error",
                "unknown field 'timeout_retries'; did you mean 'timeout_tries'?",
            ),
        ],
    ),
    (
        "timeout: 20",
        "timeout: 030",
        [
            (
                5,
                10,
                "timeout",
                "error",
                "030 starts with 0, so YAML reads it as the octal number 24, while editors read 30",
            )
        ],
    ),
    (
        "option: 2",
        "option: 011",
        [
            (
                17,
                13,
                "menu[1].option",
                "error",
                "011 starts with 0, so YAML reads it as the octal number 9, while editors read 11",
            )
        ],
    ),
    (
        "timeout: 20",
        "timeout: 007",  # 7 either way: no doubt, no problem
        [],
    ),
    (
        "timeout: 20",
        "timeout: 20\ntimout: 7",
        # Not "did you mean 'timeout'": the file has it already, renaming would duplicate it.
        [(6, 1, "timout", "error", "unknown field 'timout'; 'timeout' is already set")],
    ),
    (
        "timeout: 20",
        "timeout: 20\nwebhook: 7",
        [(6, 1, "webhook", "error", "unknown field 'webhook'")],
    ),
    (
        "recording: recording|0231",
        "recording: 0231",
        # Not octal 153: the id as written.
        [(4, 12, "recording", "error", "'0231' is an id without its type")],
    ),
    (
        "recording: recording|0231",
        "recording: recordings|0231",
        [
            (
                4,
                12,
                "recording",
                "error",
                "unknown recording type 'recordings'; did you mean 'recording'?",
            )
        ],
    ),
    (
        "recording: recording|0231",
        "recording: welcome.wav",
        [
            (
                4,
                12,
                "recording",
                "error",
                "'welcome.wav' is not a recording reference: "
                "expected recording|<id> or outbound_tts|<id>",
            )
        ],
    ),
    (
        "recording: recording|0231",
        "recording: 'recording|'",
        [(4, 12, "recording", "error", "'recording|' has no id after the |")],
    ),
    (
        "invalid_destination: extension|05047530002",
        "invalid_destination: extention|05047530002",
        [
            (
                8,
                22,
                "invalid_destination",
                "error",
                "unknown destination type 'extention'; did you mean 'extension'?",
            )
        ],
    ),
    (
        "invalid_destination: extension|05047530002",
        "invalid_destination: queue|4",
        [(8, 22, "invalid_destination", "error", "unknown destination type 'queue'")],
    ),
    (
        "destination: extension|845",
        "destination: hangup|0",
        [(18, 18, "menu[1].destination", "error", "'hangup|0': hangup always takes id 1")],
    ),
    (
        "destination: extension|845",
        "destination: ivr|main",
        [
            (
                18,
                18,
                "menu[1].destination",
                "error",
                "'ivr|main': an IVR is named by its numeric id or by its name",
            )
        ],
    ),
    (
        "destination: extension|845",
        "destination: extension|8 45",
        [
            (
                18,
                18,
                "menu[1].destination",
                "error",
                "'extension|8 45': the id must not contain spaces (only custom_dialplan ids may)",
            )
        ],
    ),
    (
        "destination: extension|845",
        "destination: extension|845|2",
        [(18, 18, "menu[1].destination", "error", "'extension|845|2' has more than one |")],
    ),
    (
        "destination: extension|845",
        "destination: 845",
        [(18, 18, "menu[1].destination", "error", "'845' is an id without its type")],
    ),
    (
        "option: 2",
        "option: 10",
        [(17, 13, "menu[1].option", "error", "the number 10 is not a menu key")],
    ),
    (
        "option: 2",
        "option: '12'",
        [(17, 13, "menu[1].option", "error", "the text '12' is not a menu key")],
    ),
    (
        "option: 2",
        "option: #",
        [(17, 12, "menu[1].option", "error", "nothing (null) is not a menu key")],
    ),
    (
        "option: 2",
        "option: '1'",
        [
            (
                17,
                13,
                "menu[1].option",
                "error",
                "option '1' appears twice in the menu (first at line 15)",
            )
        ],
    ),
    (
        'option: "1"',
        "option: 2",
        [
            (
                17,
                13,
                "menu[1].option",
                "error",
                "option '2' appears twice in the menu (first at line 15)",
            )
        ],
    ),
    (
        "    destination: extension|845\n",
        "    destination: extension|845\n    note: x\n",
        [(19, 5, "menu[1].note", "error", "unknown field 'note'")],
    ),
    (
        "    destination: extension|845\n",
        "",
        [(17, 5, "menu[1].destination", "error", "missing field 'destination'")],
    ),
    (
        VALID[VALID.index("menu:") :],
        "menu: []\n",
        [(14, 7, "menu", "error", "the menu has no entries")],
    ),
    (
        VALID[VALID.index("menu:") :],
        "menu: extension|1\n",
        [(14, 7, "menu", "error", "expected a list, got the text 'extension|1'")],
    ),
    (
        VALID[VALID.index("menu:") :],
        "menu:\n  - extension|1\n",
        [(15, 5, "menu[0]", "error", "expected a mapping, got the text 'extension|1'")],
    ),
    (
        VALID[VALID.index("menu:") :],
        "menu:\n"
        + "".join(f"  - {{option: '{k}', destination: hangup|1}}\n" for k in "0123456789*#0"),
        [
            (15, 3, "menu", "error", "the menu has 13 entries, more than the 12 keys of a keypad"),
            (
                27,
                14,
                "menu[12].option",
                "error",
                "option '0' appears twice in the menu (first at line 15)",
            ),
        ],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    SCHEMA_CASES,
    ids=[
        "text-for-integer",
        "float-for-integer",
        "below-minimum",
        "above-maximum",
        "negative-id",
        "boolean-id",
        "blank-name",
        "number-for-text",
        "missing-field",
        "misspelt-field",
        "octal-looking-integer",
        "octal-looking-option",
        "leading-zeros-same-either-way",
        "misspelt-field-already-present",
        "unknown-field",
        "recording-without-type",
        "misspelt-recording-type",
        "recording-not-a-reference",
        "recording-without-id",
        "misspelt-destination-type",
        "unknown-destination-type",
        "hangup-not-1",
        "ivr-not-numeric",
        "id-with-space",
        "two-pipes",
        "number-for-destination",
        "option-10",
        "option-12",
        "unquoted-hash-option",
        "same-option-twice",
        "same-option-int-and-text",
        "unknown-menu-field",
        "missing-menu-field",
        "empty-menu",
        "menu-not-a-list",
        "menu-entry-not-a-mapping",
        "thirteen-entries",
    ],
)
def test_schema_and_menu_problems(
    old: str, new: str, expected: list[tuple[int, int, str, str, str]], workdir: Path
) -> None:
    assert problems_of(edited(old, new), workdir) == expected


HINT_CASES = [
    ("timeout_tries: 3\n", "", ["add the `timeout_tries:` line. How many times the IVR replays"]),
    (
        "timeout_tries: 3",
        "timeout_retries: 3",
        ["rename it to 'timeout_tries'"],
    ),
    ("timeout: 20", "timeout: 20.0", ["write 20, without a decimal point"]),
    ("timeout: 20", "timeout: 400", ["use a whole number from 1 to 300"]),
    ("name: Support IVR", "name: 1234", ['quote it: name: "1234"']),
    # YAML typed these: the hint quotes what was written, not True or octal 0231 = 153.
    ("name: Support IVR", "name: yes", ['quote it: name: "yes"']),
    (
        "description: IVR for the support team",
        "description: 0231",
        ['quote it: description: "0231"'],
    ),
    (
        "description: IVR for the support team",
        "description: 2026-01-01",
        ['quote it: description: "2026-01-01"'],
    ),
    ("timeout: 20", 'timeout: "20"', ["write timeout: 20, without quotes"]),
    ("option: 2", "option: #", ['an unquoted # starts a YAML comment: write option: "#"']),
    ("option: 2", "option: 10", ['use one DTMF key: "0" to "9", "*" or "#"']),
    ("recording: recording|0231", "recording: x", ["write recording|<id> or outbound_tts|<id>"]),
    (
        "destination: extension|845",
        "destination: x",
        ["write <type>|<id>, e.g. extension|05047530002; types: extension, agent, ringgroup,"],
    ),
    ("destination: extension|845", "destination: hangup|2", ["write hangup|1"]),
]


@pytest.mark.parametrize(
    ("old", "new", "hints"),
    HINT_CASES,
    ids=[
        "missing",
        "misspelt",
        "float",
        "range",
        "quote",
        "quote-boolean-as-written",
        "quote-octal-as-written",
        "quote-date-as-written",
        "unquote-integer",
        "hash",
        "option",
        "recording",
        "destination",
        "hangup",
    ],
)
def test_hints_say_what_would_fix_it(old: str, new: str, hints: list[str], workdir: Path) -> None:
    (workdir / "ivr.yaml").write_text(edited(old, new), encoding="utf-8")

    problems = load_config_set(["ivr.yaml"]).problems

    assert [p.hint[: len(h)] for p, h in zip(problems, hints, strict=True)] == hints


def test_custom_dialplan_ids_may_contain_spaces(workdir: Path) -> None:
    text = edited("destination: extension|845", "destination: custom_dialplan|Night shift plan")
    assert problems_of(text, workdir) == []


def test_every_destination_type_of_the_schema_is_accepted(workdir: Path) -> None:
    from ivrsync.config.schema import destination_types

    *in_menu, last = destination_types()
    entries = "".join(
        f"  - option: '{key}'\n    destination: {kind}|1\n"
        for key, kind in zip("0123456789*#", in_menu, strict=True)
    )
    text = VALID[: VALID.index("menu:")] + "menu:\n" + entries
    text = text.replace("id: 349", "id: 1").replace(
        "timeout_destination: extension|05047530002", f"timeout_destination: {last}|1"
    )

    # Accepted: no errors (hangup|1 as the timeout destination is a telephony warning).
    assert [p for p in problems_of(text, workdir) if p[3] == "error"] == []


# --- several files ------------------------------------------------------------------------------


def test_the_same_id_in_two_files_is_an_error_in_both(workdir: Path) -> None:
    write_ivr(workdir / "ivrs", ivr_document(349, name="Sales"), "a.yaml")
    write_ivr(workdir / "ivrs", ivr_document(349, name="Support"), "b.yaml")

    result = load_config_set(["ivrs"])

    assert [(p.file, p.line, p.path, p.message) for p in result.problems] == [
        ("ivrs/a.yaml", 1, "id", "IVR id 349 is also used by ivrs/b.yaml"),
        ("ivrs/b.yaml", 1, "id", "IVR id 349 is also used by ivrs/a.yaml"),
    ]
    assert not result.ok
    assert result.configs == ()


def test_the_same_name_in_two_files_is_a_warning(workdir: Path) -> None:
    write_ivr(workdir / "ivrs", ivr_document(1, name="Sales"), "a.yaml")
    write_ivr(workdir / "ivrs", ivr_document(2, name=" sales"), "b.yaml")

    result = load_config_set(["ivrs"])

    assert [(p.file, p.line, p.severity, p.message) for p in result.problems] == [
        ("ivrs/a.yaml", 2, "warning", "the name 'Sales' is also used by ivrs/b.yaml"),
        ("ivrs/b.yaml", 2, "warning", "the name ' sales' is also used by ivrs/a.yaml"),
    ]
    assert result.ok
    assert [c.id for c in result.configs] == [1, 2]


def test_an_ivr_destination_outside_the_set_is_a_warning(workdir: Path) -> None:
    menu = [
        {"option": "1", "destination": "ivr|2"},
        {"option": "2", "destination": "ivr|99"},
    ]
    write_ivr(workdir, ivr_document(1, menu=menu, timeout_destination="ivr|98"), "a.yaml")
    write_ivr(workdir, ivr_document(2), "b.yaml")

    result = load_config_set(["a.yaml", "b.yaml"])

    assert [(p.line, p.path, p.severity, p.message) for p in result.problems] == [
        (11, "timeout_destination", "warning", "ivr|98 names no IVR in the config set"),
        (18, "menu[1].destination", "warning", "ivr|99 names no IVR in the config set"),
    ]
    assert result.problems[0].hint == (
        "fine if IVR 98 is managed outside ivrsync; otherwise fix the id or add a file for it"
    )
    assert [c.id for c in result.configs] == [1, 2]


def test_problems_of_all_files_are_sorted_and_valid_files_still_become_configs(
    workdir: Path,
) -> None:
    (workdir / "b.yaml").write_text("id: [\n")
    (workdir / "a.yaml").write_text(edited("timeout: 20", "timeout: 0"))
    write_ivr(workdir, ivr_document(7), "c.yaml")
    write_ivr(workdir, ivr_document(5), "d.yml")

    result = load_config_set(["."])

    assert [(p.file, p.line) for p in result.problems] == [("a.yaml", 5), ("b.yaml", 2)]
    assert [(c.id, c.source) for c in result.configs] == [(5, "d.yml"), (7, "c.yaml")]
    assert result.files_read == 4


def test_config_bodies_are_the_documented_put_body() -> None:
    result = load_config_set([DATA / "support-ivr.yaml"])
    expected = json.loads((DATA / "update-ivr-request.json").read_text(encoding="utf-8"))

    (config,) = result.configs
    assert (config.id, config.name) == (349, "Support IVR")
    assert config.body == expected
    assert config.digest == digest_body(expected)


def test_key_order_menu_order_and_quoting_do_not_change_the_digest(workdir: Path) -> None:
    lines = VALID.splitlines(keepends=True)
    menu_at = lines.index("menu:\n")
    shuffled = (
        "".join(reversed(lines[:menu_at]))
        + "menu:\n"
        + "  - option: '2'\n    destination: extension|845\n"
        + "  - option: 1\n    destination: extension|05047530002\n"
    )
    (workdir / "a.yaml").write_text(VALID)
    (workdir / "b.yaml").write_text(shuffled.replace("id: 349", "id: 350"))

    first, second = load_config_set(["."]).configs

    assert first.digest == second.digest


def test_a_file_with_a_duplicate_key_is_not_a_config(workdir: Path) -> None:
    (workdir / "a.yaml").write_text(VALID + "timeout: 30\n")

    result = load_config_set(["a.yaml"])

    assert [p.message for p in result.problems] == [
        "duplicate key 'timeout': first at line 5, again at line 19"
    ]
    assert result.configs == ()


def test_a_missing_path_raises(workdir: Path) -> None:
    with pytest.raises(UsageError, match="missing: no such file or directory"):
        load_config_set(["missing"])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "config folder 'ivrs' does not exist"),
        (lambda p: p.write_text(""), "config folder 'ivrs' is not a folder"),
    ],
    ids=["missing", "a-file"],
)
def test_load_config_dir_explains_a_missing_folder(
    make: object, message: str, workdir: Path
) -> None:
    make(workdir / "ivrs")  # type: ignore[operator]

    with pytest.raises(UsageError) as raised:
        load_config_dir("ivrs")

    assert str(raised.value) == message
    assert "--config-dir" in raised.value.hint


def test_problems_are_values_with_file_line_column_path_and_hint(workdir: Path) -> None:
    (workdir / "a.yaml").write_text(edited("timeout: 20", "timeout: 0"))

    (problem,) = load_config_set(["a.yaml"]).problems

    assert problem == Problem(
        file="a.yaml",
        line=5,
        column=10,
        path="timeout",
        message="0 is below the minimum of 1",
        severity="error",
        hint="use a whole number from 1 to 300",
    )
