"""The YAML's ``api_keys:`` and ``usage_plans:``, and the throttle and quota settings they share with stages.

    api_keys:
      partner: {value: abcdefghij0123456789, enabled: true}
    usage_plans:
      basic:
        stages: [{api: shop, stage: Prod}]
        throttle: {rate: 10, burst: 5}
        quota: {limit: 1000, period: DAY}
        keys: [partner]

Each value is checked here on its own; what names other parts (a plan's apis, stages and keys, a
stage's ``method_throttle`` naming a method) is checked once every file is read (``check_references``),
each error at the line that names the missing part.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from emulator.auth.limits import QUOTA_PERIODS
from emulator.config import rules
from emulator.config.errors import ConfigError
from emulator.config.nodes import Field, Reader, did_you_mean, one_of, where
from emulator.ids import stable_id
from emulator.model import ApiKey, Definitions, Location, Quota, RestApi, Throttle, UsagePlan

#: AWS's bounds for an API key's value (CreateApiKey refuses shorter or longer ones).
KEY_VALUE_LENGTH = (20, 128)
#: No throttle AWS grants goes beyond these; a larger number is a typo, not a setting.
MAX_RATE = 1_000_000.0
MAX_BURST = 1_000_000


@dataclass(frozen=True)
class Named:
    """A name that must exist elsewhere in the definitions, and where it was written."""

    name: str
    location: Location


@dataclass(frozen=True)
class PlanDecl:
    plan: UsagePlan
    #: Each entry of ``stages``: the api and the stage, each where it was written.
    stages: tuple[tuple[Named, Named], ...]
    keys: tuple[Named, ...]
    #: Each entry of a stage's ``method_throttle``: the method must exist.
    methods: tuple[MethodThrottleDecl, ...] = ()


@dataclass(frozen=True)
class MethodThrottleDecl:
    """A stage's ``method_throttle`` entry, e.g. ``"GET /items/{id}"``: the method must exist."""

    api: str
    stage: str
    verb: str
    path: str
    location: Location


def read_api_keys(reader: Reader, field: Field) -> list[ApiKey]:
    keys: list[ApiKey] = []
    for name, item in _named(reader, field):
        entries = reader.mapping(item, required=("value",), optional=("enabled",))
        if entries is None or "value" not in entries:
            continue
        value = reader.string(entries["value"])
        enabled = reader.boolean(entries["enabled"]) if "enabled" in entries else True
        if value is None or enabled is None:
            continue
        low, high = KEY_VALUE_LENGTH
        if not low <= len(value) <= high:
            reader.error(
                entries["value"],
                f"an API key's value has {low} to {high} characters, as on AWS; this one has {len(value)}",
            )
            continue
        keys.append(ApiKey(name, value, stable_id("api-key-id", name), enabled, reader.location(item)))
    return keys


def read_usage_plans(reader: Reader, field: Field) -> list[PlanDecl]:
    plans: list[PlanDecl] = []
    for name, item in _named(reader, field):
        entries = reader.mapping(item, optional=("stages", "throttle", "quota", "keys"))
        if entries is None:
            continue
        method_throttles: dict[tuple[str, str, str, str], Throttle] = {}
        stages, named_methods = (
            _plan_stages(reader, entries["stages"], method_throttles) if "stages" in entries else ([], [])
        )
        throttle = read_throttle(reader, entries["throttle"]) if "throttle" in entries else None
        quota = _quota(reader, entries["quota"]) if "quota" in entries else None
        keys = [
            Named(key, reader.location(key_field))
            for key, key_field in (reader.strings(entries["keys"]) if "keys" in entries else None) or []
        ]
        plan = UsagePlan(
            name,
            stable_id("usage-plan", name),
            stages=tuple((api.name, stage.name) for api, stage in stages),
            throttle=throttle,
            quota=quota,
            keys=tuple(key.name for key in keys),
            location=reader.location(item),
            method_throttles=method_throttles,
        )
        plans.append(PlanDecl(plan, tuple(stages), tuple(keys), tuple(named_methods)))
    return plans


def read_throttle(reader: Reader, field: Field) -> Throttle | None:
    """``{rate, burst}``: requests per second in the steady state, and the bucket's size."""
    entries = reader.mapping(field, required=("rate", "burst"))
    if entries is None or "rate" not in entries or "burst" not in entries:
        return None
    rate = reader.number(entries["rate"], 0, MAX_RATE)
    burst = reader.integer(entries["burst"], 0, MAX_BURST)
    if rate is None or burst is None:
        return None
    return Throttle(rate, burst)


def read_method_throttles(
    reader: Reader, field: Field, api: str, stage: str, found: list[MethodThrottleDecl]
) -> dict[tuple[str, str], Throttle]:
    """A stage's ``method_throttle``: ``"VERB /path": {rate, burst}``, AWS's per-method settings."""
    throttles: dict[tuple[str, str], Throttle] = {}
    for name, item in _named(reader, field):
        verb, _, path = name.strip().partition(" ")
        verb, path = verb.upper(), path.strip()
        if verb not in rules.METHODS or not path.startswith("/"):
            reader.error(
                item,
                f"'{name}' does not name a method; write the verb and the resource path, e.g. 'GET /items/{{id}}'",
            )
            continue
        throttle = read_throttle(reader, item)
        if throttle is not None:
            throttles[(path, verb)] = throttle
            found.append(MethodThrottleDecl(api, stage, verb, path, reader.location(item)))
    return throttles


def _quota(reader: Reader, field: Field) -> Quota | None:
    entries = reader.mapping(field, required=("limit", "period"), optional=("offset",))
    if entries is None or "limit" not in entries or "period" not in entries:
        return None
    limit = reader.integer(entries["limit"], 0)
    period = reader.string(entries["period"])
    offset = reader.integer(entries["offset"], 0) if "offset" in entries else 0
    if period is not None and period.upper() not in QUOTA_PERIODS:
        reader.error(entries["period"], f"unknown period '{period}'; expected one of {one_of(QUOTA_PERIODS)}")
        return None
    if limit is None or period is None or offset is None:
        return None
    if offset > limit:
        reader.error(entries["offset"], f"the offset ({offset}) is more than the limit ({limit})")
        return None
    return Quota(limit, period.upper(), offset)


def _plan_stages(
    reader: Reader, field: Field, method_throttles: dict[tuple[str, str, str, str], Throttle]
) -> tuple[list[tuple[Named, Named]], list[MethodThrottleDecl]]:
    """``stages``: each ``{api, stage}``, with an optional ``method_throttle`` for the plan's keys there."""
    stages: list[tuple[Named, Named]] = []
    named_methods: list[MethodThrottleDecl] = []
    for item in reader.sequence(field) or []:
        entries = reader.mapping(item, required=("api", "stage"), optional=("method_throttle",))
        if entries is None or "api" not in entries or "stage" not in entries:
            continue
        api = reader.name(entries["api"])
        stage = reader.name(entries["stage"])
        if api is None or stage is None:
            continue
        stages.append(
            (Named(api, reader.location(entries["api"])), Named(stage, reader.location(entries["stage"])))
        )
        if "method_throttle" in entries:
            throttles = read_method_throttles(reader, entries["method_throttle"], api, stage, named_methods)
            method_throttles.update(
                {(api, stage, path, verb): throttle for (path, verb), throttle in throttles.items()}
            )
    return stages, named_methods


def _named(reader: Reader, field: Field) -> list[tuple[str, Field]]:
    entries = reader.entries(field)
    return list(entries.items()) if entries else []


def check_references(
    definitions: Definitions, plans: Sequence[PlanDecl], throttles: Sequence[MethodThrottleDecl]
) -> list[ConfigError]:
    """What a plan or a stage names that the definitions lack, and what AWS refuses across plans and keys."""
    errors: list[ConfigError] = []
    keys = definitions.api_keys
    for decl in plans:
        for api_ref, stage_ref in decl.stages:
            api = definitions.apis.get(api_ref.name)
            if api is None:
                errors.append(ConfigError(api_ref.location, _unknown("api", api_ref.name, definitions.apis)))
            elif stage_ref.name not in api.stages:
                message = _unknown("stage", stage_ref.name, api.stages, f" of api '{api.name}'")
                errors.append(ConfigError(stage_ref.location, message))
        for key_ref in decl.keys:
            if key_ref.name not in keys:
                errors.append(ConfigError(key_ref.location, _unknown("API key", key_ref.name, keys)))
    errors += _shared_stages(plans)
    errors += _shared_values(definitions.api_keys.values())
    for throttle in [*throttles, *(method for decl in plans for method in decl.methods)]:
        api = definitions.apis.get(throttle.api)
        if api is None or throttle.stage not in api.stages:
            continue  # the plan's unknown api or stage is reported above
        resource = api.resources.get(throttle.path)
        if resource is None or throttle.verb not in resource.methods:
            known = _methods(api)
            name = f"{throttle.verb} {throttle.path}"
            errors.append(
                ConfigError(
                    throttle.location,
                    f"api '{api.name}' has no method '{name}'{did_you_mean(name, known)}; "
                    f"its methods are: {one_of(known) or '(none)'}",
                )
            )
    return errors


def _methods(api: RestApi) -> list[str]:
    return sorted(
        f"{verb} {resource.path}" for resource in api.resources.values() for verb in resource.methods
    )


def _shared_stages(plans: Sequence[PlanDecl]) -> list[ConfigError]:
    """AWS refuses a key in two plans that share an API stage: which plan's limits would apply?"""
    errors: list[ConfigError] = []
    holder: dict[tuple[str, str, str], PlanDecl] = {}
    for decl in plans:
        for key in decl.keys:
            for api, stage in decl.plan.stages:
                first = holder.setdefault((key.name, api, stage), decl)
                if first is not decl:
                    errors.append(
                        ConfigError(
                            key.location,
                            f"API key '{key.name}' is in usage plans '{first.plan.name}' "
                            f"({where(first.plan.location)}) and '{decl.plan.name}', which both serve api "
                            f"'{api}' stage '{stage}'; a key may reach an API stage through one plan only",
                        )
                    )
    return errors


def _shared_values(keys: Iterable[ApiKey]) -> list[ConfigError]:
    errors: list[ConfigError] = []
    seen: dict[str, ApiKey] = {}
    for key in keys:
        first = seen.setdefault(key.value, key)
        if first is not key:
            errors.append(
                ConfigError(
                    key.location,
                    f"API keys '{first.name}' ({where(first.location)}) and '{key.name}' have the same value; "
                    "a value names one key, as on AWS",
                )
            )
    return errors


def _unknown(kind: str, name: str, known: Mapping[str, object], of: str = "") -> str:
    names = list(known)
    choices = one_of(names) or "(none)"
    return f"unknown {kind} '{name}'{of}{did_you_mean(name, names)}; the choices are: {choices}"
