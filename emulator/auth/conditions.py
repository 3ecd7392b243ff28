"""A resource policy statement's ``Condition``: the operators and keys that mean something locally.

Keys: ``aws:SourceIp`` (the client's address, as ``$context.identity.sourceIp`` has it), the caller's
``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``aws:PrincipalType`` and ``aws:username``, and
``aws:SourceVpc`` / ``aws:SourceVpce``, which are never present: a local request never comes through a
VPC endpoint, so a statement that needs one does not apply, and one that denies everyone else
(``StringNotEquals``) denies every local request, as it would an internet caller on AWS.

Operators: the ``String`` and ``Arn`` families (``StringEquals``, ``StringNotLike``, ``ArnLike``...),
``IpAddress`` / ``NotIpAddress`` (IPv4 and IPv6 CIDRs), ``Null``, each with ``...IfExists`` and the
``ForAnyValue:`` / ``ForAllValues:`` qualifiers. IAM's rules for a key the request lacks: a positive
operator fails, a negated one (``StringNotEquals``, ``NotIpAddress``...) holds, ``IfExists`` and
``ForAllValues:`` hold, ``ForAnyValue:`` fails. Anything else is an error naming it: a condition
silently ignored would let through what AWS refuses.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from emulator.auth.policy_error import PolicyError
from emulator.auth.principal import account_of, session_role

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_KEYS = (
    "aws:SourceIp",
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalType",
    "aws:username",
    "aws:SourceVpc",
    "aws:SourceVpce",
)
_KEY_NAMES = {key.lower(): key for key in _KEYS}
_IP_KEY = "aws:sourceip"
_QUALIFIERS = ("ForAnyValue:", "ForAllValues:")


@dataclass(frozen=True)
class Facts:
    """What a condition can know of the request: its source address and its caller (``None``: anonymous)."""

    source_ip: str
    principal: str | None = None

    def value(self, key: str) -> str | None:
        """The value of a (lower-cased) condition key, ``None`` when the request has none."""
        if key == _IP_KEY:
            return self.source_ip
        principal = self.principal
        if key == "aws:principaltype":
            if principal is None:
                return "Anonymous"
            return "AssumedRole" if session_role(principal) else "User"
        if principal is None:
            return None
        role = session_role(principal)
        if key == "aws:principalarn":
            return f"arn:aws:iam::{role[0]}:role/{role[1]}" if role else principal
        if key == "aws:principalaccount":
            return account_of(principal)
        if key == "aws:username":
            return None if role else principal.rsplit("/", 1)[1]
        return None


@lru_cache(maxsize=4096)
def _like(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _equals(value: str, wanted: str) -> bool:
    return value == wanted


def _equals_ignore_case(value: str, wanted: str) -> bool:
    return value.lower() == wanted.lower()


def _matches_like(value: str, wanted: str) -> bool:
    return _like(wanted, False).fullmatch(value) is not None


#: The string operators (``Arn*`` compare as IAM's ARN operators do: ``ArnLike`` with wildcards), by name:
#: (test, negated).
_STRING_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (_equals, False),
    "StringNotEquals": (_equals, True),
    "StringEqualsIgnoreCase": (_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_equals_ignore_case, True),
    "StringLike": (_matches_like, False),
    "StringNotLike": (_matches_like, True),
    "ArnEquals": (_matches_like, False),
    "ArnLike": (_matches_like, False),
    "ArnNotEquals": (_matches_like, True),
    "ArnNotLike": (_matches_like, True),
}
_IP_OPERATORS = {"IpAddress": False, "NotIpAddress": True}


@dataclass(frozen=True)
class Condition:
    """One operator on one key: holds when the key's value matches any of ``values`` (or, negated, none)."""

    key: str
    test: Callable[[str, Any], bool]
    values: tuple[Any, ...]
    negated: bool
    if_exists: bool = False
    qualifier: str = ""
    #: ``Null``: ``values`` is (True,) when the key must be absent, (False,) when present.
    null: bool = False

    def holds(self, facts: Facts) -> bool:
        value = facts.value(self.key)
        if self.null:
            return (value is None) is bool(self.values[0])
        if value is None:
            return self.if_exists or self.negated or self.qualifier == "ForAllValues:"
        found = any(self.test(value, wanted) for wanted in self.values)
        return found != self.negated


def parse_conditions(block: Any, where: str) -> tuple[Condition, ...]:
    if block is None:
        return ()
    if not isinstance(block, Mapping):
        raise PolicyError(f"{where} must be a mapping of operators, not {type(block).__name__}")
    conditions: list[Condition] = []
    for operator, keys in block.items():
        at = f"{where}.{operator}"
        if not isinstance(keys, Mapping) or not keys:
            raise PolicyError(f"{at} must map condition keys to values, not {keys!r}")
        for key, raw in keys.items():
            conditions.append(_condition(str(operator), str(key), raw, f"{at}.{key}"))
    return tuple(conditions)


def _condition(operator: str, key: str, raw: Any, at: str) -> Condition:
    qualifier = next((one for one in _QUALIFIERS if operator.startswith(one)), "")
    base = operator[len(qualifier) :]
    if_exists = base.endswith("IfExists")
    base = base[: -len("IfExists")] if if_exists else base
    name = key.lower()
    if name not in _KEY_NAMES:
        raise PolicyError(
            f"{at}: condition key '{key}' is not one apig-emu can evaluate ({', '.join(_KEYS)}); refused "
            "rather than ignored"
        )
    values = _values(raw, at)
    if base == "Null":
        if values not in (("true",), ("false",)):
            raise PolicyError(f'{at}: Null takes "true" or "false", not {raw!r}')
        return Condition(name, _equals, (values[0] == "true",), False, null=True)
    if base in _IP_OPERATORS:
        if name != _IP_KEY:
            raise PolicyError(f"{at}: {base} applies to aws:SourceIp only, not '{key}'")
        networks = tuple(_network(one, at) for one in values)
        return Condition(name, _in_network, networks, _IP_OPERATORS[base], if_exists, qualifier)
    if base in _STRING_OPERATORS:
        if name == _IP_KEY:
            raise PolicyError(f"{at}: aws:SourceIp takes IpAddress or NotIpAddress, not {base}")
        test, negated = _STRING_OPERATORS[base]
        return Condition(name, test, values, negated, if_exists, qualifier)
    raise PolicyError(
        f"{at}: condition operator '{operator}' is not one apig-emu can evaluate (String*, Arn*, IpAddress, "
        "NotIpAddress, Null, with IfExists or ForAnyValue:/ForAllValues:); refused rather than ignored"
    )


def _values(raw: Any, at: str) -> tuple[str, ...]:
    listed = raw if isinstance(raw, list) else [raw]
    if not listed or not all(isinstance(one, (str, bool, int)) for one in listed):
        raise PolicyError(f"{at} must be a string or a list of strings, not {raw!r}")
    values = tuple(str(one).lower() if isinstance(one, bool) else str(one) for one in listed)
    refuse_policy_variables(values, at)
    return values


def refuse_policy_variables(values: Iterable[str], at: str) -> None:
    """IAM's ``${aws:username}`` and kin are not substituted here: compared as text they would never
    match, which in a ``Deny`` lets through what AWS refuses. So they are a load error, not a guess."""
    for value in values:
        if "${" in value:
            raise PolicyError(
                f"{at}: '{value}' uses a policy variable, which apig-emu does not substitute; write the "
                "value it stands for"
            )


def _network(text: str, at: str) -> Network:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError as error:
        raise PolicyError(f"{at}: '{text}' is not an IP address or CIDR block ({error})") from None


def _in_network(value: str, network: Network) -> bool:
    """``value`` in ``network``; an IPv4 client a dual-stack socket reports as ``::ffff:a.b.c.d`` is read as the
    IPv4 address it is, as AWS, which sees it over IPv4, would."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address in network
