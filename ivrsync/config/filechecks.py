"""The checks of one file that no schema can express: a DTMF key twice in one menu, integers
written with a leading zero."""

from __future__ import annotations

from collections.abc import Iterator

from ivrsync.body import dtmf_key
from ivrsync.config.explain import integer_fields
from ivrsync.config.loader import LoadedFile
from ivrsync.config.summary import menu_entries
from ivrsync.model import Problem


def menu_problems(file: LoadedFile) -> list[Problem]:
    """The same DTMF key twice in one menu (`1` and `"1"` are the same key)."""
    first_seen: dict[str, int] = {}
    problems: list[Problem] = []
    for index, entry in menu_entries(file.document):
        option = entry.get("option")
        if not isinstance(option, str | int) or isinstance(option, bool):
            continue
        key = dtmf_key(option)
        first = first_seen.setdefault(key, index)
        if first != index:
            first_line = file.locate(("menu", first, "option"))[0]
            path = ("menu", index, "option")
            problems.append(
                file.problem(
                    f"option '{key}' appears twice in the menu (first at line {first_line})",
                    at=file.locate(path),
                    json_path=path,
                    hint="each key can lead to one destination only: remove or change one entry",
                )
            )
    return problems


def octal_problems(file: LoadedFile) -> Iterator[Problem]:
    """Integers written with a leading zero: `timeout: 030` is 24 to PyYAML, 30 to editors."""
    if not file.octal_integers:
        return
    places: list[tuple[tuple[str | int, ...], object]] = [
        ((key,), value) for key, value in file.document.items()
    ]
    for index, entry in menu_entries(file.document):
        places.extend((("menu", index, key), value) for key, value in entry.items())
    for path, value in places:
        # Only where a number belongs: elsewhere the schema already reports the wrong type.
        if path[-1] not in integer_fields() or not isinstance(value, int):
            continue
        written = file.source_text(path) or ""
        digits = written.lstrip("+-").replace("_", "")
        if not (digits[:1] == "0" and len(digits.lstrip("0")) > 1):
            continue
        field = str(path[-1])
        decimal = int(written.replace("_", ""), 10)
        yield file.problem(
            f"{written} starts with 0, so YAML reads it as the octal number {value}, "
            f"while editors read {decimal}",
            at=file.locate(path),
            json_path=path,
            hint=f"write {field}: {value} or {field}: {decimal}, whichever you mean, "
            "without the leading 0",
        )
