"""The JSON parser boundary: hostile answers become a reason, and the client's usual ApiError."""

from __future__ import annotations

import json
import sys

import httpx
import pytest

from ivrsync.errors import ApiError, RejectedError
from ivrsync.smartflo.answers import MAX_JSON_DEPTH, Answer, decode_json, quote
from ivrsync.smartflo.client import SmartfloClient
from ivrsync.smartflo.credentials import DEFAULT_BASE_URL, Credentials
from ivrsync.smartflo.retry import RetryPolicy

DIGITS = sys.get_int_max_str_digits()


def nested(depth: int, inner: str = "1") -> bytes:
    return ("[" * depth + inner + "]" * depth).encode()


def nested_objects(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


DEEP = {
    "lists-past-the-recursion-limit": nested(100_000),
    "objects-past-the-recursion-limit": nested_objects(100_000),
    "lists-past-the-depth-limit": nested(MAX_JSON_DEPTH + 1),
    "inside-an-ivr": b'{"ivrs": [' + nested(200) + b"]}",
}
LONG_INTS = {
    "bare": b"1" * (DIGITS + 1),
    "in-a-message": b'{"success": false, "message": ' + b"9" * 10_000 + b"}",
    "as-an-ivr-id": b'{"ivrs": [{"id": -' + b"7" * (DIGITS + 5) + b"}]}",
}
SURROGATES = {
    "bare": b'"\\ud800"',
    "in-a-message": b'{"success": false, "message": "bad \\udfff"}',
    "as-a-key": b'{"ivrs": [{"\\ud83d": 1}]}',
    "high-then-high": b'{"ivrs": [{"name": "\\ud83d\\ud83d"}]}',
}
CONSTANTS = {"nan": b'{"timeout": NaN}', "infinity": b'{"ivrs": [{"timeout": -Infinity}]}'}


def cases(table: dict[str, bytes]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("content", list(table.values()), ids=list(table))


@cases(DEEP)
def test_deep_nesting_is_refused(content: bytes) -> None:
    payload, problem = decode_json(content)

    assert payload is None
    assert "nested" in problem


def test_nesting_up_to_the_limit_is_read() -> None:
    assert decode_json(nested(MAX_JSON_DEPTH - 1)) == (json.loads(nested(MAX_JSON_DEPTH - 1)), "")


@cases(LONG_INTS)
def test_integers_past_the_int_string_limit_are_refused(content: bytes) -> None:
    assert decode_json(content) == (None, f"it has a number longer than {DIGITS} digits")


@cases(SURROGATES)
def test_lone_surrogates_are_refused(content: bytes) -> None:
    payload, problem = decode_json(content)

    assert payload is None
    assert "lone surrogate" in problem


def test_a_surrogate_pair_is_text() -> None:
    assert decode_json(b'{"name": "\\ud83d\\ude00"}') == ({"name": "\U0001f600"}, "")


@cases(CONSTANTS)
def test_nan_and_infinity_are_refused(content: bytes) -> None:
    payload, problem = decode_json(content)

    assert payload is None
    assert "not a JSON number" in problem


@pytest.mark.parametrize("content", [b"", b"  ", b"<html>", b"\xff\xfe", b"{'a': 1}"], ids=str)
def test_what_is_not_json_is_no_payload_and_no_problem(content: bytes) -> None:
    assert decode_json(content) == (None, "")


# -- through the client: never an uncaught exception ---------------------------------------

HOSTILE = {
    f"{kind}-{name}": content
    for kind, table in [
        ("deep", DEEP),
        ("long-int", LONG_INTS),
        ("surrogate", SURROGATES),
        ("constant", CONSTANTS),
    ]
    for name, content in table.items()
}


def client_answering(status: int, content: bytes) -> SmartfloClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers={"Content-Type": "application/json"})

    http = httpx.Client(transport=httpx.MockTransport(answer), base_url=DEFAULT_BASE_URL)
    return SmartfloClient(
        http, Credentials(token="tok-123456"), retry=RetryPolicy(attempts=1), rate_limit=None
    )


@pytest.mark.parametrize("content", list(HOSTILE.values()), ids=list(HOSTILE))
@pytest.mark.parametrize("operation", ["put", "list"], ids=str)
def test_a_hostile_2xx_answer_is_the_usual_api_error(operation: str, content: bytes) -> None:
    with client_answering(200, content) as client:
        call = (
            (lambda: client.put_ivr(349, {"name": "x"})) if operation == "put" else client.list_ivrs
        )
        with pytest.raises(ApiError) as info:
            call()

    assert type(info.value) is ApiError
    assert "JSON that ivrsync refuses to read: it " in info.value.message
    assert info.value.message.encode("utf-8")  # printable: no lone surrogate in it
    assert len(info.value.message) < 400


@pytest.mark.parametrize("content", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_refusal_is_the_usual_rejected_error(content: bytes) -> None:
    with client_answering(400, content) as client, pytest.raises(RejectedError) as info:
        client.put_ivr(349, {"name": "x"})

    assert info.value.message.startswith(
        "IVR 349: the server refused it (HTTP 400: JSON that ivrsync refuses to read: it "
    )


# -- quoting server text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        ("\x1b[2Jwiped", "\\x1b[2Jwiped"),
        ("bell\x07 and nul\x00", "bell\\x07 and nul\\x00"),
        ("abc\u202edcba", "abc\\u202edcba"),
        ("c1 \x9b31m", "c1 \\x9b31m"),
    ],
    ids=["ansi-escape", "bell-nul", "bidi-override", "c1-csi"],
)
def test_terminal_controls_in_server_text_are_escaped(said: str, shown: str) -> None:
    assert quote(said, lambda text: text) == shown


def test_an_answer_decodes_once() -> None:
    answer = Answer(200, b'{"success": true, "message": "ok"}')

    assert answer.ok
    assert answer.payload is answer.payload
