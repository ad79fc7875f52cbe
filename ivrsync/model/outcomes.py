"""Apply results: what happened to each IVR of a plan, and the run's report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ivrsync.model.values import Action, FieldChange

OutcomeStatus = Literal["applied", "failed", "not_attempted", "forgotten", "abandoned"]


@dataclass(frozen=True)
class Outcome:
    """What happened to one IVR of the plan.

    `status`:
    - `applied`: the server acknowledged the PUT and the state recorded it; `message` is the
      server's message.
    - `failed`: the server refused it or could not be reached; `message` is the reason (the
      server's message when it gave one), `hint` what to do, `http_status` when known.
    - `not_attempted`: no request was sent (the run stopped first).
    - `forgotten`: left the state; no request is ever made for a forget.
    - `abandoned`: a request was in flight when a second Ctrl-C abandoned it; the server may or
      may not have applied it. It is not recorded, so a rerun sends it again (a PUT is a full
      replacement, so sending it twice is harmless).
    """

    id: int
    name: str
    action: Action
    status: OutcomeStatus
    message: str = ""
    hint: str = ""
    http_status: int | None = None


@dataclass(frozen=True)
class ApplyReport:
    """The result of one run: one outcome per change of the plan, sorted by id.

    `interrupted` is true after Ctrl-C. `stop_reason` says why the run stopped sending early (a
    fatal API error such as 401/403, or the first failure with `fail_fast`); None when it did not.
    """

    outcomes: tuple[Outcome, ...]
    interrupted: bool = False
    stop_reason: str | None = None
    stop_hint: str = ""

    def with_status(self, status: OutcomeStatus) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == status)

    @property
    def applied(self) -> tuple[Outcome, ...]:
        return self.with_status("applied")

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return self.with_status("failed")

    @property
    def not_attempted(self) -> tuple[Outcome, ...]:
        return self.with_status("not_attempted")

    @property
    def forgotten(self) -> tuple[Outcome, ...]:
        return self.with_status("forgotten")

    @property
    def abandoned(self) -> tuple[Outcome, ...]:
        return self.with_status("abandoned")

    @property
    def ok(self) -> bool:
        """Everything in the plan was applied or forgotten, and nothing interrupted the run."""
        return not self.interrupted and all(
            o.status in ("applied", "forgotten") for o in self.outcomes
        )


def count_by_status(outcomes: Sequence[Outcome]) -> Mapping[OutcomeStatus, int]:
    """How many outcomes have each status (every status present, zero when none)."""
    counts: dict[OutcomeStatus, int] = dict.fromkeys(
        ("applied", "failed", "not_attempted", "forgotten", "abandoned"), 0
    )
    for outcome in outcomes:
        counts[outcome.status] += 1
    return counts


@dataclass(frozen=True)
class ReadBackMismatch:
    """An applied IVR that Smartflo does not show as it was sent.

    `fields` hold the sent value as `before` and the stored (read back) value as `after`;
    `missing` is true when the list no longer shows the IVR at all, `unreadable` says why the
    list's item could not be mapped back to a body. `settings` names the settings that most
    likely explain it (`separator`, `recordings`), empty when none does.
    """

    id: int
    name: str
    fields: tuple[FieldChange, ...]
    missing: bool = False
    settings: tuple[str, ...] = ()
    unreadable: str = ""


@dataclass(frozen=True)
class ProbeFinding:
    """One question `ivrsync probe` asked the account, its answer (None: the account could not
    tell) and the evidence."""

    question: str
    answer: str | None
    evidence: str
