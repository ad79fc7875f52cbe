"""`cache clear`: empty the cache of checked IVR files (`[cache] dir`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ivrsync.commands.runtime import Runtime
from ivrsync.config.cache import clear_cache
from ivrsync.errors import UsageError


@dataclass(frozen=True)
class CacheClearResult:
    folder: Path
    removed: int  # files deleted
    freed: int  # bytes


def clear(runtime: Runtime) -> CacheClearResult:
    """Delete every cache entry; the next run checks every file afresh.

    Raises UsageError when the folder cannot be listed or is a symbolic link (nothing is deleted
    through one). A missing folder is an empty cache.
    """
    folder = runtime.settings.cache.dir
    try:
        removed, freed = clear_cache(folder)
    except OSError as exc:
        raise UsageError(
            f"cannot clear the cache in {folder}: {exc.strerror or exc}",
            hint="delete the folder by hand, or point [cache] dir (IVRSYNC_CACHE_DIR) elsewhere",
        ) from exc
    return CacheClearResult(folder, removed, freed)
