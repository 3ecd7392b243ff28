"""``serve``'s log writer and its direct formatting of each request's lines (``emulator.log_writer``,
``emulator.exchange_log``): the same text as the ``logging`` records they stand in for, in the order
the lines were produced, in one write per event-loop turn, and never a wait for a slow reader."""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import pty
import re
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import log_writer, logs
from emulator.exchange_log import ExchangeLog
from emulator.exchanges import Exchange
from emulator.log_writer import LogWriter, never_waits
from emulator.testing import Harness
from tests.conftest import LAMBDAS, ROOT, Captured

CONFIG = """
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
  lines:
    handler: log_lines.three_lines
    triggers:
      - {api: shop, resource: /lines, method: GET, proxy: true}
"""


@pytest.fixture(scope="module")
def exchanges(tmp_path_factory: pytest.TempPathFactory) -> list[Exchange]:
    """A plain invocation with output, a failed one with its traceback, a 403 that reached no function."""
    config = tmp_path_factory.mktemp("exchanges") / "apig.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    with Harness(config, code_dir=LAMBDAS) as apig:
        for path in ("/Prod/chatty", "/Prod/lines", "/Prod/boom", "/Prod/nowhere"):
            apig.get(path)
        return list(apig.exchanges)


def file_writer(path: Path, formatter: logging.Formatter) -> LogWriter:
    writer = LogWriter(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644))
    writer.setFormatter(formatter)
    return writer


def close(writer: LogWriter) -> None:
    writer.close()
    os.close(writer.fd)


FORMATTERS = {
    "text": logs.TextFormatter,
    "colour": lambda: logs.TextFormatter(colour=True),
    "json": logs.JsonFormatter,
}


@pytest.mark.parametrize("style", FORMATTERS)
def test_each_requests_lines_are_what_the_records_would_have_written(
    exchanges: list[Exchange], captured: Captured, tmp_path: Path, style: str
) -> None:
    formatter = FORMATTERS[style]()
    for exchange in exchanges:
        logs.log_exchange(exchange)
    expected = [formatter.format(record) for record in captured.records]
    captured.records.clear()
    writer = file_writer(tmp_path / "log", formatter)
    try:
        listener = ExchangeLog(writer)
        for exchange in exchanges:
            listener(exchange)
    finally:
        close(writer)
    written = (tmp_path / "log").read_text()
    assert captured.records == []  # not a record on the way
    if style != "json":
        assert written == "".join(line + "\n" for line in expected)
        assert "Traceback (most recent call last):" in written and "GET /Prod/nowhere 403 " in written
        return
    entries = [json.loads(line) for line in written.splitlines()]
    records = [json.loads(line) for line in expected]
    for entry in entries:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry.pop("time"))
    for record in records:
        del record["time"]
    assert entries == records
    assert [entry["kind"] for entry in entries].count("error") == 1
    assert any("exception" in entry for entry in entries)


def test_without_info_only_a_failure_is_logged_and_as_a_record(
    exchanges: list[Exchange], captured: Captured, tmp_path: Path
) -> None:
    """``--quiet``: the lines nobody will see are not formatted at all; a failure's line still is."""
    logging.getLogger("apig_emu").setLevel(logging.WARNING)
    writer = file_writer(tmp_path / "log", logs.TextFormatter())
    try:
        listener = ExchangeLog(writer)
        for exchange in exchanges:
            listener(exchange)
    finally:
        close(writer)
    assert (tmp_path / "log").read_text() == ""
    assert [(record.levelname, record.apig["kind"]) for record in captured.records] == [  # type: ignore[attr-defined]
        ("WARNING", "error")
    ]


def test_a_failures_lines_go_out_at_once_with_all_before_them(
    exchanges: list[Exchange], captured: Captured, tmp_path: Path
) -> None:
    """As a warning record does: the traceback is in the log before the 502 it explains is sent."""
    chatty, _, boom, nowhere = exchanges
    writer = file_writer(tmp_path / "log", logs.TextFormatter())
    listener = ExchangeLog(writer)

    async def turn() -> None:
        listener(chatty)
        assert (tmp_path / "log").read_text() == ""
        listener(boom)
        written = (tmp_path / "log").read_text()
        assert written.startswith("chatty START RequestId: ")
        assert "Traceback (most recent call last):" in written and "GET /Prod/boom 502 " in written
        listener(nowhere)
        assert "GET /Prod/nowhere" not in (tmp_path / "log").read_text()
        await asyncio.sleep(0)
        assert "GET /Prod/nowhere 403 " in (tmp_path / "log").read_text()

    try:
        asyncio.run(turn())
    finally:
        close(writer)


@pytest.fixture
def logger_to(tmp_path: Path) -> Iterator[tuple[logging.Logger, LogWriter, Path]]:
    """A logger whose only handler is a writer to a file."""
    path = tmp_path / "log"
    writer = file_writer(path, logs.TextFormatter())
    logger = logging.getLogger("apig_emu.test_log_writer")
    logger.addHandler(writer)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger, writer, path
    logger.removeHandler(writer)
    logger.propagate = True
    logger.setLevel(logging.NOTSET)
    close(writer)


def test_a_loop_turns_lines_go_out_together_at_its_end_and_a_warning_at_once(
    logger_to: tuple[logging.Logger, LogWriter, Path],
) -> None:
    logger, writer, path = logger_to

    async def turn() -> None:
        writer.add("one\n")
        logger.info("two")
        assert path.read_text() == ""  # held until the turn ends
        logger.warning("three")
        assert path.read_text() == "one\ntwo\nthree\n"  # a warning at once, after what came before it
        writer.add("four\nfive\n")
        assert path.read_text() == "one\ntwo\nthree\n"
        await asyncio.sleep(0)
        assert path.read_text() == "one\ntwo\nthree\nfour\nfive\n"

    asyncio.run(turn())


def test_lines_from_other_threads_keep_their_place(logger_to: tuple[logging.Logger, LogWriter, Path]) -> None:
    logger, writer, path = logger_to

    async def turn() -> None:
        writer.add("loop, before\n")
        thread = threading.Thread(target=logger.info, args=("another thread",))
        thread.start()
        thread.join()
        writer.add("loop, after\n")
        await asyncio.sleep(0)

    asyncio.run(turn())
    logger.info("no loop")
    assert path.read_text() == "loop, before\nanother thread\nloop, after\nno loop\n"


def test_where_a_write_may_wait_the_writer_thread_writes(tmp_path: Path) -> None:
    regular = os.open(tmp_path / "file", os.O_WRONLY | os.O_CREAT)
    null = os.open(os.devnull, os.O_WRONLY)
    read_end, write_end = os.pipe()
    master, terminal = pty.openpty()
    try:
        assert never_waits(regular) and never_waits(null)
        assert not never_waits(write_end) and not never_waits(terminal)
    finally:
        for fd in (regular, null, read_end, write_end, master, terminal):
            os.close(fd)


def line_of(number: int) -> str:
    return f"line {number:06d} {'x' * 90}\n"


def test_a_reader_that_falls_behind_costs_lines_in_one_counted_gap_never_a_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nobody reads the pipe while 2 MB are logged: the pipe takes 64 KB and the queue at most 64 KB.

    Every add returns at once; the rest is dropped, and said so, in place, with the exact count.
    """
    monkeypatch.setattr(log_writer, "QUEUE_LIMIT", 64 * 1024)
    read_end, write_end = os.pipe()
    pipe_size = fcntl.fcntl(write_end, getattr(fcntl, "F_GETPIPE_SZ", 1032))
    writer = LogWriter(write_end)
    total = 20_000

    async def produce() -> None:
        for number in range(total):
            writer.add(line_of(number))
            if number % 50 == 49:
                await asyncio.sleep(0)

    producer = threading.Thread(target=asyncio.run, args=(produce(),))
    producer.start()
    producer.join(timeout=300)  # a guard against a hang, not a timing: the producer never waits
    assert not producer.is_alive(), "logging waited for the pipe's reader"

    received = bytearray()

    def read() -> None:
        while chunk := os.read(read_end, 65536):
            received.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    writer.stop()  # the queue goes out now that someone reads
    os.close(write_end)
    reader.join()
    os.close(read_end)

    seen, dropped, gaps, expected = 0, 0, 0, 0
    for line in received.decode().splitlines():
        notice = re.fullmatch(r"apig-emu: (\d+) log line\(s\) dropped here: .*", line)
        if notice:
            dropped += int(notice[1])
            expected += int(notice[1])
            gaps += 1
            continue
        assert line.startswith(f"line {expected:06d} "), "a line out of place, or a gap not told"
        expected += 1
        seen += 1
    assert expected == total and seen + dropped == total
    assert gaps >= 1 and dropped > 0
    # What got through is what the pipe took plus what the queue held: memory stayed bounded.
    assert seen * len(line_of(0)) <= pipe_size + 64 * 1024


CRASH = """
import asyncio, logging
from emulator.logs import configure

logging.basicConfig(level=logging.INFO, format="%(message)s")
configure("text")
log = logging.getLogger("apig_emu.crash")

async def main():
    log.info("a line of a finished turn")
    await asyncio.sleep(0)
    log.info("a line of the turn that crashed")
    raise SystemExit(3)

loop = asyncio.new_event_loop()
try:
    loop.run_until_complete(main())
finally:
    # Closed as a crashing server's would be at exit, discarding the turn's pending flush: left to the
    # interpreter's finalizer, the loop may outlive its self-pipe and print "Exception ignored" noise.
    loop.close()
"""


@pytest.mark.parametrize("stderr", ["file", "pipe"])
def test_a_crash_in_the_middle_of_a_turn_still_writes_its_lines(tmp_path: Path, stderr: str) -> None:
    """The crashed turn's flush never runs; ``logging.shutdown``, at exit, writes its lines."""
    command = [sys.executable, "-c", CRASH]
    if stderr == "pipe":
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
        output = done.stderr
    else:
        with (tmp_path / "stderr").open("w") as file:
            done = subprocess.run(command, cwd=ROOT, stderr=file, text=True, timeout=60)
        output = (tmp_path / "stderr").read_text()
    assert done.returncode == 3
    assert output == "a line of a finished turn\na line of the turn that crashed\n"
