"""``provider.apiGateway.apiKeys`` and ``usagePlan``, as Serverless creates them for the service's stage.

One usage plan, ``<service>-<stage>``, from a ``usagePlan`` mapping (or for the keys alone), or one per
entry of a ``usagePlan`` list, ``<service>-<plan>-<stage>``; keys are listed by name (a value given or
left to AWS to generate), or grouped under a plan's name. The model keeps them all; the gateway does
not enforce them yet (``emulator.not_executed`` says so on each ``private: true`` method).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.config.serverless.provider import Provider
from emulator.config.serverless.values import At, Values
from emulator.ids import stable_id
from emulator.model import ApiKey, Quota, Throttle, UsagePlan

_KEY_KEYS = ("name", "value", "description", "customerId", "enabled")
_PLAN_KEYS = ("quota", "throttle")
_QUOTA_KEYS = ("limit", "offset", "period")
_THROTTLE_KEYS = ("burstLimit", "rateLimit")
_PERIODS = ("DAY", "WEEK", "MONTH")
#: What AWS generates for a key created without a value: 40 letters and digits.
_GENERATED_LENGTH = 40


@dataclass
class Keys:
    api_keys: list[ApiKey] = field(default_factory=list)
    usage_plans: list[UsagePlan] = field(default_factory=list)


@dataclass
class _Plan:
    name: str
    at: At
    throttle: Throttle | None = None
    quota: Quota | None = None
    keys: list[str] = field(default_factory=list)


def read_keys(values: Values, provider: Provider) -> Keys:
    """The service's API keys and usage plans, each plan serving the API's one stage."""
    found = Keys()
    if provider.api_keys_at is None and provider.usage_plan_at is None:
        return found
    plans = _plans(values, provider)
    if provider.api_keys_at is not None:
        for entry in values.items(provider.api_keys_at) or []:
            _key_entry(values, entry, provider, plans, found)
    for plan in plans.values():
        found.usage_plans.append(
            UsagePlan(
                plan.name,
                stable_id("usage-plan", plan.name),
                ((provider.api_name, provider.stage),),
                plan.throttle,
                plan.quota,
                tuple(plan.keys),
                values.location(plan.at),
            )
        )
    return found


def _plans(values: Values, provider: Provider) -> dict[str, _Plan]:
    """By the name keys are grouped under: ``default`` for the single plan."""
    at = provider.usage_plan_at
    default = f"{provider.service}-{provider.stage}"
    if at is None:
        assert provider.api_keys_at is not None
        return {"default": _Plan(default, provider.api_keys_at)}
    resolved = values.value(at)
    if resolved is not None and isinstance(resolved.value, list):
        plans: dict[str, _Plan] = {}
        for item in values.items(at) or []:
            entries = values.entries(item) or {}
            if len(entries) != 1:
                values.error(
                    item, "expected one usage plan, written as its name and settings: - free: {quota: ...}"
                )
                continue
            ((name, settings),) = entries.items()
            plan = _Plan(f"{provider.service}-{name}-{provider.stage}", settings)
            _limits(values, settings, plan)
            plans[name] = plan
        return plans
    plan = _Plan(default, at)
    _limits(values, at, plan)
    return {"default": plan}


def _limits(values: Values, at: At, plan: _Plan) -> None:
    keys = values.keys(at, _PLAN_KEYS, what="a usage plan") or {}
    if "quota" in keys:
        quota = values.keys(keys["quota"], _QUOTA_KEYS, what="a usage plan's quota") or {}
        limit = values.integer(quota["limit"], 0, 2**31 - 1) if "limit" in quota else None
        offset = values.integer(quota["offset"], 0, 2**31 - 1) if "offset" in quota else 0
        period = values.string(quota["period"]) if "period" in quota else None
        if period is not None and period.upper() not in _PERIODS:
            values.error(quota["period"], f"unknown quota period '{period}'; expected DAY, WEEK or MONTH")
            period = None
        if "limit" not in quota or "period" not in quota:
            values.error(keys["quota"], "a quota needs a limit and a period")
        if limit is not None and period is not None and offset is not None:
            plan.quota = Quota(limit, period.upper(), offset)
    if "throttle" in keys:
        throttle = values.keys(keys["throttle"], _THROTTLE_KEYS, what="a usage plan's throttle") or {}
        rate = values.number(throttle["rateLimit"], 0, 1e9) if "rateLimit" in throttle else None
        burst = values.integer(throttle["burstLimit"], 0, 2**31 - 1) if "burstLimit" in throttle else None
        if rate is not None or burst is not None:
            plan.throttle = Throttle(rate if rate is not None else 0.0, burst if burst is not None else 0)


def _key_entry(values: Values, at: At, provider: Provider, plans: dict[str, _Plan], found: Keys) -> None:
    resolved = values.value(at)
    if resolved is None:
        return
    if isinstance(resolved.value, dict):
        entries = values.entries(at) or {}
        if len(entries) == 1 and next(iter(entries)) in plans and next(iter(entries)) not in _KEY_KEYS:
            ((group, keys_at),) = entries.items()
            for item in values.items(keys_at) or []:
                _key(values, item, provider, plans[group], found)
            return
        if len(entries) == 1 and not set(entries) & set(_KEY_KEYS):
            name = next(iter(entries))
            named = [plan for plan in plans if plan != "default"]
            values.error(
                at,
                f"API key group '{name}' names no usage plan; "
                + (
                    f"the plans are: {', '.join(named)}"
                    if named
                    else "provider.apiGateway.usagePlan names none"
                ),
                "group keys under the name of an entry of provider.apiGateway.usagePlan, a list of named plans",
            )
            return
    plan = plans.get("default")
    if plan is None:
        values.error(
            at,
            "with several usage plans, each API key belongs under one of them: - free: [key]",
        )
        return
    _key(values, at, provider, plan, found)


def _key(values: Values, at: At, provider: Provider, plan: _Plan, found: Keys) -> None:
    resolved = values.value(at)
    if resolved is None:
        return
    name: str | None
    value: str | None = None
    enabled = True
    if isinstance(resolved.value, str):
        name = resolved.value
    else:
        keys = values.keys(at, _KEY_KEYS, what="an API key")
        if keys is None:
            return
        if "name" not in keys:
            values.error(at, "an API key needs a name")
            return
        name = values.string(keys["name"])
        value = values.string(keys["value"]) if "value" in keys else None
        if "enabled" in keys:
            enabled = values.boolean(keys["enabled"]) is not False
        if value is not None and not 20 <= len(value) <= 128:
            values.error(
                keys["value"], f"an API key's value has 20 to 128 characters; this one has {len(value)}"
            )
            return
    if name is None:
        return
    if value is None:
        # AWS would generate one; a value derived from the key's name stays the same between runs.
        value = stable_id("api-key", provider.service, provider.stage, name, length=_GENERATED_LENGTH)
    found.api_keys.append(ApiKey(name, value, stable_id("api-key-id", name), enabled, values.location(at)))
    plan.keys.append(name)
