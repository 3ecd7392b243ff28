"""Lambda invocation URIs, built and read in this one module: by the loaders, the exporter and the gateway.

The model stores the URI API Gateway would store: the builder's name the emulator's own account and
region, an importer's are kept as the document wrote them, in any account, with a version or alias
after the name, or a stage variable in place of either (``function:${stageVariables.fn}``), which only
a request's stage can resolve. The region, account and alias or version in a URI do not pick another
function: locally, a function is its name under ``functions:``. An export keeps the name and qualifier
and writes them for the account and region the user deploys to (``Target``), or for CloudFormation to
fill in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from emulator.account import ACCOUNT_ID, REGION

DEFAULT_REGION = REGION
DEFAULT_ACCOUNT_ID = ACCOUNT_ID
#: The Lambda API version in the path of every URI API Gateway builds.
LAMBDA_API_VERSION = "2015-03-31"

#: ``arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations``.
_INVOCATION = re.compile(
    r"arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/(?P<version>\d{4}-\d{2}-\d{2})/functions/(?P<arn>.+)"
    r"/invocations"
)
#: ``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:ALIAS_OR_VERSION]``.
_FUNCTION_ARN = re.compile(
    r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:(?P<name>[A-Za-z0-9_-]{1,64})"
    r"(?::(?P<qualifier>\$LATEST|[A-Za-z0-9_-]{1,128}))?"
)
#: The same as written, where a stage variable may stand for any part.
_WRITTEN_FUNCTION_ARN = re.compile(
    r"arn:aws[a-z-]*:lambda:[^:/]*:[^:/]*:function:(?P<name>[^:/]+)(?::(?P<qualifier>[^:/]+))?"
)
STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")
_ACCOUNT_ID = re.compile(r"\d{12}")


def invocation_uri(
    function_arn: str, *, region: str = REGION, partition: str = "aws", api_version: str = LAMBDA_API_VERSION
) -> str:
    """The integration URI API Gateway stores for a Lambda function (by default, in the emulator's region)."""
    return (
        f"arn:{partition}:apigateway:{region}:lambda:path/{api_version}/functions/{function_arn}/invocations"
    )


def function_arn(qualified: str, *, region: str, account_id: str, partition: str) -> str:
    """A Lambda function's ARN; ``qualified`` is its name, with ``:ALIAS`` or ``:VERSION`` if any."""
    return f"arn:{partition}:lambda:{region}:{account_id}:function:{qualified}"


class UnresolvedFunction(ValueError):
    """A URI whose function cannot be named; ``str()`` says why, in a sentence that can follow a colon."""


@dataclass(frozen=True)
class LambdaFunction:
    """The function a URI names as written: a name and an optional version or alias, either of which may be a
    stage variable (``${stageVariables.fn}``); what an export writes again for another account."""

    name: str
    qualifier: str | None = None
    api_version: str = LAMBDA_API_VERSION

    @property
    def qualified(self) -> str:
        return self.name if self.qualifier is None else f"{self.name}:{self.qualifier}"

    @property
    def is_dynamic(self) -> bool:
        """Whether the function is only known per stage: a template cannot point at it."""
        return STAGE_VARIABLE.search(self.qualified) is not None


@dataclass(frozen=True)
class LambdaTarget:
    """What an invocation URI names: a function, perhaps through stage variables."""

    #: The function's ARN as written, stage variables and all.
    function_arn: str
    #: The function's name; ``None`` while stage variables stand in for part of the ARN.
    function: str | None
    qualifier: str | None
    #: The stage variables the URI reads, in order.
    stage_variables: tuple[str, ...]
    #: The function as written; ``None`` where a stage variable stands for the whole ARN.
    written: LambdaFunction | None = None


def lambda_target(uri: str) -> LambdaTarget | None:
    """The function a Lambda invocation URI names; ``None`` for any other URI (HTTP, AWS services).

    Raises ``UnresolvedFunction`` for a Lambda URI whose function ARN is malformed.
    """
    invocation = _INVOCATION.fullmatch(uri)
    if invocation is None:
        return None
    arn = invocation["arn"]
    written = _WRITTEN_FUNCTION_ARN.fullmatch(arn)
    as_written = (
        LambdaFunction(written["name"], written["qualifier"], invocation["version"]) if written else None
    )
    variables = tuple(STAGE_VARIABLE.findall(arn))
    if variables:
        return LambdaTarget(arn, None, None, variables, as_written)
    function = _FUNCTION_ARN.fullmatch(arn)
    if function is None:
        raise UnresolvedFunction(
            f"'{arn}' is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME, "
            "optionally followed by :ALIAS or :VERSION)"
        )
    return LambdaTarget(arn, function["name"], function["qualifier"], (), as_written)


def invoked_function(uri: str | None, function: str | None) -> LambdaFunction | None:
    """The Lambda function an integration or authorizer invokes, as its URI names it; one built without
    a URI (a model made in code) names only its local ``function``. ``None`` for any other backend, and
    for a URI whose ARN is malformed (written as it is)."""
    if uri is None:
        return LambdaFunction(function) if function is not None else None
    try:
        target = lambda_target(uri)
    except UnresolvedFunction:
        return None
    return target.written if target is not None else None


def resolve_function(uri: str, stage: str, variables: Mapping[str, str]) -> str:
    """The function a Lambda URI names for a request to ``stage``, whose stage variables are ``variables``.

    Raises ``UnresolvedFunction`` when a variable is missing or the substituted ARN names no function.
    """
    missing = [name for name in STAGE_VARIABLE.findall(uri) if name not in variables]
    if missing:
        raise UnresolvedFunction(
            f"stage '{stage}' has no stage variable '{missing[0]}', which the uri {uri} reads"
        )
    resolved = STAGE_VARIABLE.sub(lambda found: variables[found[1]], uri)
    try:
        target = lambda_target(resolved)
    except UnresolvedFunction as error:
        raise UnresolvedFunction(f"with the variables of stage '{stage}', {error}") from None
    if target is None or target.function is None:
        raise UnresolvedFunction(
            f"with the variables of stage '{stage}' the uri becomes {resolved}, which is not a Lambda invocation uri"
        )
    return target.function


@dataclass(frozen=True)
class Target:
    """Where an exported API is meant to run: the region and account its Lambda URIs name."""

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

    def invocation_uri(self, function: LambdaFunction) -> str:
        arn = function_arn(
            function.qualified, region=self.region, account_id=self.account_id, partition=self.partition
        )
        return invocation_uri(
            arn, region=self.region, partition=self.partition, api_version=function.api_version
        )


def region_problem(region: str) -> str | None:
    if _REGION.fullmatch(region):
        return None
    return f"invalid region '{region}'; expected a region name like us-east-1 or eu-west-2"


def account_id_problem(account_id: str) -> str | None:
    if _ACCOUNT_ID.fullmatch(account_id):
        return None
    return f"invalid account id '{account_id}'; expected the 12 digits of an AWS account id"
