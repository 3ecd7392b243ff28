"""The installed package's metadata against its code: what it declares is what the runtime imports.

A runtime dependency nothing imports makes every user download it; an import nothing declares works
here (the test tools are installed) and fails in a user's venv. The metadata is read as pip wrote it
when installing the checkout (``importlib.metadata``), so it is what users of the wheel get.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "emulator"
#: The one module that may import pytest: pytest itself loads it, through the ``pytest11`` entry point.
PLUGIN = Path("emulator", "pytest_plugin.py")


def normalised(name: str) -> str:
    """A distribution name as PEP 503 compares them (``PyYAML`` is ``pyyaml``, ``a_b`` is ``a-b``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(extra: str | None) -> set[str]:
    """The distribution names apig-emu requires, without an extra (the runtime) or with one."""
    names = set()
    for line in metadata.requires("apig-emu") or []:
        spec, _, marker = line.partition(";")
        in_extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", marker)
        if (in_extra.group(1) if in_extra else None) == extra:
            found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec.strip())
            assert found, f"unreadable requirement {line!r}"
            names.add(normalised(found.group(0)))
    return names


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def imported_top_levels(path: Path) -> set[str]:
    """Top-level names a module imports when it runs (``if TYPE_CHECKING:`` blocks are mypy's only)."""
    found: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text(), str(path))]
    while pending:
        node = pending.pop()
        if _is_type_checking_block(node):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        pending.extend(ast.iter_child_nodes(node))
    return found


def third_party_imports() -> dict[str, set[Path]]:
    """Each imported top-level name outside the standard library and apig-emu, with its importers."""
    importers: dict[str, set[Path]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for name in imported_top_levels(path):
            if name not in sys.stdlib_module_names and name != "emulator":
                importers.setdefault(name, set()).add(path.relative_to(ROOT))
    return importers


def distribution_of(module: str) -> str:
    owners = metadata.packages_distributions().get(module)
    assert owners, f"no installed distribution provides the module {module!r}"
    return normalised(owners[0])


def test_the_import_scan_sees_imports_anywhere_but_type_checking_blocks(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import os.path, yaml\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import mypy\n"
        "def f():\n    from starlette.responses import Response\n    import watchfiles as w\n"
        "from . import sibling\n"
    )
    assert imported_top_levels(module) == {"os", "yaml", "typing", "starlette", "watchfiles"}


@pytest.mark.slow
def test_runtime_dependencies_are_exactly_what_the_runtime_imports() -> None:
    importers = third_party_imports()
    importers["pytest"] = importers.get("pytest", set()) - {PLUGIN}
    provided = {distribution_of(name): name for name, paths in importers.items() if paths}
    declared = requirements(extra=None)
    assert sorted(declared - provided.keys()) == [], "runtime dependencies that emulator/ never imports"
    # An optional feature's import is declared by its extra: `serve --debug-port` needs debugpy.
    optional = requirements(extra="debug")
    undeclared = {
        f"{dist} (import {provided[dist]}: {', '.join(map(str, sorted(importers[provided[dist]])))})"
        for dist in provided.keys() - declared - optional
    }
    assert sorted(undeclared) == [], "imported by emulator/ but not in [project] dependencies"


@pytest.mark.slow
def test_pytest_is_imported_only_by_the_plugin_pytest_loads() -> None:
    """``import emulator...`` must work without pytest; only pytest's own entry point may need it."""
    assert third_party_imports().get("pytest") == {PLUGIN}
    entry_points = metadata.distribution("apig-emu").entry_points.select(group="pytest11")
    assert [entry.value for entry in entry_points] == ["emulator.pytest_plugin"]
    assert "pytest" in requirements(extra="test")


@pytest.mark.slow
def test_optional_imports_are_an_extras_not_the_runtimes() -> None:
    """debugpy is imported only by a worker started for ``serve --debug-port``."""
    assert requirements(extra="debug") == {"debugpy"}
    assert "debugpy" not in requirements(extra=None)
    assert {str(path) for path in third_party_imports()["debugpy"]} == {"emulator/runtime/worker.py"}


@pytest.mark.parametrize(
    "tool",
    ["pytest", "hypothesis", "mypy", "ruff", "playwright", "requests", "build", "types-pyyaml", "moto"],
)
def test_test_tools_are_in_the_test_extra_not_the_runtime(tool: str) -> None:
    assert tool in requirements(extra="test")
    assert tool not in requirements(extra=None)


def test_the_metadata_names_license_authors_and_python_versions() -> None:
    meta = metadata.metadata("apig-emu")
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    assert meta["Author"] == "apig-emu developers"
    assert meta["Requires-Python"] == ">=3.10"
    classifiers = meta.get_all("Classifier") or []
    versions = sorted(c.rpartition(":: ")[2] for c in classifiers if re.fullmatch(r".*:: 3\.\d+", c))
    assert versions == ["3.10", "3.11", "3.12", "3.13"]
    # No project URLs until there is a public home to point at: an invented one would mislead.
    assert meta.get_all("Project-URL") is None
    assert meta["Home-page"] is None
