"""Every valid YAML config written anywhere in the test suite, harvested once for the export tests.

The configs are found in the test modules' source (string literals that define ``apis:``), so a config
that a new test adds is exported and round-tripped too; each is loaded as the tests load it, and one
that does not load (the suite's many deliberately broken ones) is not a definition to export.
"""

from __future__ import annotations

import ast
import tempfile
import textwrap
from pathlib import Path

from emulator.config import load
from emulator.model import Definitions

TESTS = Path(__file__).parent
LAMBDAS = TESTS / "lambdas"


def _literals(path: Path) -> list[tuple[int, str]]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:  # tests/lambdas/broken_syntax.py, on purpose
        return []
    return [
        (node.lineno, textwrap.dedent(node.value))
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "apis:" in node.value
    ]


def load_config_text(text: str) -> Definitions | None:
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder, "apig.yaml")
        config.write_text(text, encoding="utf-8")
        loaded = load(config, code_dir=LAMBDAS)
    if loaded.errors or not loaded.definitions.apis:
        return None
    return loaded.definitions


def _suite_configs() -> list[tuple[str, str]]:
    seen: set[str] = set()
    configs = []
    for path in sorted(TESTS.rglob("test_*.py")):
        for line, text in _literals(path):
            if text not in seen and load_config_text(text) is not None:
                seen.add(text)
                configs.append((f"{path.relative_to(TESTS)}:{line}", text))
    return configs


CONFIGS = _suite_configs()
