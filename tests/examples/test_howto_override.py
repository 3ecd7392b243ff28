"""How to make a function misbehave on purpose: ``apig.override``.

The replacement runs in the function's place, with its event, context and environment, for the rest
of the test (or of a ``with`` block); the next test gets the real handler back.
"""

from __future__ import annotations

from typing import Any

from emulator.testing import Harness


def test_the_frontend_sees_a_502_when_the_items_function_fails(apig: Harness) -> None:
    def table_is_down(event: Any, context: Any) -> Any:
        raise ConnectionError("items table unavailable")

    apig.override("items", table_is_down)
    response = apig.get("/Prod/items/1")
    assert response.status == 502
    assert response.json() == {"message": "Internal server error"}
    assert "ConnectionError: items table unavailable" in (apig.invocations[-1].traceback or "")


def test_an_override_for_one_block(apig: Harness) -> None:
    with apig.override("smart", lambda event, context: {"greeting": "stubbed"}):
        assert apig.post("/Prod/smartpath", json={}).json() == {"greeting": "stubbed"}
    assert apig.post("/Prod/smartpath", json={}).json()["greeting"] == "Hello, world!"
