"""A usage plan's ``Throttle`` and ``Quota``, as ``AWS::ApiGateway::UsagePlan`` and SAM's ``Auth.UsagePlan`` write them."""

from __future__ import annotations

from emulator.config.cloudformation.properties import Properties
from emulator.model import Quota, Throttle


def stage_method_throttles(api_stage: Properties) -> dict[tuple[str, str], Throttle]:
    """An ApiStage's ``Throttle``: ``{"/items/GET": {RateLimit, BurstLimit}}``, by (resource path, verb)."""
    found: dict[tuple[str, str], Throttle] = {}
    throttles = api_stage.mapping("Throttle")
    if throttles is None:
        return found
    for name, limits in throttles.entries():
        path, _, verb = name.rpartition("/")
        if not path.startswith("/") or not verb:
            throttles.error(
                name, f"'{name}' names no method; write the resource path and the verb: '/items/GET'"
            )
            continue
        found[(path, verb.upper())] = Throttle(
            float(limits.text("RateLimit") or 0), limits.integer("BurstLimit", 0) or 0
        )
    return found


def plan_limits(plan: Properties) -> tuple[Throttle | None, Quota | None]:
    """The plan's throttle and quota; ``None`` for either it leaves out, as AWS then applies none."""
    throttle = plan.mapping("Throttle")
    quota = plan.mapping("Quota")
    return (
        Throttle(float(throttle.text("RateLimit") or 0), throttle.integer("BurstLimit", 0) or 0)
        if throttle
        else None,
        Quota(quota.integer("Limit", 0) or 0, quota.text("Period") or "DAY", quota.integer("Offset", 0) or 0)
        if quota
        else None,
    )
