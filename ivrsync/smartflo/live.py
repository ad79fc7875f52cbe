"""The live IVRs of the account, fetched once and mapped to PUT bodies.

`fetch_live` is the one read of the server that `import`, `drift` and `plan --refresh` share: one
`GET /v1/ivrs` (the API has no single-IVR read), each item mapped by `ivrsync.smartflo.readshape`.

An item that cannot be mapped (a null field, an unknown shape) does not sink the whole read: it is
kept aside in `LiveAccount.unreadable`, and each command `require`s only the IVRs it works on. So
one odd IVR that ivrsync does not manage cannot fail a nightly drift check, while an unreadable
managed IVR still stops it, naming the IVR and field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ivrsync.errors import ApiError
from ivrsync.model import LiveIvr
from ivrsync.smartflo.readshape import RecordingMapping, live_ivr_from_read_shape, read_shape_id


class IvrLister(Protocol):
    """What `fetch_live` needs of a client (`SmartfloClient` has it)."""

    def list_ivrs(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class LiveAccount:
    """The account's IVRs as read: those that map to a PUT body, and those that do not."""

    ivrs: Mapping[int, LiveIvr]
    unreadable: Mapping[int, ApiError]  # by id: why the item could not be mapped
    #: Every listed IVR's name by id, readable or not: what a create must not collide with.
    names: Mapping[int, str] = field(default_factory=dict)

    def require(self, ids: Iterable[int]) -> None:
        """Raise the mapping error of the lowest id of `ids` that could not be read."""
        for ivr_id in sorted(set(ids) & self.unreadable.keys()):
            raise self.unreadable[ivr_id]

    def skipped(self, needed: Iterable[int]) -> list[str]:
        """A warning for each unreadable IVR outside `needed`, which a command leaves out."""
        wanted = set(needed)
        return [
            f"IVR {ivr_id} was left out: {self.unreadable[ivr_id].message}"
            for ivr_id in sorted(self.unreadable.keys() - wanted)
        ]


def fetch_live(client: IvrLister, *, recordings: RecordingMapping = "swapped") -> LiveAccount:
    """Every live IVR by id, in the server's order, and the ones that could not be mapped.

    Raises the client's ApiError subclasses, and ApiError when an item's id cannot be read or the
    server lists one id twice: then no single live body can be compared with the state.
    """
    ivrs: dict[int, LiveIvr] = {}
    unreadable: dict[int, ApiError] = {}
    names: dict[int, str] = {}
    for index, item in enumerate(client.list_ivrs()):
        ivr_id = read_shape_id(item, index=index)
        name = item.get("name") if isinstance(item.get("name"), str) else None
        if ivr_id in names:
            raise ApiError(
                f"GET /v1/ivrs lists IVR {ivr_id} twice ({names[ivr_id]!r} and {name!r})",
                hint="ivrsync cannot tell which one is live; check the IVR list in the portal",
            )
        names[ivr_id] = str(name) if name is not None else ""
        try:
            ivrs[ivr_id] = live_ivr_from_read_shape(item, recordings=recordings)
        except ApiError as exc:
            unreadable[ivr_id] = exc
    return LiveAccount(ivrs=ivrs, unreadable=unreadable, names=names)
