"""HTTP and HTTP_PROXY integrations written in the YAML's own keys (an ``integrations:`` entry), served.

The behaviour itself is tested through OpenAPI documents in tests/test_http_integration.py; this is
the user-facing spelling: ``type: http|http_proxy``, ``uri`` with stage variables, ``http_method``,
``timeout_ms``, ``request_parameters`` in AWS's own keys, ``responses`` selected by status.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import MakeHarness
from tests.upstream import Answer, Upstream


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    backend = Upstream()
    yield backend
    backend.close()


def test_an_http_integration_entry_maps_the_request_and_selects_by_status(
    make_harness: MakeHarness, upstream: Upstream
) -> None:
    statuses = iter([200, 404])
    upstream.respond = lambda received: Answer(next(statuses), body=b'{"name": "Rex"}')
    apig = make_harness(
        f"""
        apis:
          shop:
            stages: {{Prod: {{variables: {{petsHost: "127.0.0.1:{upstream.port}"}}}}}}
        integrations:
          pets:
            type: http
            uri: http://${{stageVariables.petsHost}}/pets/{{petId}}
            http_method: GET
            request_parameters:
              integration.request.path.petId: method.request.path.id
              integration.request.querystring.lang: method.request.header.Accept-Language
            responses:
              - status_code: 200
                response_templates: {{application/json: '{{"pet": "$input.path(''$.name'')"}}'}}
              - status_code: 404
                selection_pattern: "404"
                response_templates: {{application/json: '{{"message": "no such pet"}}'}}
            triggers:
              - api: shop
                resource: "/pets/{{id}}"
                method: GET
                request_parameters: {{method.request.header.Accept-Language: false}}
        """
    )
    found = apig.get("/Prod/pets/7", headers={"Accept-Language": "fr"})
    assert (found.status_code, found.json()) == (200, {"pet": "Rex"})
    assert (upstream.last.method, upstream.last.target) == ("GET", "/pets/7?lang=fr")
    missing = apig.get("/Prod/pets/8")
    assert (missing.status_code, missing.json()) == (404, {"message": "no such pet"})
    assert upstream.last.target == "/pets/8"


def test_an_http_proxy_entry_forwards_everything_and_its_timeout_is_the_504(
    make_harness: MakeHarness, upstream: Upstream
) -> None:
    apig = make_harness(
        f"""
        apis: {{shop: {{}}}}
        integrations:
          legacy:
            type: http_proxy
            uri: {upstream.url}/v1/{{proxy}}
            http_method: ANY
            timeout_ms: 1000
            request_parameters:
              integration.request.path.proxy: method.request.path.proxy
            triggers:
              - {{api: shop, resource: "/{{proxy+}}", method: ANY}}
        """
    )
    upstream.respond = lambda received: Answer(201, [("Content-Type", "text/plain")], b"made")
    response = apig.put("/Prod/orders/9?dry=1", content=b"x")
    assert (response.status_code, response.text) == (201, "made")
    assert (upstream.last.method, upstream.last.target, upstream.last.body) == (
        "PUT",
        "/v1/orders/9?dry=1",
        b"x",
    )
    upstream.hold()
    try:
        slow = apig.get("/Prod/anything")
    finally:
        upstream.release()
    assert (slow.status_code, slow.json()) == (504, {"message": "Endpoint request timed out"})
