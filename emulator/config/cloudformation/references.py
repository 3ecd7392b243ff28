"""What ``Ref`` and ``Fn::GetAtt`` of a template's resources give locally, in the shapes AWS gives them.

On AWS a resource's ``Ref`` is its physical id, made when the stack is created. Locally the physical
id is the logical id (a function ``HelloFunction`` is the local function ``HelloFunction``, as in
``sam local invoke HelloFunction``), except where AWS's value has a shape that code reads: a REST
API's id, an ARN, a queue's URL. Attributes not listed here cannot be known without AWS and are
refused where they are read, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from emulator.account import ACCOUNT_ID, REGION, lambda_arn
from emulator.ids import resource_id, stable_id

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
API_TYPES = ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi")
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")


def api_id(logical: str) -> str:
    """A REST API's id as API Gateway makes them (ten lower-case letters and digits), stable per logical id."""
    return stable_id("template-api", logical)


def layer_arn(logical: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{logical}:1"


def user_pool_id(logical: str) -> str:
    return f"{REGION}_{stable_id('user-pool', logical, length=9)}"


#: (type, attribute) -> the value, from the logical id.
_ATTRIBUTES: dict[tuple[str, str], Callable[[str], str]] = {
    ("AWS::Serverless::Function", "Arn"): lambda_arn,
    ("AWS::Lambda::Function", "Arn"): lambda_arn,
    ("AWS::Serverless::Api", "RootResourceId"): lambda logical: resource_id(api_id(logical), "/"),
    ("AWS::ApiGateway::RestApi", "RootResourceId"): lambda logical: resource_id(api_id(logical), "/"),
    ("AWS::Cognito::UserPool", "Arn"): lambda logical: (
        f"arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/{user_pool_id(logical)}"
    ),
    ("AWS::Cognito::UserPool", "ProviderName"): lambda logical: (
        f"cognito-idp.{REGION}.amazonaws.com/{user_pool_id(logical)}"
    ),
    ("AWS::Cognito::UserPool", "ProviderURL"): lambda logical: (
        f"https://cognito-idp.{REGION}.amazonaws.com/{user_pool_id(logical)}"
    ),
    ("AWS::IAM::Role", "Arn"): lambda logical: f"arn:aws:iam::{ACCOUNT_ID}:role/{logical}",
    ("AWS::DynamoDB::Table", "Arn"): lambda logical: (
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{logical}"
    ),
    ("AWS::Serverless::SimpleTable", "Arn"): lambda logical: (
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{logical}"
    ),
    ("AWS::SQS::Queue", "Arn"): lambda logical: f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{logical}",
    ("AWS::SQS::Queue", "QueueName"): lambda logical: logical,
    ("AWS::SQS::Queue", "QueueUrl"): lambda logical: (
        f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{logical}"
    ),
    ("AWS::SNS::Topic", "TopicArn"): lambda logical: f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{logical}",
    ("AWS::SNS::Topic", "TopicName"): lambda logical: logical,
    ("AWS::S3::Bucket", "Arn"): lambda logical: f"arn:aws:s3:::{logical.lower()}",
    ("AWS::S3::Bucket", "DomainName"): lambda logical: f"{logical.lower()}.s3.amazonaws.com",
}

_REFS: dict[str, Callable[[str], str]] = {
    "AWS::Serverless::Api": api_id,
    "AWS::ApiGateway::RestApi": api_id,
    "AWS::Serverless::LayerVersion": layer_arn,
    "AWS::Lambda::LayerVersion": layer_arn,
    "AWS::Cognito::UserPool": user_pool_id,
    "AWS::SQS::Queue": _ATTRIBUTES[("AWS::SQS::Queue", "QueueUrl")],
    "AWS::SNS::Topic": _ATTRIBUTES[("AWS::SNS::Topic", "TopicArn")],
    "AWS::S3::Bucket": str.lower,
}


def resource_value(types: Mapping[str, str]) -> Callable[[str, str | None], str]:
    """The ``Ref`` (attribute ``None``) and ``Fn::GetAtt`` values of the resources of ``types`` (logical id -> type)."""

    def value(logical: str, attribute: str | None) -> str:
        kind = types[logical]
        if attribute is None:
            return _REFS.get(kind, str)(logical)
        found = _ATTRIBUTES.get((kind, attribute))
        if found is None:
            known = sorted(name for of, name in _ATTRIBUTES if of == kind)
            raise LookupError(
                f"its attribute {attribute} exists only on AWS"
                + (f" (known locally: {', '.join(known)})" if known else "")
            )
        return found(logical)

    return value
