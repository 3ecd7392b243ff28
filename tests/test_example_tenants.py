"""The README's Lambda-authorizer example, config/tenants.yaml, as a user runs it."""

from __future__ import annotations

from pathlib import Path

from emulator.testing import Harness

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "tenants.yaml"


def test_the_tenants_example_authorizes_as_the_readme_says() -> None:
    with Harness(CONFIG, code_dir=ROOT) as apig:
        ok = apig.get("/Prod/projects", headers={"Authorization": "Bearer acme:alice"})
        assert ok.json() == {"tenant": "acme", "user": "alice", "admin": False}
        assert apig.get("/Prod/projects", headers={"Authorization": "Bearer root"}).status == 401
        assert len(apig.invocations_of("authorize")) == 1
        denied = apig.get("/Prod/projects", headers={"Authorization": "Bearer acme:blocked"})
        assert denied.status == 403 and denied.json() == {
            "Message": "User is not authorized to access this resource with an explicit deny"
        }
        apig.get("/Prod/projects", headers={"Authorization": "Bearer acme:alice"})
        assert len(apig.invocations_of("authorize")) == 2  # alice's answer came from the cache
