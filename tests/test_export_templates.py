"""``export --format sam`` of a template read from SAM gives back an equivalent template (cfn-lint checks it,
apig-emu serves it the same); ``export --format cloudformation`` writes the stack without SAM's transform."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import yaml

from emulator.cli import main
from emulator.config import ConfigWarning
from emulator.testing import Harness
from tests.export_checks import cfn_lint_problems

FIXTURE = Path(__file__).parent / "fixtures" / "sam"
TEMPLATE = FIXTURE / "template.yaml"


def export(tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str) -> Path:
    output = tmp_path / f"{form}.yaml"
    code = main(
        ["export", "--format", form, "-t", str(TEMPLATE), "--api", "UsersApi", "--output", str(output)]
    )
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    return output


def served(path: Path) -> Harness:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)
        return Harness(path)


def answers(apig: Harness) -> list[tuple[int, str]]:
    requests = [
        apig.get("/v1/users/7"),
        apig.get("/v1/health"),
        apig.options(
            "/v1/users", headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}
        ),
    ]
    return [(answer.status_code, answer.text) for answer in requests]


@pytest.mark.slow  # cfn-lint's rules take seconds to load
def test_sam_export_of_a_sam_template_is_equivalent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = export(tmp_path, capsys, "sam")
    assert cfn_lint_problems(output.read_text()) == []
    template = yaml.safe_load(output.read_text())
    # The template's own logical ids come back, so the functions keep their names.
    assert {"UsersApi", "UsersFunction"} <= set(template["Resources"])
    with served(TEMPLATE) as original, served(output) as exported:
        assert answers(exported) == answers(original)
        assert exported.definitions.apis["UsersApi"].authorizers.keys() == {"UsersCognito"}


def test_cloudformation_export_has_no_transform_and_serves_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = export(tmp_path, capsys, "cloudformation")
    template = yaml.safe_load(output.read_text())
    assert "Transform" not in template
    kinds = {resource["Type"] for resource in template["Resources"].values()}
    assert not any(kind.startswith("AWS::Serverless::") for kind in kinds)
    assert {"AWS::ApiGateway::RestApi", "AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage"} <= kinds
    assert template["Resources"]["UsersFunction"]["Properties"]["Code"].endswith("fixtures/sam/users")
    with served(TEMPLATE) as original, served(output) as exported:
        assert answers(exported) == answers(original)
