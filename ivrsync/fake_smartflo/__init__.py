"""A strict fake Smartflo server on 127.0.0.1, with fault injection, for tests and rehearsals.

    with FakeSmartflo(ivrs=seed["ivrs"], token="test-token") as fake:
        ...  # point the client at fake.url; inspect fake.puts(), fake.posts(), fake.live_ivrs()

Run it on its own with `python -m ivrsync.fake_smartflo --port 8080 --seed seed.json` or
`ivrsync fake-smartflo ...` (the same command; `--help` lists the options).

Where the real API is unknown (smartflo-api.md, section 6), a `Dialect` chooses: the reference
separator and how strictly it is checked, the Authorization scheme, which read field shows which
recording, whether a PUT clears webhooks, and a rate limit (`dialect` explains each).

Edits "in the portal" (`FakeSmartflo.edit_ivr`, `PATCH /_fake/ivrs/{id}[?shape=read|body]`) name
fields in one shape (see `edits`); any other name is refused with the accepted ones:

- read shape: name, description, recording, timeout, invalid_retries, invalid_retry_recording,
  invalid_destination_type, invalid_destination, timeout_retry_recording, timeout_recording,
  timeout_dest_type, timeout_destination, timeout_retries, added_by, invalid_recording, ivr_menu.
- PUT body: name, description, recording, timeout, incorrect_count, invalid_recording,
  invalid_destination, timeout_retry_recording, timeout_recording, timeout_destination,
  timeout_tries, recording_invalid, option, destination, sms_template.
"""

from __future__ import annotations

from ivrsync.fake_smartflo.dialect import Dialect
from ivrsync.fake_smartflo.edits import EditError
from ivrsync.fake_smartflo.faults import FAULT_KINDS, FaultConfig, FaultKind, ScriptedFault
from ivrsync.fake_smartflo.recorded import RecordedRequest
from ivrsync.fake_smartflo.serve import Seed, load_faults, load_seed, sample_seed_path, serve
from ivrsync.fake_smartflo.server import FakeSmartflo

__all__ = [
    "FAULT_KINDS",
    "Dialect",
    "EditError",
    "FakeSmartflo",
    "FaultConfig",
    "FaultKind",
    "RecordedRequest",
    "ScriptedFault",
    "Seed",
    "load_faults",
    "load_seed",
    "sample_seed_path",
    "serve",
]
