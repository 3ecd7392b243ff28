"""One API of the model as a plain CloudFormation template: the SAM template's resources without the transform.

For teams whose pipeline deploys CloudFormation without SAM. The ``AWS::Serverless::Api`` becomes an
``AWS::ApiGateway::RestApi`` whose ``Body`` is the same OpenAPI document, with the ``Deployment`` and
``Stage`` SAM would have made; each function an ``AWS::Lambda::Function`` whose ``Code`` is its folder,
which ``aws cloudformation package`` uploads (and apig-emu serves as it is), run by one execution role;
each layer an ``AWS::Lambda::LayerVersion`` whose ``Content`` is its folder.
"""

from __future__ import annotations

from typing import Any

from emulator.export.sam import SAM_TRANSFORM

_ROLE = "FunctionsExecutionRole"


def cloudformation_template(sam: dict[str, Any]) -> dict[str, Any]:
    """``sam`` (a template of ``export.sam``) with its SAM resources written as CloudFormation's own."""
    resources: dict[str, Any] = {}
    stages: dict[str, str] = {}
    for logical, resource in sam["Resources"].items():
        kind = resource["Type"]
        if kind == "AWS::Serverless::Api":
            resources.update(_rest_api(logical, resource["Properties"]))
            stages[f"{logical}.Stage"] = f"{logical}Stage"
        elif kind == "AWS::Serverless::Function":
            resources[logical] = _function(resource["Properties"])
        elif kind == "AWS::Serverless::LayerVersion":
            properties = dict(resource["Properties"])
            properties["Content"] = properties.pop("ContentUri")
            resources[logical] = {"Type": "AWS::Lambda::LayerVersion", "Properties": properties}
        else:
            resources[logical] = resource
    for resource in resources.values():
        if resource["Type"] == "AWS::ApiGateway::UsagePlan":
            for api_stage in resource["Properties"].get("ApiStages", []):
                reference = api_stage["Stage"].get("Ref") if isinstance(api_stage["Stage"], dict) else None
                if reference in stages:
                    api_stage["Stage"] = {"Ref": stages[reference]}
                    resource["DependsOn"] = stages[reference]
    if any(resource["Type"] == "AWS::Lambda::Function" for resource in resources.values()):
        resources[_ROLE] = _execution_role()
    template = {key: value for key, value in sam.items() if key != "Transform"}
    template["Resources"] = resources
    template["Description"] = str(sam.get("Description", "")).replace(SAM_TRANSFORM, "")
    return template


def _rest_api(logical: str, properties: dict[str, Any]) -> dict[str, Any]:
    api: dict[str, Any] = {"Name": properties["Name"], "Body": properties["DefinitionBody"]}
    if "Description" in properties:
        api["Description"] = properties["Description"]
    if "EndpointConfiguration" in properties:
        api["EndpointConfiguration"] = {"Types": [properties["EndpointConfiguration"]["Type"]]}
    if "BinaryMediaTypes" in properties:
        api["BinaryMediaTypes"] = [
            media_type.replace("~1", "/") for media_type in properties["BinaryMediaTypes"]
        ]
    stage: dict[str, Any] = {
        "RestApiId": {"Ref": logical},
        "DeploymentId": {"Ref": f"{logical}Deployment"},
        "StageName": properties["StageName"],
    }
    if "Variables" in properties:
        stage["Variables"] = properties["Variables"]
    return {
        logical: {"Type": "AWS::ApiGateway::RestApi", "Properties": api},
        f"{logical}Deployment": {
            "Type": "AWS::ApiGateway::Deployment",
            "Properties": {"RestApiId": {"Ref": logical}},
        },
        f"{logical}Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": stage},
    }


def _function(properties: dict[str, Any]) -> dict[str, Any]:
    function = {key: value for key, value in properties.items() if key != "CodeUri"}
    function["Code"] = properties["CodeUri"]
    function["Role"] = {"Fn::GetAtt": [_ROLE, "Arn"]}
    return {"Type": "AWS::Lambda::Function", "Properties": function}


def _execution_role() -> dict[str, Any]:
    """What SAM gives each function by default: Lambda may assume it, and it may write its logs."""
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "ManagedPolicyArns": [
                {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}
            ],
        },
    }
