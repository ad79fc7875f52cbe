"""Every common encoding of a secret is redacted, alone and inside a server's answer."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import httpx
import pytest

from ivrsync.errors import ApiError
from ivrsync.smartflo.client import SmartfloClient
from ivrsync.smartflo.credentials import DEFAULT_BASE_URL, Credentials
from ivrsync.smartflo.redact import REDACTED, Redactor
from ivrsync.smartflo.retry import RetryPolicy

# A token with `/` (kept by quote()'s default safe set, escaped by PHP's json_encode) and `+`
# and `=` (base64-looking); a password with everything HTML and URLs escape.
TOKEN = "tok/Secret+4711=abc/def"
PASSWORD = "p@ss wörd/<with>&'odd'=\"chars\""
SECRETS = [TOKEN, PASSWORD]


def lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def numeric_entities(text: str) -> str:
    return "".join(f"&#{ord(c)};" if not c.isalnum() else c for c in text)


def hex_entities(text: str) -> str:
    return "".join(f"&#x{ord(c):x};" for c in text)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "json": lambda s: json.dumps(s)[1:-1],
    "json-unicode-kept": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    "json-php-slashes": lambda s: json.dumps(s)[1:-1].replace("/", "\\/"),
    "json-all-unicode-escapes": lambda s: "".join(f"\\u{ord(c):04x}" for c in s),
    "quote-safe-slash": quote,
    "quote-nothing-safe": lambda s: quote(s, safe=""),
    "quote-lower-hex": lambda s: lower_hex(quote(s, safe="")),
    "quote-plus": quote_plus,
    "quote-plus-safe-slash": lambda s: quote_plus(s, safe="/"),
    "quote-plus-lower-hex": lambda s: lower_hex(quote_plus(s)),
    "js-encode-uri-component": lambda s: quote(s, safe="-_.!~*'()"),
    "html-escape": html.escape,
    "html-escape-no-quote": lambda s: html.escape(s, quote=False),
    "html-numeric-entities": numeric_entities,
    "html-hex-entities": hex_entities,
    "html-inside-json": lambda s: html.escape(json.dumps(s)[1:-1]),
    "base64": b64,
    "base64-unpadded": lambda s: b64(s).rstrip("="),
    "base64-urlsafe": b64url,
    "base64-urlsafe-unpadded": lambda s: b64url(s).rstrip("="),
    "base64-basic-auth": lambda s: b64(f"ops@example.com:{s}"),
    "base64-offset-two": lambda s: b64(f"ab{s}xyz"),
}


@pytest.mark.parametrize("secret", SECRETS, ids=["token", "password"])
@pytest.mark.parametrize("encoding", list(ENCODINGS), ids=str)
def test_every_encoding_of_a_secret_is_redacted(encoding: str, secret: str) -> None:
    form = ENCODINGS[encoding](secret)
    redact = Redactor(SECRETS)

    said = redact(f"before {form} after")

    assert REDACTED in said
    assert said.startswith("before ")
    assert said.endswith(" after")
    for piece in (secret, form, secret[:8], form[-8:]):
        assert piece not in said, piece


@pytest.mark.parametrize(
    "text",
    [
        "the IVR Support Desk was updated",
        "tok/Secret and p@ss are only pieces",
        "dG9rL1NlY3JldA== is base64 of a piece",
        "100% done & <ok>",
    ],
    ids=["plain", "prefixes", "partial-base64", "html-specials"],
)
def test_text_without_a_whole_secret_is_left_alone(text: str) -> None:
    assert Redactor(SECRETS)(text) == text


def test_a_secret_containing_another_is_redacted_whole() -> None:
    redact = Redactor(["abcdefgh", "xx-abcdefgh-yy"])

    assert redact("[xx-abcdefgh-yy]") == f"[{REDACTED}]"
    assert redact("abcdefgh") == REDACTED


def test_whitespace_in_a_secret_matches_any_whitespace() -> None:
    redact = Redactor(["two  spaces\tpw"])

    for said in ("two spaces pw", "two\n spaces  pw", "two%20%20spaces%09pw", "two++spaces%09pw"):
        assert redact(said) == REDACTED, said


def test_empty_secrets_are_ignored_and_repr_shows_no_secret() -> None:
    redact = Redactor(["", TOKEN])
    redact.add("")

    assert redact("nothing secret") == "nothing secret"
    assert TOKEN not in repr(redact)


# -- through the client: the server echoes a secret in some encoding -----------------------


@pytest.mark.parametrize(
    "encoding",
    ["quote-safe-slash", "json-php-slashes", "html-escape", "base64", "quote-plus-lower-hex"],
    ids=str,
)
@pytest.mark.parametrize("credentials", ["token", "password"], ids=str)
@pytest.mark.parametrize("shape", ["json-message", "html-page"], ids=str)
def test_a_server_echo_in_any_encoding_never_reaches_the_error(
    encoding: str, credentials: str, shape: str
) -> None:
    secret = TOKEN if credentials == "token" else PASSWORD
    form = ENCODINGS[encoding](secret)

    def echo(request: httpx.Request) -> httpx.Response:
        if shape == "json-message":
            return httpx.Response(400, json={"success": False, "message": f"bad: {form}"})
        page = f"<html><body><p>bad: {form}</p></body></html>"
        return httpx.Response(400, text=page, headers={"Content-Type": "text/html"})

    creds = (
        Credentials(token=TOKEN)
        if credentials == "token"
        else Credentials(email="ops@example.com", password=PASSWORD)
    )
    http = httpx.Client(transport=httpx.MockTransport(echo), base_url=DEFAULT_BASE_URL)
    client = SmartfloClient(http, creds, retry=RetryPolicy(attempts=1), rate_limit=None)
    with client, pytest.raises(ApiError) as info:
        client.put_ivr(349, {"name": "x"})

    shown = f"{info.value.message} {info.value.hint}"
    assert REDACTED in shown
    for piece in (secret, form, form[:10]):
        assert piece not in shown
