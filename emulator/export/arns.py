"""Lambda invocation URIs: read out of what the model stores, written for the account an export targets.

The model stores the URI API Gateway would store (``emulator.config.builder.lambda_uri``), naming the
emulator's own account and region; an importer stores a document's URI as it was, in any account, with
a version or alias after the name, or a stage variable in place of either. An export keeps the name and
qualifier and swaps in the account and region the user deploys to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from emulator.account import ACCOUNT_ID, REGION

DEFAULT_REGION = REGION
DEFAULT_ACCOUNT_ID = ACCOUNT_ID

_INVOCATION_URI = re.compile(
    r"arn:[^:]+:apigateway:[^:]*:lambda:path/(?P<version>[^/]+)/functions/(?P<function_arn>.+)/invocations"
)
_FUNCTION_ARN = re.compile(
    r"arn:[^:]+:lambda:[^:]*:[^:]*:function:(?P<name>[^:/]+)(?::(?P<qualifier>[^:/]+))?"
)
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")
_ACCOUNT_ID = re.compile(r"\d{12}")
_STAGE_VARIABLE = "${stageVariables."


@dataclass(frozen=True)
class Target:
    """Where the exported API is meant to run: the region and account its ARNs name."""

    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID

    @property
    def partition(self) -> str:
        """AWS's partition for the region: China and GovCloud have ARNs of their own."""
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    @property
    def dns_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    def function_arn(self, function: LambdaFunction) -> str:
        return f"arn:{self.partition}:lambda:{self.region}:{self.account_id}:function:{function.qualified}"

    def invocation_uri(self, function: LambdaFunction) -> str:
        return (
            f"arn:{self.partition}:apigateway:{self.region}:lambda:path/{function.api_version}/functions/"
            f"{self.function_arn(function)}/invocations"
        )


@dataclass(frozen=True)
class LambdaFunction:
    """The function an invocation URI names: a name and an optional version or alias, either of which may
    be a stage variable (``${stageVariables.fn}``)."""

    name: str
    qualifier: str | None = None
    #: The Lambda API version in the URI's path; every URI API Gateway builds says 2015-03-31.
    api_version: str = "2015-03-31"

    @property
    def qualified(self) -> str:
        return self.name if self.qualifier is None else f"{self.name}:{self.qualifier}"

    @property
    def is_dynamic(self) -> bool:
        """Whether the function is only known per stage: a template cannot point at it."""
        return _STAGE_VARIABLE in self.qualified


def lambda_function(uri: str | None) -> LambdaFunction | None:
    """The function a Lambda invocation URI names; ``None`` for any other URI (HTTP, AWS services)."""
    found = _INVOCATION_URI.fullmatch(uri or "")
    if found is None:
        return None
    arn = _FUNCTION_ARN.fullmatch(found.group("function_arn"))
    if arn is None:
        return None
    return LambdaFunction(arn.group("name"), arn.group("qualifier"), found.group("version"))


def region_problem(region: str) -> str | None:
    if _REGION.fullmatch(region):
        return None
    return f"invalid region '{region}'; expected a region name like us-east-1 or eu-west-2"


def account_id_problem(account_id: str) -> str | None:
    if _ACCOUNT_ID.fullmatch(account_id):
        return None
    return f"invalid account id '{account_id}'; expected the 12 digits of an AWS account id"
