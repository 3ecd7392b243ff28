"""The integration response step, on methods built with the public builder as an importer would build them.

Reference section 3.2: for Lambda, selection patterns are matched against a function error's
``errorMessage`` (the whole of it, as Java's ``matches``); a success takes the default response; with
no match and no default the answer is a 500. For MOCK (and HTTP) the pattern is matched against the
status code.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.config.builder import DefinitionsBuilder
from emulator.model import (
    AWS,
    MOCK,
    NOWHERE,
    Function,
    Integration,
    IntegrationResponse,
    Method,
    MethodResponse,
    RestApi,
    Stage,
)
from emulator.testing import Harness
from tests.conftest import LAMBDAS

HEADER = "method.response.header."


def lambda_method(*responses: IntegrationResponse, function: str = "boom") -> Method:
    integration = Integration(type=AWS, function=function, http_method="POST", responses=responses)
    declared = {response.status: MethodResponse(response.status) for response in responses}
    return Method("GET", integration, method_responses=declared)


def mock_method(
    status: int, *responses: IntegrationResponse, declared: tuple[str, ...] | None = None
) -> Method:
    integration = Integration(
        type=MOCK, request_templates={"application/json": f'{{"statusCode": {status}}}'}, responses=responses
    )
    statuses = declared if declared is not None else tuple(response.status for response in responses)
    return Method("GET", integration, method_responses={s: MethodResponse(s) for s in statuses})


@pytest.fixture
def apig() -> Iterator[Harness]:
    builder = DefinitionsBuilder()
    builder.add_api(RestApi("shop", "abcdefghij", stages={"Prod": Stage("Prod", "")}))
    for name, handler in (("boom", "cases.boom"), ("echo", "cases.echo")):
        builder.add_function(name, NOWHERE, Function(name, handler, LAMBDAS))
    four_hundred = IntegrationResponse("400", selection_pattern=".*broke.*")
    builder.add_method("shop", "/selected", lambda_method(IntegrationResponse("200"), four_hundred))
    builder.add_method(
        "shop",
        "/partial",
        lambda_method(IntegrationResponse("400", selection_pattern="broke"), IntegrationResponse("200")),
    )
    builder.add_method(
        "shop", "/no-default", lambda_method(IntegrationResponse("502", selection_pattern="nothing"))
    )
    builder.add_method(
        "shop",
        "/success",
        lambda_method(
            IntegrationResponse("200"), IntegrationResponse("418", selection_pattern=".*"), function="echo"
        ),
    )
    builder.add_method(
        "shop",
        "/mock-404",
        mock_method(
            404,
            IntegrationResponse(
                "200",
                response_parameters={HEADER + "X-Which": "'default'"},
                response_templates={"application/json": "ok"},
            ),
            IntegrationResponse(
                "404",
                selection_pattern="4\\d{2}",
                response_parameters={
                    HEADER + "X-Which": "'not found'",
                    HEADER + "Content-Type": "'text/plain'",
                },
                response_templates={"text/plain": "no such thing", "application/json": '{"message": "gone"}'},
            ),
        ),
    )
    builder.add_method("shop", "/undeclared", mock_method(200, IntegrationResponse("201"), declared=("200",)))
    assert builder.errors == []
    with Harness(builder.build()) as harness:
        yield harness


def test_a_function_error_is_selected_by_its_error_message(apig: Harness) -> None:
    response = apig.get("/Prod/selected")
    assert response.status == 400
    # The error object is the body, as the integration passes it through.
    assert response.json()["errorMessage"] == "something broke"


def test_a_pattern_must_match_the_whole_error_message(apig: Harness) -> None:
    """``broke`` does not match ``something broke``: Java's ``matches``, not ``find``."""
    response = apig.get("/Prod/partial")
    assert response.status == 200
    assert response.json()["errorType"] == "ValueError"


def test_no_match_and_no_default_is_awss_500(apig: Harness) -> None:
    response = apig.get("/Prod/no-default")
    assert response.status == 500
    assert response.text == '{"message": "Internal server error"}'
    assert apig.exchanges[-1].error is not None
    assert apig.exchanges[-1].error.response_type == "API_CONFIGURATION_ERROR"
    assert (
        "No match for output mapping and no default output mapping configured"
        in apig.exchanges[-1].error.reason
    )


def test_a_success_takes_the_default_even_where_a_pattern_matches_anything(apig: Harness) -> None:
    assert apig.get("/Prod/success").status == 200


def test_a_mock_selects_by_its_status_code_and_maps_headers_and_body(apig: Harness) -> None:
    response = apig.get("/Prod/mock-404", headers={"Accept": "text/plain"})
    assert (response.status, response.text) == (404, "no such thing")
    assert response.headers["X-Which"] == "not found"
    assert response.headers["Content-Type"] == "text/plain"
    # Without a matching Accept, the application/json template; the mapped Content-Type still wins.
    assert apig.get("/Prod/mock-404").text == '{"message": "gone"}'


def test_an_integration_response_without_its_method_response_is_a_500(apig: Harness) -> None:
    response = apig.get("/Prod/undeclared")
    assert response.status == 500
    assert apig.exchanges[-1].error is not None
    assert "Output mapping refers to an invalid method response" in apig.exchanges[-1].error.reason


@pytest.mark.parametrize(
    ("template", "status"),
    [('{"statusCode": 404}', 404), ("{statusCode: 404}", 404), ("{ statusCode : 201, other: 1 }", 201)],
)
def test_a_mock_reads_its_status_code_as_aws_does_even_unquoted_as_cdk_writes_it(
    template: str, status: int
) -> None:
    builder = DefinitionsBuilder()
    builder.add_api(RestApi("shop", "abcdefghij", stages={"Prod": Stage("Prod", "")}))
    integration = Integration(
        type=MOCK,
        request_templates={"application/json": template},
        responses=(
            IntegrationResponse("200"),
            IntegrationResponse(str(status), selection_pattern=str(status)),
        ),
    )
    declared = {"200": MethodResponse("200"), str(status): MethodResponse(str(status))}
    builder.add_method("shop", "/m", Method("GET", integration, method_responses=declared))
    with Harness(builder.build()) as apig:
        assert apig.get("/Prod/m").status == status


def test_a_mock_without_a_status_code_is_a_500() -> None:
    builder = DefinitionsBuilder()
    builder.add_api(RestApi("shop", "abcdefghij", stages={"Prod": Stage("Prod", "")}))
    integration = Integration(
        type=MOCK,
        request_templates={"application/json": '{"code": 200}'},
        responses=(IntegrationResponse("200"),),
    )
    builder.add_method(
        "shop", "/m", Method("GET", integration, method_responses={"200": MethodResponse("200")})
    )
    with Harness(builder.build()) as apig:
        response = apig.get("/Prod/m")
        assert (response.status, response.text) == (500, '{"message": "Internal server error"}')
        assert "no valid statusCode" in apig.exchanges[-1].error.reason  # type: ignore[union-attr]
