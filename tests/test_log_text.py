"""The text log is safe to print: what clients send and handlers write cannot act on the terminal.

``emulator.log_text`` escapes it; ``serve`` writes its lines through it (``ExchangeLog`` and
``TextFormatter``), and the JSON log keeps the exact text. The serve tests send what a client can
(percent-encoded controls a handler decodes, UTF-8 bidi overrides and C1 controls in a header, raw
controls that the server refuses) and read the log as a terminal or a file would get it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import textwrap
import threading
from pathlib import Path

import pytest

from emulator import logs
from emulator.exchange_log import ExchangeLog
from emulator.exchanges import Exchange
from emulator.log_text import escape_line, escape_text, escape_trace
from emulator.log_writer import LogWriter
from emulator.testing import Harness
from tests.conftest import LAMBDAS, ROOT, Captured
from tests.lambdas.hostile import OWN
from tests.live import SERVE, exchange, free_port, request_bytes, serve_on_a_terminal, start_server

#: What a terminal acts on, written out independently of the module under test: C0 controls but the
#: tab and the line break, DEL, C1 controls, bidi controls, line and paragraph separators.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")

#: Each character the log escapes, and how it reads there.
ESCAPES = {
    "\x00": "\\x00",
    "\x07": "\\x07",
    "\b": "\\x08",
    "\x0b": "\\x0b",
    "\x0c": "\\x0c",
    "\r": "\\r",
    "\x1b": "\\x1b",
    "\x1f": "\\x1f",
    "\x7f": "\\x7f",
    "\x80": "\\x80",
    "\x85": "\\x85",
    "\x9b": "\\x9b",
    "\x9f": "\\x9f",
    "\u061c": "\\u061c",
    "\u200e": "\\u200e",
    "\u200f": "\\u200f",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
    "\u202a": "\\u202a",
    "\u202e": "\\u202e",
    "\u2066": "\\u2066",
    "\u2069": "\\u2069",
}


@pytest.mark.parametrize(("char", "shown"), ESCAPES.items())
def test_each_control_reads_as_repr_writes_it(char: str, shown: str) -> None:
    assert escape_line(f"a{char}b") == f"a{shown}b"
    assert escape_text(f"a{char}b\nc{char}") == f"a{shown}b\nc{shown}"


def test_a_line_break_is_escaped_in_a_line_and_kept_in_a_text() -> None:
    assert escape_line("GET /a\nGET /forged 200") == "GET /a\\nGET /forged 200"
    assert escape_text("Traceback\n  File x\n") == "Traceback\n  File x\n"


def test_what_does_not_act_on_a_terminal_is_kept_as_it_is() -> None:
    """Tabs (CloudWatch's REPORT, Lambda's log format), other scripts, emoji, and backslashes."""
    for text in (
        "REPORT RequestId: r\tDuration: 1.00 ms",
        "café Ünïcode 日本語 עברית 🚀 \u00a0nbsp \u200bzwsp",
        "C:\\Users\\me and a literal \\x1b",
        "",
    ):
        assert escape_line(text) == text
        assert escape_text(text) == text


def test_clean_text_is_returned_as_it_is_not_copied() -> None:
    """The common case costs a scan, not a new string."""
    line = "GET /Prod/items/1 200 3.4ms 6953a5c8-b466-44e7-bb88-2a9b6c57e7c2"
    assert escape_line(line) is line
    tabbed = "items [INFO]\t2024-05-01T12:00:00.123Z\tr\thello"
    assert escape_line(tabbed) is tabbed


def test_no_character_escapes_the_escaping() -> None:
    """Every code point up to U+FFFF, alone and in a text: nothing a terminal acts on is left."""
    every = "".join(chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF)
    assert not RAW_CONTROL.search(escape_line(every))
    assert "\n" not in escape_line(every)
    assert not RAW_CONTROL.search(escape_text(every))


def test_a_tracebacks_error_message_stays_on_one_line() -> None:
    message = "bad id \x1b[2J\nGET /forged 200 1.0ms x"
    trace = (
        "Traceback (most recent call last):\n"
        '  File "/app/items.py", line 3, in handler\n'
        "    raise ValueError(f'bad id {item}')\n"
        f"ValueError: {message}\n"
    )
    shown = escape_trace(trace, message)
    assert shown.splitlines() == [
        "Traceback (most recent call last):",
        '  File "/app/items.py", line 3, in handler',
        "    raise ValueError(f'bad id {item}')",
        "ValueError: bad id \\x1b[2J\\nGET /forged 200 1.0ms x",
    ]
    # Without the message (a crash's detail), the lines are the traceback's, their controls escaped.
    assert escape_trace(trace, None).splitlines()[-1] == "GET /forged 200 1.0ms x"
    assert not RAW_CONTROL.search(escape_trace(trace, None))


def record(msg: object, *args: object, trace: str | None = None) -> logging.LogRecord:
    made = logging.LogRecord("apig_emu.gateway", logging.WARNING, __file__, 1, msg, args, None)
    made.exc_text = trace
    return made


def test_a_record_keeps_the_line_breaks_of_its_format_string_only() -> None:
    formatter = logs.TextFormatter()
    reason = "the function failed: ValueError: bad \x1b]0;pwned\x07\nGET /forged 200 1.0ms x"
    assert formatter.format(record("%s -> %s: %s", "GET /Prod/a", 502, reason)) == (
        "GET /Prod/a -> 502: the function failed: ValueError: bad \\x1b]0;pwned\\x07\\nGET /forged 200 1.0ms x"
    )
    # A message written on several lines keeps them (a config error and what to do about it).
    config_error = "apig.yaml:3: bad\n    hint: \x1b[31mfix it"
    assert formatter.format(record("%s\nThe config was not reloaded.", config_error)) == (
        "apig.yaml:3: bad\n    hint: \\x1b[31mfix it\nThe config was not reloaded."
    )
    # A traceback beneath keeps its lines, escaped.
    assert formatter.format(record("failed %s", "x\ny", trace="Traceback\n\x1b[2J")) == (
        "failed x\\ny\nTraceback\n\\x1b[2J"
    )


def test_colour_is_added_around_what_was_escaped() -> None:
    """On a terminal the log's own colours are the only escape sequences."""
    formatted = logs.TextFormatter(colour=True).format(record("refused %s", "\x1b]0;pwned\x07"))
    assert formatted == "\x1b[33mrefused \\x1b]0;pwned\\x07\x1b[0m"


CONFIG = """
apis:
  shop: {}
functions:
  hostile:
    handler: hostile.echo
    triggers:
      - {api: shop, resource: /hostile, method: GET, proxy: true}
"""

#: ``q``, percent-encoded: an OSC that retitles the terminal, a screen clear, a bidi override, a C1
#: CSI, and a line break followed by what looks like an access line.
QUERY = "%1B%5D0%3Bpwned%07%1B%5B2J%E2%80%AE%C2%9B%0AGET%20%2Fforged%20200%201.0ms%20x"
#: ``q`` as the handler gets it.
VALUE = "\x1b]0;pwned\x07\x1b[2J\u202e\x9b\nGET /forged 200 1.0ms x"
#: ``q`` as the text log shows it.
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\u202e\\x9b\\nGET /forged 200 1.0ms x"
#: A User-Agent with a bidi override and a C1 CSI, in UTF-8, as a client may send them (the server
#: refuses ESC, BEL and DEL in a header, not these).
USER_AGENT = "Mozilla\u202e\x9b[2J"
#: What the handler prints of its own, line by line as the log shows it.
OWN_SHOWN = [
    "own=\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\x7f\\x08\\u202egnp.exe\\u2066\\u200f\\u061c\ttab",
    "cr",
    "nel",
    "ls",
    "ps",
]


def assert_safe_text_log(
    log: str, *, function_lines: bool = True, gateway_line: bool = True, access_line: bool = True
) -> None:
    """Nothing a terminal acts on; no line the gateway did not write; the escaped forms where they belong."""
    assert not RAW_CONTROL.search(log), RAW_CONTROL.findall(log)
    lines = log.splitlines()
    assert not [line for line in lines if line.startswith("GET /forged")]
    # The function's error line, and its traceback's last line: the message on one line in both.
    error_line = re.compile(re.escape("hostile ValueError: bad q=" + SHOWN) + r" \(/.+/hostile\.py:\d+\)")
    assert [line for line in lines if error_line.fullmatch(line)], log
    assert "ValueError: bad q=" + SHOWN in lines
    if gateway_line:  # the gateway's line for the 502 it answered, the function's message on it
        reason = "GET /Prod/hostile -> 502: the function failed: ValueError: bad q=" + SHOWN + " (request "
        assert [line for line in lines if line.startswith(reason)], log
    if not function_lines:
        return
    assert "hostile q=" + SHOWN.split("\\n")[0] in lines
    assert "hostile GET /forged 200 1.0ms x" in lines  # the handler's own line: its name says whose
    assert "hostile ua=Mozilla\\u202e\\x9b[2J" in lines
    first = lines.index("hostile " + OWN_SHOWN[0])
    assert lines[first : first + len(OWN_SHOWN)] == ["hostile " + line for line in OWN_SHOWN]
    if access_line:
        access = re.compile(r"GET /Prod/hostile 502 [\d.]+ms [0-9a-f-]{36}")
        assert [line for line in lines if access.fullmatch(line)], log


@pytest.fixture(scope="module")
def exchanges(tmp_path_factory: pytest.TempPathFactory) -> list[Exchange]:
    config = tmp_path_factory.mktemp("hostile") / "apig.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    with Harness(config, code_dir=LAMBDAS) as apig:
        response = apig.get(f"/Prod/hostile?q={QUERY}&fail=1", headers={"User-Agent": USER_AGENT.encode()})
        assert response.status_code == 502
        return list(apig.exchanges)


def written_by_exchange_log(exchanges: list[Exchange], formatter: logging.Formatter, path: Path) -> str:
    writer = LogWriter(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))
    writer.setFormatter(formatter)
    try:
        listener = ExchangeLog(writer)
        for each in exchanges:
            listener(each)
    finally:
        writer.close()
        os.close(writer.fd)
    return path.read_text()


#: The log's own colours (``emulator.logs``): on a terminal, the only escape sequences.
COLOURS = {"\x1b[0m", "\x1b[2m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[35m", "\x1b[36m"}
_SEQUENCE = re.compile("\x1b[^a-zA-Z]*[a-zA-Z]")


def without_colours(log: str) -> str:
    assert set(_SEQUENCE.findall(log)) <= COLOURS, set(_SEQUENCE.findall(log)) - COLOURS
    return _SEQUENCE.sub("", log)


@pytest.mark.parametrize("colour", [False, True], ids=["plain", "colour"])
def test_serves_direct_lines_are_escaped_as_the_records_are(
    exchanges: list[Exchange], captured: Captured, tmp_path: Path, colour: bool
) -> None:
    """``ExchangeLog`` writes what ``TextFormatter`` makes of the records it stands in for, escaped alike."""
    formatter = logs.TextFormatter(colour=colour)
    for each in exchanges:
        logs.log_exchange(each)
    expected = "".join(formatter.format(record) + "\n" for record in captured.records)
    written = written_by_exchange_log(exchanges, formatter, tmp_path / "log")
    assert written == expected
    assert_safe_text_log(without_colours(written) if colour else written, gateway_line=False)


def test_the_json_log_keeps_the_exact_text(
    exchanges: list[Exchange], captured: Captured, tmp_path: Path
) -> None:
    written = written_by_exchange_log(exchanges, logs.JsonFormatter(), tmp_path / "log")
    assert_exact_json([json.loads(line) for line in written.splitlines()])


def assert_exact_json(entries: list[dict[str, object]]) -> None:
    """The values as the handler printed and raised them, with no trace of the text log's escaping."""
    output = [entry["message"] for entry in entries if entry.get("kind") == "output"]
    assert "q=" + VALUE.split("\n")[0] in output
    assert VALUE.split("\n")[1] in output
    assert "ua=" + USER_AGENT in output
    assert OWN.splitlines()[0] in output
    (error,) = [entry for entry in entries if entry.get("kind") == "error"]
    assert str(error["message"]).startswith("ValueError: bad q=" + VALUE + " (")
    assert str(error["exception"]).rstrip().endswith("ValueError: bad q=" + VALUE)
    assert not [value for entry in entries for value in entry.values() if "\\x1b" in str(value)]


def send_hostile_requests(port: int) -> None:
    """What a client can send: controls percent-encoded (the handler decodes them), a bidi override and
    a C1 control in UTF-8 in a header and an ``Origin``; and raw ones, which the server refuses."""
    failing = request_bytes("GET", f"/Prod/hostile?q={QUERY}&fail=1", headers={"User-Agent": USER_AGENT})
    assert exchange(port, failing).status == 502
    origin = request_bytes(
        "DELETE",
        "/_emu/api/invocations",
        headers={"X-Apig-Emu": "1", "Origin": "http://evil.example\u202e\x9b[2J"},
    )
    assert exchange(port, origin).status == 403
    raw = [
        b"GET /Prod/hostile?q=\x1b]0;pwned\x07 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET /Prod/\x1b[2J HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET /Prod/hostile HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: \x1b]0;pwned\x07\r\n\r\n",
    ]
    for data in raw:
        assert exchange(port, data).status == 400


def assert_threads_output(log: str) -> None:
    """What a thread the handler started printed: the invocation's output in process isolation, in
    thread isolation printed by ``serve`` on its own; escaped either way."""
    assert [line for line in log.splitlines() if line.endswith("thread ua=Mozilla\\u202e\\x9b[2J")], log


def assert_inspector_notice(log: str) -> None:
    """The inspector's refusal names the page's origin, as it arrived (Latin-1), escaped."""
    notice = "inspector: refused DELETE /_emu/api/invocations: it comes from a page on http://evil.example"
    (line,) = [line for line in log.splitlines() if line.startswith(notice)]
    assert "\\x80" in line and "\\x9b[2J" in line


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["thread", "process"])
def test_serves_text_log_is_safe_to_print(tmp_path: Path, isolation: str) -> None:
    server = start_server(tmp_path, CONFIG, "--isolation", isolation, "--no-reload")
    try:
        send_hostile_requests(server.port)
    finally:
        server.stop()
    log = server.log()
    assert_safe_text_log(log)
    assert_threads_output(log)
    assert_inspector_notice(log)
    assert log.count("refused a request from 127.0.0.1") == 3


@pytest.mark.slow
def test_serves_quiet_log_is_safe_to_print(tmp_path: Path) -> None:
    """``--quiet``: the function's error is written as a record, escaped as ``ExchangeLog`` escapes it."""
    server = start_server(tmp_path, CONFIG, "--quiet", "--no-reload")
    try:
        send_hostile_requests(server.port)
    finally:
        server.stop()
    log = server.log()
    assert "hostile q=" not in log
    assert_safe_text_log(log, function_lines=False)
    assert_inspector_notice(log)


@pytest.mark.slow
def test_a_terminal_gets_the_logs_colours_and_no_other_sequence(tmp_path: Path) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    port = free_port()
    with serve_on_a_terminal(config, port) as (process, received):
        wait_until_listening(port, process)
        send_hostile_requests(port)
    log = without_colours(received.decode().replace("\r\n", "\n"))
    assert_safe_text_log(log)
    assert_inspector_notice(log)


def wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(400):
        assert process.poll() is None, "serve exited"
        try:
            exchange(port, request_bytes("GET", "/"), timeout=1)
            return
        except OSError:
            threading.Event().wait(0.05)
    raise AssertionError("serve did not start")


@pytest.mark.slow
def test_serves_json_log_keeps_the_exact_text(tmp_path: Path) -> None:
    log_file = tmp_path / "emu.log"
    server = start_server(
        tmp_path,
        CONFIG,
        "--isolation",
        "process",
        "--log-format",
        "json",
        "--log-file",
        str(log_file),
        "--no-reload",
    )
    try:
        send_hostile_requests(server.port)
    finally:
        server.stop()
    entries = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert_exact_json(entries)
    (reason,) = [entry["message"] for entry in entries if "-> 502" in str(entry["message"])]
    assert reason.startswith(
        "GET /Prod/hostile -> 502: the function failed: ValueError: bad q=" + VALUE + " ("
    )
    (notice,) = [entry["message"] for entry in entries if "inspector: refused" in str(entry["message"])]
    assert "http://evil.example\u00e2\x80\u00ae\u00c2\x9b[2J" in notice  # Latin-1, as Starlette decodes it


@pytest.mark.slow
def test_invoke_prints_the_functions_lines_escaped(tmp_path: Path) -> None:
    """``apig-emu invoke`` writes the function's lines on the terminal too."""
    config = tmp_path / "apig.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {"queryStringParameters": {"q": VALUE, "fail": "1"}, "headers": {"User-Agent": USER_AGENT}}
        )
    )
    command = [*SERVE[:-1], "invoke", "hostile", "--config", str(config), "--code-dir", str(LAMBDAS)]
    ran = subprocess.run(
        [*command, "--event", str(event)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 1
    # The result on stdout, as data, after what the handler's thread printed there (the thread is not
    # the invocation's: thread isolation).
    assert json.loads(ran.stdout[ran.stdout.index("{") :])["errorMessage"] == "bad q=" + VALUE
    assert_safe_text_log(ran.stderr, gateway_line=False, access_line=False)
