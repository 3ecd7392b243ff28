"""The YAML's access-control sections that are the emulator's own: ``user_pools:`` and ``auth_off:``.

``user_pools:`` says where each Cognito pool's keys come from (a user-facing contract)::

    user_pools:
      us-east-1_AbC123:            # the pool id from the authorizer's providerARNs / UserPoolArn
        jwks: keys/pool.json       # a JWKS file, e.g. saved from the pool's /.well-known/jwks.json
      us-east-1_Local1: {}         # no jwks: the built-in local issuer signs and verifies

A JWKS file is read and its keys checked here, so a broken one is an error at its ``jwks:`` line when
the definitions load rather than a 401 for every request later.

``auth_off:`` is the stand-in identity for methods served without their authorization (``serve
--auth off``, or the methods it lists)::

    auth_off:
      claims: {sub: alice, email: alice@example.com}      # Cognito methods' claims
      principal_id: alice                                  # Lambda-authorizer methods'
      context: {tenant: acme}
      methods: [{api: shop, resource: /orders, method: GET}]
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from emulator.auth.cognito import JwksProblem, public_keys
from emulator.config import rules
from emulator.config.nodes import Field, Reader, one_of
from emulator.limited_files import MAX_DEFINITION_BYTES, FileRefused, read_limited
from emulator.model import AuthOff, Location, UserPool

#: ``us-east-1_AbC123``: a region, an underscore, letters and digits (Cognito's own pattern).
_POOL_ID = re.compile(r"[\w-]+_[0-9a-zA-Z]+")


def read_user_pools(reader: Reader, field: Field) -> list[UserPool]:
    entries = reader.entries(field)
    pools: list[UserPool] = []
    for pool_id, pool_field in (entries or {}).items():
        if not _POOL_ID.fullmatch(pool_id):
            reader.error(
                pool_field,
                f"'{pool_id}' is not a user pool id; expected REGION_ID, e.g. us-east-1_AbC123 (the end of the "
                "pool's ARN, arn:aws:cognito-idp:REGION:ACCOUNT:userpool/REGION_ID)",
            )
            continue
        keys = reader.mapping(pool_field, optional=("jwks",))
        if keys is None:
            continue
        location = reader.location(pool_field)
        if "jwks" not in keys:
            pools.append(UserPool(pool_id, location=location))
            continue
        loaded = _jwks(reader, keys["jwks"])
        if loaded is not None:
            jwks, path = loaded
            pools.append(UserPool(pool_id, jwks, path, location))
    return pools


def _jwks(reader: Reader, field: Field) -> tuple[dict[str, object], Path] | None:
    written = reader.string(field)
    if written is None:
        return None
    if not written.strip():
        reader.error(field, "expected the path of a JWKS file, got an empty string")
        return None
    # Relative to the YAML file, so a config folder can carry its keys.
    path = Path(reader.file).parent / written
    try:
        data = read_limited(path, MAX_DEFINITION_BYTES, "a JWKS file")
        jwks = json.loads(data)
    except FileRefused as error:
        reader.error(field, f"JWKS file {written}: {error}")
        return None
    except ValueError as error:
        reader.error(field, f"JWKS file {written} is not JSON: {error}")
        return None
    if not isinstance(jwks, dict):
        reader.error(field, f"JWKS file {written}: expected a JSON object with 'keys'")
        return None
    try:
        public_keys(jwks)
    except JwksProblem as error:
        reader.error(field, f"JWKS file {written}: {error}")
        return None
    return jwks, path


#: (api, resource path, verb) of a method ``auth_off:`` lists, with where, to check that it exists.
NamedMethod = tuple[tuple[str, str, str], Location]


def read_auth_off(reader: Reader, field: Field) -> tuple[AuthOff, list[NamedMethod]] | None:
    keys = reader.mapping(field, optional=("claims", "principal_id", "context", "methods"))
    if keys is None:
        return None
    principal = reader.text(keys["principal_id"]) if "principal_id" in keys else None
    named: list[NamedMethod] = []
    for item in (reader.sequence(keys["methods"]) or []) if "methods" in keys else []:
        method = _method(reader, item)
        if method is not None:
            named.append((method, reader.location(item)))
    methods = {method for method, _ in named}
    auth_off = AuthOff(
        claims=_texts(reader, keys.get("claims")),
        principal_id=principal if principal is not None else AuthOff().principal_id,
        context=_texts(reader, keys.get("context")),
        methods=frozenset(methods),
    )
    return auth_off, named


def _texts(reader: Reader, field: Field | None) -> dict[str, str]:
    """Values as AWS delivers claims and context: strings, booleans in lower case."""
    found: dict[str, str] = {}
    for name, value_field in ((reader.entries(field) or {}) if field is not None else {}).items():
        value = reader.text(value_field)
        if value is not None:
            found[name] = value
    return found


def _method(reader: Reader, field: Field) -> tuple[str, str, str] | None:
    keys = reader.mapping(field, required=("api", "resource", "method"))
    if keys is None or len(keys) < 3:
        return None
    api, path, verb = (
        reader.name(keys["api"]),
        reader.string(keys["resource"]),
        reader.string(keys["method"]),
    )
    if api is None or path is None or verb is None:
        return None
    problem = rules.resource_path_problem(path)
    if problem:
        reader.error(keys["resource"], problem)
        return None
    if verb.upper() not in rules.METHODS:
        reader.error(keys["method"], f"unknown method '{verb}'; expected one of {one_of(rules.METHODS)}")
        return None
    return api, path, verb.upper()
