"""Lambda invocation URIs: the one API Gateway stores for a function, and the function a stored one names.

Every loader builds URIs here, the exporter writes them, and the gateway reads them back: a URI may
name its function through a stage variable (``function:${stageVariables.fn}``), which only a request's
stage can resolve. The region, account and alias or version in a URI do not pick another function:
locally, a function is its name under ``functions:``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from emulator.account import REGION

#: ``arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations``.
_INVOCATION = re.compile(
    r"arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/\d{4}-\d{2}-\d{2}/functions/(?P<arn>.+)/invocations"
)
#: ``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:ALIAS_OR_VERSION]``.
_FUNCTION_ARN = re.compile(
    r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:(?P<name>[A-Za-z0-9_-]{1,64})"
    r"(?::(?P<qualifier>\$LATEST|[A-Za-z0-9_-]{1,128}))?"
)
STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


def lambda_uri(function_arn: str) -> str:
    """The integration URI API Gateway stores for a Lambda function."""
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


class UnresolvedFunction(ValueError):
    """A URI whose function cannot be named; ``str()`` says why, in a sentence that can follow a colon."""


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


def lambda_target(uri: str) -> LambdaTarget | None:
    """The function a Lambda invocation URI names; ``None`` for any other URI (HTTP, AWS services).

    Raises ``UnresolvedFunction`` for a Lambda URI whose function ARN is malformed.
    """
    invocation = _INVOCATION.fullmatch(uri)
    if invocation is None:
        return None
    arn = invocation["arn"]
    variables = tuple(STAGE_VARIABLE.findall(arn))
    if variables:
        return LambdaTarget(arn, None, None, variables)
    function = _FUNCTION_ARN.fullmatch(arn)
    if function is None:
        raise UnresolvedFunction(
            f"'{arn}' is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME, "
            "optionally followed by :ALIAS or :VERSION)"
        )
    return LambdaTarget(arn, function["name"], function["qualifier"], ())


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
