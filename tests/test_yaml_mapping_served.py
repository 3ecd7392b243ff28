"""Non-proxy methods written with the YAML's mapping keys, served through the harness: what the gateway
executes of them already (templates without Velocity, passthrough, integration responses selected by a
Lambda error's ``errorMessage`` or a MOCK's status, literal header mappings, CORS on a 200 only).

Templates that need Velocity, validation and HTTP or AWS-service backends are served by their own parts;
here the keys reach the gateway as AWS would store them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.testing import Harness
from tests.conftest import MakeHarness

CONFIG = """
apis: {shop: {}}
functions:
  forms:
    handler: cases.echo
    triggers:
      - api: shop
        resource: /forms
        method: POST
        integration:
          request_templates:
            application/x-www-form-urlencoded: '{"kind": "form"}'
            application/xml: |
              {"kind": "xml"}
          passthrough_behavior: NEVER
      - api: shop
        resource: /loose
        method: POST
        integration:
          request_templates: {application/x-www-form-urlencoded: '{"kind": "form"}'}
          passthrough_behavior: WHEN_NO_TEMPLATES
      - api: shop
        resource: /plain
        method: POST
        integration: {passthrough_behavior: WHEN_NO_TEMPLATES}
  boom:
    handler: cases.boom
    triggers:
      - api: shop
        resource: /boom
        method: GET
        cors: true
        integration:
          responses:
            - status_code: 404
              selection_pattern: "something .*"
              response_parameters:
                method.response.header.X-Reason: "'broken'"
              response_templates:
                application/json: '{"message": "not here"}'
            - status_code: 200
      - api: shop
        resource: /unmatched
        method: GET
        integration:
          responses:
            - {status_code: 400, selection_pattern: "Bad request.*"}
            - {status_code: 200, response_templates: {application/json: '{"ok": true}'}}
integrations:
  teapot:
    type: mock
    request_templates: {application/json: '{"statusCode": 418}'}
    responses:
      - status_code: 200
      - status_code: 418
        selection_pattern: "4\\\\d{2}"
        response_parameters: {method.response.header.Content-Type: "'text/plain'"}
        response_templates: {text/plain: I am a teapot}
    triggers:
      - {api: shop, resource: /teapot, method: GET}
"""


def test_a_form_body_reaches_a_non_proxy_function_through_its_template(harness: Harness) -> None:
    """Without a template such a body is a 400 (reference 3.1); the template maps it to JSON."""
    response = harness.post(
        "/Prod/forms", content=b"a=1&b=2", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200
    assert response.json() == {"kind": "form"}
    xml = harness.post("/Prod/forms", content=b"<a/>", headers={"Content-Type": "application/xml"})
    assert xml.json() == {"kind": "xml"}


def test_never_refuses_a_content_type_without_a_template_with_415(harness: Harness) -> None:
    response = harness.post("/Prod/forms", json={"a": 1})
    assert response.status_code == 415
    assert response.json() == {"message": "Unsupported Media Type"}
    assert response.headers["x-amzn-ErrorType"] == "UnsupportedMediaTypeException"


def test_when_no_templates_refuses_only_where_templates_exist(harness: Harness) -> None:
    assert harness.post("/Prod/loose", json={"a": 1}).status_code == 415
    passed = harness.post("/Prod/plain", json={"a": 1})
    assert (passed.status_code, passed.json()) == (200, {"a": 1})


def test_a_function_error_is_selected_by_its_error_message(harness: Harness) -> None:
    response = harness.get("/Prod/boom", headers={"Origin": "http://localhost:8080"})
    assert response.status_code == 404
    assert response.json() == {"message": "not here"}
    assert response.headers["X-Reason"] == "broken"
    # Enable CORS maps the origin onto the 200 responses only, as the console stores it.
    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_error_no_pattern_matches_takes_the_default_response(harness: Harness) -> None:
    response = harness.get("/Prod/unmatched")
    assert (response.status_code, response.json()) == (200, {"ok": True})


def test_a_mock_integration_answers_the_status_its_request_template_selects(harness: Harness) -> None:
    response = harness.get("/Prod/teapot")
    assert response.status_code == 418
    assert response.text == "I am a teapot"
    assert response.headers["Content-Type"] == "text/plain"


def test_a_request_template_from_a_file_reaches_the_function(
    tmp_path: Path, make_harness: MakeHarness
) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "order.json").write_text('{"source": "file"}\n')
    harness = make_harness(
        """
        apis: {shop: {}}
        functions:
          orders:
            handler: cases.echo
            triggers:
              - api: shop
                resource: /orders
                method: POST
                integration:
                  request_templates: {text/csv: {file: templates/order.json}}
        """
    )
    response = harness.post("/Prod/orders", content=b"a,b\n1,2\n", headers={"Content-Type": "text/csv"})
    assert (response.status_code, response.json()) == (200, {"source": "file"})


@pytest.mark.parametrize("status", [200, 201])
def test_a_cors_origin_is_on_each_200_only(make_harness: MakeHarness, status: int) -> None:
    harness = make_harness(
        f"""
        apis: {{shop: {{}}}}
        integrations:
          created:
            type: mock
            request_templates: {{application/json: '{{"statusCode": {status}}}'}}
            responses:
              - {{status_code: 201, selection_pattern: "201"}}
              - {{status_code: 200}}
            triggers:
              - {{api: shop, resource: /things, method: POST, cors: true}}
        """
    )
    response = harness.post("/Prod/things", json={})
    assert response.status_code == status
    assert ("Access-Control-Allow-Origin" in response.headers) == (status == 200)


def test_editing_a_template_file_redeploys(tmp_path: Path) -> None:
    """A template is read once, when the definitions load (as AWS stores it): hot reload watches its file."""
    from emulator.config import load_definitions
    from emulator.reload import Reloader

    template = tmp_path / "templates" / "ping.json"
    template.parent.mkdir()
    template.write_text('{"statusCode": 200}')
    config = tmp_path / "apig.yaml"
    config.write_text(
        "apis: {shop: {}}\nintegrations:\n  ping:\n    type: mock\n"
        "    request_templates: {application/json: {file: templates/ping.json}}\n"
        "    responses: [{status_code: 200}, {status_code: 503, selection_pattern: '5\\d\\d'}]\n"
        "    triggers: [{api: shop, resource: /ping, method: GET}]\n"
    )
    with Harness(config, code_dir=tmp_path) as harness:
        reloader = Reloader(
            harness.client.app, config=config, code_dir=tmp_path, load=lambda: load_definitions(config)
        )
        assert harness.get("/Prod/ping").status_code == 200
        assert reloader.is_config(str(template.resolve()))
        template.write_text('{"statusCode": 503}')
        reloader.apply([str(template)])
        assert harness.get("/Prod/ping").status_code == 503


def test_a3_mock_with_cdks_unquoted_status_and_a_2xx_pattern_answers_200_with_no_body(
    make_harness: MakeHarness,
) -> None:
    """Reference A.3 (recorded): ``{statusCode: 200}`` as CDK writes it, an integration response 200 with
    selectionPattern ``2\\d{2}`` and no template, a path parameter mapped: GET answers 200 with an empty
    body, and the integration stored is the recorded one (no httpMethod, no uri, WHEN_NO_MATCH, 29000)."""
    harness = make_harness(
        r"""
        apis: {shop: {}}
        integrations:
          cdk:
            type: mock
            request_templates: {application/json: "{statusCode: 200}"}
            request_parameters: {integration.request.path.id: method.request.path.id}
            responses:
              - {status_code: 200, selection_pattern: '2\d{2}'}
            triggers:
              - {api: shop, resource: "/{id}", method: GET}
        """
    )
    integration = harness.definitions.apis["shop"].resources["/{id}"].methods["GET"].integration
    assert (integration.type, integration.http_method, integration.uri) == ("MOCK", None, None)
    assert (integration.passthrough_behavior, integration.timeout_ms) == ("WHEN_NO_MATCH", 29000)
    assert integration.request_parameters == {"integration.request.path.id": "method.request.path.id"}
    response = harness.get("/Prod/42")
    assert response.status_code == 200
    assert response.content == b""


def test_a_default_request_template_takes_a_content_type_no_other_matches(make_harness: MakeHarness) -> None:
    harness = make_harness(
        """
        apis: {shop: {}}
        functions:
          any:
            handler: cases.echo
            triggers:
              - api: shop
                resource: /any
                method: POST
                integration:
                  passthrough_behavior: NEVER
                  request_templates:
                    application/json: '{"via": "json"}'
                    $default: '{"via": "default"}'
        """
    )
    csv = harness.post("/Prod/any", content=b"a,b", headers={"Content-Type": "text/csv"})
    assert (csv.status_code, csv.json()) == (200, {"via": "default"})
    assert harness.post("/Prod/any", json={}).json() == {"via": "json"}
