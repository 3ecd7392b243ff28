"""MOCK integrations: fixed answers in the definitions, and ``--mock`` swapping a function out for one run."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from emulator.config import ConfigErrors, load_definitions
from emulator.config.mocks import parse_mock_option
from emulator.integrations import mock as mock_integration
from emulator.table import format_table
from emulator.testing import Harness
from tests.conftest import LAMBDAS, MakeHarness

CONFIG = """
apis:
  shop: {}
functions:
  echo:
    handler: cases.echo
    triggers:
      - {api: shop, resource: /real, method: POST}
mocks:
  orders:
    status: 200
    headers: {X-Mocked: "yes"}
    body: {orders: [{id: 1, total: 9.5}]}
    triggers:
      - {api: shop, resource: /orders, method: GET, cors: true}
      - {api: shop, resource: /orders, method: POST}
  missing:
    status: 404
    body: '{"message": "no such order"}'
    triggers:
      - {api: shop, resource: "/orders/{id}", method: GET, cors: true}
  plain:
    headers: {Content-Type: text/plain}
    body: hello
    triggers:
      - {api: shop, resource: /hello, method: GET}
  slow:
    latency_ms: 300
    triggers:
      - {api: shop, resource: /slow, method: GET}
  too-slow:
    latency_ms: 400
    triggers:
      - {api: shop, resource: /too-slow, method: GET, timeout_ms: 100}
"""


def test_mock_answers_its_status_headers_and_json_body(harness: Harness) -> None:
    response = harness.get("/Prod/orders")
    assert response.status_code == 200
    assert response.json() == {"orders": [{"id": 1, "total": 9.5}]}
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Mocked"] == "yes"
    assert "x-amzn-RequestId" in response.headers


def test_mock_responses_carry_no_trace_id(harness: Harness) -> None:
    # AWS adds X-Amzn-Trace-Id for Lambda and HTTP integrations, not for MOCK (reference 4.3).
    assert "X-Amzn-Trace-Id" not in harness.get("/Prod/orders").headers
    assert "X-Amzn-Trace-Id" in harness.post("/Prod/real", json={}).headers


def test_cors_on_a_mock_is_the_non_proxy_rule(harness: Harness) -> None:
    assert harness.get("/Prod/orders").headers["Access-Control-Allow-Origin"] == "*"
    # Only the 200 integration response gets the console's mapping.
    missing = harness.get("/Prod/orders/7")
    assert missing.status_code == 404
    assert missing.json() == {"message": "no such order"}
    assert "Access-Control-Allow-Origin" not in missing.headers
    # The method without cors has none, and its resource's preflight exists because GET enabled it.
    assert "Access-Control-Allow-Origin" not in harness.post("/Prod/orders").headers
    preflight = harness.options(
        "/Prod/orders", headers={"Origin": "http://localhost:8080", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET,POST,OPTIONS"


def test_a_string_body_is_sent_as_written(harness: Harness) -> None:
    response = harness.get("/Prod/hello")
    assert response.text == "hello"
    assert response.headers["Content-Type"] == "text/plain"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch, harness: Harness) -> list[tuple[float, int]]:
    """Each wait of the MOCK integration, recorded rather than waited (with how many requests had been
    answered by then): a stopwatch around the request would make the test a race on a busy machine."""
    waited: list[tuple[float, int]] = []

    async def wait(seconds: float) -> None:
        waited.append((seconds, len(harness.exchanges)))

    monkeypatch.setattr(mock_integration, "asyncio", SimpleNamespace(sleep=wait))
    return waited


def test_latency_delays_the_answer(harness: Harness, waits: list[tuple[float, int]]) -> None:
    response = harness.get("/Prod/slow")
    assert response.status_code == 200
    assert response.content == b""
    assert waits == [(0.3, 0)]  # latency_ms, before the answer


def test_latency_past_the_integration_timeout_is_a_504(
    harness: Harness, waits: list[tuple[float, int]]
) -> None:
    response = harness.get("/Prod/too-slow")
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    assert waits == [(0.1, 0)]  # the integration's timeout_ms, not the 400 ms latency


def test_body_file_is_relative_to_the_definitions_and_read_per_request(
    tmp_path: Path, make_harness: MakeHarness
) -> None:
    (tmp_path / "bodies").mkdir()
    body = tmp_path / "bodies" / "user.json"
    body.write_text('{"name": "Ann"}')
    harness = make_harness(
        """
        apis: {shop: {}}
        mocks:
          user:
            body_file: bodies/user.json
            triggers: [{api: shop, resource: /user, method: GET}]
        """
    )
    assert harness.get("/Prod/user").json() == {"name": "Ann"}
    body.write_text('{"name": "Bo"}')
    assert harness.get("/Prod/user").json() == {"name": "Bo"}


def test_mocks_are_listed_in_the_route_table(tmp_path: Path) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(CONFIG)
    table = format_table(load_definitions(config, code_dir=LAMBDAS), "http://localhost:3000")
    rows = [line.split() for line in table.splitlines()]
    assert [
        "GET",
        "http://localhost:3000/Prod/orders",
        "mock",
        "(orders)",
        "yes",
        "shop",
        "(utoc8vrvpr)",
    ] in rows


def errors_of(tmp_path: Path, text: str) -> list[str]:
    config = tmp_path / "apig.yaml"
    config.write_text(textwrap.dedent(text))
    with pytest.raises(ConfigErrors) as caught:
        load_definitions(config, code_dir=LAMBDAS)
    return [str(error).removeprefix(f"{config}:") for error in caught.value.errors]


def test_mock_definition_errors_name_key_and_line(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        """\
        apis: {shop: {}}
        mocks:
          a:
            status: 700
            body: x
            body_file: nope.json
            latency_ms: -1
            triggers:
              - {api: shop, resource: /a, method: GET, proxy: true}
          b:
            body_file: nope.json
            triggers: [{api: shop, resource: /b, method: GET}]
        """,
    )
    assert errors == [
        "4: mocks.a.status: expected an integer from 100 to 599, got 700",
        "6: mocks.a.body_file: give either 'body' or 'body_file', not both",
        "7: mocks.a.latency_ms: expected an integer from 0 to 60000, got -1",
        "9: mocks.a.triggers[0].proxy: unknown key 'proxy'; expected one of api, api_key_required, authorizer, cors, "
        "method, request_models, request_parameters, request_validator, resource, stage, timeout_ms",
        f"11: mocks.b.body_file: no such file: {tmp_path / 'nope.json'}",
    ]


def test_a_method_is_a_function_or_a_mock_not_both(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        """\
        apis: {shop: {}}
        functions:
          echo:
            handler: cases.echo
            triggers: [{api: shop, resource: /a, method: GET}]
        mocks:
          a:
            triggers: [{api: shop, resource: /a, method: GET}]
        """,
    )
    assert len(errors) == 1
    assert "GET /a on api 'shop' is integrated with both function 'echo'" in errors[0]
    assert "and mock 'a'" in errors[0]
    assert errors[0].endswith("a method integrates with exactly one function or mock")


def test_mock_option_inline_json_and_file(tmp_path: Path) -> None:
    name, inline = parse_mock_option('items={"status": 201, "body": {"ok": true}}', cwd=tmp_path)
    assert (name, inline.status, inline.body) == ("items", 201, '{"ok": true}')
    (tmp_path / "m.yaml").write_text("status: 503\nbody_file: b.json\nlatency_ms: 5\n")
    (tmp_path / "b.json").write_text("{}")
    _, from_file = parse_mock_option("items=m.yaml", cwd=tmp_path)
    assert (from_file.status, from_file.body_file, from_file.latency_ms) == (503, tmp_path / "b.json", 5)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("items", "expected FUNCTION=FILE_OR_JSON"),
        ("items={nope", "invalid JSON or YAML"),
        ('items={"stats": 200}', "unknown key 'stats' (did you mean 'status'?)"),
        ("items=missing.json", "cannot read"),
    ],
)
def test_mock_option_errors(tmp_path: Path, option: str, message: str) -> None:
    with pytest.raises(
        ConfigErrors, match=r"(?s).*" + message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")
    ):
        parse_mock_option(option, cwd=tmp_path)


def test_swapping_a_function_for_a_mock_keeps_its_methods_and_cors(
    tmp_path: Path, make_harness: MakeHarness
) -> None:
    config = tmp_path / "swap.yaml"
    config.write_text(
        textwrap.dedent(
            """
            apis: {shop: {}}
            functions:
              items:
                handler: not_written_yet.handler
                triggers:
                  - {api: shop, resource: /items, method: GET, proxy: true, cors: true}
                  - {api: shop, resource: /items, method: POST, proxy: true}
            """
        )
    )
    _, mock = parse_mock_option('items={"body": {"items": []}}', cwd=tmp_path)
    swapped = load_definitions(config, code_dir=LAMBDAS, mocks={"items": mock})
    assert "items" not in swapped.functions
    with Harness(swapped) as apig:
        response = apig.get("/Prod/items")
        assert response.json() == {"items": []}
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert apig.post("/Prod/items").status == 200
    with pytest.raises(ConfigErrors, match="no function 'itemz' \\(did you mean 'items'\\?\\)"):
        load_definitions(config, code_dir=LAMBDAS, mocks={"itemz": mock})


def test_mock_json_body_round_trips(harness: Harness) -> None:
    assert json.loads(harness.get("/Prod/orders").content) == {"orders": [{"id": 1, "total": 9.5}]}


def test_a_mock_body_with_velocity_characters_is_sent_as_written(make_harness: MakeHarness) -> None:
    """A mock's body is text, stored as a template Velocity leaves alone (``#[[…]]#``): ``$5`` and ``#fff`` stay."""
    apig = make_harness(
        """
        apis: {shop: {}}
        mocks:
          price:
            body: '{"price": "$5", "colour": "#fff", "note": "#if it works"}'
            triggers: [{api: shop, resource: /price, method: GET}]
        """
    )
    response = apig.get("/Prod/price")
    assert (response.status, response.text) == (
        200,
        '{"price": "$5", "colour": "#fff", "note": "#if it works"}',
    )
