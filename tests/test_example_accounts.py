"""The README's Cognito example, config/accounts.yaml, as a user runs it: a test logs in with one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.testing import Harness

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "accounts.yaml"


@pytest.fixture
def apig() -> Iterator[Harness]:
    with Harness(CONFIG, code_dir=ROOT) as harness:
        yield harness


def test_a_user_logged_in_with_a_token_of_the_local_issuer(apig: Harness) -> None:
    token = apig.token("alice", groups=["admin", "dev"], claims={"email": "alice@example.com"})
    answer = apig.get("/Prod/me", headers={"Authorization": token})
    assert (answer.status, answer.json()) == (
        200,
        {"user": "alice", "email": "alice@example.com", "groups": ["admin", "dev"]},
    )
    assert apig.get("/Prod/me").json() == {"message": "Unauthorized"}


def test_the_scoped_method_takes_an_access_token_with_its_scope(apig: Harness) -> None:
    admin = apig.token("alice", groups=["admin"], scopes=["accounts/audit"])
    assert apig.get("/Prod/audit", headers={"Authorization": admin}).json() == {
        "audited_by": "alice",
        "scope": "accounts/audit",
    }
    user = apig.token("bob", scopes=["accounts/audit"])
    assert apig.get("/Prod/audit", headers={"Authorization": user}).status == 403  # the handler's own rule
    id_token = apig.token("alice", groups=["admin"])
    assert apig.get("/Prod/audit", headers={"Authorization": id_token}).status == 401


def test_auth_off_hands_the_configured_claims_to_the_handlers() -> None:
    with Harness(CONFIG, code_dir=ROOT, auth="off") as apig:
        assert apig.get("/Prod/me").json() == {
            "user": "frontend-dev",
            "email": "dev@example.com",
            "groups": ["admin"],
        }
        assert apig.get("/Prod/audit").json() == {"audited_by": "frontend-dev", "scope": "accounts/audit"}
