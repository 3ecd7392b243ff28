"""API keys and usage plans: the key a method requires, the plan it is used through, and their limits.

Two checks, which the chain's ``authorize`` step (``emulator.auth.step``) runs first and last:

- ``throttle_method`` applies the stage's throttling settings (its default for every method, or the
  method's own) to every request of the method, with a key or without: one token bucket per method
  and stage, shared by all callers, as AWS's stage and method throttling is. It runs before the
  method's authorizer, so that a flood is refused before it reaches one (AWS's order is unrecorded:
  a product decision, reference section 10 style).
- ``check_key`` applies to methods with ``apiKeyRequired`` only. The key comes from the
  ``x-api-key`` header (the API's key source ``HEADER``, AWS's default) or, with source
  ``AUTHORIZER``, from the Lambda authorizer's ``usageIdentifierKey``, which the authorizer check
  puts in ``RequestContext.usage_identifier_key``. A key that is missing, unknown, disabled or in no
  usage plan of the API stage is AWS's 403 ``{"message":"Forbidden"}``; then the plan's per-key
  throttle (the method's own in the plan, AWS's ``apiStages[].throttle``, else the plan's; 429
  ``Too Many Requests``) and quota (429 ``Limit Exceeded``) are drawn on, in that order, so a
  throttled request does not use up quota. ``$context.identity`` (and the event's
  ``requestContext.identity``) gains ``apiKey`` and ``apiKeyId``.

Time comes from the gateway's ``Clock``; the counts from its ``UsageMeter``, which outlives reloads.
"""

from __future__ import annotations

from emulator.auth.usage import UsageMeter
from emulator.clock import Clock
from emulator.context import RequestContext
from emulator.errors import GatewayError, InvalidApiKey, LimitExceeded, TooManyRequests
from emulator.model import Throttle

#: The key source by which a Lambda authorizer's ``usageIdentifierKey`` is the key.
AUTHORIZER = "AUTHORIZER"
API_KEY_HEADER = "x-api-key"


class UsagePlans:
    """The two checks over one clock and one meter (the gateway's)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.meter = UsageMeter()

    async def throttle_method(self, ctx: RequestContext) -> None:
        match = ctx.match
        assert match is not None
        stage, path, verb = match.stage, match.resource.path, match.method.http_method
        throttle = stage.method_throttles.get((path, verb), stage.throttle)
        if throttle is None:
            return
        owner = ("method", match.api.id, stage.name, path, verb)
        if not self.meter.throttle(owner, throttle, self.clock.now()):
            refusal = TooManyRequests(
                f"throttled by stage '{stage.name}' for {verb} {path}: {_limits(throttle)}, no token left"
            )
            raise _decided(ctx, refusal)

    async def check_key(self, ctx: RequestContext) -> None:
        match = ctx.match
        assert match is not None and ctx.request is not None and ctx.variables is not None
        if not match.method.api_key_required:
            return
        api, stage = match.api, match.stage
        if api.api_key_source == AUTHORIZER:
            value = ctx.usage_identifier_key
            source = "the authorizer's usageIdentifierKey (the API's key source is AUTHORIZER)"
        else:
            value = ctx.request.header(API_KEY_HEADER)
            source = "the x-api-key header"
        if not value:
            raise _decided(ctx, InvalidApiKey(f"the method requires an API key and {source} has none"))
        ring = ctx.deployment.key_ring
        key = ring.by_value.get(value)
        if key is None:
            raise _decided(ctx, InvalidApiKey(f"no API key has the value {_masked(value)} from {source}"))
        if not key.enabled:
            raise _decided(ctx, InvalidApiKey(f"API key '{key.name}' is disabled"))
        plan = ring.plan_for(key, api.name, stage.name)
        if plan is None:
            refusal = InvalidApiKey(
                f"API key '{key.name}' is in no usage plan of api '{api.name}', stage '{stage.name}'"
            )
            raise _decided(ctx, refusal)
        identity = ctx.variables["identity"]
        identity["apiKey"] = key.value
        identity["apiKeyId"] = key.id
        now = self.clock.now()
        owner = ("plan", plan.name, key.name)
        path, verb = match.resource.path, match.method.http_method
        throttle = plan.method_throttles.get((api.name, stage.name, path, verb))
        # A method's own throttle in the plan is a bucket of its own, per key.
        throttled = (owner, verb, path) if throttle is not None else owner
        throttle = throttle or plan.throttle
        if throttle is not None and not self.meter.throttle(throttled, throttle, now):
            refused: GatewayError = TooManyRequests(
                f"API key '{key.name}' throttled by usage plan '{plan.name}' for {verb} {path}: {_limits(throttle)}"
            )
            raise _decided(ctx, refused)
        if plan.quota is not None and not self.meter.count(owner, plan.quota, now):
            refused = LimitExceeded(
                f"API key '{key.name}' used up its quota in usage plan '{plan.name}': "
                f"{plan.quota.limit} requests per {plan.quota.period}"
            )
            raise _decided(ctx, refused)
        note_decision(ctx, f"API key '{key.name}' accepted ({source}), through usage plan '{plan.name}'")


def note_decision(ctx: RequestContext, text: str) -> None:
    """Add to what the inspector shows of the request's authorization (the authorizer's part comes first)."""
    ctx.authorization = text if ctx.authorization is None else f"{ctx.authorization}; {text}"


def _decided(ctx: RequestContext, refusal: GatewayError) -> GatewayError:
    note_decision(ctx, f"refused: {refusal.reason}")
    return refusal


def _limits(throttle: Throttle) -> str:
    return f"rate {throttle.rate:g}/s, burst {throttle.burst}"


def _masked(value: str) -> str:
    """Enough of a key value to tell two apart in the log, not enough to use it."""
    return f"'{value[:4]}…' ({len(value)} characters)"
