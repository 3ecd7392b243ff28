"""The YAML's ``iam:`` section: the credentials whose SigV4 signatures ``AWS_IAM`` methods accept.

A user-facing contract::

    iam:
      credentials:
        - access_key_id: AKIDEXAMPLE
          secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
          user_arn: arn:aws:iam::123456789012:user/alice
          user_id: AIDAEXAMPLEALICE       # optional: IAM's unique id, derived when absent
          session_token: FQoGZXIvYXdz...  # optional: session credentials' token

On AWS, IAM knows who holds a key; locally this list is IAM. A caller is an IAM user
(``arn:aws:iam::ACCOUNT:user/NAME``) or a role's session (``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``,
the ARN AWS shows for temporary credentials): ``$context.identity`` is filled from it as AWS fills it.
"""

from __future__ import annotations

import base64
import hashlib
import re

from emulator.config.nodes import Field, Reader
from emulator.model import IamCredential

#: An IAM user's ARN (with an optional path) or a role session's, as ``$context.identity.userArn`` has them.
_USER_ARN = re.compile(r"arn:aws[\w-]*:iam::(\d{12}):user/(?:[\w+=,.@/-]+/)?[\w+=,.@-]{1,64}")
_SESSION_ARN = re.compile(r"arn:aws[\w-]*:sts::(\d{12}):assumed-role/[\w+=,.@-]{1,64}/[\w+=,.@-]{2,64}")
#: Access key ids are upper-case letters and digits (``AKIA...``, ``ASIA...`` for session credentials).
_KEY_ID = re.compile(r"[A-Z0-9]{4,128}")
_UNIQUE_ID = re.compile(r"[A-Z0-9]{16,128}")
_KEYS = ("access_key_id", "secret_access_key", "user_arn", "user_id", "session_token")


def derived_user_id(user_arn: str) -> str:
    """A stable IAM-style unique id for an ARN: ``AIDA`` (a user) or ``AROA`` (a role) and 17 characters.

    IAM assigns these at random; deriving it from the ARN keeps it the same across runs and machines, so a
    test may assert it.
    """
    prefix = "AROA" if ":assumed-role/" in user_arn else "AIDA"
    digest = base64.b32encode(hashlib.sha256(user_arn.encode()).digest()).decode()
    return prefix + digest[:17]


def read_iam(reader: Reader, field: Field) -> list[IamCredential]:
    keys = reader.mapping(field, optional=("credentials",))
    if keys is None or "credentials" not in keys:
        return []
    found: list[IamCredential] = []
    seen: dict[str, int] = {}
    for item in reader.sequence(keys["credentials"]) or []:
        credential = _credential(reader, item)
        if credential is None:
            continue
        first = seen.setdefault(credential.access_key_id, item.line)
        if first != item.line:
            reader.error(
                item,
                f"access key id '{credential.access_key_id}' is listed twice (first at line {first}); "
                "each key belongs to one caller",
            )
            continue
        found.append(credential)
    return found


def _credential(reader: Reader, field: Field) -> IamCredential | None:
    keys = reader.mapping(field, required=_KEYS[:3], optional=_KEYS[3:])
    if keys is None or any(name not in keys for name in _KEYS[:3]):
        return None
    values = {name: reader.string(value) for name, value in keys.items()}
    key_id, secret, arn = values["access_key_id"], values["secret_access_key"], values["user_arn"]
    if key_id is None or secret is None or arn is None or any(value is None for value in values.values()):
        return None
    ok = True
    if not _KEY_ID.fullmatch(key_id):
        reader.error(
            keys["access_key_id"],
            f"'{key_id}' is not an access key id; expected upper-case letters and digits, e.g. AKIDEXAMPLE",
        )
        ok = False
    if not secret:
        reader.error(keys["secret_access_key"], "the secret access key must not be empty")
        ok = False
    if not (_USER_ARN.fullmatch(arn) or _SESSION_ARN.fullmatch(arn)):
        reader.error(keys["user_arn"], _arn_problem(arn))
        ok = False
    user_id = values.get("user_id")
    if user_id is not None and ok:
        expected = "AROA" if ":assumed-role/" in arn else "AIDA"
        if not (_UNIQUE_ID.fullmatch(user_id) and user_id.startswith(expected)):
            reader.error(
                keys["user_id"],
                f"'{user_id}' is not IAM's unique id of this {'role' if expected == 'AROA' else 'user'}; "
                f"expected {expected} and upper-case letters and digits, e.g. {derived_user_id(arn)}",
            )
            ok = False
    if not ok:
        return None
    return IamCredential(
        access_key_id=key_id,
        secret_access_key=secret,
        user_arn=arn,
        user_id=user_id if user_id is not None else derived_user_id(arn),
        session_token=values.get("session_token") or None,
        location=reader.location(field),
    )


def _arn_problem(arn: str) -> str:
    expected = (
        "expected an IAM user's ARN, arn:aws:iam::ACCOUNT:user/NAME, or a role session's, "
        "arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION"
    )
    if re.fullmatch(r"arn:aws[\w-]*:iam::\d{12}:role/.+", arn):
        return (
            f"'{arn}' is a role, which signs only through a session; {expected} (the ARN AWS shows for the "
            "role's temporary credentials)"
        )
    return f"'{arn}' is not an IAM user or role session ARN; {expected}"
