"""Lambda (``CUSTOM``) authorizers, TOKEN and REQUEST: the caller's identity handed to a function that answers
with a principal, a policy and a context, decided as API Gateway decides (reference 7.4, companion C).

In AWS's order: the identity sources are read (a TOKEN authorizer's header missing, or not matching its
``identityValidationExpression``, is a 401 and the function is never called; so is a REQUEST authorizer's
missing source when its results are cached); a cached answer for the same identity is reused while its TTL
lasts; otherwise the function is invoked through the same invoker as integrations and its answer checked.
The policy is then evaluated against this request's method ARN, which is why a policy cached for one
method can deny another (the classic trap, kept on purpose). An allowed request gets
``$context.authorizer`` (the context's values stringified, then ``principalId`` and ``integrationLatency``)
and, for an API whose key source is ``AUTHORIZER``, the ``usageIdentifierKey`` as its API key.

The cache lives with the gateway, read through its clock (a test's ``ManualClock``), so a TTL is tested
without waiting; a reload starts it afresh, as a redeployment flushes AWS's. A hit costs a dict lookup and,
for a method ARN seen before with that answer, another: the verdict is remembered per ARN.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from emulator.auth.arns import method_arn
from emulator.auth.policy import Policy, PolicyError, Verdict, parse_policy
from emulator.auth.step import set_authorizer
from emulator.clock import Clock
from emulator.config.lambda_uris import UnresolvedFunction, resolve_function
from emulator.context import RequestContext
from emulator.errors import (
    EXPLICIT_DENY,
    AccessDenied,
    AuthorizerConfigurationError,
    GatewayError,
    Unauthorized,
)
from emulator.events import build_proxy_event
from emulator.invocations import Invocation, Trigger
from emulator.model import MAX_TIMEOUT_MS, Authorizer, Function
from emulator.runtime.invoker import Invoker
from emulator.runtime.result import InvocationResult

if TYPE_CHECKING:
    from emulator.deployment import Deployment

log = logging.getLogger("apig_emu.auth")

#: The only error message that makes a 401 rather than a 500 (Node's ``callback("Unauthorized")``).
UNAUTHORIZED = "Unauthorized"
#: Past this many cached answers, expired ones are dropped (then the oldest), so a flood of tokens cannot grow
#: memory without end.
MAX_CACHED = 10_000

_HEADER = "method.request.header."
_QUERY = "method.request.querystring."
_STAGE = "stageVariables."
_CONTEXT = "context."


def identity_sources(authorizer: Authorizer) -> tuple[str, ...]:
    return _split_sources(authorizer.identity_source or "")


@lru_cache(maxsize=256)
def _split_sources(text: str) -> tuple[str, ...]:
    """``method.request.header.A, method.request.querystring.b`` split once, not on every request."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _source_value(ctx: RequestContext, source: str) -> str | None:
    """One identity source's value for this request; ``None`` when absent or empty, which AWS treats alike."""
    assert ctx.request is not None and ctx.match is not None
    value: Any = None
    if source.startswith(_HEADER):
        value = ctx.request.header(source[len(_HEADER) :])
    elif source.startswith(_QUERY):
        name = source[len(_QUERY) :]
        found = [v for k, v in ctx.request.query_pairs() if k == name]
        value = found[-1] if found else None
    elif source.startswith(_STAGE):
        value = ctx.match.stage.variables.get(source[len(_STAGE) :])
    elif source.startswith(_CONTEXT):
        value = ctx.variables
        for part in source[len(_CONTEXT) :].split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


@lru_cache(maxsize=256)
def _expression(text: str) -> re.Pattern[str]:
    return re.compile(text)


@dataclass
class Answer:
    """An authorizer's checked answer, as cached: reused for every method the same identity calls."""

    principal_id: str
    policy: Policy
    #: ``$context.authorizer`` as AWS fills it, ``integrationLatency`` last (set per request).
    context: dict[str, Any]
    usage_identifier_key: str | None
    expires: float = 0.0
    verdicts: dict[str, Verdict] = field(default_factory=dict)

    def verdict(self, arn: str) -> Verdict:
        found = self.verdicts.get(arn)
        if found is None:
            found = self.verdicts[arn] = self.policy.evaluate(arn)
        return found


def read_answer(payload: Any) -> Answer:
    """The function's result, checked as AWS checks it; ``ValueError`` names what is wrong (AWS only says 500)."""
    if not isinstance(payload, Mapping):
        raise ValueError(
            f"the answer must be an object with principalId and policyDocument, not {payload!r:.80}"
        )
    principal = payload.get("principalId")
    if isinstance(principal, bool) or not isinstance(principal, (str, int, float)):
        raise ValueError(f"principalId must be a string, not {principal!r:.80}")
    try:
        policy = parse_policy(payload.get("policyDocument"))
    except PolicyError as error:
        raise ValueError(str(error)) from None
    raw_context = payload.get("context")
    if raw_context is not None and not isinstance(raw_context, Mapping):
        raise ValueError(f"context must be an object, not {raw_context!r:.80}")
    context = {key: _context_value(key, value) for key, value in (raw_context or {}).items()}
    key = payload.get("usageIdentifierKey")
    if key is not None and not isinstance(key, str):
        raise ValueError(f"usageIdentifierKey must be a string, not {key!r:.80}")
    principal_id = principal if isinstance(principal, str) else json.dumps(principal)
    return Answer(principal_id, policy, {**context, "principalId": principal_id}, key)


def _context_value(key: str, value: Any) -> str | None:
    """Strings as they are, numbers and booleans stringified, ``null`` kept (companion C.2); nothing else."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    raise ValueError(
        f"context['{key}'] is {type(value).__name__ if not isinstance(value, list) else 'an array'}: "
        "context values must be strings, numbers or booleans"
    )


class LambdaAuthorizers:
    """The gateway's Lambda authorizers: its invoker calls them, its clock times their cached answers."""

    def __init__(self, invoker: Invoker, clock: Clock) -> None:
        self.invoker = invoker
        self.clock = clock
        self._cache: dict[tuple[str, str, tuple[str | None, ...]], Answer] = {}
        self._deployment: Deployment | None = None

    async def check(self, ctx: RequestContext) -> None:
        assert ctx.match is not None
        try:
            await self._check(ctx)
        except GatewayError as refusal:
            ctx.authorization = (
                f"refused by the Lambda authorizer '{ctx.match.method.authorizer}': {refusal.reason}"
            )
            raise

    async def _check(self, ctx: RequestContext) -> None:
        assert ctx.match is not None and ctx.request is not None
        api, method = ctx.match.api, ctx.match.method
        authorizer = api.authorizers.get(method.authorizer or "")
        if authorizer is None or authorizer.type not in ("TOKEN", "REQUEST"):
            raise AuthorizerConfigurationError(
                f"method names authorizer '{method.authorizer}', which is not a Lambda authorizer of api "
                f"'{api.name}'"
            )
        identity = self._identity(ctx, authorizer)
        arn = method_arn(ctx)
        # Without identity sources there is no cache key: one caller's answer would be everyone's. AWS refuses
        # such an authorizer with caching on; served, it is asked every time.
        ttl = authorizer.result_ttl_seconds if identity else 0
        key = (api.name, authorizer.name, identity)
        answer = self._cached(ctx.deployment, key) if ttl > 0 else None
        latency, cached = 0, answer is not None
        if answer is None:
            started = time.perf_counter()
            answer = await self._invoke(ctx, authorizer, arn)
            latency = round((time.perf_counter() - started) * 1000)
            if ttl > 0:
                answer.expires = self.clock.now() + ttl
                self._store(key, answer)
        verdict = answer.verdict(arn)
        # AWS's table A: the API's resource policy allowing the request makes up for an authorizer's policy
        # that does not cover it; an explicit Deny from either still refuses.
        by_resource_policy = verdict is Verdict.NOT_ALLOWED and ctx.resource_policy_allows
        if verdict is not Verdict.ALLOW and not by_resource_policy:
            reason = (
                f"authorizer '{authorizer.name}': principal '{answer.principal_id}', {arn}: {verdict.value}"
            )
            if verdict is Verdict.EXPLICIT_DENY:
                raise AccessDenied(reason, message=EXPLICIT_DENY)
            raise AccessDenied(reason)
        ctx.authorization = (
            f"allowed by the Lambda authorizer '{authorizer.name}' ({'cached answer' if cached else 'invoked'}): "
            f"principal '{answer.principal_id}', {arn}"
            + (
                " (its policy does not cover it; the resource policy's Allow does)"
                if by_resource_policy
                else ""
            )
        )
        set_authorizer(ctx, {**answer.context, "integrationLatency": latency})
        ctx.usage_identifier_key = answer.usage_identifier_key

    def _identity(self, ctx: RequestContext, authorizer: Authorizer) -> tuple[str | None, ...]:
        """The identity sources' values, refusing with 401 (no call) where AWS does."""
        sources = identity_sources(authorizer)
        if authorizer.type == "TOKEN":
            source = sources[0] if sources else f"{_HEADER}Authorization"
            token = _source_value(ctx, source)
            if token is None:
                raise Unauthorized(
                    f"authorizer '{authorizer.name}': no {source} (the function is not called)"
                )
            expression = authorizer.identity_validation_expression
            if expression:
                try:
                    matched = _expression(expression).fullmatch(token) is not None
                except re.error as error:
                    raise AuthorizerConfigurationError(
                        f"authorizer '{authorizer.name}': identityValidationExpression {expression!r} is not "
                        f"a valid regular expression ({error})"
                    ) from None
                if not matched:
                    raise Unauthorized(
                        f"authorizer '{authorizer.name}': the token does not match identityValidationExpression "
                        f"{expression!r} (the function is not called)"
                    )
            return (token,)
        values = tuple(_source_value(ctx, source) for source in sources)
        if authorizer.result_ttl_seconds > 0:
            missing = [source for source, value in zip(sources, values, strict=True) if value is None]
            if missing:
                raise Unauthorized(
                    f"authorizer '{authorizer.name}': identity source {', '.join(missing)} missing or empty "
                    "(the function is not called)"
                )
        return values

    def _cached(self, deployment: Deployment, key: tuple[str, str, tuple[str | None, ...]]) -> Answer | None:
        if deployment is not self._deployment:
            # A reload (or the first request): the authorizers may have changed; AWS flushes on redeploy too.
            self._cache.clear()
            self._deployment = deployment
            return None
        answer = self._cache.get(key)
        if answer is None:
            return None
        if answer.expires <= self.clock.now():
            del self._cache[key]
            return None
        return answer

    def _store(self, key: tuple[str, str, tuple[str | None, ...]], answer: Answer) -> None:
        cache = self._cache
        if len(cache) >= MAX_CACHED:
            now = self.clock.now()
            for stale in [k for k, v in cache.items() if v.expires <= now]:
                del cache[stale]
            while len(cache) >= MAX_CACHED:
                del cache[next(iter(cache))]
        cache[key] = answer

    async def _invoke(self, ctx: RequestContext, authorizer: Authorizer, arn: str) -> Answer:
        function = self._function(ctx, authorizer)
        event = self._event(ctx, authorizer, arn)
        where = f"authorizer '{authorizer.name}' (function '{function.name}')"
        call = self.invoker.invoke(function, event, trace_id=ctx.ids.trace_id)
        try:
            result = await asyncio.wait_for(call, MAX_TIMEOUT_MS / 1000)
        except asyncio.TimeoutError:
            raise AuthorizerConfigurationError(f"{where} did not answer within {MAX_TIMEOUT_MS} ms") from None
        except Exception as error:  # the invoker's refusals, e.g. the function's concurrency exhausted
            raise AuthorizerConfigurationError(f"{where} could not be invoked: {error}") from None
        _record(ctx, function, event, result)
        failure = result.error
        if failure is not None:
            message = failure.get("errorMessage")
            if message == UNAUTHORIZED:
                raise Unauthorized(f"{where} raised Unauthorized")
            raise AuthorizerConfigurationError(
                f"{where} failed ({failure.get('errorType')}: {message}); only the message 'Unauthorized' "
                "makes a 401"
            )
        try:
            return read_answer(json.loads(result.payload))
        except ValueError as problem:
            raise AuthorizerConfigurationError(
                f"{where} answered no valid authorizer response: {problem}"
            ) from None

    def _function(self, ctx: RequestContext, authorizer: Authorizer) -> Function:
        assert ctx.match is not None
        name = authorizer.function
        if name is None:
            stage = ctx.match.stage
            try:
                name = resolve_function(authorizer.uri or "", stage.name, stage.variables)
            except UnresolvedFunction as error:
                raise AuthorizerConfigurationError(f"authorizer '{authorizer.name}': {error}") from None
        function = ctx.deployment.definitions.functions.get(name)
        if function is None:
            raise AuthorizerConfigurationError(
                f"authorizer '{authorizer.name}' names the function {name!r}, which is not defined"
            )
        return function

    @staticmethod
    def _event(ctx: RequestContext, authorizer: Authorizer, arn: str) -> dict[str, Any]:
        """The input events of reference 7.4 / companion C.5."""
        if authorizer.type == "TOKEN":
            sources = identity_sources(authorizer)
            token = _source_value(ctx, sources[0] if sources else f"{_HEADER}Authorization")
            return {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}
        assert ctx.request is not None and ctx.match is not None and ctx.variables is not None
        proxy = build_proxy_event(ctx.request, ctx.match, ctx.variables, ctx.ids.trace_id)
        del proxy["body"], proxy["isBase64Encoded"]
        return {"type": "REQUEST", "methodArn": arn, **proxy}


def _record(ctx: RequestContext, function: Function, event: Any, result: InvocationResult) -> None:
    """The authorizer's own invocation, beside the integration's, for the harness, the log and the inspector."""
    assert ctx.match is not None
    match = ctx.match
    ctx.authorizer_function = function
    ctx.authorizer_invocation = Invocation(
        function=function.name,
        trigger=Trigger(match.api.name, match.resource.path, match.method.http_method, match.stage.name),
        request_id=ctx.ids.request_id,
        event=event,
        context={"aws_request_id": result.aws_request_id, "function_name": function.name},
        result=result,
    )
