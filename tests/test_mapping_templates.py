"""Mapping templates through the gateway: MOCK and Lambda non-proxy methods as AWS answered them.

Each recorded case of the reference (A.3, A.4, A.5, A.7(c), A.9; sections 3.2, 3.3) is a method here
with the same templates, sent the same request, and compared with AWS's exact answer.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.config.builder import DefinitionsBuilder
from emulator.mapping.compiled import template_errors
from emulator.model import (
    AWS,
    MOCK,
    NEVER,
    NOWHERE,
    REGIONAL,
    WHEN_NO_MATCH,
    WHEN_NO_TEMPLATES,
    Function,
    GatewayResponseSpec,
    Integration,
    IntegrationResponse,
    Location,
    Method,
    MethodResponse,
    RestApi,
    Stage,
)
from emulator.testing import Harness
from tests.conftest import LAMBDAS

HEADER = "method.response.header."
JSON = "application/json"


def mock(
    request_template: str,
    *responses: IntegrationResponse,
    passthrough: str = WHEN_NO_MATCH,
    declared: tuple[str, ...] | None = None,
    verb: str = "GET",
) -> Method:
    integration = Integration(
        type=MOCK,
        request_templates={JSON: request_template},
        responses=responses,
        passthrough_behavior=passthrough,
    )
    statuses = declared if declared is not None else tuple(response.status for response in responses)
    return Method(verb, integration, method_responses={s: MethodResponse(s) for s in statuses})


def lambda_method(
    *responses: IntegrationResponse,
    request_templates: dict[str, str] | None = None,
    function: str = "echo",
    declared: tuple[str, ...] | None = None,
    verb: str = "POST",
) -> Method:
    integration = Integration(
        type=AWS,
        function=function,
        http_method="POST",
        request_templates=request_templates or {},
        responses=responses or (IntegrationResponse("200"),),
    )
    statuses = declared if declared is not None else tuple(r.status for r in integration.responses)
    return Method(verb, integration, method_responses={s: MethodResponse(s) for s in statuses})


# Reference A.3: a MOCK carrying data from its request template to its response template.
A3_PATH_REQUEST = """#set($body = $util.base64Decode($input.params('testPath')))
#set($context.requestOverride.path.body = $body)
{
  "statusCode": 200
}
"""
A3_PATH_RESPONSE = """#set($body = $util.parseJson($context.requestOverride.path.body))
#set($inputBody = $body.message)
#if($inputBody == "path1")
{
  "response": "path was path one"
}
#elseif($inputBody == "path2")
{
  "response": "path was path two"
}
#else
{
  "response": "this is the else clause"
}
#end"""

A3_OVERRIDE_REQUEST = """#set($context.responseOverride.status = 444)
#set($context.responseOverride.header.foo = "bar")
#set($context.responseOverride.custom = "is also passed around")
{
  "statusCode": 200
}
"""
A3_OVERRIDE_RESPONSE = """#set($statusOverride = $context.responseOverride.status)
#set($fooHeader = $context.responseOverride.header.foo)
#set($custom = $context.responseOverride.custom)
{
  "statusOverride": "$statusOverride",
  "fooHeader": "$fooHeader",
  "custom": "$custom"
}"""

A3_MAP_REQUEST = """#set($paramName = "foo")
#set($context.requestOverride.querystring[$paramName] = "bar")
#set($paramPutName = "putfoo")
$context.requestOverride.querystring.put($paramPutName, "putBar")
#set($context["requestOverride"].querystring["nestedfoo"] = "nestedFoo")
{
  "statusCode": 200
}
"""
A3_MAP_RESPONSE = """#set($value = $context.requestOverride.querystring["foo"])
#set($value2 = $context.requestOverride.querystring["putfoo"])
#set($value3 = $context.requestOverride.querystring["nestedfoo"])
{"value": "$value", "value2": "$value2", "value3": "$value3"}"""

# Reference A.5: the request and response templates of LocalStack's validated Lambda test.
A5_REQUEST = """#set($allParams = $input.params())
{
  "apiContext": {
    "apiId": "$context.apiId",
    "httpMethod": "$context.httpMethod",
    "sourceIp": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "path": "$context.path",
    "protocol": "$context.protocol",
    "requestId": "$context.requestId",
    "stage": "$context.stage"
  },
  #foreach($type in $allParams.keySet())
  #set($params = $allParams.get($type))
  "$type": {
    #foreach($paramName in $params.keySet())
    "$paramName": "$util.escapeJavaScript($params.get($paramName))"#if($foreach.hasNext),#end
    #end
  },
  #end
  "body": $input.json('$')
}
"""
A5_RESPONSE = """#set($inputRoot = $input.path('$'))
$input.json("$")
#if($inputRoot.toString().contains("customerror"))
    #set($context.responseOverride.status = 400)
#else
    #set($context.responseOverride.status = 202)
#end
"""

A9_REQUEST = """{
  "context": {#foreach($key in $context.keySet())"$key": "$context.get($key)"#if($foreach.hasNext), #end#end},
  "identity": [#foreach($key in $context.identity.keySet())"$key"#if($foreach.hasNext), #end#end],
  "requestOverride": [#foreach($key in $context.requestOverride.keySet())"$key"#if($foreach.hasNext), #end#end],
  "responseOverride": [#foreach($key in $context.responseOverride.keySet())"$key"#if($foreach.hasNext), #end#end],
  "authorizer": {#foreach($key in $context.authorizer.keySet())"$key"#end},
  "isCanaryRequest": "$context.isCanaryRequest",
  "noStageVar": "$stageVariables.noStageVar",
  "stageVar": "$stageVariables.color"
}"""

#: Reference A.7(c): every header a static response mapping was recorded with.
A7_HEADERS = (
    "Accept",
    "Accept-Charset",
    "Accept-Encoding",
    "Age",
    "Authorization",
    "Connection",
    "Content-Encoding",
    "Content-Length",
    "Content-MD5",
    "Content-Type",
    "Date",
    "Expect",
    "Host",
    "Max-Forwards",
    "Pragma",
    "Proxy-Authenticate",
    "Range",
    "Referer",
    "Server",
    "TE",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
    "User-Agent",
    "Warn",
    "WWW-Authenticate",
)


#: Reference A.7(a): the headers the client sent, and what a request template's $input.params saw of each.
A7A_SENT = {
    "Accept": "application/json",
    "Accept-Charset": "UTF-8",
    "Accept-Encoding": "br",
    "Age": "request_Age",
    "Authorization": "Unauthorized",
    "Content-Encoding": "deflate",
    "Content-MD5": "request_Content-MD5",
    "Content-Type": "application/json",
    "Date": "request_Date",
    "Max-Forwards": "2",
    "Pragma": "cache",
    "Proxy-Authenticate": "Basic",
    "Range": "bytes=500-999",
    "Referer": "https://example.com/",
    "Server": "https://example.com/",
    "TE": "deflate",
    "Trailer": "Expires",
    "Upgrade": "HTTP/2.0",
    "User-Agent": "localStack/0.0",
    "Via": "p.example.net",
    "Warn": "299 localStack/0.0",
    "WWW-Authenticate": "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
}
A7A_STRIPPED = (
    "Content-MD5",
    "Max-Forwards",
    "Proxy-Authenticate",
    "Server",
    "TE",
    "Trailer",
    "Upgrade",
    "WWW-Authenticate",
)


@pytest.fixture(scope="module")
def apig() -> Iterator[Harness]:
    builder = DefinitionsBuilder()
    stage = Stage("dev", "", variables={"color": "blue"})
    gateway_responses = {
        "MISSING_AUTHENTICATION_TOKEN": GatewayResponseSpec(
            "MISSING_AUTHENTICATION_TOKEN",
            status=404,
            template=(
                '{"message": $context.error.messageString, "type": "$context.error.responseType", '
                '"stage": "$context.stage", "color": "$stageVariables.color", '
                '"loud": "$context.error.message.toUpperCase()"}'
            ),
        )
    }
    # REGIONAL, as the recordings of A.7 were made (an edge API's CloudFront replaces Via).
    api = RestApi(
        "shop",
        "abcdefghij",
        stages={"dev": stage},
        gateway_responses=gateway_responses,
        endpoint_type=REGIONAL,
    )
    builder.add_api(api)
    for name, handler in (
        ("boom", "cases.boom"),
        ("echo", "cases.echo"),
        ("select", "selection_patterns.handler"),
    ):
        builder.add_function(name, NOWHERE, Function(name, handler, LAMBDAS))
    ok = IntegrationResponse("200", selection_pattern="2\\d{2}")
    builder.add_method(
        "shop",
        "/{testPath}",
        mock(
            A3_PATH_REQUEST,
            IntegrationResponse("200", "2\\d{2}", response_templates={JSON: A3_PATH_RESPONSE}),
        ),
    )
    builder.add_method(
        "shop",
        "/override/with-template",
        mock(
            A3_OVERRIDE_REQUEST,
            IntegrationResponse("200", "2\\d{2}", response_templates={JSON: A3_OVERRIDE_RESPONSE}),
        ),
    )
    builder.add_method("shop", "/override/without-template", mock(A3_OVERRIDE_REQUEST, ok))
    builder.add_method(
        "shop",
        "/map-assignation",
        mock(
            A3_MAP_REQUEST, IntegrationResponse("200", "2\\d{2}", response_templates={JSON: A3_MAP_RESPONSE})
        ),
    )
    builder.add_method("shop", "/cdk", mock("{statusCode: 200}", ok))
    for behaviour in (WHEN_NO_MATCH, NEVER, WHEN_NO_TEMPLATES):
        for verb in ("GET", "POST"):
            builder.add_method(
                "shop",
                f"/a4/{behaviour}/{{id}}",
                mock(
                    '{"statusCode":200}',
                    IntegrationResponse(
                        "200", response_templates={JSON: '{"statusCode": 200, "id": $input.params().path.id}'}
                    ),
                    passthrough=behaviour,
                    verb=verb,
                ),
            )
    builder.add_method(
        "shop",
        "/a4-echo",
        mock(
            '{"statusCode": 200}',
            IntegrationResponse(
                "200", response_templates={JSON: '{"echo": "$input.params(\'data\')", "response": "mocked"}'}
            ),
            passthrough=WHEN_NO_TEMPLATES,
        ),
    )
    builder.add_method(
        "shop",
        "/a5/template",
        lambda_method(request_templates={JSON: '{"param1": "$input.params(\'param1\')"}'}, verb="GET"),
    )
    builder.add_method(
        "shop",
        "/a5/override",
        lambda_method(
            IntegrationResponse("200", response_templates={JSON: A5_RESPONSE}),
            IntegrationResponse("400", selection_pattern="400"),
            request_templates={JSON: A5_REQUEST},
        ),
    )
    builder.add_method(
        "shop",
        "/a7",
        mock(
            '{"statusCode": 200}',
            IntegrationResponse(
                "200",
                response_parameters={HEADER + name: f"'response_param_{name}'" for name in A7_HEADERS},
            ),
        ),
    )
    builder.add_method("shop", "/a9", lambda_method(request_templates={JSON: A9_REQUEST}))
    a7a_template = "{" + ", ".join(f'"{name}": "$input.params(\'{name}\')"' for name in A7A_SENT) + "}"
    builder.add_method("shop", "/a7a", lambda_method(request_templates={JSON: a7a_template}, verb="GET"))
    builder.add_method(
        "shop",
        "/by-type",
        lambda_method(
            IntegrationResponse(
                "200",
                response_templates={
                    JSON: "$input.json('$')",
                    "application/xml": "<kind>$input.path('$.kind')</kind>",
                    "text/plain": "kind $input.path('$.kind')",
                },
            ),
            request_templates={
                JSON: '{"kind": "json", "value": $input.json(\'$.a\')}',
                "application/x-www-form-urlencoded": (
                    '{"kind": "form", "value": "#foreach($pair in $input.body.split(\'&\'))'
                    "#set($kv = $pair.split('='))$util.urlDecode($kv[0])=$util.urlDecode($kv[1])"
                    '#if($foreach.hasNext);#end#end"}'
                ),
                "$default": '{"kind": "default", "value": "$util.base64Encode($input.body)"}',
            },
        ),
    )
    builder.add_method(
        "shop",
        "/body-headers",
        lambda_method(
            IntegrationResponse(
                "200",
                response_parameters={
                    HEADER + "X-Id": "integration.response.body.item.id",
                    HEADER + "X-Tags": "integration.response.body.item.tags",
                    HEADER + "X-First-Tag": "integration.response.body.item.tags[0]",
                    HEADER + "X-Missing": "integration.response.body.item.nothing",
                    HEADER + "X-Stage-Color": "stageVariables.color",
                    HEADER + "X-Stage": "context.stage",
                    HEADER + "X-Source-Ip": "context.identity.sourceIp",
                },
            )
        ),
    )
    builder.add_method(
        "shop",
        "/not-found-error",
        lambda_method(
            IntegrationResponse("200"),
            IntegrationResponse(
                "404",
                selection_pattern=".*broke.*",
                response_templates={
                    JSON: '#set($e = $util.parseJson($input.body)){"error": "$e.errorMessage", "kind": "$e.errorType"}'
                },
            ),
            function="boom",
        ),
    )
    builder.add_method(
        "shop",
        "/failing",
        lambda_method(request_templates={JSON: '{\n  "n": $util.base64Decode("a")\n}'}),
    )
    builder.add_method(
        "shop",
        "/failing-response",
        lambda_method(IntegrationResponse("200", response_templates={JSON: "#foreach($x in 5)$x#end"})),
    )
    builder.add_method("shop", "/broken", lambda_method(request_templates={JSON: "#if($x)never closed"}))
    builder.add_method(
        "shop",
        "/selection",
        lambda_method(
            IntegrationResponse("200", selection_pattern=None),
            IntegrationResponse("405", selection_pattern=".*four hundred.*"),
            IntegrationResponse("502", selection_pattern=".+"),
            IntegrationResponse("504", selection_pattern="200"),
            function="select",
        ),
    )
    assert builder.errors == []
    with Harness(builder.build()) as harness:
        yield harness


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("path1", '{\n  "response": "path was path one"\n}\n'),
        ("path2", '{\n  "response": "path was path two"\n}\n'),
        ("whatever", '{\n  "response": "this is the else clause"\n}\n'),
    ],
)
def test_a3_request_override_path_set_by_the_request_template_is_read_by_the_response_template(
    apig: Harness, message: str, expected: str
) -> None:
    segment = b64(json.dumps({"message": message}))
    assert segment.endswith("=")
    response = apig.get(f"/dev/{segment}")
    assert (response.status, json.loads(response.text)) == (200, json.loads(expected))


def test_a3_response_override_set_in_the_request_template_applies_with_a_template(apig: Harness) -> None:
    response = apig.get("/dev/override/with-template")
    assert response.status == 444
    assert response.headers["foo"] == "bar"
    assert json.loads(response.text) == {
        "statusOverride": "444",
        "fooHeader": "bar",
        "custom": "is also passed around",
    }


def test_a3_response_override_applies_without_a_response_template(apig: Harness) -> None:
    response = apig.get("/dev/override/without-template")
    assert (response.status, response.headers["foo"], response.content) == (444, "bar", b"")


def test_a3_map_assignments_on_the_request_override(apig: Harness) -> None:
    response = apig.get("/dev/map-assignation")
    assert response.status == 200
    assert response.text == '{"value": "bar", "value2": "putBar", "value3": "nestedFoo"}'


def test_a3_cdks_unquoted_status_code_selects_and_the_body_is_empty(apig: Harness) -> None:
    response = apig.get("/dev/cdk")
    assert (response.status, response.content) == (200, b"")


@pytest.mark.parametrize("behaviour", [WHEN_NO_MATCH, NEVER, WHEN_NO_TEMPLATES])
@pytest.mark.parametrize("verb", ["GET", "POST"])
def test_a4_mock_response_template_inserts_the_path_parameter_raw(
    apig: Harness, behaviour: str, verb: str
) -> None:
    response = apig.request(verb, f"/dev/a4/{behaviour}/42", headers={"Content-Type": JSON})
    assert (response.status, response.text) == (200, '{"statusCode": 200, "id": 42}')


def test_a4_a_request_without_content_type_uses_the_json_template(apig: Harness) -> None:
    response = apig.get("/dev/a4-echo", params={"data": "foobar"})
    assert "content-type" not in {name.lower() for name, _ in apig.exchanges[-1].request.headers}
    assert (response.status, response.text) == (200, '{"echo": "foobar", "response": "mocked"}')


@pytest.mark.parametrize("query", [{"param1": "foobar"}, {"param1": "foobar", "Signature": "1"}])
def test_a5_lambda_request_template_reads_a_query_parameter(apig: Harness, query: dict[str, str]) -> None:
    response = apig.get("/dev/a5/template", params=query)
    assert (response.status, response.json()) == (200, {"param1": "foobar"})


def test_a5_response_template_overrides_the_status_to_one_without_a_method_response(apig: Harness) -> None:
    response = apig.post("/dev/a5/override", json={"httpStatus": "200", "statusCode": 200, "body": "noerror"})
    assert response.status == 202
    event = response.json()
    assert event["body"] == {"httpStatus": "200", "statusCode": 200, "body": "noerror"}
    assert event["apiContext"]["stage"] == "dev"
    assert event["apiContext"]["path"] == "/dev/a5/override"
    assert event["apiContext"]["httpMethod"] == "POST"
    assert event["header"]["Content-Type"] == JSON
    assert event["path"] == {}
    customerror = apig.post("/dev/a5/override", json={"httpStatus": "400", "body": "customerror"})
    assert customerror.status == 400
    assert customerror.json()["body"]["body"] == "customerror"


def test_a7c_static_response_header_mappings_are_set_remapped_or_dropped(apig: Harness) -> None:
    response = apig.get("/dev/a7")
    assert response.status == 200
    received = {name.lower(): value for name, value in response.headers.items()}
    for name in ("Accept", "Accept-Charset", "Accept-Encoding", "Age", "Content-Encoding", "Content-Type"):
        assert received[name.lower()] == f"response_param_{name}"
    for name in ("Pragma", "Range", "Referer", "TE", "Warn"):
        assert received[name.lower()] == f"response_param_{name}"
    remapped = (
        "Authorization",
        "Connection",
        "Content-Length",
        "Content-MD5",
        "Date",
        "Expect",
        "Host",
        "Max-Forwards",
        "Proxy-Authenticate",
        "Server",
        "Trailer",
        "Upgrade",
        "User-Agent",
        "WWW-Authenticate",
    )
    for name in remapped:
        assert received[f"x-amzn-remapped-{name.lower()}"] == f"response_param_{name}"
        assert received.get(name.lower()) != f"response_param_{name}"
    assert "transfer-encoding" not in received
    assert not any(value == "response_param_Transfer-Encoding" for value in received.values())


def test_a7a_a_request_template_sees_the_headers_aws_passes_and_not_those_it_strips(apig: Harness) -> None:
    response = apig.get("/dev/a7a", headers=A7A_SENT)
    assert response.status == 200
    seen = response.json()
    expected = {name: "" if name in A7A_STRIPPED else value for name, value in A7A_SENT.items()}
    assert seen == expected


def test_a9_context_keys_in_awss_order_with_nested_maps_printed_empty(apig: Harness) -> None:
    response = apig.post("/dev/a9", headers={"User-Agent": "python/requests/tests"})
    assert response.status == 200
    seen = response.json()
    assert list(seen["context"]) == [
        "resourceId",
        "resourcePath",
        "httpMethod",
        "extendedRequestId",
        "requestTime",
        "path",
        "accountId",
        "protocol",
        "requestOverride",
        "stage",
        "domainPrefix",
        "requestTimeEpoch",
        "requestId",
        "identity",
        "domainName",
        "deploymentId",
        "responseOverride",
        "apiId",
    ]
    context = seen["context"]
    assert (context["resourcePath"], context["httpMethod"], context["path"]) == ("/a9", "POST", "/dev/a9")
    assert (context["protocol"], context["stage"], context["apiId"]) == ("HTTP/1.1", "dev", "abcdefghij")
    assert context["identity"] == context["requestOverride"] == context["responseOverride"] == ""
    assert context["requestId"] == response.headers["x-amzn-RequestId"]
    assert seen["identity"] == [
        "cognitoIdentityPoolId",
        "accountId",
        "cognitoIdentityId",
        "caller",
        "sourceIp",
        "principalOrgId",
        "accessKey",
        "cognitoAuthenticationType",
        "cognitoAuthenticationProvider",
        "userArn",
        "userAgent",
        "user",
    ]
    assert seen["requestOverride"] == ["path", "header", "querystring"]
    assert seen["responseOverride"] == ["header"]
    assert seen["authorizer"] == {}
    assert seen["isCanaryRequest"] == "false"
    assert (seen["noStageVar"], seen["stageVar"]) == ("", "blue")


@pytest.mark.parametrize(
    ("content_type", "body", "mapped"),
    [
        (JSON, '{"a": [1, "x"]}', {"kind": "json", "value": [1, "x"]}),
        (None, '{"a": {"b": 1}}', {"kind": "json", "value": {"b": 1}}),
        ("application/json; charset=utf-8", '{"a": 2}', {"kind": "json", "value": 2}),
        (
            "application/x-www-form-urlencoded",
            "name=Ada+L&city=Paris%2FFR",
            {"kind": "form", "value": "name=Ada L;city=Paris/FR"},
        ),
        ("text/plain", "it's <b>", {"kind": "default", "value": "aXQncyA8Yj4="}),
    ],
)
def test_the_request_template_is_chosen_by_content_type(
    apig: Harness, content_type: str | None, body: str, mapped: dict[str, object]
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = apig.post("/dev/by-type", content=body.encode(), headers=headers)
    assert (response.status, response.json()) == (200, mapped)


@pytest.mark.parametrize(
    ("accept", "content_type", "body"),
    [
        (None, JSON, '{"kind":"json","value":1}'),
        ("application/xml", "application/xml", "<kind>json</kind>"),
        ("text/html, text/plain;q=0.9", "text/plain", "kind json"),
        ("image/png", JSON, '{"kind":"json","value":1}'),
    ],
)
def test_the_response_template_is_chosen_by_accept(
    apig: Harness, accept: str | None, content_type: str, body: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = apig.post("/dev/by-type", json={"a": 1}, headers=headers)
    assert (response.status, response.headers["Content-Type"], response.text) == (200, content_type, body)


def test_headers_map_from_the_body_by_jsonpath_the_stage_and_the_context(apig: Harness) -> None:
    response = apig.post("/dev/body-headers", json={"item": {"id": 7, "tags": ["a", "b"]}})
    assert response.status == 200
    assert response.headers["X-Id"] == "7"
    assert response.headers["X-Tags"] == '["a","b"]'
    assert response.headers["X-First-Tag"] == "a"
    assert "X-Missing" not in response.headers
    assert response.headers["X-Stage-Color"] == "blue"
    assert response.headers["X-Stage"] == "dev"
    assert response.headers["X-Source-Ip"] == "127.0.0.1"


def test_a_lambda_error_mapped_to_404_by_its_selection_pattern(apig: Harness) -> None:
    response = apig.post("/dev/not-found-error")
    assert response.status == 404
    assert response.text == '{"error": "something broke", "kind": "ValueError"}'


def test_a_request_template_failing_to_render_is_awss_500_with_the_reason_logged(
    apig: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = apig.post("/dev/failing")
    assert response.status == 500
    assert response.text == '{"message": "Internal server error"}'
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    error = apig.exchanges[-1].error
    assert error is not None
    assert error.reason.startswith(
        "the request template of function 'echo' for 'application/json' failed at line 2:"
    )
    assert "is not base64" in error.reason
    assert "(Unable to transform request)" in error.reason
    assert error.reason in caplog.text
    assert apig.exchanges[-1].invocation is None


def test_a_response_template_failing_to_render_is_awss_500(apig: Harness) -> None:
    response = apig.post("/dev/failing-response")
    assert response.status == 500
    error = apig.exchanges[-1].error
    assert error is not None
    assert (
        "the response template for application/json of the 200 integration response failed at line 1"
        in error.reason
    )
    assert "cannot iterate over '5'" in error.reason


def test_a_template_that_never_parsed_answers_500_with_the_parse_error(apig: Harness) -> None:
    response = apig.post("/dev/broken")
    assert response.status == 500
    error = apig.exchanges[-1].error
    assert error is not None
    assert (
        "the template does not parse: if directive: expected #else, #elseif or #end, but the template ends"
        in error.reason
    )


def test_gateway_response_templates_render_through_the_engine(apig: Harness) -> None:
    response = apig.get("/dev/nowhere/at/all")
    assert response.status == 404
    assert response.json() == {
        "message": "Missing Authentication Token",
        "type": "MISSING_AUTHENTICATION_TOKEN",
        "stage": "dev",
        "color": "blue",
        "loud": "MISSING AUTHENTICATION TOKEN",
    }


BROKEN_DOCUMENT = """\
openapi: 3.0.1
info: {title: shop, version: "1"}
paths:
  /items:
    post:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: aws
        uri: "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:210987654321:function:echo/invocations"
        requestTemplates:
          application/json: |
            {
              "a": $input.json('$'
            }
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: "#foreach($x $y)#end"
x-amazon-apigateway-gateway-responses:
  DEFAULT_4XX:
    responseTemplates:
      application/json: "#if($x)"
"""


def test_templates_that_do_not_parse_are_validate_errors_with_their_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "api.yaml").write_text(BROKEN_DOCUMENT)
    config = tmp_path / "apig.yaml"
    config.write_text(
        "apis:\n  shop:\n    openapi: api.yaml\n    stages: {Prod: {}}\nfunctions:\n  echo: {handler: cases.echo}\n"
    )
    code = main(["validate", "--config", str(config), "--code-dir", str(LAMBDAS)])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.replace(f"{tmp_path}/", "").splitlines() == [
        "3 errors in the API definitions:",
        "api.yaml:11: paths./items.post.x-amazon-apigateway-integration.requestTemplates.application/json: the "
        "request template for application/json of POST /items is not valid Velocity: at line 2, column 23 of the "
        "template: parameter list: expected ), before the end of the line",
        "api.yaml:19: paths./items.post.x-amazon-apigateway-integration.responses.default.responseTemplates."
        "application/json: the response template for application/json of the 200 integration response of POST "
        "/items is not valid Velocity: at line 1, column 12 of the template: foreach directive: expected in, "
        "before '$y)#end'",
        "api.yaml:23: x-amazon-apigateway-gateway-responses.DEFAULT_4XX.responseTemplates.application/json: the "
        "template of the gateway response DEFAULT_4XX is not valid Velocity: at line 1, column 8 of the template: "
        "if directive: expected #else, #elseif or #end, but the template ends",
    ]


def test_a_template_error_without_a_location_of_its_own_is_reported_at_its_method() -> None:
    builder = DefinitionsBuilder()
    builder.add_api(RestApi("shop", "abcdefghij", stages={"dev": Stage("dev", "")}))
    method = mock("#if($x)", IntegrationResponse("200"))
    at = Location("apig.yaml", "mocks.m.triggers[0]", 7)
    builder.add_method("shop", "/m", replace(method, location=at))
    (error,) = template_errors(builder.build())
    assert str(error) == (
        "apig.yaml:7: mocks.m.triggers[0]: the request template for application/json of GET /m is not valid "
        "Velocity: at line 1, column 8 of the template: if directive: expected #else, #elseif or #end, but the "
        "template ends"
    )
