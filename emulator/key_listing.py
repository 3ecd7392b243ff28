"""``serve``'s list of API keys: the values a client must send, which a definition may never have shown.

SAM (``CreateUsagePlan``) and serverless.yml (``apiKeys`` without a value) let AWS choose a key's
value; apig-emu derives one from the key's name instead, and this list is where a developer finds it,
with the plans and limits it is used under (serverless-offline prints its keys the same way).
"""

from __future__ import annotations

from emulator.model import Definitions, UsagePlan

HEADING = "API KEYS (send one as the x-api-key header to the methods that require a key):"


def format_api_keys(definitions: Definitions) -> str:
    """The list, or ``""`` when the definitions have no key."""
    keys = list(definitions.api_keys.values())
    if not keys:
        return ""
    plans = list(definitions.usage_plans.values())
    name_width = max(len(key.name) for key in keys)
    value_width = max(len(key.value) for key in keys)
    lines = [HEADING]
    for key in keys:
        if not key.enabled:
            used = "disabled: refused with 403"
        else:
            held = [_plan(plan) for plan in plans if key.name in plan.keys]
            used = "; ".join(held) if held else "in no usage plan: refused with 403"
        lines.append(f"  {key.name.ljust(name_width)}  {key.value.ljust(value_width)}  {used}")
    return "\n".join(lines)


def _plan(plan: UsagePlan) -> str:
    stages = ", ".join(f"{api}/{stage}" for api, stage in plan.stages) or "no stage"
    limits = []
    if plan.throttle is not None:
        limits.append(f"{plan.throttle.rate:g}/s, burst {plan.throttle.burst}")
    if plan.quota is not None:
        limits.append(f"{plan.quota.limit} per {plan.quota.period.lower()}")
    return f"plan {plan.name} ({stages})" + (f": {', '.join(limits)}" if limits else "")
