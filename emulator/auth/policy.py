"""IAM policy evaluation for ``execute-api:Invoke``, as a Lambda authorizer's answer (and a resource policy) is read.

AWS's rules, in IAM's words: an explicit ``Deny`` wins over any ``Allow``; without a matching ``Allow``
the request is not allowed (an implicit deny, which API Gateway words differently from an explicit one).
``Action`` matches case-insensitively, ``Resource`` case-sensitively, both with IAM's wildcards: ``*`` any
run of characters (``/`` included, so ``.../prod/*`` covers every verb and path) and ``?`` one character.
``NotAction`` and ``NotResource`` invert their match. A policy is compiled once and then answers for many
method ARNs: an authorizer's cached policy is evaluated anew for each method it is reused on.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

INVOKE = "execute-api:invoke"


class Verdict(enum.Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    NOT_ALLOWED = "no Allow statement covers it"


class PolicyError(ValueError):
    """A policy document that is not one: says what is wrong and where (``Statement[1].Effect``)."""


@lru_cache(maxsize=4096)
def _pattern(wildcard: str, *, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in wildcard)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


@dataclass(frozen=True)
class _Matcher:
    patterns: tuple[re.Pattern[str], ...]
    negated: bool

    def matches(self, value: str) -> bool:
        found = any(pattern.fullmatch(value) for pattern in self.patterns)
        return found != self.negated


@dataclass(frozen=True)
class Statement:
    allow: bool
    action: _Matcher
    resource: _Matcher

    def covers(self, method_arn: str) -> bool:
        return self.action.matches(INVOKE) and self.resource.matches(method_arn)


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]

    def evaluate(self, method_arn: str) -> Verdict:
        allowed = False
        for statement in self.statements:
            if statement.covers(method_arn):
                if not statement.allow:
                    return Verdict.EXPLICIT_DENY
                allowed = True
        return Verdict.ALLOW if allowed else Verdict.NOT_ALLOWED


def parse_policy(document: Any) -> Policy:
    """A ``policyDocument`` (a mapping with ``Statement``: one statement or a list) into a ``Policy``."""
    if not isinstance(document, Mapping):
        raise PolicyError(f"policyDocument must be an object, not {_kind(document)}")
    if "Statement" not in document:
        raise PolicyError("policyDocument has no Statement")
    raw = document["Statement"]
    statements = raw if isinstance(raw, list) else [raw]
    return Policy(tuple(_statement(item, f"Statement[{index}]") for index, item in enumerate(statements)))


def _statement(item: Any, where: str) -> Statement:
    if not isinstance(item, Mapping):
        raise PolicyError(f"{where} must be an object, not {_kind(item)}")
    effect = item.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"{where}.Effect must be 'Allow' or 'Deny', not {effect!r}")
    return Statement(
        allow=effect == "Allow",
        action=_matcher(item, "Action", where, ignore_case=True),
        resource=_matcher(item, "Resource", where, ignore_case=False),
    )


def _matcher(item: Mapping[str, Any], key: str, where: str, *, ignore_case: bool) -> _Matcher:
    has_key, has_not = key in item, f"Not{key}" in item
    if has_key == has_not:
        raise PolicyError(f"{where} needs exactly one of {key} and Not{key}")
    name = key if has_key else f"Not{key}"
    value = item[name]
    values: Sequence[Any] = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(one, str) for one in values):
        raise PolicyError(f"{where}.{name} must be a string or a list of strings, not {value!r}")
    return _Matcher(tuple(_pattern(one, ignore_case=ignore_case) for one in values), negated=has_not)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
