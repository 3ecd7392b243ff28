"""An API's resource policy, evaluated where AWS evaluates it and combined with the method's authorization.

AWS's authorization workflow ("How API Gateway resource policies affect authorization workflow", API
Gateway developer guide) by the method's authorization type:

- none (``NONE``), or a Cognito user pool (after the token verified): the policy alone decides, and an
  explicit ``Allow`` is needed; no statement covering the request (an implicit deny) refuses like a ``Deny``.
- a Lambda authorizer: first, before the authorizer is called, an explicit ``Deny`` refuses at once; then
  the authorizer's policy and the resource policy together (the guide's table A): either ``Allow`` suffices
  unless the other denies explicitly.
- IAM: the caller's identity policy and the resource policy together. apig-emu holds no identity
  policies: a configured credential stands for a caller its account allows to invoke. A caller of the
  API's own account (table A) is refused by an explicit ``Deny`` only; a caller of another account (table
  B) needs the resource policy's ``Allow`` too.

A refusal is 403 ``AccessDeniedException`` (ACCESS_DENIED) with AWS's capital-M body naming the caller
(``anonymous`` unless an IAM caller signed) and the method ARN with the account masked.
"""

from __future__ import annotations

from typing import NoReturn

from emulator.account import ACCOUNT_ID
from emulator.auth.api_keys import note_decision
from emulator.auth.arns import masked, method_arn
from emulator.auth.policy import Decision, Facts, Policy, Verdict
from emulator.auth.principal import account_of
from emulator.context import RequestContext
from emulator.errors import AccessDenied

#: What AWS appends for an explicit ``Deny`` (measured on AWS in 2026 for anonymous and signed callers,
#: floci-io/floci's "resource policy enforcement" design, R5 and R6); an implicit deny has no suffix
#: (ASFHyP3/hyp3#2283, 2024).
EXPLICIT_SUFFIX = " with an explicit deny in a resource-based policy"
#: Stands in for a policy that does not parse (``Access.policies`` holds ``None``): it refuses everything.
_REFUSE_ALL = Decision(Verdict.EXPLICIT_DENY)


def facts(ctx: RequestContext) -> Facts:
    assert ctx.request is not None
    return Facts(ctx.request.client_ip, ctx.iam_principal)


def _decide(ctx: RequestContext, policy: Policy | None, arn: str) -> Decision:
    return _REFUSE_ALL if policy is None else policy.decide(arn, facts(ctx))


def before_authorizer(ctx: RequestContext) -> None:
    """A Lambda authorizer's method: the policy's explicit ``Deny`` refuses before the authorizer is asked;
    whether it allows is left on ``ctx`` for the authorizer's verdict to be combined with."""
    found = _policy(ctx)
    if found is None:
        return
    (policy,) = found
    arn = method_arn(ctx)
    decision = _decide(ctx, policy, arn)
    if decision.verdict is Verdict.EXPLICIT_DENY:
        _refuse(ctx, decision, arn, "before the Lambda authorizer was called")
    ctx.resource_policy_allows = decision.verdict is Verdict.ALLOW


def after_method_check(ctx: RequestContext) -> None:
    """The resource policy's part once the method's own authorization accepted the caller."""
    assert ctx.match is not None
    kind = ctx.match.method.authorization_type
    found = _policy(ctx)
    principal = ctx.iam_principal
    cross_account = kind == "AWS_IAM" and principal is not None and account_of(principal) != ACCOUNT_ID
    if found is None:
        if cross_account:
            _refuse(ctx, Decision(Verdict.NOT_ALLOWED), method_arn(ctx), "the API has none", cross_account)
        return
    (policy,) = found
    arn = method_arn(ctx)
    decision = _decide(ctx, policy, arn)
    if decision.verdict is Verdict.EXPLICIT_DENY:
        _refuse(ctx, decision, arn)
    if decision.verdict is Verdict.ALLOW:
        note_decision(ctx, f"the resource policy allows {arn} ({decision.which()}, {_who(ctx)})")
        return
    if kind == "CUSTOM" or (kind == "AWS_IAM" and principal is not None and not cross_account):
        note_decision(
            ctx,
            f"the resource policy neither allows nor denies {arn} ({_who(ctx)}): the caller's own allow decides",
        )
        return
    _refuse(ctx, decision, arn, cross_account=cross_account)


def _policy(ctx: RequestContext) -> tuple[Policy | None] | None:
    """The API's compiled policy in a 1-tuple (its content ``None`` when unusable); ``None``: the API has none."""
    assert ctx.match is not None
    policies = ctx.deployment.access.policies
    name = ctx.match.api.name
    return (policies[name],) if name in policies else None


def _who(ctx: RequestContext) -> str:
    assert ctx.request is not None
    return f"caller {ctx.iam_principal or 'anonymous'} from {ctx.request.client_ip}"


def _refuse(
    ctx: RequestContext, decision: Decision, arn: str, when: str = "", cross_account: bool = False
) -> NoReturn:
    user = ctx.iam_principal or "anonymous"
    explicit = decision.verdict is Verdict.EXPLICIT_DENY
    message = f"User: {user} is not authorized to perform: execute-api:Invoke on resource: {masked(arn)}"
    why = "explicitly denied" if explicit else "not allowed"
    if cross_account:
        why += " (a caller of another account needs the resource policy's Allow)"
    reason = f"the resource policy: {arn} {why} for {_who(ctx)}: {decision.which()}"
    if when:
        reason += f", {when}"
    note_decision(ctx, f"refused by {reason}")
    raise AccessDenied(reason, message=message + (EXPLICIT_SUFFIX if explicit else ""))
