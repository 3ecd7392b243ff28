"""A usage plan's ``Throttle`` and ``Quota``, as ``AWS::ApiGateway::UsagePlan`` and SAM's ``Auth.UsagePlan`` write them."""

from __future__ import annotations

from emulator.config.cloudformation.properties import Properties
from emulator.model import Quota, Throttle


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
