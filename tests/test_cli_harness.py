"""``apig-emu event`` and ``apig-emu invoke``, run as the command line runs them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.testing import definitions_from_yaml, proxy_event
from tests.conftest import LAMBDAS

CONFIG = """
apis:
  shop:
    stages: {Prod: {variables: {table: t}}}
functions:
  echo:
    handler: cases.echo_event
    triggers: [{api: shop, resource: "/items/{id}", method: GET, proxy: true}]
  plain:
    handler: cases.echo
    triggers: [{api: shop, resource: /plain, method: POST}]
  info:
    handler: cases.context_info
    memory: 256
    environment: {GREETING: hi}
    triggers: [{api: shop, resource: /info, method: GET}]
  chatty:
    handler: cases.chatty
    triggers: [{api: shop, resource: /chatty, method: GET}]
  boom:
    handler: cases.boom
    triggers: [{api: shop, resource: /boom, method: GET}]
"""

#: Fresh for every request; everything else in an event is determined by the request and the config.
PER_REQUEST = ("requestId", "extendedRequestId", "requestTime", "requestTimeEpoch")
#: Headers whose values are per request: the trace, and CloudFront's request id.
PER_REQUEST_HEADERS = ("X-Amzn-Trace-Id", "X-Amz-Cf-Id")


@pytest.fixture
def config(tmp_path: Path) -> list[str]:
    path = tmp_path / "apig.yaml"
    path.write_text(CONFIG)
    return ["--config", str(path), "--code-dir", str(LAMBDAS)]


def without_per_request_values(event: dict[str, object]) -> str:
    context = dict(event["requestContext"])  # type: ignore[call-overload]
    for key in PER_REQUEST:
        context.pop(key)
    headers = {k: v for k, v in event["headers"].items() if k not in PER_REQUEST_HEADERS}  # type: ignore[attr-defined]
    multi = {k: v for k, v in event["multiValueHeaders"].items() if k not in PER_REQUEST_HEADERS}  # type: ignore[attr-defined]
    return json.dumps({**event, "requestContext": context, "headers": headers, "multiValueHeaders": multi})


def test_event_proxy_prints_the_factorys_event(config: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "--method",
        "get",
        "--path",
        "/Prod/items/7",
        "--header",
        "X-Trace: a:b",
        "--query",
        "a=1",
        "--query",
        "a=2",
    ]
    assert main(["event", "proxy", *args, *config]) == 0
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    expected = proxy_event(
        "GET",
        "/Prod/items/7",
        headers=[("X-Trace", "a:b")],
        query=[("a", "1"), ("a", "2")],
        config=definitions_from_yaml(CONFIG, code_dir=LAMBDAS),
    )
    assert without_per_request_values(printed) == without_per_request_values(expected)
    assert printed["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert "event for function 'echo': GET /items/{id} of API 'shop', stage Prod" in captured.err


def test_event_json_reads_the_body_from_a_file(
    config: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "body.json"
    body.write_text('{"name": "Ann"}')
    assert (
        main(["event", "json", "--method", "POST", "--path", "/Prod/plain", "--body", f"@{body}", *config])
        == 0
    )
    assert json.loads(capsys.readouterr().out) == {"name": "Ann"}


def test_event_refusals(config: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["event", "proxy", "--method", "POST", "--path", "/Prod/plain", *config]) == 1
    assert "non-proxy Lambda integration: its function receives a json event" in capsys.readouterr().err
    assert main(["event", "proxy", "--path", "/Prod/nowhere", *config]) == 1
    assert (
        'the gateway would answer 403 {"message":"Missing Authentication Token"}' in capsys.readouterr().err
    )
    assert main(["event", "json", "--method", "POST", "--path", "/Prod/plain", "--body", "x=1", *config]) == 1
    assert "would answer 400" in capsys.readouterr().err
    assert main(["event", "proxy", "--path", "/Prod/items/1", "--header", "no-colon", *config]) == 2
    assert "--header expects NAME:VALUE" in capsys.readouterr().err
    assert main(["event", "proxy", "--path", "/Prod/items/1", "--body", "@/no/such/file", *config]) == 2
    assert "--body: cannot read '/no/such/file'" in capsys.readouterr().err


def test_invoke_prints_the_result_and_logs(
    config: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="apig_emu")
    event = tmp_path / "event.json"
    event.write_text('{"anything": 1}')
    assert main(["invoke", "info", "--event", str(event), *config]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["function_name"] == "info"
    assert result["memory_limit_in_mb"] == "256"
    assert result["env"]["GREETING"] == "hi"
    assert main(["invoke", "chatty", *config]) == 0
    assert json.loads(capsys.readouterr().out) == "ok"
    lines = [record.getMessage() for record in caplog.records if record.name == "apig_emu.lambda"]
    start = lines.index(next(line for line in lines if line.startswith("chatty START RequestId: ")))
    assert lines[start + 1] == "chatty printed line"
    assert lines[start + 2].endswith("\tlogged warning")
    assert lines[start + 3].startswith("chatty END RequestId: ")
    assert lines[start + 4].startswith("chatty REPORT RequestId: ")


def test_invoke_reads_the_event_from_stdin(
    config: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('{"piped": true}'))
    assert main(["invoke", "plain", "--event", "-", *config]) == 0
    assert json.loads(capsys.readouterr().out) == {"piped": True}


def test_invoke_exits_1_on_a_function_error(
    config: list[str], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="apig_emu")
    assert main(["invoke", "boom", *config]) == 1
    error = json.loads(capsys.readouterr().out)
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "something broke")
    assert 'raise ValueError("something broke")' in caplog.text


def test_invoke_refusals(config: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["invoke", "ecko", *config]) == 2
    assert (
        "no function 'ecko' (did you mean 'echo'?); the functions are: boom, chatty, echo, info, plain"
        in (capsys.readouterr().err)
    )
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert main(["invoke", "echo", "--event", str(bad), *config]) == 2
    assert "--event: not JSON" in capsys.readouterr().err
    assert main(["invoke", "echo", "--config", str(tmp_path / "missing.yaml")]) == 1
    assert "missing.yaml: no such file or folder" in capsys.readouterr().err
