"""A stage's ``MethodSettings`` (CloudFormation's Stage and Deployment, SAM's Api): its throttling.

    MethodSettings:
      - {ResourcePath: "/*", HttpMethod: "*", ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50}
      - {ResourcePath: "/~1items~1{id}", HttpMethod: GET, ThrottlingRateLimit: 5, ThrottlingBurstLimit: 1}

``/*`` with ``*`` is the stage's default for each method; a path (its slashes written ``~1``, as
CloudFormation requires) with a verb is that method's own. A limit left out is the account's default
(10,000 per second, a burst of 5,000), as on AWS. The other settings (logging, metrics, caching)
are warned about as not emulated.
"""

from __future__ import annotations

from emulator.config.cloudformation.properties import Properties
from emulator.model import Throttle

#: AWS's default account-level throttle, which a setting that leaves a limit out falls back to.
ACCOUNT_RATE = 10_000.0
ACCOUNT_BURST = 5_000
_THROTTLING = ("ResourcePath", "HttpMethod", "ThrottlingRateLimit", "ThrottlingBurstLimit")
_STAGE_DEFAULT = ("/*", "*")


def read_method_settings(
    props: Properties, name: str = "MethodSettings"
) -> tuple[Throttle | None, dict[tuple[str, str], Throttle]]:
    """The stage's default throttle and each method's own, by (resource path, verb)."""
    raw = props.value(name)
    if raw is None:
        return None, {}
    if not isinstance(raw, list):
        props.error(name, f"{name} must be a list of mappings, one per method or '/*' '*' for all")
        return None, {}
    default: Throttle | None = None
    methods: dict[tuple[str, str], Throttle] = {}
    for index, item in enumerate(raw):
        path = (*props.at(name), index)
        if not isinstance(item, dict):
            props.template.error(path, f"each entry of {name} must be a mapping")
            continue
        setting = Properties(props.template, path, item)
        setting.unsupported((key for key in item if key not in _THROTTLING), "only throttling is emulated")
        throttle = stage_throttle(setting)
        if throttle is None:
            continue
        resource = setting.text("ResourcePath", "/*") or "/*"
        verb = (setting.text("HttpMethod", "*") or "*").upper()
        if (resource, verb) == _STAGE_DEFAULT:
            default = throttle
        elif "*" in resource or verb == "*":
            setting.warn(
                None, "a method setting applies to one method, or to all ('/*' and '*'); this one is ignored"
            )
        else:
            methods[("/" + resource.replace("~1", "/").lstrip("/"), verb)] = throttle
    return default, methods


def stage_throttle(props: Properties) -> Throttle | None:
    """``ThrottlingRateLimit`` and ``ThrottlingBurstLimit`` (a method setting's, or a StageDescription's)."""
    if "ThrottlingRateLimit" not in props and "ThrottlingBurstLimit" not in props:
        return None
    rate_text = props.text("ThrottlingRateLimit")
    try:
        rate = ACCOUNT_RATE if rate_text is None else float(rate_text)
    except ValueError:
        props.error("ThrottlingRateLimit", f"ThrottlingRateLimit must be a number, got {rate_text!r}")
        return None
    if rate < 0:
        props.error("ThrottlingRateLimit", f"ThrottlingRateLimit must be 0 or more, got {rate_text}")
        return None
    burst = props.integer("ThrottlingBurstLimit", 0, default=ACCOUNT_BURST)
    return Throttle(rate, ACCOUNT_BURST if burst is None else burst)
