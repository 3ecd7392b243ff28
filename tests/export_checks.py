"""The ecosystem's validators as the export tests use them: what they say is wrong, as a list of lines.

openapi-spec-validator is the reference validator for OpenAPI documents; cfn-lint is AWS's linter for
CloudFormation templates, which applies SAM's transform before checking, as CloudFormation would.
cfn-lint's rules take seconds to load, so they are loaded once per test session.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from openapi_spec_validator import OpenAPIV30SpecValidator

REGION = "us-east-1"


def openapi_problems(document: dict[str, Any]) -> list[str]:
    """Every error openapi-spec-validator finds in an OpenAPI 3.0 document."""
    return [
        f"{'/'.join(str(part) for part in error.absolute_path)}: {error.message}"
        if hasattr(error, "absolute_path")
        else str(error)
        for error in OpenAPIV30SpecValidator(document).iter_errors()
    ]


@functools.cache
def _cfn_lint() -> tuple[Any, Any]:
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    config = ConfigMixIn(regions=[REGION])
    return config, Runner(config).rules


def cfn_lint_problems(template: dict[str, Any] | str) -> list[str]:
    """Every error and warning cfn-lint reports for a template (data, or YAML or JSON text)."""
    from cfnlint.decode.decode import decode_str
    from cfnlint.runner import run_template_by_data

    text = template if isinstance(template, str) else json.dumps(template)
    decoded, errors = decode_str(text)
    if errors:
        return [str(error) for error in errors]
    assert decoded is not None
    config, rules = _cfn_lint()
    return [str(match) for match in run_template_by_data(decoded, config, rules)]
