"""A resource policy statement's ``Principal`` / ``NotPrincipal``: whom the statement is about.

The caller is anonymous (``None``) unless an ``AWS_IAM`` method verified its signature; then it is the
ARN ``$context.identity.userArn`` shows: an IAM user, or a role's session
(``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``), which a statement naming the role's ARN covers, as
IAM's does. ``"*"`` and ``{"AWS": "*"}`` cover everyone, the anonymous caller included; an account id or
``arn:aws:iam::ACCOUNT:root`` covers every IAM caller of that account. ``Service``, ``Federated`` and
``CanonicalUser`` principals are accepted and never cover a caller here: nothing local calls as a service.
IAM refuses wildcards inside a principal's ARN, and so does this reader, rather than guess a meaning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.auth.policy_error import PolicyError

_ACCOUNT = re.compile(r"\d{12}")
_ROOT = re.compile(r"arn:aws:iam::(\d{12}):root")
_USER = re.compile(r"arn:aws:iam::\d{12}:user/.+")
_ROLE = re.compile(r"arn:aws:iam::(\d{12}):role/(?:.*/)?([^/]+)")
_SESSION = re.compile(r"arn:aws:sts::(\d{12}):assumed-role/([^/]+)/.+")
_OTHER_KINDS = ("Service", "Federated", "CanonicalUser")


def account_of(principal: str) -> str:
    """The account id of an IAM ARN (its fifth field)."""
    parts = principal.split(":")
    return parts[4] if len(parts) > 5 else ""


def session_role(principal: str) -> tuple[str, str] | None:
    """(account, role name) of a role's session ARN; ``None`` for anything else."""
    found = _SESSION.fullmatch(principal)
    return (found.group(1), found.group(2)) if found else None


@dataclass(frozen=True)
class PrincipalMatcher:
    everyone: bool = False
    accounts: frozenset[str] = frozenset()
    arns: frozenset[str] = frozenset()
    roles: frozenset[tuple[str, str]] = frozenset()
    negated: bool = False

    def matches(self, principal: str | None) -> bool:
        return self._names(principal) != self.negated

    def _names(self, principal: str | None) -> bool:
        if self.everyone:
            return True
        if principal is None:
            return False
        return (
            principal in self.arns
            or account_of(principal) in self.accounts
            or session_role(principal) in self.roles
        )


def parse_principal(item: Mapping[str, Any], where: str) -> PrincipalMatcher:
    has_key, has_not = "Principal" in item, "NotPrincipal" in item
    if has_key == has_not:
        raise PolicyError(
            f"{where} needs exactly one of Principal and NotPrincipal (a resource policy names whom it is about)"
        )
    name = "Principal" if has_key else "NotPrincipal"
    value = item[name]
    at = f"{where}.{name}"
    if value == "*":
        return PrincipalMatcher(everyone=True, negated=has_not)
    if not isinstance(value, Mapping) or not value:
        raise PolicyError(f'{at} must be "*" or a mapping such as {{"AWS": ...}}, not {value!r}')
    matcher = PrincipalMatcher(negated=has_not)
    for kind, names in value.items():
        listed = names if isinstance(names, list) else [names]
        if not listed or not all(isinstance(one, str) for one in listed):
            raise PolicyError(f"{at}.{kind} must be a string or a list of strings, not {names!r}")
        if kind in _OTHER_KINDS:
            continue
        if kind != "AWS":
            raise PolicyError(
                f"{at}: unknown principal type '{kind}' (AWS, Service, Federated, CanonicalUser)"
            )
        for one in listed:
            matcher = _add(matcher, one, f"{at}.AWS")
    return matcher


def _add(matcher: PrincipalMatcher, name: str, at: str) -> PrincipalMatcher:
    if name == "*":
        return PrincipalMatcher(True, matcher.accounts, matcher.arns, matcher.roles, matcher.negated)
    if "*" in name or "?" in name:
        raise PolicyError(f"{at}: '{name}': IAM allows no wildcard inside a principal (only \"*\" alone)")
    root = _ROOT.fullmatch(name)
    if _ACCOUNT.fullmatch(name) or root:
        account = root.group(1) if root else name
        return PrincipalMatcher(
            matcher.everyone, matcher.accounts | {account}, matcher.arns, matcher.roles, matcher.negated
        )
    role = _ROLE.fullmatch(name)
    if role:
        return PrincipalMatcher(
            matcher.everyone,
            matcher.accounts,
            matcher.arns | {name},
            matcher.roles | {(role.group(1), role.group(2))},
            matcher.negated,
        )
    if _USER.fullmatch(name) or _SESSION.fullmatch(name):
        return PrincipalMatcher(
            matcher.everyone, matcher.accounts, matcher.arns | {name}, matcher.roles, matcher.negated
        )
    raise PolicyError(
        f"{at}: '{name}' is not an account id or an IAM user, role, root or assumed-role session ARN"
    )
