"""CloudFormation's intrinsic functions in templates: resolved as CloudFormation does, short and long forms,
or refused with the template path and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator.config.cloudformation.document import read_template
from emulator.config.cloudformation.template import Template

HEAD = """\
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Subnets:
    Type: CommaDelimitedList
    Default: "a, b,c"
  Port:
    Type: Number
    Default: 8080
  Secret:
    Type: String
Mappings:
  Sizes:
    dev: {Memory: 128}
    prod: {Memory: 1024}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: {"Fn::Not": [{"Condition": IsProd}]}
  Both: !And [!Condition IsDev, !Or [!Equals [a, a], !Condition IsProd]]
Resources:
  Fn:
    Type: AWS::Serverless::Function
  Api:
    Type: AWS::ApiGateway::RestApi
  Pool:
    Type: AWS::Cognito::UserPool
  Bucket:
    Type: AWS::S3::Bucket
  ProdStage:
    Type: AWS::ApiGateway::Stage
    Properties:
      StageName: !Sub "${Stage}-stage"
"""


def resolve(tmp_path: Path, value: str, overrides: dict[str, str] | None = None) -> tuple[Any, Template]:
    """The value of ``Outputs.Value`` (written in YAML after HEAD) as resolved, and the template."""
    path = tmp_path / "template.yaml"
    path.write_text(HEAD + "Outputs:\n  Value: " + value + "\n")
    document, errors = read_template(path)
    assert document is not None and errors == []
    template = Template(document, overrides or {})
    return template.value(document.data["Outputs"]["Value"], ("Outputs", "Value")), template


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("!Ref Stage", "dev"),
        ('{"Ref": "Stage"}', "dev"),
        ("!Ref Port", "8080"),
        ("!Ref Subnets", ["a", "b", "c"]),
        ("!Ref AWS::Region", "us-east-1"),
        ("!Ref AWS::AccountId", "123456789012"),
        ("!Ref AWS::StackName", "local"),
        ("!Ref AWS::Partition", "aws"),
        ("!Ref AWS::URLSuffix", "amazonaws.com"),
        ("!Ref Fn", "Fn"),
        ("!GetAtt Fn.Arn", "arn:aws:lambda:us-east-1:123456789012:function:Fn"),
        ('{"Fn::GetAtt": ["Fn", "Arn"]}', "arn:aws:lambda:us-east-1:123456789012:function:Fn"),
        ("!Sub '${Stage}-${AWS::Region}-${!Literal}'", "dev-us-east-1-${Literal}"),
        (
            "!Sub ['${Name}/${Fn.Arn}', {Name: !Ref Stage}]",
            "dev/arn:aws:lambda:us-east-1:123456789012:function:Fn",
        ),
        (
            '{"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"}',
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:us-east-1:123456789012:function:Fn/invocations",
        ),
        ("!Join ['-', [a, !Ref Stage, b]]", "a-dev-b"),
        ("!Join [',', !Ref Subnets]", "a,b,c"),
        ("!Select [1, !Ref Subnets]", "b"),
        ("!Select ['2', !Split [/, 'x/y/z']]", "z"),
        ("!Split [',', 'p,q']", ["p", "q"]),
        ("!If [IsProd, big, small]", "small"),
        ("!If [IsDev, !Ref Stage, other]", "dev"),
        ("!If [Both, yes-both, no]", "yes-both"),
        ("!FindInMap [Sizes, !Ref Stage, Memory]", 128),
        ("!Base64 hi", "aGk="),
        ("!Ref ProdStage", "dev-stage"),
        (
            "{Keep: a, Drop: !Ref AWS::NoValue, List: [1, !Ref AWS::NoValue, 2]}",
            {"Keep": "a", "List": [1, 2]},
        ),
    ],
)
def test_functions_resolve_as_cloudformation_resolves_them(
    tmp_path: Path, written: str, expected: Any
) -> None:
    value, template = resolve(tmp_path, written)
    assert template.errors == []
    assert value == expected


def test_resource_ids_and_attributes_have_aws_shapes(tmp_path: Path) -> None:
    api_id, _ = resolve(tmp_path, "!Ref Api")
    assert isinstance(api_id, str) and len(api_id) == 10 and api_id.isalnum() and api_id.islower()
    root, _ = resolve(tmp_path, "!GetAtt Api.RootResourceId")
    assert isinstance(root, str) and root != api_id
    pool_arn, _ = resolve(tmp_path, "!GetAtt Pool.Arn")
    assert pool_arn.startswith("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_")


def test_parameter_overrides_and_pseudo_parameters_are_taken(tmp_path: Path) -> None:
    value, template = resolve(
        tmp_path,
        "!Sub '${Stage} ${Secret} ${AWS::Region} ${Port}'",
        {"Stage": "prod", "Secret": "s3cr3t", "AWS::Region": "eu-west-1", "Port": "9"},
    )
    assert value == "prod s3cr3t eu-west-1 9"
    assert template.errors == []
    conditional, _ = resolve(tmp_path, "!If [IsProd, big, small]", {"Stage": "prod"})
    assert conditional == "big"


def test_an_override_of_no_parameter_is_a_warning(tmp_path: Path) -> None:
    _, template = resolve(tmp_path, "x", {"Stag": "prod"})
    assert "'Stag' is not a parameter of" in str(template.warnings[0])


def _error(template: Template) -> str:
    assert len(template.errors) == 1, template.errors
    return str(template.errors[0])


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            "!ImportValue shared-vpc",
            "Outputs.Value.Fn::ImportValue: Fn::ImportValue cannot be resolved locally",
        ),
        ("!Ref Secret", "Ref Secret: the parameter has no Default and no value"),
        ("!Ref Nothing", "Ref to 'Nothing', which is neither a parameter nor a resource"),
        ("!GetAtt Fn.Role", "Fn::GetAtt Fn.Role (AWS::Serverless::Function) cannot be resolved locally"),
        ("!GetAtt Bucket.WebsiteURL", "its attribute WebsiteURL exists only on AWS"),
        ("!Sub '${stageVariables.fn}'", "${stageVariables.fn} names no parameter, resource or variable"),
        ("!If [Missing, a, b]", "no condition 'Missing' in Conditions"),
        ("!FindInMap [Sizes, test, Memory]", "Fn::FindInMap: no 'test' in Mappings.Sizes"),
        ("!Select [5, [a]]", "index 5 is outside the list of 1"),
        ("!Join [',', notalist]", "Fn::Join joins a list"),
        ('{"Fn::Nope": 1}', "unknown intrinsic function Fn::Nope"),
    ],
)
def test_what_cannot_be_resolved_names_the_path_and_line(tmp_path: Path, written: str, message: str) -> None:
    _, template = resolve(tmp_path, written)
    error = _error(template)
    assert message in error
    line = HEAD.count("\n") + 2
    assert error.startswith(f"{tmp_path / 'template.yaml'}:{line}: Outputs.Value"), error


def test_a_value_outside_allowed_values_is_refused(tmp_path: Path) -> None:
    _, template = resolve(tmp_path, "!Ref Stage", {"Stage": "test"})
    assert "'test' is not one of the parameter's AllowedValues: dev, prod" in _error(template)


def test_stage_variables_in_sub_get_the_escape_hint(tmp_path: Path) -> None:
    _, template = resolve(tmp_path, "!Sub 'function:${stageVariables.fn}'")
    assert "write ${!stageVariables.fn}" in _error(template)


def test_a_condition_that_depends_on_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\nOutputs:\n  V: !If [A, x, y]\n"
    )
    document, _ = read_template(path)
    assert document is not None
    template = Template(document, {})
    template.value(document.data["Outputs"]["V"], ("Outputs", "V"))
    assert "condition 'A' depends on itself: A -> B -> A" in _error(template)


def test_json_templates_keep_lines_too(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    body = {"Resources": {"F": {"Type": "AWS::Lambda::Function"}}, "Outputs": {"V": {"Fn::ImportValue": "x"}}}
    path.write_text(json.dumps(body, indent=2))
    document, errors = read_template(path)
    assert document is not None and errors == []
    template = Template(document, {})
    template.value(document.data["Outputs"]["V"], ("Outputs", "V"))
    assert _error(template).startswith(f"{path}:9: Outputs.V.Fn::ImportValue")


def test_duplicate_keys_are_refused_with_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  A: {Type: X}\n  A: {Type: Y}\n")
    _, errors = read_template(path)
    assert [str(error) for error in errors] == [
        f"{path}:3: Resources.A: duplicate key 'A' (first at line 2); CloudFormation refuses a template "
        "with duplicate keys"
    ]


def test_a_template_that_is_not_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  A: [unclosed\n")
    document, errors = read_template(path)
    assert document is None
    assert str(errors[0]).startswith(f"{path}:")
    assert errors[0].location.line is not None
