"""A serverless.yml as a team deploys it (``tests/fixtures/serverless``), loaded and served end to end.

The service has a lambda-proxy method with ``cors: true``, an ``integration: lambda`` method with
Serverless's default request template, a Cognito authorizer and a schema from ``${file(...)}``, and
``integration: lambda`` methods with their own request template, response headers and status
patterns. Its route table is checked whole; its methods are requested through the harness.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.config.serverless.service import load_serverless
from emulator.model import AWS, AWS_PROXY, MOCK
from emulator.not_executed import not_executed
from emulator.table import format_table
from emulator.testing import Harness

FIXTURE = Path(__file__).parent / "fixtures" / "serverless"
SERVICE = FIXTURE / "serverless.yml"

ROUTES = """\
METHOD   URL                                        INTEGRATION         FUNCTION     CORS  API
GET      http://127.0.0.1:3000/dev/hello/{name}     lambda-proxy        hello        yes   dev-shop (4r17thfs42)
OPTIONS  http://127.0.0.1:3000/dev/hello/{name}     cors-preflight      -            yes   dev-shop (4r17thfs42)
OPTIONS  http://127.0.0.1:3000/dev/orders           cors-preflight      -            yes   dev-shop (4r17thfs42)
POST     http://127.0.0.1:3000/dev/orders           lambda (non-proxy)  createOrder  yes   dev-shop (4r17thfs42)
GET      http://127.0.0.1:3000/dev/status           lambda (non-proxy)  status             dev-shop (4r17thfs42)
GET      http://127.0.0.1:3000/dev/status/payments  lambda (non-proxy)  status             dev-shop (4r17thfs42)
"""


@pytest.fixture
def harness() -> Iterator[Harness]:
    loaded = load_serverless(SERVICE, environ={})
    assert not loaded.errors
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        served = Harness(loaded.definitions)
    with served:
        yield served


def test_the_route_table() -> None:
    loaded = load_serverless(SERVICE, environ={})
    table = format_table(loaded.definitions, "http://127.0.0.1:3000", not_executed(loaded.definitions))
    assert table.startswith(ROUTES)
    # Its Cognito authorizer and private (API key) method are enforced, its templates rendered: no notes.
    assert "NOT YET" not in table


def test_what_the_service_deploys() -> None:
    loaded = load_serverless(SERVICE, environ={"SHOP_GREETING": "Howdy"}, stage="prod")
    assert not loaded.errors
    definitions = loaded.definitions
    (api,) = definitions.apis.values()
    assert (api.name, list(api.stages), api.binary_media_types) == ("prod-shop", ["prod"], ("image/png",))
    hello = definitions.functions["hello"]
    assert (hello.handler, hello.code_dir, hello.timeout, hello.memory) == (
        "shop_api.greetings.hello",
        FIXTURE,
        6.0,
        1024,
    )
    assert hello.environment == {"TABLE_NAME": "shop-orders-prod", "GREETING": "Howdy"}
    assert definitions.functions["status"].environment["GREETING"] == "Status"
    orders = api.resources["/orders"].methods
    assert orders["POST"].integration.type == AWS
    assert orders["OPTIONS"].integration.type == MOCK
    assert api.resources["/hello/{name}"].methods["GET"].integration.type == AWS_PROXY
    (plan,) = definitions.usage_plans.values()
    assert (plan.name, plan.stages, plan.keys) == ("shop-prod", (("prod-shop", "prod"),), ("shop-partner",))
    assert definitions.serving.port == 4000
    assert [Path(source).name for source in definitions.sources] == ["serverless.yml", "order.json"]


def test_the_proxy_method_gets_the_proxy_event(harness: Harness) -> None:
    response = harness.get("/dev/hello/ada", params={"lang": "fr"})
    assert response.status_code == 200
    assert response.json() == {
        "message": "Hello, ada!",
        "lang": "fr",
        "path": "/hello/ada",
        "stage": "dev",
        "table": "shop-orders-dev",
        "function": "hello",
    }


def test_the_preflight_answers_with_serverless_s_headers(harness: Harness) -> None:
    response = harness.options(
        "/dev/hello/ada", headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "OPTIONS,GET"
    assert response.headers["Access-Control-Allow-Headers"] == (
        "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent,X-Amzn-Trace-Id"
    )


def test_a_lambda_method_with_its_own_template_answers_through_its_integration_responses(
    harness: Harness,
) -> None:
    response = harness.get("/dev/status")
    assert response.status_code == 200
    assert response.json() == {"component": "api", "status": "ok", "greeting": "Status"}
    assert response.headers["Cache-Control"] == "no-store"


def test_an_error_marked_with_a_status_selects_its_integration_response(harness: Harness) -> None:
    # ``private: true``: the service's API key (a value derived from its name, as none is given) opens it.
    assert harness.get("/dev/status/payments").status_code == 403
    key = harness.definitions.api_keys["shop-partner"].value
    response = harness.get("/dev/status/payments", headers={"x-api-key": key})
    assert response.status_code == 503
    assert response.json() == {"message": "down for maintenance"}
    assert response.headers["Cache-Control"] == "no-store"


def test_serverless_s_default_request_template_makes_its_event_from_a_json_body(harness: Harness) -> None:
    """Serverless's default template (``#define``, ``$input.json``, maps written as JSON) renders the event
    a handler written for Serverless reads."""
    token = {"Authorization": harness.token("alice")}
    response = harness.post("/dev/orders", json={"item": "tea", "quantity": 2}, headers=token)
    assert (response.status_code, response.json()) == (
        200,
        {"id": "order-1", "item": "tea", "quantity": 2, "by": ""},
    )
    (event,) = [invocation.event for invocation in harness.invocations]
    assert event["body"] == {"item": "tea", "quantity": 2}
    assert (event["method"], event["stage"], event["requestPath"]) == ("POST", "dev", "/orders")
    assert event["headers"]["Content-Type"] == "application/json"
    assert (event["query"], event["path"], event["stageVariables"]) == ({}, {}, {})
    # The template reads $context.authorizer: the Cognito authorizer's claims, a map printed as Java does.
    assert event["enhancedAuthContext"]["claims"].startswith("{sub=alice, ")
    assert event["identity"]["sourceIp"] == "127.0.0.1"
    assert event["cognitoPoolClaims"] == {"sub": "alice"}


def test_serverless_s_default_form_template_turns_the_fields_into_the_body(harness: Harness) -> None:
    """Every field arrives as text, decoded, with a single quote kept (the template undoes escapeJavaScript's)."""
    harness.post(
        "/dev/orders",
        content=b"item=green+tea&quantity=3&note=it%27s",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": harness.token("alice"),
        },
    )
    assert harness.invocations[-1].event["body"] == {"item": "green tea", "quantity": "3", "note": "it's"}


def test_the_never_passthrough_refuses_a_content_type_without_a_template(harness: Harness) -> None:
    headers = {"Content-Type": "text/plain", "Authorization": harness.token("alice")}
    response = harness.post("/dev/orders", content=b"tea", headers=headers)
    assert response.status_code == 415
