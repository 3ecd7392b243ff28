"""Security schemes and requirements: authorizers, API keys and IAM, as API Gateway's import reads them.

A scheme with ``x-amazon-apigateway-authorizer`` is an authorizer (a Lambda TOKEN or REQUEST one, or a
Cognito user pool); ``x-amazon-apigateway-authtype: awsSigv4`` is IAM; an ``apiKey`` scheme without
AWS's extensions is API Gateway's API key (``x-api-key``). An operation's ``security`` (else the
document's) picks among them: the method's authorization type, authorizer and scopes, and whether it
requires an API key. None of it is enforced yet (``emulator.not_executed`` says so per method).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.config.lambda_uris import UnresolvedFunction, lambda_target
from emulator.config.nodes import Field, one_of
from emulator.config.openapi.imported import FunctionReference
from emulator.config.openapi.intrinsics import string_or_sub
from emulator.config.openapi.reader import DocumentReader
from emulator.model import Authorizer

AUTHTYPE = "x-amazon-apigateway-authtype"
AUTHORIZER = "x-amazon-apigateway-authorizer"
AUTH = "x-amazon-apigateway-auth"
_AUTHORIZER_KEYS = (
    "type",
    "authorizerUri",
    "authorizerCredentials",
    "authorizerResultTtlInSeconds",
    "identitySource",
    "identityValidationExpression",
    "providerARNs",
)
_AUTHORIZER_TYPES = {"token": "TOKEN", "request": "REQUEST", "cognito_user_pools": "COGNITO_USER_POOLS"}
_AUTHORIZATION_TYPES = {"TOKEN": "CUSTOM", "REQUEST": "CUSTOM", "COGNITO_USER_POOLS": "COGNITO_USER_POOLS"}
#: What a scheme is to API Gateway.
API_KEY, IAM, AUTHORIZER_SCHEME, IGNORED = "api key", "iam", "authorizer", "ignored"


@dataclass
class Security:
    """The document's security schemes by name, what each is, and the authorizers among them."""

    kinds: dict[str, str] = field(default_factory=dict)
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    functions: list[FunctionReference] = field(default_factory=list)
    #: Where the schemes are defined, as messages name it.
    where: str = "components.securitySchemes"


@dataclass(frozen=True)
class MethodSecurity:
    authorization_type: str = "NONE"
    authorizer: str | None = None
    scopes: tuple[str, ...] = ()
    api_key_required: bool = False


def read_schemes(reader: DocumentReader, schemes: Field | None, where: str) -> Security:
    security = Security(where=where)
    for name, entry in (reader.entries(schemes) or {}).items() if schemes is not None else []:
        resolved = reader.resolved(entry)
        keys = reader.entries(resolved) if resolved is not None else None
        if keys is None:
            continue
        assert resolved is not None
        security.kinds[name] = _scheme(reader, name, resolved, keys, security)
    return security


def _scheme(
    reader: DocumentReader, name: str, field: Field, keys: dict[str, Field], security: Security
) -> str:
    authtype = reader.string(keys[AUTHTYPE]) if AUTHTYPE in keys else None
    kind = reader.string(keys["type"]) if "type" in keys else None
    if AUTHORIZER in keys:
        authorizer = _authorizer(reader, name, keys[AUTHORIZER], keys, authtype, security)
        if authorizer is None:
            return IGNORED
        security.authorizers[name] = authorizer
        return AUTHORIZER_SCHEME
    if authtype is not None and authtype.lower() == "awssigv4":
        return IAM
    if authtype is not None and authtype.lower() in ("custom", "cognito_user_pools"):
        reader.error(field, f"security scheme '{name}' has {AUTHTYPE}: {authtype} but no {AUTHORIZER}")
        return IGNORED
    if kind == "apiKey" and authtype is None:
        header = reader.string(keys["name"]) if "name" in keys else None
        place = reader.string(keys["in"]) if "in" in keys else None
        if (header or "").lower() != "x-api-key" or place != "header":
            reader.warn(
                field,
                f"security scheme '{name}' is taken as API Gateway's API key, which clients send in the "
                f"x-api-key header (it says {header!r} in {place!r})",
            )
        return API_KEY
    reader.warn(
        field,
        f"security scheme '{name}' ({kind or 'no type'}) has no {AUTHORIZER} or {AUTHTYPE}; API Gateway's "
        "import ignores it, and so do the operations' security requirements that name it",
    )
    return IGNORED


def _authorizer(
    reader: DocumentReader,
    name: str,
    field: Field,
    scheme: dict[str, Field],
    authtype: str | None,
    security: Security,
) -> Authorizer | None:
    keys = reader.keys(field, _AUTHORIZER_KEYS, what=AUTHORIZER)
    if keys is None:
        return None
    written = reader.string(keys["type"]) if "type" in keys else "token"
    if written is None:
        return None
    kind = _AUTHORIZER_TYPES.get(written.lower())
    if kind is None:
        reader.error(
            keys["type"],
            f"unknown authorizer type '{written}'; expected one of {one_of(list(_AUTHORIZER_TYPES))}",
        )
        return None
    if authtype is not None and kind == "COGNITO_USER_POOLS" and authtype.lower() != "cognito_user_pools":
        reader.warn(field, f"authorizer '{name}' is a Cognito user pool but {AUTHTYPE} says {authtype}")
    uri = function = None
    if kind == "COGNITO_USER_POOLS":
        arns = (
            [arn for arn, _ in reader.strings(keys["providerARNs"]) or []] if "providerARNs" in keys else []
        )
        if not arns:
            reader.error(field, f"the Cognito authorizer '{name}' needs providerARNs (its user pools' ARNs)")
            return None
    else:
        arns = []
        if "authorizerUri" not in keys:
            reader.error(
                field, f"the {kind} authorizer '{name}' needs authorizerUri (its function's invocation URI)"
            )
            return None
        uri = string_or_sub(reader, keys["authorizerUri"])
        if uri is None:
            return None
        try:
            target = lambda_target(uri)
        except UnresolvedFunction as error:
            reader.error(keys["authorizerUri"], f"Invalid Authorizer URI specified: {error}")
            return None
        if target is None:
            reader.error(
                keys["authorizerUri"],
                f"Invalid Authorizer URI specified: '{uri}' is not a Lambda invocation URI",
            )
            return None
        function = target.function
        if function is not None:
            where = reader.location(keys["authorizerUri"])
            security.functions.append(
                FunctionReference(function, target.function_arn, f"authorizer '{name}'", where)
            )
    ttl: int | None = 300
    if "authorizerResultTtlInSeconds" in keys:
        ttl = reader.integer(keys["authorizerResultTtlInSeconds"], 0, 3600)
    return Authorizer(
        name,
        kind,
        uri=uri,
        function=function,
        identity_source=_identity_source(reader, keys, scheme, kind),
        identity_validation_expression=(
            reader.string(keys["identityValidationExpression"])
            if "identityValidationExpression" in keys
            else None
        ),
        result_ttl_seconds=300 if ttl is None else ttl,
        provider_arns=tuple(arns),
        credentials=string_or_sub(reader, keys["authorizerCredentials"])
        if "authorizerCredentials" in keys
        else None,
        location=reader.location(field),
    )


def _identity_source(
    reader: DocumentReader, keys: dict[str, Field], scheme: dict[str, Field], kind: str
) -> str | None:
    if "identitySource" in keys:
        return reader.string(keys["identitySource"])
    if kind == "REQUEST":
        return None
    # A TOKEN or Cognito authorizer reads the header the scheme names.
    header = reader.string(scheme["name"]) if "name" in scheme else None
    return f"method.request.header.{header or 'Authorization'}"


def method_security(
    reader: DocumentReader,
    requirements: Field | None,
    auth: Field | None,
    security: Security,
    refused: str,
) -> MethodSecurity:
    """What an operation's security requirements (or the document's) make of its method.

    ``refused`` begins AWS's message for a method it will not put (``Unable to put method …``).
    """
    authorization = "NONE"
    authorizer: str | None = None
    scopes: tuple[str, ...] = ()
    api_key = False
    for requirement in reader.sequence(requirements) or [] if requirements is not None else []:
        for name, scope_field in (reader.entries(requirement) or {}).items():
            kind = security.kinds.get(name)
            if kind is None:
                reader.error(
                    scope_field,
                    f"{refused}: Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
                    f"COGNITO_USER_POOLS requires a valid authorizer. (security names '{name}', which is not "
                    f"among {security.where}: {one_of(list(security.kinds)) or 'none are defined'})",
                )
                continue
            if kind == API_KEY:
                api_key = True
            elif kind == IAM and authorizer is None:
                authorization = "AWS_IAM"
            elif kind == AUTHORIZER_SCHEME and authorizer is None:
                authorizer = name
                authorization = _AUTHORIZATION_TYPES[security.authorizers[name].type]
                scopes = _scopes(reader, scope_field, name, authorization)
            elif kind == AUTHORIZER_SCHEME and authorizer != name:
                reader.warn(
                    scope_field,
                    f"API Gateway applies one authorizer per method: '{authorizer}' does, '{name}' is ignored",
                )
    if auth is not None and authorizer is None:
        authorization = _auth_extension(reader, auth) or authorization
    return MethodSecurity(authorization, authorizer, scopes, api_key)


def _scopes(reader: DocumentReader, field: Field, name: str, authorization: str) -> tuple[str, ...]:
    scopes = tuple(scope for scope, _ in reader.strings(field) or [])
    if scopes and authorization != "COGNITO_USER_POOLS":
        reader.warn(
            field, f"authorization scopes apply to Cognito user pool authorizers only; '{name}' ignores them"
        )
        return ()
    return scopes


def _auth_extension(reader: DocumentReader, field: Field) -> str | None:
    """``x-amazon-apigateway-auth: {type: AWS_IAM}``, the older way to ask for IAM."""
    keys = reader.keys(field, ("type",), what=AUTH)
    written = reader.string(keys["type"]) if keys and "type" in keys else None
    if written is None:
        return None
    if written.upper() in ("AWS_IAM", "NONE"):
        return written.upper()
    reader.error(
        keys["type"] if keys else field, f"unknown {AUTH} type '{written}'; expected AWS_IAM or NONE"
    )
    return None
