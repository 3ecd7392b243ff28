"""Every valid YAML config written anywhere in the test suite, exported both ways, passes the validators.

The harvest is ``tests/suite_configs.py``'s: a config that a new test adds is exported too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.config import load
from emulator.config.lambda_uris import Target
from emulator.export.notes import Notes
from emulator.export.openapi import ANY_METHOD, export_openapi
from emulator.export.sam import sam_template
from emulator.model import ANY
from tests.export_checks import cfn_lint_problems, openapi_problems
from tests.suite_configs import CONFIGS, LAMBDAS


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
