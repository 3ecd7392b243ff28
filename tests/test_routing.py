"""Routing precedence from a table of (resources, request) → (resource, parameters), then through HTTP."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from emulator.model import ANY, AWS_PROXY, Integration, Method, Resource, RestApi
from emulator.routing import ApiRouter, select_method, split_path
from emulator.testing import Harness
from tests.conftest import MakeHarness


def api_with(*paths: str) -> RestApi:
    resources = {"/": Resource("/", "root")}
    for path in paths:
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/" + "/".join(parts[:depth])
            resources.setdefault(prefix, Resource(prefix, prefix))
    return RestApi(name="t", id="abcdefghij", resources=resources)


ROUTES = [
    # literal beats {param} beats {proxy+}
    (["/items/special", "/items/{id}", "/{proxy+}"], "/items/special", "/items/special", None),
    (["/items/special", "/items/{id}", "/{proxy+}"], "/items/42", "/items/{id}", {"id": "42"}),
    (["/items/special", "/items/{id}", "/{proxy+}"], "/other/x", "/{proxy+}", {"proxy": "other/x"}),
    # backtracking when a literal branch cannot consume the rest
    (
        ["/items/special", "/{proxy+}"],
        "/items/special/deeper",
        "/{proxy+}",
        {"proxy": "items/special/deeper"},
    ),
    (["/a/b/c", "/a/{x}/d"], "/a/b/d", "/a/{x}/d", {"x": "b"}),
    # a parent created implicitly is a resource of its own: no fallback to the greedy sibling
    (["/items/{id}", "/{proxy+}"], "/items", "/items", None),
    # greedy matches deep paths and keeps inner empty segments; not the bare parent
    (["/files/{proxy+}"], "/files/a/b/c.txt", "/files/{proxy+}", {"proxy": "a/b/c.txt"}),
    (["/files/{proxy+}"], "/files", "/files", None),
    # trailing slash ignored for matching
    (["/hardcoded"], "/hardcoded/", "/hardcoded", None),
    # root
    (["/x"], "/", "/", None),
    # parameter names AWS accepts and Python identifiers do not
    (["/orders/{order-id}"], "/orders/7", "/orders/{order-id}", {"order-id": "7"}),
    # several parameters
    (["/u/{a}/v/{b}"], "/u/1/v/2", "/u/{a}/v/{b}", {"a": "1", "b": "2"}),
]


@pytest.mark.parametrize(("paths", "request_path", "resource", "params"), ROUTES)
def test_resource_precedence(
    paths: list[str], request_path: str, resource: str, params: dict[str, str] | None
) -> None:
    split = split_path("/Prod" + request_path)
    assert split is not None
    found = ApiRouter(api_with(*paths)).find_resource(split.segments)
    assert found is not None
    assert found.resource.path == resource
    assert found.path_parameters == params


@pytest.mark.parametrize(
    ("paths", "request_path"),
    [(["/items/{id}"], "/items/1/extra"), (["/a"], "/b"), (["/items/{id}"], "/items//x")],
)
def test_no_resource(paths: list[str], request_path: str) -> None:
    split = split_path("/Prod" + request_path)
    assert split is not None
    assert ApiRouter(api_with(*paths)).find_resource(split.segments) is None


def method(verb: str) -> Method:
    return Method(verb, Integration(type=AWS_PROXY, function="f"))


def test_explicit_verb_beats_any() -> None:
    resource = Resource("/r", "r", {ANY: method(ANY), "GET": method("GET")})
    assert select_method(resource, "GET") is resource.methods["GET"]
    assert select_method(resource, "POST") is resource.methods[ANY]


def test_any_does_not_cover_unknown_verbs() -> None:
    resource = Resource("/r", "r", {ANY: method(ANY)})
    assert select_method(resource, "PROPFIND") is None


def test_get_does_not_serve_head() -> None:
    assert select_method(Resource("/r", "r", {"GET": method("GET")}), "HEAD") is None


def test_split_path_without_stage() -> None:
    assert split_path("/") is None
    assert split_path("") is None


CONFIG = """
apis:
  shop:
    stages: {Prod: {}, dev: {}}
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: "/items/{id}", method: GET, proxy: true}
      - {api: shop, resource: /items/special, method: ANY, proxy: true}
      - {api: shop, resource: "/{proxy+}", method: POST, proxy: true}
      - {api: shop, resource: /, method: GET, proxy: true}
"""

MISSING_TOKEN = {"message": "Missing Authentication Token"}


def resource_of(response: Any) -> str:
    assert response.status_code == 200, response.text
    return response.json()["resource"]  # type: ignore[no-any-return]


def test_http_precedence(harness: Harness) -> None:
    assert resource_of(harness.get("/Prod/items/special")) == "/items/special"
    assert resource_of(harness.get("/Prod/items/1")) == "/items/{id}"
    assert resource_of(harness.post("/Prod/other/1")) == "/{proxy+}"
    assert resource_of(harness.get("/Prod")) == "/"
    assert resource_of(harness.get("/Prod/")) == "/"


def test_every_stage_serves_every_method(harness: Harness) -> None:
    assert resource_of(harness.get("/dev/items/1")) == "/items/{id}"


def assert_missing_token(response: Any) -> None:
    assert response.status_code == 403
    assert response.json() == MISSING_TOKEN
    assert response.content == b'{"message":"Missing Authentication Token"}'
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert response.headers["x-amzn-RequestId"]
    assert response.headers["x-amz-apigw-id"]


def test_wrong_method_on_existing_resource_is_403_not_405(harness: Harness) -> None:
    """A method mismatch does not fall back to the greedy sibling (reference section 10)."""
    assert_missing_token(harness.delete("/Prod/items/1"))


def test_no_resource_is_403(harness: Harness) -> None:
    assert_missing_token(harness.get("/Prod/items/1/extra"))


def test_unknown_stage_is_403_decision(harness: Harness) -> None:
    """Pins a product decision (reference section 10)."""
    assert_missing_token(harness.get("/Nope/items/1"))


def test_paths_are_case_sensitive(harness: Harness) -> None:
    assert_missing_token(harness.get("/Prod/ITEMS/1"))
    assert_missing_token(harness.get("/prod/items/1"))


def test_root_without_stage_is_forbidden_decision(harness: Harness) -> None:
    """Pins a product decision (reference section 10)."""
    response = harness.get("/")
    assert response.status_code == 403
    assert response.content == b'{"message":"Forbidden"}'
    assert response.headers["x-amzn-ErrorType"] == "ForbiddenException"


def test_unknown_verb_is_403(harness: Harness) -> None:
    assert_missing_token(harness.request("PROPFIND", "/Prod/items/special"))


def test_head_is_not_served_by_get(harness: Harness) -> None:
    response = harness.head("/Prod/items/1")
    assert response.status_code == 403
    assert response.content == b""


TWO_APIS = """
apis:
  shop: {id: shop000001}
  admin: {id: admin00001}
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: /items, method: GET, proxy: true}
      - {api: shop, resource: /both, method: GET, proxy: true}
      - {api: admin, resource: /users, method: GET, proxy: true}
      - {api: admin, resource: /both, method: GET, proxy: true}
"""


def test_host_header_picks_the_api(make_harness: MakeHarness) -> None:
    harness = make_harness(TWO_APIS)
    response = harness.get("/Prod/both", headers={"Host": "admin00001.execute-api.localhost:3000"})
    assert response.json()["requestContext"]["apiId"] == "admin00001"
    assert response.json()["requestContext"]["domainName"] == "admin00001.execute-api.localhost"
    assert response.json()["requestContext"]["domainPrefix"] == "admin00001"
    assert_missing_token(harness.get("/Prod/items", headers={"Host": "admin00001.execute-api.localhost"}))


def test_plain_host_serves_an_unambiguous_route(make_harness: MakeHarness) -> None:
    harness = make_harness(TWO_APIS)
    assert harness.get("/Prod/items").json()["requestContext"]["apiId"] == "shop000001"
    assert harness.get("/Prod/users").json()["requestContext"]["apiId"] == "admin00001"


def test_plain_host_refuses_an_ambiguous_route(
    make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    harness = make_harness(TWO_APIS)
    with caplog.at_level(logging.INFO, logger="apig_emu"):
        assert_missing_token(harness.get("/Prod/both"))
    assert "matches several APIs (admin, shop)" in caplog.text


def test_unknown_api_id_in_host(make_harness: MakeHarness) -> None:
    harness = make_harness(TWO_APIS)
    response = harness.get("/Prod/items", headers={"Host": "zzzzzzzzzz.execute-api.localhost"})
    assert response.status_code == 404
    assert "zzzzzzzzzz" in response.json()["message"]
