"""Every valid YAML config written anywhere in the test suite, exported both ways, passes the validators.

The configs are found in the test modules' source (string literals that define ``apis:``), so a config
that a new test adds is exported too; each is loaded as the tests load it, and one that does not load
(the suite's many deliberately broken ones) is not a definition to export.
"""

from __future__ import annotations

import ast
import tempfile
import textwrap
from pathlib import Path

import pytest

from emulator.config import load
from emulator.config.lambda_uris import Target
from emulator.export.notes import Notes
from emulator.export.openapi import ANY_METHOD, export_openapi
from emulator.export.sam import sam_template
from emulator.model import ANY, Definitions
from tests.export_checks import cfn_lint_problems, openapi_problems

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


def _load(text: str) -> Definitions | None:
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
            if text not in seen and _load(text) is not None:
                seen.add(text)
                configs.append((f"{path.relative_to(TESTS)}:{line}", text))
    return configs


CONFIGS = _suite_configs()


def test_the_suite_has_configs_to_export() -> None:
    # The harvest itself must not silently find nothing.
    assert len(CONFIGS) >= 30


def _operations(document: dict[str, object]) -> list[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return sorted(
        (path, ANY if key == ANY_METHOD else key.upper())
        for path, item in paths.items()
        for key in item
        if key == ANY_METHOD or not key.startswith("x-")
    )


@pytest.mark.parametrize(("where", "text"), CONFIGS, ids=[where for where, _ in CONFIGS])
def test_a_suite_config_exports_as_a_valid_openapi_document_and_sam_template(
    where: str, text: str, tmp_path: Path
) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(text, encoding="utf-8")
    definitions = load(config, code_dir=LAMBDAS).definitions
    for api in definitions.apis.values():
        document = export_openapi(
            api, definitions, stages=list(api.stages.values()), target=Target(), notes=Notes()
        )
        assert openapi_problems(document) == []
        # Every method of the model is an operation of the document.
        assert _operations(document) == sorted(
            (resource.path, method.http_method) for resource, method in api.methods()
        )
        stage = next(iter(api.stages.values()), None)
        template = sam_template(
            api, definitions, stage=stage, target=Target(), notes=Notes(), template_dir=tmp_path
        )
        assert cfn_lint_problems(template) == []
