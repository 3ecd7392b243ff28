"""An http event's ``authorizer``: a function of the service, a Lambda or Cognito ARN, or IAM.

As Serverless compiles it: a name without ``:`` is a function of this service (a TOKEN authorizer
reading ``Authorization``, its results cached 300 seconds); an ARN is a Lambda function elsewhere, or,
``cognito-idp``'s or with ``type: COGNITO_USER_POOLS``, a user pool; ``aws_iam`` is IAM. The authorizer
is named after the function, or after the ARN's last part. The gateway enforces them as it does every
format's (``emulator.auth``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from emulator.account import lambda_arn
from emulator.config.lambda_uris import UnresolvedFunction, invocation_uri, lambda_target
from emulator.config.nodes import did_you_mean, one_of
from emulator.config.serverless.items import intrinsic
from emulator.config.serverless.values import At, Values
from emulator.model import Authorizer

_KEYS = (
    "name",
    "arn",
    "type",
    "identitySource",
    "identityValidationExpression",
    "resultTtlInSeconds",
    "claims",
    "scopes",
    "authorizerId",
    "managedExternally",
)
_COGNITO_ARN = re.compile(r"arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool/.+")
_DEFAULT_IDENTITY = "method.request.header.Authorization"
_TYPES = {"token": "TOKEN", "request": "REQUEST", "cognito_user_pools": "COGNITO_USER_POOLS"}


@dataclass(frozen=True)
class MethodAuth:
    """What an event's authorizer makes of its method, and the API's authorizer it names."""

    authorization_type: str
    authorizer: Authorizer | None = None
    scopes: tuple[str, ...] = ()
    #: Cognito claims ``integration: lambda``'s default template passes on.
    claims: tuple[str, ...] = ()


def read_authorizer(values: Values, at: At, functions: Mapping[str, str]) -> MethodAuth | None:
    """The event's authorization; ``functions`` maps each function of the service to its deployed name."""
    item = values.value(at)
    if item is None:
        return None
    if isinstance(item.value, str):
        written = item.value
        if written.upper() == "AWS_IAM":
            return MethodAuth("AWS_IAM")
        if ":" not in written:
            return _function_authorizer(values, at, written, "TOKEN", functions)
        return _arn_authorizer(values, at, None, None, functions)
    keys = values.keys(at, _KEYS, what="an authorizer")
    if keys is None:
        return None
    kind = values.string(keys["type"]) if "type" in keys else None
    if kind is not None and kind.upper() == "AWS_IAM":
        return MethodAuth("AWS_IAM")
    if "authorizerId" in keys:
        values.warn(
            keys["authorizerId"],
            "an authorizer named by authorizerId is defined outside the http events (in resources, or another "
            "stack), which apig-emu does not read; the method is served without it",
        )
        return MethodAuth("NONE")
    written_type = None
    if kind is not None:
        written_type = _TYPES.get(kind.lower())
        if written_type is None:
            values.error(
                keys["type"],
                f"unknown authorizer type '{kind}'; expected one of {one_of(['token', 'request', 'COGNITO_USER_POOLS', 'aws_iam'])}",
            )
            return None
    name = values.string(keys["name"]) if "name" in keys else None
    if "arn" in keys:
        auth = _arn_authorizer(values, keys["arn"], written_type, name, functions)
    elif name is not None:
        auth = _function_authorizer(values, keys["name"], name, written_type or "TOKEN", functions)
    else:
        values.error(at, "an authorizer needs a name (a function of this service) or an arn")
        return None
    if auth is None or auth.authorizer is None:
        return auth
    return _settings(values, keys, auth)


def _function_authorizer(
    values: Values, at: At, function: str, kind: str, functions: Mapping[str, str]
) -> MethodAuth | None:
    if function not in functions:
        values.error(
            at,
            f"the authorizer '{function}' is not a function of this service{did_you_mean(function, list(functions))}; "
            f"the functions are: {one_of(list(functions)) or '(none)'}",
            "name a function under functions:, or give the arn of one deployed elsewhere",
        )
        return None
    authorizer = Authorizer(
        function,
        kind,
        uri=invocation_uri(lambda_arn(function)),
        function=function,
        identity_source=_DEFAULT_IDENTITY,
        location=values.location(at),
    )
    return MethodAuth("CUSTOM", authorizer)


def _arn_authorizer(
    values: Values, at: At, kind: str | None, name: str | None, functions: Mapping[str, str]
) -> MethodAuth | None:
    item = values.value(at)
    if item is None:
        return None
    written = intrinsic(item)
    arn = item.value if isinstance(item.value, str) else None
    if arn is None and written is None:
        values.expected(at, item, "an ARN")
        return None
    location = values.location(at)
    if kind == "COGNITO_USER_POOLS" or (arn is not None and _COGNITO_ARN.fullmatch(arn)):
        if arn is None:
            # A pool created in resources (!GetAtt UserPool.Arn): kept as written, as CloudFormation gets it.
            if name is None:
                values.error(
                    at, "an authorizer of type COGNITO_USER_POOLS whose arn is not a text needs a name"
                )
                return None
            arn = json.dumps(values.plain(at))
        pool = Authorizer(
            name or _name_from_arn(arn),
            "COGNITO_USER_POOLS",
            identity_source=_DEFAULT_IDENTITY,
            provider_arns=(arn,),
            location=location,
        )
        return MethodAuth("COGNITO_USER_POOLS", pool)
    if arn is None:
        values.error(
            at,
            "a Lambda authorizer's arn must be the function's ARN as text; apig-emu does not resolve CloudFormation's functions",
        )
        return None
    try:
        target = lambda_target(invocation_uri(arn))
    except UnresolvedFunction as error:
        values.error(at, f"invalid authorizer arn: {error}")
        return None
    assert target is not None
    local = {deployed: key for key, deployed in functions.items()}.get(target.function or "")
    if local is None:
        values.warn(
            at,
            f"the authorizer's function '{target.function}' is not one of this service's (deployed as: "
            f"{one_of(list(functions.values())) or 'none'}); it cannot run locally",
        )
    authorizer = Authorizer(
        name or _name_from_arn(arn),
        kind or "TOKEN",
        uri=invocation_uri(arn),
        function=local,
        identity_source=_DEFAULT_IDENTITY,
        location=location,
    )
    return MethodAuth("CUSTOM", authorizer)


def _settings(values: Values, keys: dict[str, At], auth: MethodAuth) -> MethodAuth:
    """The object form's cache, identity and claim settings, with Serverless's defaults."""
    assert auth.authorizer is not None
    authorizer = auth.authorizer
    ttl = 300
    if "resultTtlInSeconds" in keys:
        read = values.integer(keys["resultTtlInSeconds"], 0, 3600)
        ttl = 300 if read is None else read
    identity: str | None = _DEFAULT_IDENTITY
    if "identitySource" in keys:
        identity = values.string(keys["identitySource"])
    elif authorizer.type == "REQUEST" and ttl == 0:
        identity = None  # a REQUEST authorizer without caching needs no identity source
    expression = (
        values.string(keys["identityValidationExpression"])
        if "identityValidationExpression" in keys
        else None
    )
    claims = tuple(_strings(values, keys.get("claims")))
    scopes = tuple(_strings(values, keys.get("scopes")))
    if scopes and authorizer.type != "COGNITO_USER_POOLS":
        values.warn(
            keys["scopes"],
            "authorization scopes apply to Cognito user pool authorizers only; they are ignored",
        )
        scopes = ()
    return MethodAuth(
        auth.authorization_type,
        replace(
            authorizer,
            identity_source=identity,
            identity_validation_expression=expression,
            result_ttl_seconds=ttl,
        ),
        scopes,
        claims,
    )


def _strings(values: Values, at: At | None) -> list[str]:
    if at is None:
        return []
    return [text for item in values.items(at) or [] if (text := values.string(item)) is not None]


def _name_from_arn(arn: str) -> str:
    """The authorizer's name Serverless derives: the ARN's last part, after its last ``-``."""
    return arn.split(":")[-1].split("-")[-1]
