"""`validate`: load and check IVR files; and the one "valid configs or stop" step of plan/apply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ivrsync.commands.runtime import Runtime
from ivrsync.config.cache import EntryCache
from ivrsync.config.validate import load_config_dir, load_config_set
from ivrsync.errors import ConfigError
from ivrsync.files import display_path
from ivrsync.model import ConfigSet, Problem, TelephonyChecks


@dataclass(frozen=True)
class ValidateResult:
    config_set: ConfigSet
    failed: bool  # errors, or with `strict` any problem at all


def validate(
    paths: Sequence[str],
    *,
    config_dir: str | Path,
    strict: bool = False,
    checks: TelephonyChecks | None = None,
    cache: EntryCache | None = None,
) -> ValidateResult:
    """Check `paths` (files or folders), or the config folder when `paths` is empty.

    Raises UsageError only when a named path or the config folder does not exist; every problem
    of every file is in the result, the same with a `cache` as without.
    """
    if paths and Path(config_dir).is_dir():
        config_set = _named_within_folder(paths, config_dir, checks, cache)
    elif paths:
        config_set = load_config_set(paths, checks=checks, cache=cache)
    else:
        config_set = load_config_dir(config_dir, checks=checks, cache=cache)
    if config_set.files_read == 0:
        config_set = replace(
            config_set, problems=(*config_set.problems, _nothing_found(paths, config_dir))
        )
    failed = not config_set.ok or (strict and bool(config_set.problems))
    return ValidateResult(config_set, failed)


def _named_within_folder(
    paths: Sequence[str],
    config_dir: str | Path,
    checks: TelephonyChecks | None,
    cache: EntryCache | None,
) -> ConfigSet:
    """The named files checked against the whole config folder (so `ivr|<id>` and duplicate
    checks see every IVR, as the pre-commit hook needs), with only their problems reported."""
    named = load_config_set(paths, checks=checks, cache=cache)
    everything = load_config_set([config_dir, *paths], checks=checks, cache=cache)
    shown = {p.file for p in named.problems} | {c.source for c in named.configs}
    shown |= {c.source for c in named.new}
    shown |= {display_path(path) for path in paths}
    problems = tuple(p for p in everything.problems if p.file in shown)
    configs = tuple(c for c in everything.configs if c.source in shown)
    new = tuple(c for c in everything.new if c.source in shown)
    return replace(named, configs=configs, problems=problems, new=new)


def _nothing_found(paths: Sequence[str], config_dir: str | Path) -> Problem:
    """An empty folder is worth a word: `checked 0 files: no problems` reassures falsely."""
    where = ", ".join(paths) if paths else display_path(config_dir)
    return Problem(
        file=where,
        line=0,
        column=0,
        path="",
        message="no IVR files (*.yaml, *.yml) found here",
        severity="warning",
        hint="check the folder (--config-dir, [paths] config_dir); an apply would forget "
        "every managed IVR",
    )


def require_valid_configs(
    config_dir: str | Path, runtime: Runtime, *, consequence: str
) -> ConfigSet:
    """The config set of `config_dir`; its problems go to `runtime.show_problems` first.

    Raises ConfigError when any file has an error, saying `consequence` ("no plan was made").
    """
    cache = runtime.config_cache()
    config_set = load_config_dir(config_dir, checks=runtime.telephony_checks(), cache=cache)
    runtime.save_cache()
    if config_set.problems:
        runtime.show_problems(config_set.problems)
    if not config_set.ok:
        raise ConfigError(
            f"the IVR configs have errors, so {consequence}",
            hint="fix the problems listed above (`ivrsync validate` lists them too)",
        )
    return config_set
