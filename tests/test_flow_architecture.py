"""Where ivrsync.flow sits: pure computations on values, below config/ (which runs its checks).

`tests/test_architecture.py` ranks the layers; `flow` is checked here: its modules import the
values (`model`, `body`, `errors`), each other and the standard library, except `suite`, which
reads test files through `config`. `config` imports `flow.checks` alone, so the two never form an
import cycle, and `flow/__init__` imports nothing.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ivrsync"
STDLIB = sys.stdlib_module_names | {"__future__"}


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, node.module or ""))
    return found


def _within(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_flow_imports_only_values_itself_and_the_standard_library() -> None:
    found = []
    for path in sorted((PACKAGE / "flow").glob("*.py")):
        allowed = ["ivrsync.model", "ivrsync.body", "ivrsync.errors", "ivrsync.flow"]
        if path.name == "suite.py":
            allowed += [
                "ivrsync.config.loader",
                "ivrsync.config.schema",
                "ivrsync.config.discovery",
            ]
        for line, module in _imports(path):
            if not (_within(module, *allowed) or module.split(".")[0] in STDLIB):
                found.append(f"flow/{path.name}:{line} imports {module}")

    assert found == []


def test_config_imports_only_the_checks_of_flow() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{line} imports {module}"
        for path in sorted((PACKAGE / "config").glob("*.py"))
        for line, module in _imports(path)
        if _within(module, "ivrsync.flow") and module != "ivrsync.flow.checks"
    ]

    assert found == []


def test_the_flow_package_itself_imports_nothing() -> None:
    assert _imports(PACKAGE / "flow" / "__init__.py") == []
