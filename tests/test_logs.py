"""The emulator's log lines: CloudWatch's around each invocation, the access log, text and JSON."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
import requests

from emulator import logs
from emulator.model import Function
from emulator.runtime.outcomes import exited
from emulator.runtime.result import InvocationResult
from tests.conftest import Captured
from tests.live import start_server

FUNCTION = Function("items", "app.handler", Path("."), memory=256)
RESULT = InvocationResult(
    payload=b'"ok"',
    aws_request_id="8f5e1a2b-0000-4000-8000-000000000001",
    logs=["hello", "[WARNING]\t2024-01-01T00:00:00.000Z\t8f5e1a2b-0000-4000-8000-000000000001\tcareful"],
    duration_ms=12.3456,
    init_duration_ms=234.567,
    max_memory_used_mb=45,
)


def test_an_invocation_is_bracketed_by_start_end_and_report(captured: Captured) -> None:
    logs.log_invocation(FUNCTION, RESULT)
    rid = RESULT.aws_request_id
    assert [r.getMessage() for r in captured.records] == [
        f"items START RequestId: {rid} Version: $LATEST",
        "items hello",
        f"items {RESULT.logs[1]}",
        f"items END RequestId: {rid}",
        f"items REPORT RequestId: {rid}\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\t"
        "Max Memory Used: 45 MB\tInit Duration: 234.57 ms",
    ]
    assert [r.apig["kind"] for r in captured.records] == ["start", "output", "output", "end", "report"]  # type: ignore[attr-defined]


def test_a_failed_environment_says_so_in_its_report(captured: Captured) -> None:
    outcome = exited("rid", -11, detail="the worker segfaulted")
    result = InvocationResult(outcome.payload, outcome.function_error, "rid", detail=outcome.detail)
    logs.log_invocation(FUNCTION, result)
    messages = [r.getMessage() for r in captured.records]
    assert "items the worker segfaulted" in messages
    assert messages[-1].endswith("\tStatus: error\tError Type: Runtime.ExitError")
    timed_out = InvocationResult(b"{}", "Unhandled", "rid", duration_ms=3000, timed_out=True)
    logs.log_invocation(FUNCTION, timed_out)
    assert (
        captured.records[-1]
        .getMessage()
        .endswith("\tBilled Duration: 3000 ms\tMemory Size: 256 MB\tStatus: timeout")
    )


def test_plain_text_when_piped_and_colour_on_a_terminal(captured: Captured) -> None:
    logs.log_invocation(FUNCTION, RESULT)
    logs.log_access("GET", "/Prod/items/1", 502, 3.21, "req-1")
    start, access = captured.records[0], captured.records[-1]
    assert logs.TextFormatter().format(start) == start.getMessage()
    assert logs.TextFormatter().format(access) == "GET /Prod/items/1 502 3.2ms req-1"
    coloured = logs.TextFormatter(colour=True)
    assert coloured.format(start).startswith("\x1b[36mitems\x1b[0m \x1b[2mSTART RequestId: ")
    assert coloured.format(access) == "\x1b[31mGET /Prod/items/1 502 3.2ms req-1\x1b[0m"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_follows_the_stream_and_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert logs.wants_colour(Terminal()) and not logs.wants_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not logs.wants_colour(Terminal())


def test_json_lines_carry_the_fields(captured: Captured) -> None:
    logs.log_invocation(FUNCTION, RESULT)
    logs.log_access("GET", "/Prod/items/1", 200, 3.21, "req-1")
    lines = [json.loads(logs.JsonFormatter().format(record)) for record in captured.records]
    report, access = lines[4], lines[5]
    assert report["kind"] == "report" and report["function"] == "items"
    assert report["message"].startswith(f"REPORT RequestId: {RESULT.aws_request_id}\t")
    assert report["aws_request_id"] == RESULT.aws_request_id
    assert (report["duration_ms"], report["billed_duration_ms"], report["init_duration_ms"]) == (
        12.35,
        13,
        234.57,
    )
    assert (report["memory_size_mb"], report["max_memory_used_mb"]) == (256, 45)
    assert report["level"] == "INFO" and report["time"].endswith("Z")
    assert lines[1]["message"] == "hello" and lines[1]["kind"] == "output"
    assert {key: access[key] for key in ("kind", "method", "path", "status", "latency_ms", "request_id")} == {
        "kind": "access",
        "method": "GET",
        "path": "/Prod/items/1",
        "status": 200,
        "latency_ms": 3.2,
        "request_id": "req-1",
    }


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_configure_puts_one_writer_in_place_of_the_root_stream_handlers(
    tmp_path: Path, log_format: str
) -> None:
    root = logging.getLogger()
    stream_handler = logging.StreamHandler(io.StringIO())
    root.addHandler(stream_handler)
    level = root.level
    with (tmp_path / "stderr").open("w") as stream:
        writer = logs.configure(log_format, stream=stream)
        try:
            assert stream_handler not in root.handlers and writer in root.handlers
            assert writer.fd == stream.fileno()
            expected = logs.JsonFormatter if log_format == "json" else logs.TextFormatter
            assert type(writer.formatter) is expected
            assert not getattr(writer.formatter, "colour", False)  # a file is no terminal
            logging.getLogger("apig_emu.test_logs").warning("through the writer")
        finally:
            root.removeHandler(writer)
            root.setLevel(level)
            for name in ("apig_emu", "uvicorn"):
                logging.getLogger(name).setLevel(logging.NOTSET)
            writer.close()
    assert "through the writer" in (tmp_path / "stderr").read_text()
    assert stream_handler.stream.getvalue() == ""


def test_serve_takes_isolation_log_format_and_reload_options() -> None:
    from emulator.cli import build_parser
    from emulator.cli_runtime import reload_enabled

    defaults = build_parser().parse_args(["serve"])
    assert (defaults.isolation, defaults.log_format, defaults.reload) == ("process", "text", None)
    chosen = build_parser().parse_args(
        ["serve", "--isolation", "thread", "--log-format", "json", "--no-reload"]
    )
    assert (chosen.isolation, chosen.log_format, chosen.reload) == ("thread", "json", False)
    assert not reload_enabled(chosen)
    assert reload_enabled(build_parser().parse_args(["serve", "--reload"]))


QUIET_CONFIG = """
apis:
  shop: {}
functions:
  chatty:
    handler: cases.chatty
    triggers:
      - {api: shop, resource: /chatty, method: GET}
  boom:
    handler: cases.boom
    triggers:
      - {api: shop, resource: /boom, method: GET, proxy: true}
"""


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["thread", "process"])
def test_serve_quiet_logs_warnings_and_errors_only(tmp_path: Path, isolation: str) -> None:
    server = start_server(tmp_path, QUIET_CONFIG, "--quiet", "--isolation", isolation, "--no-reload")
    try:
        assert requests.get(server.url + "/Prod/chatty", timeout=10).status_code == 200
        assert requests.get(server.url + "/Prod/boom", timeout=10).status_code == 502
        assert requests.get(server.url + "/Prod/nowhere", timeout=10).status_code == 403
    finally:
        server.stop()
    log = server.log()
    for quiet in (
        "START RequestId",
        "END RequestId",
        "REPORT RequestId",
        "printed line",
        "GET /Prod/chatty 200",
    ):
        assert quiet not in log
    assert "GET /Prod/nowhere -> 403" not in log  # a miss is INFO
    assert "ValueError: something broke" in log  # the function's failure, a WARNING, still shows
    assert "GET /Prod/boom -> 502" in log
