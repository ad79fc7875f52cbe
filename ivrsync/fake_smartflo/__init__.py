"""A strict fake Smartflo server on 127.0.0.1, with fault injection, for tests and rehearsals.

    with FakeSmartflo(ivrs=seed["ivrs"], token="test-token") as fake:
        ...  # point the client at fake.url; inspect fake.puts(), fake.live_ivrs()

Run it on its own with `python -m ivrsync.fake_smartflo --port 8080 --seed seed.json` or
`ivrsync fake-smartflo ...`.
"""

from __future__ import annotations

from ivrsync.fake_smartflo.faults import FAULT_KINDS, FaultConfig, FaultKind, ScriptedFault
from ivrsync.fake_smartflo.serve import Seed, load_faults, load_seed, sample_seed_path, serve
from ivrsync.fake_smartflo.server import FakeSmartflo, RecordedRequest

__all__ = [
    "FAULT_KINDS",
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
