"""IAM policy evaluation for ``execute-api:Invoke``: a Lambda authorizer's answer, and an API's resource policy.

AWS's rules, in IAM's words: an explicit ``Deny`` wins over any ``Allow``; without a matching ``Allow``
the request is not allowed (an implicit deny, which API Gateway words differently from an explicit one).
``Action`` matches case-insensitively, ``Resource`` case-sensitively, both with IAM's wildcards: ``*`` any
run of characters (``/`` included, so ``.../prod/*`` covers every verb and path) and ``?`` one character.
``NotAction`` and ``NotResource`` invert their match. A policy is compiled once and then answers for many
method ARNs: an authorizer's cached policy is evaluated anew for each method it is reused on.

A resource policy (``parse_policy(..., resource_prefix=...)``) also names who it applies to
(``principal.py``) and when (``conditions.py``), and may write its resources in API Gateway's shorthand,
``execute-api:/STAGE/VERB/PATH``, which AWS expands to the API's own ARN when it stores the policy. A
Lambda authorizer's policy names neither: the caller is whoever the authorizer vouched for.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from emulator.auth.conditions import Condition, Facts, parse_conditions, refuse_policy_variables
from emulator.auth.policy_error import PolicyError
from emulator.auth.principal import PrincipalMatcher, parse_principal

INVOKE = "execute-api:invoke"
#: API Gateway's shorthand for the API's own ARN in a resource policy's ``Resource``.
SHORTHAND = "execute-api:/"

__all__ = ["Decision", "Facts", "Policy", "PolicyError", "Statement", "Verdict", "parse_policy"]


class Verdict(enum.Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    NOT_ALLOWED = "no Allow statement covers it"


@dataclass(frozen=True)
class Decision:
    """A verdict and the statement that decided it (``None``: no statement covered the request)."""

    verdict: Verdict
    statement: int | None = None
    sid: str | None = None

    def which(self) -> str:
        if self.statement is None:
            unusable = self.verdict is Verdict.EXPLICIT_DENY
            return (
                "the policy does not parse: everything is refused" if unusable else "no statement covers it"
            )
        named = f" ({self.sid})" if self.sid else ""
        return f"Statement[{self.statement}]{named}"


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
    sid: str | None = None
    #: Who the statement applies to; ``None`` in a Lambda authorizer's policy (the vouched-for caller).
    principal: PrincipalMatcher | None = None
    conditions: tuple[Condition, ...] = ()

    def covers(self, method_arn: str, facts: Facts | None = None) -> bool:
        if not (self.action.matches(INVOKE) and self.resource.matches(method_arn)):
            return False
        if facts is None:
            return True
        if self.principal is not None and not self.principal.matches(facts.principal):
            return False
        return all(condition.holds(facts) for condition in self.conditions)


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]

    def evaluate(self, method_arn: str) -> Verdict:
        return self.decide(method_arn).verdict

    def decide(self, method_arn: str, facts: Facts | None = None) -> Decision:
        """The verdict for ``method_arn``; ``facts`` (the caller) when it is a resource policy."""
        allowed: Decision | None = None
        for index, statement in enumerate(self.statements):
            if statement.covers(method_arn, facts):
                if not statement.allow:
                    return Decision(Verdict.EXPLICIT_DENY, index, statement.sid)
                allowed = allowed or Decision(Verdict.ALLOW, index, statement.sid)
        return allowed or Decision(Verdict.NOT_ALLOWED)


def parse_policy(document: Any, *, resource_prefix: str | None = None) -> Policy:
    """A policy document (a mapping with ``Statement``: one statement or a list) into a ``Policy``.

    With ``resource_prefix`` (the API's ARN, ``arn:aws:execute-api:REGION:ACCOUNT:API_ID``) it is a resource
    policy: each statement must name its ``Principal`` (or ``NotPrincipal``), its ``Condition`` is compiled
    (an operator or key apig-emu cannot evaluate is an error: never silently ignored), and the
    ``execute-api:/`` shorthand is expanded as AWS expands it.
    """
    name = "policy" if resource_prefix is not None else "policyDocument"
    if not isinstance(document, Mapping):
        raise PolicyError(f"{name} must be an object, not {_kind(document)}")
    if "Statement" not in document:
        raise PolicyError(f"{name} has no Statement")
    raw = document["Statement"]
    statements = raw if isinstance(raw, list) else [raw]
    return Policy(
        tuple(
            _statement(item, f"Statement[{index}]", resource_prefix) for index, item in enumerate(statements)
        )
    )


def _statement(item: Any, where: str, resource_prefix: str | None) -> Statement:
    if not isinstance(item, Mapping):
        raise PolicyError(f"{where} must be an object, not {_kind(item)}")
    effect = item.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"{where}.Effect must be 'Allow' or 'Deny', not {effect!r}")
    sid = item.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(f"{where}.Sid must be a string, not {_kind(sid)}")
    statement = Statement(
        allow=effect == "Allow",
        action=_matcher(item, "Action", where, ignore_case=True),
        resource=_matcher(item, "Resource", where, ignore_case=False, prefix=resource_prefix),
        sid=sid,
    )
    if resource_prefix is None:
        return statement
    return Statement(
        statement.allow,
        statement.action,
        statement.resource,
        sid,
        principal=parse_principal(item, where),
        conditions=parse_conditions(item.get("Condition"), f"{where}.Condition"),
    )


def _matcher(
    item: Mapping[str, Any], key: str, where: str, *, ignore_case: bool, prefix: str | None = None
) -> _Matcher:
    has_key, has_not = key in item, f"Not{key}" in item
    if has_key == has_not:
        raise PolicyError(f"{where} needs exactly one of {key} and Not{key}")
    name = key if has_key else f"Not{key}"
    value = item[name]
    values: Sequence[Any] = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(one, str) for one in values):
        raise PolicyError(f"{where}.{name} must be a string or a list of strings, not {value!r}")
    if prefix is not None:
        refuse_policy_variables(values, f"{where}.{name}")
        values = [prefix + one[len(SHORTHAND) - 1 :] if one.startswith(SHORTHAND) else one for one in values]
    return _Matcher(tuple(_pattern(one, ignore_case=ignore_case) for one in values), negated=has_not)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
