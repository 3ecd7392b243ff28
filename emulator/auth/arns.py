"""The execute-api ARNs authorization reads: a request's method ARN, an API's own, and AWS's masked form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.account import ACCOUNT_ID, REGION

if TYPE_CHECKING:
    from emulator.context import RequestContext


def api_arn(api_id: str) -> str:
    """``arn:aws:execute-api:REGION:ACCOUNT:API_ID``: what a resource policy's ``execute-api:/`` stands for."""
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id}"


def method_arn(ctx: RequestContext) -> str:
    """``arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/VERB/path``: the request's path, not the resource's."""
    assert ctx.match is not None and ctx.request is not None
    match = ctx.match
    return f"{api_arn(match.api.id)}/{match.stage.name}/{ctx.request.method}/{match.path[1:]}"


def masked(arn: str) -> str:
    """The ARN as a resource policy's refusal shows it: the account hidden but for its last four digits.

    Observed on AWS: ``arn:aws:execute-api:us-west-2:********2543:vd2gh6uqw3/api/GET/`` (ASFHyP3/hyp3#2283).
    """
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return arn
    account = parts[4]
    parts[4] = "*" * (len(account) - 4) + account[-4:]
    return ":".join(parts)
