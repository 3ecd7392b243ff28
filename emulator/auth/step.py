"""The chain's ``authorize`` step: who may call the method, decided as API Gateway decides, in its order.

After routing (the method is known) and before request validation (AWS authorizes first): the
stage's and method's throttle (``api_keys.UsagePlans``), the method's own authorization by its
``authorizationType`` (``COGNITO_USER_POOLS``, ``CUSTOM``, ``AWS_IAM``: ``CHECKS``), then the API's resource policy, then the API key and its usage plan's throttle and quota. A refusal raises the ``GatewayError`` AWS answers with; an acceptance fills
``$context.authorizer`` (and with it the event's ``requestContext.authorizer``).

``--auth off`` (or the ``auth_off:`` methods) skips the checks, the API key's included, and fills
``$context.authorizer`` with the configured stand-in instead, logged once per method so that nobody
mistakes it for a check. Throttling still applies: it is not authorization.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from emulator.account import ACCOUNT_ID
from emulator.auth.api_keys import note_decision
from emulator.config.iam import derived_user_id
from emulator.context import RequestContext
from emulator.errors import GatewayError, Unauthorized
from emulator.model import AuthOff, IamCredential

log = logging.getLogger("apig_emu.auth")

Check = Callable[[RequestContext], Awaitable[None]]


def set_authorizer(ctx: RequestContext, authorizer: Mapping[str, Any]) -> None:
    """``$context.authorizer``, placed after ``resourceId`` where AWS's events have it."""
    variables = ctx.variables
    assert variables is not None
    ctx.variables = {"resourceId": variables["resourceId"], "authorizer": dict(authorizer), **variables}


async def cognito(ctx: RequestContext) -> None:
    """A COGNITO_USER_POOLS method: the token in the authorizer's header, verified for real (``cognito.py``)."""
    assert ctx.match is not None and ctx.request is not None
    api, method = ctx.match.api, ctx.match.method
    verifier = ctx.deployment.access.cognito.get((api.name, method.authorizer or ""))
    which = f"Cognito authorizer '{method.authorizer}'"
    try:
        if verifier is None:
            raise Unauthorized(f"method names authorizer '{method.authorizer}', which api '{api.name}' lacks")
        token = ctx.request.header(verifier.header)
        claims = verifier.claims(token, method.authorization_scopes, ctx.ids.epoch_ms / 1000)
    except Unauthorized as refusal:
        ctx.authorization = f"refused by the {which}: {refusal.reason}"
        raise
    set_authorizer(ctx, {"claims": claims})
    scopes = (
        f", with a scope of {' '.join(method.authorization_scopes)}" if method.authorization_scopes else ""
    )
    ctx.authorization = (
        f"allowed by the {which}: {claims.get('token_use')} token of '{claims.get('sub')}' from "
        f"{claims.get('iss')}, signature and expiry ({claims.get('exp')}) verified{scopes}"
    )


async def lambda_authorizer(ctx: RequestContext) -> None:
    """A CUSTOM method: its TOKEN or REQUEST authorizer's function asked, or its cached answer (``lambda_authorizer.py``)."""
    assert ctx.lambda_authorizers is not None
    await ctx.lambda_authorizers.check(ctx)


async def aws_iam(ctx: RequestContext) -> None:
    """An AWS_IAM method: the request's SigV4 signature, by a key of the ``iam:`` section (``sigv4.py``)."""
    assert ctx.request is not None and ctx.usage_plans is not None
    try:
        verified = ctx.deployment.access.iam.verify(ctx.request, ctx.usage_plans.clock.now())
    except GatewayError as refusal:
        ctx.authorization = f"refused by IAM (SigV4): {refusal.error_type}: {refusal.reason}"
        raise
    credential = verified.credential
    set_iam_identity(ctx, credential, access_key=credential.access_key_id)
    ctx.iam_principal = credential.user_arn
    ctx.authorization = (
        f"allowed by IAM (SigV4): signed by {credential.access_key_id} ({credential.user_arn}) at "
        f"{verified.amz_date}, signature verified"
    )


def set_iam_identity(ctx: RequestContext, credential: IamCredential, *, access_key: str | None) -> None:
    """``$context.identity`` of an IAM caller, as AWS fills it: the key, the account, the caller's ids and ARN."""
    assert ctx.variables is not None
    identity = ctx.variables["identity"]
    identity["accessKey"] = access_key
    identity["accountId"] = credential.account_id
    identity["caller"] = identity["user"] = credential.caller
    identity["userArn"] = credential.user_arn


#: The method's own authorization, by its ``authorizationType``; ``NONE`` and unknown types pass.
CHECKS: dict[str, Check] = {"COGNITO_USER_POOLS": cognito, "CUSTOM": lambda_authorizer, "AWS_IAM": aws_iam}


async def authorize(ctx: RequestContext) -> None:
    match, usage = ctx.match, ctx.usage_plans
    assert match is not None and usage is not None
    method = match.method
    # The stage's and method's throttle first, so that a flood never reaches an authorizer.
    await usage.throttle_method(ctx)
    skipped = ctx.deployment.access.skips(match.api.name, match.resource.path, method.http_method)
    if skipped and method.authorization_type != "NONE":
        _stand_in(ctx)
    else:
        check = CHECKS.get(method.authorization_type)
        if check is not None:
            await check(ctx)
    if skipped and method.api_key_required:
        _key_not_checked(ctx)
    else:
        # Last: with the AUTHORIZER key source the key is what the authorizer returned.
        await usage.check_key(ctx)


def _stand_in(ctx: RequestContext) -> None:
    """What ``auth off`` puts where the authorizer's answer would be: the configured claims or principal."""
    assert ctx.match is not None
    match, off = ctx.match, ctx.deployment.access.auth_off
    method = match.method
    where = f"{method.http_method} {match.resource.path}"
    if ctx.deployment.advise_once(f"auth-off {match.api.name} {where}"):
        log.warning(
            "api '%s' %s: authorization (%s) is OFF; requests get the configured stand-in identity, unchecked",
            match.api.name,
            where,
            method.authorization_type,
        )
    ctx.authorization = (
        f"NOT checked: {method.authorization_type} skipped (auth off), the configured stand-in identity given"
    )
    if method.authorization_type == "COGNITO_USER_POOLS":
        set_authorizer(ctx, {"claims": dict(off.claims)})
    elif method.authorization_type == "CUSTOM":
        set_authorizer(ctx, {**off.context, "principalId": off.principal_id, "integrationLatency": 0})
    elif method.authorization_type == "AWS_IAM":
        set_iam_identity(ctx, stand_in_caller(ctx.deployment.definitions.iam, off), access_key=None)


def stand_in_caller(credentials: Mapping[str, IamCredential], off: AuthOff) -> IamCredential:
    """Whom an ``AWS_IAM`` method's identity shows when its check is off: the first ``iam:`` caller, else
    an IAM user named after ``auth_off``'s ``principal_id``."""
    for credential in credentials.values():
        return credential
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{off.principal_id}"
    return IamCredential("", "", arn, derived_user_id(arn))


def _key_not_checked(ctx: RequestContext) -> None:
    """``auth off`` on a method that requires an API key: no key is needed, none is counted."""
    assert ctx.match is not None
    match = ctx.match
    where = f"{match.method.http_method} {match.resource.path}"
    note_decision(ctx, "API key NOT checked (auth off): served without one, counted against no usage plan")
    if ctx.deployment.advise_once(f"auth-off key {match.api.name} {where}"):
        log.warning(
            "api '%s' %s: the API key check is OFF; requests are served without a key and count against no "
            "usage plan",
            match.api.name,
            where,
        )
