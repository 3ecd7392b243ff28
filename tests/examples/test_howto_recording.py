"""How to check what a handler received, returned and logged: ``apig.invocations``.

Every invocation made through the fixture is recorded: function, trigger, event, context values,
result or error (with the full traceback), duration and captured log lines. When a test fails, its
report lists them under "apig-emu invocations".
"""

from __future__ import annotations

import json

from emulator.testing import Harness


def test_what_the_handler_received(apig: Harness) -> None:
    apig.get("/Prod/items/1", params={"verbose": "1"})
    invocation = apig.invocations[-1]
    assert invocation.function == "items"
    assert invocation.trigger.resource == "/items/{id}"
    assert invocation.event["pathParameters"] == {"id": "1"}
    assert invocation.event["queryStringParameters"] == {"verbose": "1"}
    assert invocation.event["stageVariables"] == {"table": "items-prod"}
    assert invocation.context["memory_limit_in_mb"] == "128"
    assert invocation.logs == ["GET /items/1 on table items-prod (LOG_LEVEL=info)"]
    assert json.loads(invocation.result.payload)["statusCode"] == 200


def test_a_502_and_the_reason_behind_it(apig: Harness) -> None:
    response = apig.get("/Prod/broken")
    # A 502 is an answer, as on AWS: it fails a test only if the test says so.
    assert response.status == 502
    assert response.json() == {"message": "Internal server error"}
    assert "body must be a string, got dict" in (apig.invocations[-1].gateway_error or "")
