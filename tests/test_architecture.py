"""The layering rules of docs/architecture.md, enforced by reading every module's imports.

Each rule names the folders allowed to import something; a new module that breaks one fails here
with the file and line, before the layering quietly erodes.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ivrsync"

#: Modules that may be longer than the 400-line budget, and why. Keep this list short: an entry is
#: a debt with a reason, not a permission.
LONG_MODULES: dict[str, str] = {}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).with_suffix("").as_posix().replace("/", ".")


def _is_module(dotted: str) -> bool:
    relative = Path(*dotted.split("."))
    root = PACKAGE.parent
    return (root / relative).with_suffix(".py").is_file() or (root / relative).is_dir()


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import of `path`, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _name(path)
    # Imports only for type annotations (`if TYPE_CHECKING:`) load nothing at run time.
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            yield node.lineno, module
            # `from ivrsync import cli` imports the submodule ivrsync.cli.
            for alias in node.names:
                if _is_module(f"{module}.{alias.name}"):
                    yield node.lineno, f"{module}.{alias.name}"


def _violations(allowed: callable, check: callable) -> list[str]:  # type: ignore[valid-type]
    found = []
    for path in _modules():
        name = _name(path)
        if allowed(name):
            continue
        for line, module in _imports(path):
            if check(module):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


def _under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize(
    ("library", "home"),
    [
        ("click", ("ivrsync.cli",)),
        # The client sends requests; the transport under it holds each socket to their deadline.
        ("httpx", ("ivrsync.smartflo.client", "ivrsync.smartflo.transport")),
        ("httpcore", ("ivrsync.smartflo.transport",)),
        ("yaml", ("ivrsync.config",)),
        ("jsonschema", ("ivrsync.config.validate",)),
    ],
    ids=["click", "httpx", "httpcore", "yaml", "jsonschema"],
)
def test_each_library_is_imported_only_by_its_home(library: str, home: tuple[str, ...]) -> None:
    found = _violations(lambda name: _under(name, *home), lambda module: _top(module) == library)

    assert found == []


def test_renderers_import_only_model_body_their_siblings_and_the_standard_library() -> None:
    allowed_ivrsync = ("ivrsync.model", "ivrsync.body", "ivrsync.render", "ivrsync.errors")
    stdlib = sys.stdlib_module_names | {"__future__"}
    found = []
    for path in (PACKAGE / "render").glob("*.py"):
        for line, module in _imports(path):
            ok = (
                _under(module, *allowed_ivrsync)
                or _top(module) in stdlib
                or (module.startswith("ivrsync.model.") or module.startswith("ivrsync.body."))
            )
            if not ok:
                found.append(f"{path.name}:{line} imports {module}")

    assert found == []


def test_core_code_never_prints() -> None:
    found = []
    for path in _modules():
        name = _name(path)
        if _under(name, "ivrsync.cli") or name == "ivrsync.fake_smartflo.__main__":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = (
                    func.id
                    if isinstance(func, ast.Name)
                    else f"{getattr(func.value, 'id', '')}.{func.attr}"
                    if isinstance(func, ast.Attribute)
                    else ""
                )
                if called in ("print", "click.echo", "click.secho"):
                    found.append(f"{name}:{node.lineno} calls {called}")

    assert found == []


def test_packages_are_used_through_their_front_door() -> None:
    """Outside `ivrsync.state`, nothing imports its inner modules: the package exports the API."""
    found = _violations(
        lambda name: _under(name, "ivrsync.state"),
        lambda module: module.startswith("ivrsync.state."),
    )

    assert found == []


def test_dependencies_point_one_way() -> None:
    """Lower layers never import higher ones (see docs/architecture.md)."""
    layers = [
        ("ivrsync.errors", "ivrsync.files", "ivrsync.model", "ivrsync.body"),
        (
            "ivrsync.config",
            "ivrsync.state",
            "ivrsync.smartflo",
            "ivrsync.settings",
            "ivrsync.github",
        ),
        ("ivrsync.plan", "ivrsync.apply", "ivrsync.importer"),
        ("ivrsync.render",),
        ("ivrsync.commands",),
        ("ivrsync.cli", "ivrsync.fake_smartflo"),
    ]
    rank = {prefix: index for index, group in enumerate(layers) for prefix in group}

    def layer_of(module: str) -> int | None:
        best = None
        for prefix, index in rank.items():
            if _under(module, prefix):
                best = index
        return best

    found = []
    for path in _modules():
        own = layer_of(_name(path))
        if own is None:
            continue
        for line, module in _imports(path):
            other = layer_of(module)
            if other is not None and other > own and not _fake_uses_cli(path, module):
                found.append(f"{_name(path)}:{line} imports {module}")

    assert found == []


def _fake_uses_cli(path: Path, module: str) -> bool:
    # The fake server's `python -m` entry point runs the CLI's own command (one definition).
    return _name(path) == "ivrsync.fake_smartflo.__main__" and _under(module, "ivrsync.cli")


def test_modules_stay_short() -> None:
    long = {
        _name(path): n
        for path in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }

    assert {name: n for name, n in long.items() if name not in LONG_MODULES} == {}


def test_validate_does_not_load_httpx(tmp_path: Path) -> None:
    (tmp_path / "ivr.yaml").write_text("id: 1\n", encoding="utf-8")
    script = (
        "import sys\n"
        "from ivrsync.cli import main\n"
        "try:\n"
        "    main(['validate', sys.argv[1]])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('httpx' in sys.modules, 'ivrsync.smartflo.client' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "ivr.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.stdout.strip().splitlines()[-1] == "False False", result.stderr


def test_test_modules_import_helpers_from_tests_testing_only() -> None:
    tests = PACKAGE.parent / "tests"
    found = []
    for path in sorted(tests.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            if module.startswith("tests.") and not module.startswith("tests.testing"):
                found.append(f"{path.name}:{node.lineno} imports {module}")

    assert found == []


def test_help_loads_no_command() -> None:
    """`ivrsync --help` lists the commands from a table: it imports none of them."""
    script = (
        "import sys\n"
        "from ivrsync.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "inner = ('ivrsync.cli.', 'ivrsync.commands')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(inner))\n"
        "print(loaded, 'httpx' in sys.modules, 'yaml' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )

    assert "validate " in result.stdout, result.stderr  # the listing is there...
    assert result.stdout.strip().splitlines()[-1] == "[] False False"  # ...and nothing behind it


def test_every_listed_command_is_its_module() -> None:
    import importlib

    from ivrsync.cli import _COMMANDS

    for name, (module, summary) in _COMMANDS.items():
        command = importlib.import_module(f"ivrsync.cli.{module}").command

        assert command.name == name
        assert summary.endswith("."), name
        assert len(summary) <= 60, name
