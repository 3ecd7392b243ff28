"""contentHandling and binaryMediaTypes on non-proxy integrations (reference A.8, 1.6, 3.1).

The two recorded matrices (an S3 integration on AWS: what a PUT stored, what a GET returned) are
each a parametrized table below, cell by cell, with the recording's payloads: RAW (gzip bytes, not
UTF-8), ENC (RAW's base64) and TXT. The conversions are tested on their own, then through the
gateway with a non-proxy Lambda function and a MOCK.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import textwrap
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from emulator.config import ConfigWarning
from emulator.mapping import content_handling
from emulator.mapping.content_handling import Unconvertible, convert_request, convert_response
from emulator.not_executed import grouped, not_executed
from emulator.testing import EventError, Harness, json_event
from tests.aws_services import moto_server
from tests.conftest import LAMBDAS
from tests.upstream import Answer, Received, Upstream

TXT = b"this is a UTF8 text typed object"
RAW = gzip.compress(TXT, mtime=0)
ENC = base64.b64encode(RAW)
#: RAW read as UTF-8 text, as AWS reads a body it takes for text: each invalid sequence is U+FFFD (EF BF BD).
MANGLED = RAW.decode("utf-8", "replace").encode()
ERROR = "500"
PNG_BYTES = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0xFF])

__all__ = ["moto_server"]

PAYLOADS = {"RAW": RAW, "ENC": ENC, "TXT": TXT}
CTT, CTB = "CONVERT_TO_TEXT", "CONVERT_TO_BINARY"
PNG = ("image/png",)


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def test_the_recordings_payloads_are_what_the_matrices_need() -> None:
    with pytest.raises(UnicodeDecodeError):
        RAW.decode("utf-8")
    assert ENC.startswith(b"H4sI") and b"\xef\xbf\xbd" in MANGLED
    assert b64(ENC).startswith(b"SDRzSUFB") and b64(TXT).startswith(b"dGhpcyBp")


# (contentHandling, request Content-Type, binaryMediaTypes) -> what the integration receives of RAW, ENC, TXT.
REQUEST_MATRIX = [
    pytest.param(None, "image/png", PNG, (RAW, ENC, TXT), id="none-binary"),
    pytest.param(None, "text/plain", PNG, (MANGLED, ENC, TXT), id="none-text"),
    pytest.param(CTT, "image/png", PNG, (b64(RAW), b64(ENC), b64(TXT)), id="to_text-binary"),
    pytest.param(CTT, "text/plain", PNG, (MANGLED, ENC, TXT), id="to_text-text"),
    pytest.param(CTB, "image/png", (), (ERROR, RAW, ERROR), id="to_binary-png_without_binary_types"),
    pytest.param(CTB, "image/png", PNG, (RAW, ENC, TXT), id="to_binary-binary"),
    pytest.param(CTB, "text/plain", PNG, (ERROR, RAW, ERROR), id="to_binary-text"),
]


@pytest.mark.parametrize(("handling", "content_type", "binary_types", "expected"), REQUEST_MATRIX)
@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_a8_request_matrix(
    handling: str | None,
    content_type: str,
    binary_types: tuple[str, ...],
    expected: tuple[bytes | str, ...],
    payload: str,
) -> None:
    wanted = expected[list(PAYLOADS).index(payload)]
    if wanted == ERROR:
        with pytest.raises(Unconvertible, match="text to convert to binary is not base64"):
            convert_request(PAYLOADS[payload], content_type, binary_types, handling)
    else:
        assert convert_request(PAYLOADS[payload], content_type, binary_types, handling) == wanted


# (integration response contentHandling, binaryMediaTypes, the backend's Content-Type, Accept) -> what the
# client receives of RAW, ENC, TXT. "text"/"binary": whether the type is in binaryMediaTypes (image/png).
RESPONSE_MATRIX = [
    pytest.param(None, (), "image/png", "image/png", (MANGLED, ENC, TXT), id="none-no_binary_types-png"),
    pytest.param(
        None, (), "binary/octet-stream", "text/plain", (MANGLED, ENC, TXT), id="none-no_binary_types"
    ),
    pytest.param(
        None, PNG, "binary/octet-stream", "image/png", (ERROR, RAW, ERROR), id="none-text-accept_binary"
    ),
    pytest.param(None, PNG, "image/png", "image/png", (RAW, ENC, TXT), id="none-binary-accept_binary"),
    pytest.param(
        None, PNG, "binary/octet-stream", "text/plain", (MANGLED, ENC, TXT), id="none-text-accept_text"
    ),
    pytest.param(
        None, PNG, "image/png", "text/plain", (b64(RAW), b64(ENC), b64(TXT)), id="none-binary-accept_text"
    ),
    pytest.param(CTT, PNG, "image/png", "image/png", (b64(RAW), b64(ENC), b64(TXT)), id="to_text-binary-png"),
    pytest.param(
        CTT, PNG, "image/png", "text/plain", (b64(RAW), b64(ENC), b64(TXT)), id="to_text-binary-text"
    ),
    pytest.param(CTT, PNG, "binary/octet-stream", "image/png", (MANGLED, ENC, TXT), id="to_text-text-png"),
    pytest.param(CTT, PNG, "binary/octet-stream", None, (MANGLED, ENC, TXT), id="to_text-text-no_accept"),
    pytest.param(CTB, PNG, "binary/octet-stream", "text/plain", (ERROR, RAW, ERROR), id="to_binary-text"),
    pytest.param(
        CTB, (), "binary/octet-stream", "image/png", (ERROR, RAW, ERROR), id="to_binary-no_binary_types"
    ),
    pytest.param(CTB, PNG, "image/png", "text/plain", (RAW, ENC, TXT), id="to_binary-binary-text"),
    pytest.param(CTB, PNG, "image/png", "image/png", (RAW, ENC, TXT), id="to_binary-binary-png"),
]


@pytest.mark.parametrize(("handling", "binary_types", "content_type", "accept", "expected"), RESPONSE_MATRIX)
@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_a8_response_matrix(
    handling: str | None,
    binary_types: tuple[str, ...],
    content_type: str,
    accept: str | None,
    expected: tuple[bytes | str, ...],
    payload: str,
) -> None:
    wanted = expected[list(PAYLOADS).index(payload)]
    if wanted == ERROR:
        with pytest.raises(Unconvertible, match="text to convert to binary is not base64"):
            convert_response(PAYLOADS[payload], content_type, accept, binary_types, handling)
    else:
        assert convert_response(PAYLOADS[payload], content_type, accept, binary_types, handling) == wanted


@pytest.mark.parametrize(
    ("accept", "binary"),
    [
        ("image/png", True),
        ("image/png, text/html", True),
        ("text/html, image/png", False),
        ("image/webp,image/*,*/*;q=0.8", False),
        ("image/*", False),
        ("*/*", False),
        ("", False),
        (None, False),
    ],
)
def test_only_the_first_accept_media_type_counts(accept: str | None, binary: bool) -> None:
    """AWS-doc api-gateway-payload-encodings-workflow: "API Gateway honors only the first Accept media type";
    matched as the validated proxy rule matches it (reference 2: a wildcard Accept is no binary type)."""
    assert convert_response(RAW, "image/png", accept, PNG, None) == (RAW if binary else b64(RAW))


@pytest.mark.parametrize(
    ("binary_types", "content_type", "binary"),
    [
        (("image/*",), "image/png", True),
        (("*/*",), "text/plain", True),
        (("image/png",), "Image/PNG; charset=binary", True),
        (("image/png",), "image/jpeg", False),
        (("image/png",), None, False),
    ],
)
def test_binary_media_types_match_with_wildcards_and_parameters(
    binary_types: tuple[str, ...], content_type: str | None, binary: bool
) -> None:
    """The same matching as the proxy event's isBase64Encoded (reference 1.6): CONVERT_TO_TEXT shows it."""
    expected = b64(RAW) if binary else MANGLED
    assert convert_request(RAW, content_type, binary_types, CTT) == expected


@pytest.mark.parametrize(
    "text",
    [ENC, ENC.rstrip(b"="), b"  " + ENC + b"\n", b'"' + ENC.decode().encode() + b'"'],
    ids=["padded", "unpadded", "surrounded_by_whitespace", "json_string"],
)
def test_to_binary_accepts_base64_as_a_decoder_would_decision(text: bytes) -> None:
    """Pins a decision: padding is optional (as Java's decoder), whitespace around the text is trimmed, and a
    JSON string of base64 (a non-proxy Lambda function returning a ``str``) is decoded from its value."""
    assert convert_response(text, "application/json", None, (), CTB) == RAW


@pytest.mark.parametrize("text", [b"abc d", b"a", b"YWJj$", b'"not base64"', b"{}"])
def test_to_binary_refuses_what_is_not_base64(text: bytes) -> None:
    with pytest.raises(Unconvertible, match="is not base64"):
        convert_response(text, "application/json", None, (), CTB)


# --- through the gateway ------------------------------------------------------------------------------

FUNCTION_ARN = "arn:aws:lambda:eu-west-1:210987654321:function:{}"
LAMBDA = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/" + FUNCTION_ARN + "/invocations"

MakeHarness = Callable[..., Harness]


def lambda_method(
    path: str,
    *,
    handling: str | None = None,
    response_handling: str | None = None,
    templates: dict[str, str] | None = None,
    response_templates: dict[str, str] | None = None,
) -> str:
    """An OpenAPI path with a non-proxy Lambda integration (the function ``echo``) on POST."""
    integration: dict[str, Any] = {"type": "aws", "uri": LAMBDA.format("echo")}
    if handling:
        integration["contentHandling"] = handling
    if templates:
        integration["requestTemplates"] = templates
    default: dict[str, Any] = {"statusCode": "200"}
    if response_handling:
        default["contentHandling"] = response_handling
    if response_templates:
        default["responseTemplates"] = response_templates
    integration["responses"] = {"default": default}
    operation = {"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": integration}
    return json.dumps({path: {"post": operation}})


@pytest.fixture
def served(tmp_path: Path) -> Iterator[MakeHarness]:
    """A harness over an OpenAPI document of ``paths`` (JSON snippets) and the API's binary media types."""
    harnesses: list[Harness] = []

    def make(*paths: str, binary_types: tuple[str, ...] = ()) -> Harness:
        document = {
            "openapi": "3.0.1",
            "info": {"title": "files", "version": "1"},
            "x-amazon-apigateway-binary-media-types": list(binary_types),
            "paths": {key: value for path in paths for key, value in json.loads(path).items()},
        }
        (tmp_path / "api.json").write_text(json.dumps(document))
        (tmp_path / "apig.yaml").write_text(
            textwrap.dedent(
                """
                apis:
                  files: {openapi: api.json}
                functions:
                  echo: {handler: cases.echo}
                """
            )
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConfigWarning)
            harness = Harness(tmp_path / "apig.yaml", code_dir=LAMBDAS)
        harnesses.append(harness)
        return harness

    yield make
    for harness in harnesses:
        harness.close()


def returning(value: Any) -> Callable[[Any, Any], Any]:
    return lambda event, context: value


def test_lambda_returning_base64_text_is_served_as_binary_with_convert_to_binary_decision(
    served: MakeHarness,
) -> None:
    """The non-proxy way to serve an image from a function: it returns base64, the integration response
    converts it (its JSON string quotes are no part of the base64: a decision, see ``to_binary``)."""
    apig = served(lambda_method("/image", response_handling=CTB))
    with apig.override("echo", returning(ENC.decode())):
        answer = apig.post("/Prod/image", headers={"Accept": "text/plain"})
    assert (answer.status, answer.content) == (200, RAW)


def test_readme_example_a_thumbnail_from_a_non_proxy_function(served: MakeHarness) -> None:
    """The README's example: the function returns base64, the response is the PNG with its Content-Type."""
    thumbnail = {
        "/thumbnail": {
            "get": {
                "responses": {
                    "200": {"description": "ok", "headers": {"Content-Type": {"schema": {"type": "string"}}}}
                },
                "x-amazon-apigateway-integration": {
                    "type": "aws",
                    "uri": LAMBDA.format("echo"),
                    "responses": {
                        "default": {
                            "statusCode": "200",
                            "contentHandling": CTB,
                            "responseParameters": {"method.response.header.Content-Type": "'image/png'"},
                        }
                    },
                },
            }
        }
    }
    apig = served(json.dumps(thumbnail), binary_types=PNG)
    with apig.override("echo", returning(base64.b64encode(PNG_BYTES).decode())):
        answer = apig.get("/Prod/thumbnail", headers={"Accept": "text/html"})
    assert (answer.status, answer.headers["Content-Type"], answer.content) == (200, "image/png", PNG_BYTES)


def test_lambda_result_that_is_not_base64_under_convert_to_binary_is_a_500_that_says_why(
    served: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    apig = served(lambda_method("/image", response_handling=CTB))
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        answer = apig.post("/Prod/image", json={"not": "base64"})
    assert (answer.status, answer.json()) == (500, {"message": "Internal server error"})
    assert (
        "the integration response 200 (application/json, Accept '*/*') of function 'echo' with contentHandling "
        "CONVERT_TO_BINARY: text to convert to binary is not base64" in caplog.text
    )
    assert len(apig.invocations_of("echo")) == 1


def test_lambda_base64_text_is_decoded_when_the_first_accept_type_is_binary(served: MakeHarness) -> None:
    """Row "none | text | binary Accept" of the response matrix, from a Lambda function: its JSON is text."""
    apig = served(lambda_method("/image"), binary_types=PNG)
    with apig.override("echo", returning(ENC.decode())):
        binary = apig.post("/Prod/image", headers={"Accept": "image/png"})
        text = apig.post("/Prod/image", headers={"Accept": "text/plain, image/png"})
    assert binary.content == RAW
    assert text.content == json.dumps(ENC.decode()).encode()


def test_lambda_json_is_binary_when_its_type_is_listed_and_base64_for_a_text_accept_decision(
    served: MakeHarness,
) -> None:
    """Row "none | binary | text Accept": a function's JSON answer is application/json, so listing that type
    (or ``*/*``) in binaryMediaTypes makes it binary, and a client accepting text gets its base64 (with ``*/*`` every Accept is binary)."""
    apig = served(lambda_method("/doc"), binary_types=("application/json",))
    payload = json.dumps({"a": 1}).encode()
    assert apig.post("/Prod/doc", json={"a": 1}, headers={"Accept": "application/json"}).content == payload
    assert apig.post("/Prod/doc", json={"a": 1}, headers={"Accept": "text/html"}).content == b64(payload)


def test_convert_to_binary_on_the_request_decodes_base64_for_the_function(served: MakeHarness) -> None:
    apig = served(lambda_method("/upload", handling=CTB))
    document = b64(b'{"decoded": true}')
    answer = apig.post("/Prod/upload", content=document, headers={"Content-Type": "text/plain"})
    assert answer.json() == {"decoded": True}
    # The client's own body stays what it sent, for the inspector and the harness's records.
    recorded = apig.exchanges[-1].request
    assert recorded is not None and recorded.body == document
    assert apig.invocations_of("echo")[-1].event == {"decoded": True}


def test_convert_to_binary_refuses_a_request_that_is_not_base64_before_the_function_runs(
    served: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    apig = served(lambda_method("/upload", handling=CTB))
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        answer = apig.post("/Prod/upload", content=TXT, headers={"Content-Type": "text/plain"})
    assert (answer.status, answer.json()) == (500, {"message": "Internal server error"})
    assert (
        "the request body (text/plain) of function 'echo' with contentHandling CONVERT_TO_BINARY: text to convert "
        "to binary is not base64" in caplog.text
    )
    assert apig.invocations_of("echo") == []


def test_a8_convert_to_binary_with_a_request_template(
    served: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Recorded: CONVERT_TO_BINARY with an application/json template; ENC sent as image/png (no binary media
    types, no template: passed through) is decoded; sent as application/json (the template applies) is a 500."""
    apig = served(lambda_method("/put", handling=CTB, templates={"application/json": '{"data": "fixed"}'}))
    document = b64(b'{"stored": "decoded"}')
    passed = apig.post("/Prod/put", content=document, headers={"Content-Type": "image/png"})
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        templated = apig.post("/Prod/put", content=ENC, headers={"Content-Type": "application/json"})
    assert passed.json() == {"stored": "decoded"}
    assert (templated.status, templated.json()) == (500, {"message": "Internal server error"})
    assert "a mapping template applies and reads text, but the payload is binary" in caplog.text
    assert len(apig.invocations_of("echo")) == 1


@pytest.mark.parametrize(("body", "readable"), [(TXT, True), (b"", True), (ENC, True), (RAW, False)])
def test_a_template_reads_only_a_payload_that_is_text_after_the_conversion_decision(
    body: bytes, readable: bool
) -> None:
    if readable:
        content_handling.readable(body)
    else:
        with pytest.raises(Unconvertible, match="reads text, but the payload is binary"):
            content_handling.readable(body)


def test_text_body_that_is_not_utf8_reaches_the_function_mangled_as_on_aws(served: MakeHarness) -> None:
    """Reference A.8 "none | text/plain": invalid UTF-8 becomes U+FFFD; inside a JSON string it still parses."""
    apig = served(lambda_method("/echo"))
    answer = apig.post(
        "/Prod/echo", content=b'{"name": "caf\xe9"}', headers={"Content-Type": "application/json"}
    )
    assert answer.status == 200
    assert apig.invocations_of("echo")[-1].event == {"name": "caf\ufffd"}


def test_binary_body_passes_through_unchanged_to_the_function(served: MakeHarness) -> None:
    apig = served(lambda_method("/echo"), binary_types=("application/octet-stream",))
    body = b'{"kept": "as sent"}'
    answer = apig.post("/Prod/echo", content=body, headers={"Content-Type": "application/octet-stream"})
    assert answer.json() == {"kept": "as sent"}


def test_convert_to_text_gives_the_function_base64_which_is_not_json_without_a_template(
    served: MakeHarness,
) -> None:
    """CONVERT_TO_TEXT makes a binary body base64 text; with no template, Lambda must read it as JSON."""
    apig = served(lambda_method("/echo", handling=CTT), binary_types=PNG)
    answer = apig.post("/Prod/echo", content=RAW, headers={"Content-Type": "image/png"})
    assert answer.status == 400
    assert answer.json()["message"].startswith("Could not parse request body into json: ")


def test_a_mock_converts_its_request_too(served: MakeHarness) -> None:
    """A MOCK passes its body through as its request: CONVERT_TO_BINARY decodes a base64 ``statusCode``."""
    mock = {
        "/mock": {
            "post": {
                "responses": {"201": {"description": "made"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "contentHandling": CTB,
                    "responses": {"default": {"statusCode": "201"}},
                },
            }
        }
    }
    apig = served(json.dumps(mock))
    assert apig.post("/Prod/mock", content=b64(b'{"statusCode": 201}')).status == 201
    assert apig.post("/Prod/mock", content=b'{"statusCode": 201}').status == 500


def test_content_handling_is_no_longer_a_note(served: MakeHarness) -> None:
    apig = served(lambda_method("/echo", handling=CTB, response_handling=CTT))
    assert grouped(not_executed(apig.definitions)) == []


# --- reference 3.1: a non-JSON body on a Lambda non-proxy method --------------------------------------------


def test_31_form_body_without_a_template_is_400_and_with_one_the_template_is_the_event(
    served: MakeHarness,
) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    apig = served(
        lambda_method("/bare"),
        lambda_method("/mapped", templates={"application/x-www-form-urlencoded": '{"from": "form"}'}),
    )
    bare = apig.post("/Prod/bare", content=b"a=1&b=2", headers=form)
    assert (bare.status, bare.headers["x-amzn-ErrorType"]) == (400, "BadRequestException")
    assert bare.json()["message"].startswith("Could not parse request body into json: ")
    assert apig.invocations_of("echo") == []
    mapped = apig.post("/Prod/mapped", content=b"a=1&b=2", headers=form)
    assert (mapped.status, mapped.json()) == (200, {"from": "form"})
    # A JSON body on the same method has no template of its type: passed through (WHEN_NO_MATCH).
    assert apig.post("/Prod/mapped", json={"a": 1}).json() == {"a": 1}


#: Reference 3.1's two usual fixes: the body as a JSON string, or the form's fields as an object.
BODY_AS_STRING = "{\"body\": $input.json('$')}"
FORM_TO_JSON = (
    "{#foreach($pair in $input.body.split('&'))#set($kv = $pair.split('='))"
    '"$util.urlDecode($kv[0])": "$util.urlDecode($kv[1])"#if($foreach.hasNext), #end#end}'
)


@pytest.mark.parametrize(
    ("template", "event"),
    [
        (BODY_AS_STRING, {"body": "name=Ada+L&city=Caf%C3%A9"}),
        (FORM_TO_JSON, {"name": "Ada L", "city": "Caf\u00e9"}),
    ],
    ids=["body_as_a_string", "form_to_json"],
)
def test_31_the_usual_templates_make_a_form_body_an_event(
    served: MakeHarness, template: str, event: Any
) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    apig = served(lambda_method("/form", templates={"application/x-www-form-urlencoded": template}))
    answer = apig.post("/Prod/form", content=b"name=Ada+L&city=Caf%C3%A9", headers=form)
    assert (answer.status, answer.json()) == (200, event)
    assert apig.invocations_of("echo")[-1].event == event


def test_the_event_factory_builds_the_event_the_server_sends(served: MakeHarness, tmp_path: Path) -> None:
    """``json_event`` goes through the gateway's own request mapping: contentHandling, templates, passthrough."""
    apig = served(
        lambda_method("/upload", handling=CTB),
        lambda_method("/mapped", templates={"application/x-www-form-urlencoded": '{"from": "form"}'}),
    )
    config = tmp_path / "apig.yaml"
    body = b64(b'{"decoded": true}')
    text = {"Content-Type": "text/plain"}
    event = json_event("POST", "/Prod/upload", body=body, headers=text, config=config, code_dir=LAMBDAS)
    assert event == {"decoded": True} == apig.post("/Prod/upload", content=body, headers=text).json()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert json_event("POST", "/Prod/mapped", body="a=1", headers=form, config=config) == {"from": "form"}
    with pytest.raises(EventError) as refused:
        json_event("POST", "/Prod/upload", body=TXT, headers=text, config=config, code_dir=LAMBDAS)
    assert (refused.value.status, refused.value.message) == (500, "Internal server error")


# --- the matrices again, end to end: an HTTP integration to a local object store, as A.8's S3 setup --------


class ObjectStore:
    """A local stand-in for A.8's S3 bucket: PUT stores the body as received; GET answers it with the
    Content-Type the ``response-content-type`` query names (S3's default ``binary/octet-stream``)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.upstream = Upstream()
        self.upstream.respond = self.respond

    def respond(self, received: Received) -> Answer:
        path, _, query = received.target.partition("?")
        if received.method == "PUT":
            self.objects[path] = received.body
            return Answer()
        content_type = parse_qs(query).get("response-content-type", ["binary/octet-stream"])[0]
        return Answer(headers=[("Content-Type", content_type)], body=self.objects[path])


def bucket_api(
    url: str,
    handling: str | None,
    response_handling: str | None,
    templates: dict[str, str] | None = None,
    response_templates: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A.8's method: ``/{object_path+}`` ANY to the bucket, Content-Type and response-content-type mapped,
    WHEN_NO_MATCH, no templates unless given."""
    integration: dict[str, Any] = {
        "type": "http",
        "uri": url + "/bucket/{object_path}",
        "httpMethod": "ANY",
        "passthroughBehavior": "when_no_match",
        "requestParameters": {
            "integration.request.path.object_path": "method.request.path.object_path",
            "integration.request.header.Content-Type": "method.request.header.Content-Type",
            "integration.request.querystring.response-content-type": "method.request.header.response-content-type",
        },
        "responses": {"default": {"statusCode": "200"}},
    }
    if handling:
        integration["contentHandling"] = handling
    if response_handling:
        integration["responses"]["default"]["contentHandling"] = response_handling
    if templates:
        integration["requestTemplates"] = templates
    if response_templates:
        integration["responses"]["default"]["responseTemplates"] = response_templates
    parameters = [
        {"name": "object_path", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "Content-Type", "in": "header", "schema": {"type": "string"}},
        {"name": "response-content-type", "in": "header", "schema": {"type": "string"}},
    ]
    operation = {"parameters": parameters, "responses": {"200": {"description": "ok"}}}
    return {
        "/{object_path+}": {
            "x-amazon-apigateway-any-method": {**operation, "x-amazon-apigateway-integration": integration}
        }
    }


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., tuple[Harness, ObjectStore]]]:
    """``bucket(binary_types, handling, response_handling)``: the store and a harness over A.8's API, one per
    setting for the whole module (the matrices' cells share them)."""
    store = ObjectStore()
    harnesses: dict[tuple[Any, ...], Harness] = {}

    def make(
        binary_types: tuple[str, ...], handling: str | None = None, response_handling: str | None = None
    ) -> tuple[Harness, ObjectStore]:
        key = (binary_types, handling, response_handling)
        if key not in harnesses:
            folder = tmp_path_factory.mktemp("bucket")
            document = {
                "openapi": "3.0.1",
                "info": {"title": "bucket", "version": "1"},
                "x-amazon-apigateway-binary-media-types": list(binary_types),
                "paths": bucket_api(store.upstream.url, handling, response_handling),
            }
            (folder / "api.json").write_text(json.dumps(document))
            (folder / "apig.yaml").write_text("apis:\n  bucket: {openapi: api.json}\n")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConfigWarning)
                harnesses[key] = Harness(folder / "apig.yaml", code_dir=LAMBDAS)
        return harnesses[key], store

    yield make
    for harness in harnesses.values():
        harness.close()
    store.upstream.close()


@pytest.mark.parametrize(("handling", "content_type", "binary_types", "expected"), REQUEST_MATRIX)
@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_a8_request_matrix_through_an_http_integration(
    bucket: Callable[..., tuple[Harness, ObjectStore]],
    handling: str | None,
    content_type: str,
    binary_types: tuple[str, ...],
    expected: tuple[bytes | str, ...],
    payload: str,
) -> None:
    apig, store = bucket(binary_types, handling)
    key = f"/bucket/put-{len(store.objects)}-{payload}"
    answer = apig.put(
        f"/Prod{key[len('/bucket') :]}", content=PAYLOADS[payload], headers={"Content-Type": content_type}
    )
    wanted = expected[list(PAYLOADS).index(payload)]
    if wanted == ERROR:
        assert (answer.status, answer.json()) == (500, {"message": "Internal server error"})
        assert key not in store.objects
    else:
        assert answer.status == 200
        assert store.objects[key] == wanted
        assert store.upstream.last.header("Content-Type") == content_type


@pytest.mark.parametrize(("handling", "binary_types", "content_type", "accept", "expected"), RESPONSE_MATRIX)
@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_a8_response_matrix_through_an_http_integration(
    bucket: Callable[..., tuple[Harness, ObjectStore]],
    handling: str | None,
    binary_types: tuple[str, ...],
    content_type: str,
    accept: str | None,
    expected: tuple[bytes | str, ...],
    payload: str,
) -> None:
    apig, store = bucket(binary_types, response_handling=handling)
    store.objects[f"/bucket/get-{payload}"] = PAYLOADS[payload]
    headers = {"Accept": accept or "", "response-content-type": content_type}
    answer = apig.get(f"/Prod/get-{payload}", headers=headers)
    wanted = expected[list(PAYLOADS).index(payload)]
    if wanted == ERROR:
        assert (answer.status, answer.json()) == (500, {"message": "Internal server error"})
    else:
        assert (answer.status, answer.content) == (200, wanted)


DATA_TEMPLATE = {"application/json": '{"data": "$input.body"}'}


def test_a8_convert_to_binary_and_a_request_template_through_the_bucket(
    served: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Recorded: CONVERT_TO_BINARY with ``{"data": "$input.body"}`` for application/json. ENC as image/png
    (no binary media types; no template for it: passed through) is stored decoded (RAW); ENC as
    application/json, where the template applies, is a 500."""
    store = ObjectStore()
    try:
        apig = served(json.dumps(bucket_api(store.upstream.url, CTB, None, templates=DATA_TEMPLATE)))
        assert apig.put("/Prod/passed", content=ENC, headers={"Content-Type": "image/png"}).status == 200
        assert store.objects["/bucket/passed"] == RAW
        with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
            templated = apig.put("/Prod/templated", content=ENC, headers={"Content-Type": "application/json"})
        assert (templated.status, templated.json()) == (500, {"message": "Internal server error"})
        assert "/bucket/templated" not in store.objects
        assert "a mapping template applies and reads text, but the payload is binary" in caplog.text
    finally:
        store.upstream.close()


def test_a8_convert_to_text_and_the_only_response_template_read_base64(served: MakeHarness) -> None:
    """Recorded: CONVERT_TO_TEXT with ``{"data": "$input.body"}`` as the only response template, a binary
    object and ``Accept: image/png``: that template is used although Accept does not name it, and
    ``$input.body`` is the base64 text."""
    store = ObjectStore()
    try:
        document = bucket_api(store.upstream.url, None, CTT, response_templates=DATA_TEMPLATE)
        apig = served(json.dumps(document), binary_types=PNG)
        store.objects["/bucket/object"] = RAW
        answer = apig.get(
            "/Prod/object", headers={"Accept": "image/png", "response-content-type": "image/png"}
        )
        assert (answer.status, answer.json()) == (200, {"data": ENC.decode()})
        assert answer.content == b'{"data": "' + ENC + b'"}'
    finally:
        store.upstream.close()


def test_convert_to_text_gives_a_request_template_the_binary_body_as_base64(served: MakeHarness) -> None:
    """AWS-doc api-gateway-payload-encodings-workflow: a template reads a binary payload through
    ``$input.body`` as its base64 string once CONVERT_TO_TEXT converted it."""
    apig = served(
        lambda_method("/upload", handling=CTT, templates={"image/png": '{"image": "$input.body"}'}),
        binary_types=PNG,
    )
    answer = apig.post("/Prod/upload", content=RAW, headers={"Content-Type": "image/png"})
    assert (answer.status, answer.json()) == (200, {"image": ENC.decode()})


def test_mangling_a_text_body_is_logged_with_what_to_do(
    bucket: Callable[..., tuple[Harness, ObjectStore]], caplog: pytest.LogCaptureFixture
) -> None:
    apig, store = bucket(PNG)
    with caplog.at_level(logging.WARNING, logger="apig_emu.integration"):
        apig.put("/Prod/mangled", content=RAW, headers={"Content-Type": "text/plain"})
    assert store.objects["/bucket/mangled"] == MANGLED
    assert (
        "a request body of type 'text/plain' is not valid UTF-8 and the type is not in binary_media_types: read as "
        "text, as AWS does, each invalid byte sequence replaced by U+FFFD; list the type to pass the bytes intact"
        in caplog.text
    )


# --- HTTP_PROXY: no integration response, so the recorded "none" rows (a decision for proxies) -----------


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    backend = Upstream()
    yield backend
    backend.close()


def proxy_api(url: str) -> str:
    integration = {"type": "http_proxy", "uri": url + "/file", "httpMethod": "ANY"}
    operation = {"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": integration}
    return json.dumps({"/file": {"x-amazon-apigateway-any-method": operation}})


def test_http_proxy_passes_binary_types_intact_and_reads_other_bodies_as_text_decision(
    served: MakeHarness, upstream: Upstream
) -> None:
    apig = served(proxy_api(upstream.url), binary_types=PNG)
    apig.put("/Prod/file", content=RAW, headers={"Content-Type": "image/png"})
    assert upstream.last.body == RAW
    apig.put("/Prod/file", content=RAW, headers={"Content-Type": "application/octet-stream"})
    assert upstream.last.body == MANGLED


def test_http_proxy_answer_is_binary_or_base64_as_the_first_accept_type_asks_decision(
    served: MakeHarness, upstream: Upstream
) -> None:
    apig = served(proxy_api(upstream.url), binary_types=PNG)
    upstream.respond = lambda received: Answer(headers=[("Content-Type", "image/png")], body=RAW)
    assert apig.get("/Prod/file", headers={"Accept": "image/png"}).content == RAW
    assert apig.get("/Prod/file", headers={"Accept": "text/html"}).content == b64(RAW)
    upstream.respond = lambda received: Answer(headers=[("Content-Type", "text/plain")], body=ENC)
    assert apig.get("/Prod/file", headers={"Accept": "image/png"}).content == RAW
    upstream.respond = lambda received: Answer(headers=[("Content-Type", "text/plain")], body=TXT)
    refused = apig.get("/Prod/file", headers={"Accept": "image/png"})
    assert (refused.status, refused.json()) == (500, {"message": "Internal server error"})


# --- the recording's own setup: an S3 integration (moto's S3), PUT to store and GET to read --------------

S3_BUCKET = "a8-binary"


def s3_api(handling: str | None, response_handling: str | None) -> dict[str, Any]:
    """A.8's method: ``/{object_path+}`` to ``s3:path/<bucket>/{object_path}``, Content-Type mapped."""

    def method(verb: str) -> dict[str, Any]:
        integration: dict[str, Any] = {
            "type": "aws",
            "uri": f"arn:aws:apigateway:us-east-1:s3:path/{S3_BUCKET}/{{object_path}}",
            "httpMethod": verb,
            "passthroughBehavior": "when_no_match",
            "requestParameters": {
                "integration.request.path.object_path": "method.request.path.object_path",
                "integration.request.header.Content-Type": "method.request.header.Content-Type",
            },
            "responses": {"default": {"statusCode": "200"}},
        }
        if handling:
            integration["contentHandling"] = handling
        if response_handling:
            integration["responses"]["default"]["contentHandling"] = response_handling
        parameters = [
            {"name": "object_path", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "Content-Type", "in": "header", "schema": {"type": "string"}},
        ]
        return {
            "parameters": parameters,
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": integration,
        }

    return {"/{object_path+}": {"put": method("PUT"), "get": method("GET")}}


@pytest.fixture(scope="module")
def s3(
    tmp_path_factory: pytest.TempPathFactory, moto_server: str
) -> Iterator[Callable[..., tuple[Harness, Any]]]:
    """``s3(binary_types, handling, response_handling)``: a harness over A.8's S3 API and a boto3 client."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=moto_server,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    harnesses: dict[tuple[Any, ...], Harness] = {}

    def make(
        binary_types: tuple[str, ...], handling: str | None = None, response_handling: str | None = None
    ) -> tuple[Harness, Any]:
        if S3_BUCKET not in {bucket["Name"] for bucket in client.list_buckets()["Buckets"]}:
            client.create_bucket(Bucket=S3_BUCKET)
        key = (binary_types, handling, response_handling)
        if key not in harnesses:
            folder = tmp_path_factory.mktemp("s3")
            document = {
                "openapi": "3.0.1",
                "info": {"title": "s3", "version": "1"},
                "x-amazon-apigateway-binary-media-types": list(binary_types),
                "paths": s3_api(handling, response_handling),
            }
            (folder / "api.json").write_text(json.dumps(document))
            (folder / "apig.yaml").write_text("apis:\n  s3: {openapi: api.json}\n")
            harnesses[key] = Harness(folder / "apig.yaml", aws_endpoint_url=moto_server)
        return harnesses[key], client

    yield make
    for harness in harnesses.values():
        harness.close()


def test_a8_an_s3_integration_stores_and_reads_as_recorded(s3: Callable[..., tuple[Harness, Any]]) -> None:
    """Two cells of each matrix through the recording's own setup, in the fast suite; all of them below."""
    apig, client = s3(PNG, CTB)
    assert apig.put("/Prod/fast-enc", content=ENC, headers={"Content-Type": "text/plain"}).status == 200
    assert client.get_object(Bucket=S3_BUCKET, Key="fast-enc")["Body"].read() == RAW
    refused = apig.put("/Prod/fast-txt", content=TXT, headers={"Content-Type": "text/plain"})
    assert refused.status == 500
    client.put_object(Bucket=S3_BUCKET, Key="fast-raw", Body=RAW, ContentType="image/png")
    assert apig.get("/Prod/fast-raw", headers={"Accept": "text/plain"}).content == b64(RAW)
    assert apig.get("/Prod/fast-raw", headers={"Accept": "image/png"}).content == RAW


@pytest.mark.slow  # every cell through moto's S3 (a harness per setting): CI runs them, --fast does not
@pytest.mark.parametrize(("handling", "content_type", "binary_types", "expected"), REQUEST_MATRIX)
@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_a8_request_matrix_through_an_s3_integration(
    s3: Callable[..., tuple[Harness, Any]],
    handling: str | None,
    content_type: str,
    binary_types: tuple[str, ...],
    expected: tuple[bytes | str, ...],
    payload: str,
) -> None:
    apig, client = s3(binary_types, handling)
    key = f"put-{handling}-{content_type.replace('/', '-')}-{len(binary_types)}-{payload}"
    answer = apig.put(f"/Prod/{key}", content=PAYLOADS[payload], headers={"Content-Type": content_type})
    wanted = expected[list(PAYLOADS).index(payload)]
    stored = client.list_objects_v2(Bucket=S3_BUCKET, Prefix=key).get("Contents", [])
    if wanted == ERROR:
        assert (answer.status, answer.json(), stored) == (500, {"message": "Internal server error"}, [])
    else:
        assert answer.status == 200
        assert client.get_object(Bucket=S3_BUCKET, Key=key)["Body"].read() == wanted


@pytest.mark.slow  # every cell through moto's S3 (a harness per setting): CI runs them, --fast does not
@pytest.mark.parametrize(("handling", "binary_types", "content_type", "accept", "expected"), RESPONSE_MATRIX)
@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_a8_response_matrix_through_an_s3_integration(
    s3: Callable[..., tuple[Harness, Any]],
    handling: str | None,
    binary_types: tuple[str, ...],
    content_type: str,
    accept: str | None,
    expected: tuple[bytes | str, ...],
    payload: str,
) -> None:
    apig, client = s3(binary_types, response_handling=handling)
    key = f"get-{content_type.replace('/', '-')}-{payload}"
    client.put_object(Bucket=S3_BUCKET, Key=key, Body=PAYLOADS[payload], ContentType=content_type)
    answer = apig.get(f"/Prod/{key}", headers={"Accept": accept or ""})
    wanted = expected[list(PAYLOADS).index(payload)]
    if wanted == ERROR:
        assert (answer.status, answer.json()) == (500, {"message": "Internal server error"})
    else:
        assert (answer.status, answer.content) == (200, wanted)


# --- in the YAML's own keys (part E's ``content_handling``) -------------------------------------------------


README_YAML = """
apis:
  shop:
    binary_media_types: [image/png]
functions:
  thumbnail:
    handler: cases.echo
    triggers:
      - api: shop
        resource: /thumbnail
        method: POST
        integration:
          content_handling: CONVERT_TO_BINARY
          responses:
            - status_code: 200
              content_handling: CONVERT_TO_BINARY
              response_parameters:
                method.response.header.Content-Type: "'image/png'"
"""


def test_the_yaml_keys_convert_as_the_readme_shows(make_harness: MakeHarness) -> None:
    """The README's example in the YAML: a function returning base64 serves the image's bytes; the request's
    own ``content_handling`` decodes a base64 upload before the function reads it as JSON."""
    apig = make_harness(README_YAML)
    with apig.override("thumbnail", returning(base64.b64encode(PNG_BYTES).decode())):
        answer = apig.post("/Prod/thumbnail", headers={"Accept": "text/html"})
    assert (answer.status, answer.headers["Content-Type"], answer.content) == (200, "image/png", PNG_BYTES)
    with apig.override("thumbnail", returning(ENC.decode())):
        apig.post("/Prod/thumbnail", content=b64(b'{"size": 64}'), headers={"Content-Type": "text/plain"})
    assert apig.invocations_of("thumbnail")[-1].event == {"size": 64}
