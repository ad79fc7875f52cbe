"""The live IVRs of the account, fetched once and mapped to PUT bodies.

`fetch_live` is the one read of the server that `import`, `drift` and `plan --refresh` share: one
`GET /v1/ivrs` (the API has no single-IVR read), each item mapped by `ivrsync.readshape`.
"""

from __future__ import annotations

from typing import Any, Protocol

from ivrsync.errors import ApiError
from ivrsync.readshape import LiveIvr, live_ivr_from_read_shape


class IvrLister(Protocol):
    """What `fetch_live` needs of a client (`SmartfloClient` has it)."""

    def list_ivrs(self) -> list[dict[str, Any]]: ...


def fetch_live(client: IvrLister) -> dict[int, LiveIvr]:
    """Every live IVR by id, in the server's order.

    Raises the client's ApiError subclasses; ApiError when an item cannot be mapped (naming the
    IVR and field) or when the server lists one id twice, since then no single live body can be
    compared with the state.
    """
    live: dict[int, LiveIvr] = {}
    for item in client.list_ivrs():
        ivr = live_ivr_from_read_shape(item)
        if ivr.id in live:
            raise ApiError(
                f"GET /v1/ivrs lists IVR {ivr.id} twice ({live[ivr.id].name!r} and {ivr.name!r})",
                hint="ivrsync cannot tell which one is live; check the IVR list in the portal",
            )
        live[ivr.id] = ivr
    return live
