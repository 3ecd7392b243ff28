"""SAM's ``Auth.ResourcePolicy`` compiled into the policy statements SAM's translator writes.

SAM expands its shorthand per method: for each method an event deploys, ``AwsAccountWhitelist`` /
``Blacklist`` become an Allow / Deny for those accounts' principals; ``IpRangeWhitelist`` an Allow for
everyone and a Deny ``NotIpAddress`` the ranges (``IpRangeBlacklist``: a Deny ``IpAddress`` them);
``SourceVpcWhitelist`` / ``Blacklist`` (``vpc-`` ids as ``aws:SourceVpc``, ``vpce-`` as
``aws:SourceVpce``, and the ``IntrinsicVpc...`` lists as they say) an Allow and a Deny
``StringNotEquals`` / ``StringEquals``; each on ``execute-api:/STAGE/VERB/path`` (``ANY`` as ``*``, path
parameters as ``*``). ``CustomStatements`` are added once, as written. Identical statements are kept once,
as the translator does (aws/serverless-application-model, ``samtranslator/swagger/swagger.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from emulator.config.policies import policy_problem

KEYS = (
    "AwsAccountBlacklist",
    "AwsAccountWhitelist",
    "CustomStatements",
    "IntrinsicVpcBlacklist",
    "IntrinsicVpcWhitelist",
    "IntrinsicVpceBlacklist",
    "IntrinsicVpceWhitelist",
    "IpRangeBlacklist",
    "IpRangeWhitelist",
    "SourceVpcBlacklist",
    "SourceVpcWhitelist",
)
_PARAMETER = re.compile(r"{[A-Za-z0-9._-]+\+?}")
_INVOKE = "execute-api:Invoke"


class ShorthandError(ValueError):
    """A ``ResourcePolicy`` SAM would refuse: an unknown key, or a value of the wrong shape."""


def method_resource(stage: str, verb: str, path: str) -> str:
    method = "*" if verb.upper() == "ANY" else verb.upper()
    return f"execute-api:/{stage}/{method}{_PARAMETER.sub('*', path)}"


def statements(spec: Any, resource: str) -> list[dict[str, Any]]:
    """The statements ``spec`` (the ``ResourcePolicy`` mapping) stands for on one method's ``resource``."""
    if not isinstance(spec, Mapping):
        raise ShorthandError(f"ResourcePolicy must be a mapping, not {type(spec).__name__}")
    unknown = sorted(set(spec) - set(KEYS))
    if unknown:
        raise ShorthandError(f"ResourcePolicy: unknown key '{unknown[0]}'; expected one of {', '.join(KEYS)}")
    found: list[dict[str, Any]] = []
    for key, effect in (("AwsAccountWhitelist", "Allow"), ("AwsAccountBlacklist", "Deny")):
        accounts = _strings(spec, key)
        if accounts:
            found.append(_statement(effect, resource, principal={"AWS": accounts}))
    for key, operator in (("IpRangeWhitelist", "NotIpAddress"), ("IpRangeBlacklist", "IpAddress")):
        ranges = _strings(spec, key)
        if ranges:
            found += _allow_and_deny(resource, {operator: {"aws:SourceIp": ranges}})
    for suffix, operator in (("Blacklist", "StringEquals"), ("Whitelist", "StringNotEquals")):
        condition: dict[str, list[str]] = {}
        for endpoint in _strings(spec, f"SourceVpc{suffix}"):
            if endpoint.startswith("vpce-"):
                condition.setdefault("aws:SourceVpce", []).append(endpoint)
            elif endpoint.startswith("vpc-"):
                condition.setdefault("aws:SourceVpc", []).append(endpoint)
        condition.setdefault("aws:SourceVpc", []).extend(_strings(spec, f"IntrinsicVpc{suffix}"))
        condition.setdefault("aws:SourceVpce", []).extend(_strings(spec, f"IntrinsicVpce{suffix}"))
        condition = {key: values for key, values in condition.items() if values}
        if condition:
            found += _allow_and_deny(resource, {operator: condition})
    return found


def custom_statements(spec: Any) -> list[Any]:
    custom = spec.get("CustomStatements")
    if custom is None:
        return []
    return list(custom) if isinstance(custom, list) else [custom]


def merged(policy: Mapping[str, object] | None, added: list[Any]) -> dict[str, object]:
    """``policy`` with ``added`` appended, each statement once."""
    existing = policy.get("Statement", []) if policy is not None else []
    listed: list[Any] = list(existing) if isinstance(existing, list) else [existing]
    for statement in added:
        if statement not in listed:
            listed.append(statement)
    return {**(policy or {}), "Version": "2012-10-17", "Statement": listed}


def _allow_and_deny(resource: str, condition: dict[str, Any]) -> list[dict[str, Any]]:
    return [_statement("Allow", resource), {**_statement("Deny", resource), "Condition": condition}]


def _statement(effect: str, resource: str, principal: Any = "*") -> dict[str, Any]:
    return {"Effect": effect, "Action": _INVOKE, "Resource": [resource], "Principal": principal}


def _strings(spec: Mapping[str, Any], key: str) -> list[str]:
    value = spec.get(key)
    if value is None:
        return []
    listed = value if isinstance(value, list) else [value]
    if not all(isinstance(one, str) for one in listed):
        raise ShorthandError(f"ResourcePolicy.{key} must be a list of strings, not {value!r}")
    return list(listed)


def problem(spec: Any) -> str | None:
    """What SAM or the policy reader would refuse in ``spec``, checked once for the whole API."""
    try:
        added = statements(spec, method_resource("Stage", "GET", "/")) + custom_statements(spec)
    except ShorthandError as error:
        return str(error)
    return policy_problem(merged(None, added))
