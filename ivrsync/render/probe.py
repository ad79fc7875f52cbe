"""`ivrsync probe` output: one line per question with its evidence; the restore command."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ivrsync.model import ProbeFinding


def render_findings(findings: Sequence[ProbeFinding], *, requests: int) -> str:
    """`separator: "||" — PUT with '|' refused: ...; with '||' read back equal`, one per line."""
    lines = []
    for finding in findings:
        answer = json.dumps(finding.answer) if finding.answer is not None else "unknown"
        lines.append(f"{finding.question}: {answer} — {finding.evidence}")
    lines.append(f"({requests} requests)")
    return "\n".join(lines) + "\n"


def render_restore_failure(
    ivr_id: int, body: Mapping[str, Any], saved: Path, *, base_url: str, token_env: str
) -> str:
    """The original body and the exact command that puts it back, when the probe could not."""
    return (
        f"IVR {ivr_id} was NOT restored to its original body. The body is saved in {saved}:\n"
        f"{json.dumps(dict(body), indent=2, ensure_ascii=False)}\n"
        "Restore it with:\n"
        f"  curl -X PUT '{base_url}/v1/ivr/{ivr_id}' -H \"Authorization: Bearer ${token_env}\" "
        f"-H 'Content-Type: application/json' --data @{saved}\n"
        "(use the separator and auth scheme the lines above found, if they differ)\n"
    )
