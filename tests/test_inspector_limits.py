"""The inspector's memory is bounded in bytes, not only in records, and its API pages its answers.

A handler stuck in a print loop, a multi-megabyte error message or event, thousands of response
headers: each record keeps a documented amount of each (the sizes in ``recorder.py`` and the README),
the rest replaced by ``…[truncated N bytes]``; all records together stay under ``max_bytes``, the
oldest going first. Before, 60 requests with large output took ``serve`` to 1.98 GB, and one
``GET /_emu/api/invocations`` answered 1.9 GB.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator.app import create_app
from emulator.config import load_definitions
from emulator.deployment import deploy
from emulator.gateway import Gateway
from emulator.inspector import Recorder, inspector_routes
from emulator.inspector.recorder import BODY_BYTES, ERROR_BYTES, EVENT_BYTES, LOG_BYTES, TEXT_BYTES
from emulator.inspector.routes import PAGE_BYTES
from emulator.inspector.truncation import cut_lines, cut_middle, cut_text, cut_value, marker
from emulator.runtime.threads import ThreadInvoker
from emulator.testing import GatewayClient
from tests.live import start_server

HANDLERS = '''
import json


def printer(event, context):
    """Prints ``event["lines"]`` numbered lines of ``event["width"]`` characters."""
    width = event.get("width", 100)
    for number in range(event["lines"]):
        print(f"line {number:06d} " + "x" * width)
    return {"printed": event["lines"]}


def raiser(event, context):
    raise RuntimeError("boom " + "y" * event["size"])


def many_headers(event, context):
    count = json.loads(event["body"])["count"]
    headers = {f"X-Header-{n:05d}": "v" * 1000 for n in range(count)}
    headers["X-Huge"] = "h" * 1_000_000
    return {"statusCode": 200, "headers": headers, "body": "ok"}


def echo(event, context):
    return {"received": len(json.dumps(event))}


def flood(event, context):
    """What the attack round sent: megabytes printed, then a megabyte-long error message."""
    line = "x" * (64 * 1024)
    for _ in range(100):
        print(line)
    raise RuntimeError("boom " + "y" * (1024 * 1024))
'''

CONFIG = """
apis:
  shop: {}
functions:
  printer:
    handler: limits_handlers.printer
    triggers: [{api: shop, resource: /printer, method: POST}]
  raiser:
    handler: limits_handlers.raiser
    triggers: [{api: shop, resource: /raiser, method: POST}]
  many_headers:
    handler: limits_handlers.many_headers
    triggers: [{api: shop, resource: /headers, method: POST, proxy: true}]
  echo:
    handler: limits_handlers.echo
    triggers: [{api: shop, resource: /echo, method: POST}]
  flood:
    handler: limits_handlers.flood
    timeout: 30
    triggers: [{api: shop, resource: /flood, method: POST}]
"""

MARKER = re.compile(r"…\[truncated ([\d,]+) bytes\]")

MakeClient = Callable[..., GatewayClient]


def write_project(directory: Path) -> Path:
    (directory / "limits_handlers.py").write_text(HANDLERS)
    config = directory / "apig.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    return config


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[MakeClient]:
    clients: list[GatewayClient] = []

    def make(recorder: Recorder | None = None) -> GatewayClient:
        config = write_project(tmp_path)
        gateway = Gateway(deploy(load_definitions(config, code_dir=tmp_path)), invoker=ThreadInvoker())
        recorder = recorder if recorder is not None else Recorder()
        recorder.attach(gateway)
        client = GatewayClient(create_app(gateway, routes=inspector_routes(recorder)))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.run(client.app.state.gateway.invoker.aclose)
        client.close()


def newest(client: Any) -> dict[str, Any]:
    answer = client.get("/_emu/api/invocations?limit=1")
    assert answer.status_code == 200
    record: dict[str, Any] = answer.json()[0]
    return record


def dropped(text: str) -> int:
    found = MARKER.search(text)
    assert found is not None, text[-200:]
    return int(found.group(1).replace(",", ""))


# Each part of a record is cut to its size, with the marker


def test_a_long_output_keeps_its_start_and_its_end(make_client: MakeClient) -> None:
    client = make_client()
    # Within what one invocation keeps (1 MB, 10,000 lines: emulator/runtime/output.py), past what a record shows.
    assert client.post("/Prod/printer", json={"lines": 8_000}).status_code == 200
    logs = newest(client)["logs"]
    assert logs[0].startswith("line 000000 ")
    assert logs[-1].startswith("line 007999 ")
    cut = [line for line in logs if MARKER.fullmatch(line)]
    assert len(cut) == 1
    line_bytes = len("line 000000 ") + 100 + 1
    assert dropped(cut[0]) == (8_000 - len(logs) + 1) * line_bytes  # exactly what is not shown
    assert sum(len(line) + 1 for line in logs) <= LOG_BYTES + 100


def test_one_endless_line_is_cut_inside(make_client: MakeClient) -> None:
    client = make_client()
    # Under the 256 KB an invocation keeps of one line (emulator/runtime/output.py), over what a record shows.
    client.post("/Prod/printer", json={"lines": 1, "width": 200_000})
    (line,) = newest(client)["logs"]
    assert line.startswith("line 000000 xxx")
    assert dropped(line) == len("line 000000 ") + 200_000 - (LOG_BYTES // 2 - 1)
    assert len(line) < LOG_BYTES


def test_a_huge_error_message_is_cut_and_the_traceback_keeps_its_end(make_client: MakeClient) -> None:
    client = make_client()
    assert client.post("/Prod/raiser", json={"size": 3_000_000}).status_code == 200  # non-proxy: the error
    record = newest(client)
    error = record["functionError"]
    assert error["errorType"] == "RuntimeError"
    assert error["errorMessage"].startswith("boom yyy")
    assert dropped(error["errorMessage"]) > 3_000_000 - ERROR_BYTES
    assert len(json.dumps(error)) <= ERROR_BYTES
    traceback = record["traceback"]
    assert traceback.startswith("Traceback (most recent call last):")
    assert "limits_handlers.py" in traceback
    assert MARKER.search(traceback) is not None
    assert traceback.rstrip().endswith("y" * 100) and len(traceback) <= ERROR_BYTES + 100


def test_a_large_event_of_many_parts_is_shown_as_its_json_cut(make_client: MakeClient) -> None:
    client = make_client()
    body = {f"key{n:06d}": "v" * 50 for n in range(40_000)}
    answer = client.post("/Prod/echo", json=body)
    assert answer.json() == {"received": len(json.dumps(body))}
    record = newest(client)
    event = record["event"]
    assert isinstance(event, str) and event.startswith('{"key000000": "vvv')
    assert dropped(event) == len(json.dumps(body)) - EVENT_BYTES
    assert record["request"]["bodyTruncated"] is True
    assert len(record["request"]["body"]) == BODY_BYTES


def test_thousands_of_headers_and_a_huge_one_are_cut(make_client: MakeClient) -> None:
    client = make_client()
    answer = client.post("/Prod/headers", json={"count": 2_000})
    assert answer.status_code == 200 and len(answer.headers["x-huge"]) == 1_000_000
    headers = newest(client)["response"]["headers"]
    assert ["X-Header-00000", "v" * 1000] in headers
    name, value = headers[-1]
    assert value == "" and dropped(name) > 1_000_000  # the headers left out, in one marker pair
    assert sum(len(name) + len(value) for name, value in headers) < 40 * 1024


def test_a_record_stays_small_whatever_its_function_did(make_client: MakeClient) -> None:
    client = make_client()
    client.post("/Prod/flood", content=json.dumps({f"k{n}": "v" * 100 for n in range(20_000)}).encode())
    text = client.get("/_emu/api/invocations?limit=1").text
    # Bodies, event, logs, error, traceback and headers at their sizes, JSON-escaped: well under 1 MB.
    assert len(text) < BODY_BYTES * 2 + EVENT_BYTES + LOG_BYTES + 2 * ERROR_BYTES + 64 * 1024


def test_the_cutting_functions_say_what_they_left_out() -> None:
    assert cut_text("short", 10) == "short"
    assert cut_text("é" * 10, 5) == "éé" + marker(16)  # never inside a character: 2 + 16 bytes
    assert cut_middle("a" * 10 + "b" * 10, 10) == "aaaaa" + marker(10) + "bbbbb"
    assert cut_lines(["a" * 9] * 4, 20) == ["a" * 9, marker(20), "a" * 9]
    assert cut_lines(["one", "two"], 100) == ["one", "two"]
    assert cut_value({"body": "x" * 1000, "id": 1}, 600) == {"body": "x" * 300 + marker(700), "id": 1}
    numbers = json.dumps(list(range(1000)))
    assert cut_value(list(range(1000)), 50) == numbers[:50] + marker(len(numbers) - 50)
    circular: dict[str, Any] = {}
    circular["self"] = circular
    assert cut_value(circular, 100).startswith("(not shown: ValueError: Circular reference")


# All records together are bounded


def test_the_total_is_bounded_oldest_first(make_client: MakeClient) -> None:
    recorder = Recorder(capacity=200, max_bytes=1024 * 1024)
    client = make_client(recorder)
    for _ in range(30):
        client.post("/Prod/printer", json={"lines": 2_000})  # ~128 KB of output kept each
    assert recorder.kept_bytes <= recorder.max_bytes
    kept = [record.id for record in recorder.records()]
    assert kept[0] == 30 and 4 <= len(kept) < 10  # the newest, as many as fit
    shown = client.get("/_emu/api/invocations?limit=200").json()
    assert [record["id"] for record in shown] == kept
    assert sum(len(json.dumps(record)) for record in shown) <= recorder.max_bytes


def test_small_records_count_too_when_the_page_reads_them(make_client: MakeClient) -> None:
    recorder = Recorder(capacity=200, max_bytes=256 * 1024)
    client = make_client(recorder)
    for _ in range(100):
        client.post("/Prod/echo", json={"a": 1})  # kept as they are until read
    client.get("/_emu/api/invocations?limit=200")
    assert 0 < recorder.kept_bytes <= recorder.max_bytes
    assert len(recorder.records()) < 100
    # Records evicted while the page was made count no more, whatever their size became.
    assert recorder.kept_bytes == sum(record.size for record in recorder.records())


# The API pages its answers


def test_the_api_pages_newest_first_with_a_link_to_the_next(make_client: MakeClient) -> None:
    client = make_client()
    for _ in range(7):
        client.post("/Prod/echo", json={})
    pages, url = [], "/_emu/api/invocations?limit=3"
    while url:
        answer = client.get(url)
        pages.append([record["id"] for record in answer.json()])
        link = answer.headers.get("link")
        url = re.fullmatch(r'<([^>]+)>; rel="next"', link).group(1) if link else ""
    assert pages == [[7, 6, 5], [4, 3, 2], [1]]
    # ``after``: what the page polls for; the next page continues below, above the same ``after``.
    answer = client.get("/_emu/api/invocations?after=4&limit=2")
    assert [record["id"] for record in answer.json()] == [7, 6]
    assert answer.headers["link"] == '</_emu/api/invocations?after=4&before=6&limit=2>; rel="next"'
    assert [record["id"] for record in client.get("/_emu/api/invocations?after=4&before=6").json()] == [5]
    assert "link" not in client.get("/_emu/api/invocations?after=4").headers
    assert len(client.get("/_emu/api/invocations").json()) == 7  # the default page holds 50


def test_a_page_stops_at_its_size_in_bytes(make_client: MakeClient) -> None:
    client = make_client()
    for _ in range(40):
        client.post("/Prod/printer", json={"lines": 2_000})
    answer = client.get("/_emu/api/invocations")
    records = answer.json()
    assert 20 <= len(records) < 40 and "link" in answer.headers
    assert len(answer.content) <= PAGE_BYTES
    rest = client.get(re.fullmatch(r'<([^>]+)>; rel="next"', answer.headers["link"]).group(1)).json()
    assert [r["id"] for r in records + rest] == list(range(40, 0, -1))


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("after=x", "after must be a whole number, not 'x'"),
        ("before=-1", "before must be a whole number, not '-1'"),
        ("limit=0", "limit must be at least 1"),
        ("limit=1e3", "limit must be a whole number, not '1e3'"),
    ],
)
def test_bad_paging_is_a_400_that_names_the_parameter(
    make_client: MakeClient, query: str, problem: str
) -> None:
    answer = make_client().get(f"/_emu/api/invocations?{query}")
    assert answer.status_code == 400
    assert answer.json() == {"message": f"Bad request: {problem}"}


def test_a_limit_above_the_maximum_is_the_maximum(make_client: MakeClient) -> None:
    client = make_client(Recorder(capacity=300))
    for _ in range(210):
        client.post("/Prod/echo", json={})
    assert len(client.get("/_emu/api/invocations?limit=100000").json()) == 200


def test_a_path_of_any_length_is_cut(make_client: MakeClient) -> None:
    client = make_client()
    client.post("/Prod/echo?" + "q=" + "z" * 50_000, json={})
    query = newest(client)["request"]["query"]
    assert query.startswith("q=zzz") and dropped(query) == 50_002 - TEXT_BYTES


# The server, as the attack round measured it


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the server's RSS from /proc")
@pytest.mark.slow  # starts `apig-emu serve`
def test_serve_stays_small_under_requests_with_large_output(tmp_path: Path) -> None:
    write_project(tmp_path)
    server = start_server(
        tmp_path,
        CONFIG,
        "--code-dir",
        str(tmp_path),
        "--isolation",
        "thread",
        "--quiet",  # the output would otherwise fill the log file: 6.5 MB a request
        "--no-reload",
    )
    bound_mb = 300
    try:
        body = json.dumps({f"k{n}": "v" * 100 for n in range(20_000)}).encode()  # a 2 MB event
        peak = 0.0
        for _ in range(40):
            # 6.5 MB printed, a 1 MB error: before, each request grew the server by about 13 MB.
            answer = requests.post(server.url + "/Prod/flood", data=body, timeout=120)
            assert answer.status_code == 200
            peak = max(peak, rss_mb(server.process.pid))
            assert peak < bound_mb, f"the server grew to {peak:.0f} MB"
        listed = requests.get(server.url + "/_emu/api/invocations", timeout=120)
        assert listed.status_code == 200
        assert len(listed.content) <= PAGE_BYTES  # was every record whole: 333 MB for 30 of them
        assert "next" in listed.headers["link"]
        assert rss_mb(server.process.pid) < bound_mb
        assert MARKER.search(listed.json()[0]["logs"][1]) is not None
    finally:
        server.stop()
