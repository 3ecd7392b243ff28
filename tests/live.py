"""A live ``apig-emu serve`` for tests that need a real socket, and a raw HTTP/1.1 exchange over it.

The server writes its log to a file rather than a pipe: a pipe nobody reads fills up after 64 KB and
then blocks the server mid-request, which a test of many requests would take for a hang.
"""

from __future__ import annotations

import os
import pty
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.conftest import LAMBDAS, ROOT


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


#: ``apig-emu serve``, as this interpreter runs it.
SERVE = (sys.executable, "-m", "emulator.cli", "serve")
#: ``python3 scripts/dev.py serve``, as the README runs it (on the checkout's existing .venv).
DEV_SERVE = (sys.executable, str(ROOT / "scripts" / "dev.py"), "serve")


def start_server(
    tmp: Path,
    config_yaml: str,
    *args: str,
    host: str | None = "127.0.0.1",
    command: Sequence[str] = SERVE,
    new_session: bool = False,
) -> LiveServer:
    """``apig-emu serve`` on a free port over a YAML snippet whose handlers live in ``tests/lambdas``.

    ``host=None`` leaves ``--host`` out, to see the default; tests always connect over loopback.
    ``new_session`` starts it in a process group of its own, which a test may signal as a whole, as
    a terminal's Ctrl-C signals every process in its foreground group.
    """
    server = launch_server(tmp, config_yaml, *args, host=host, command=command, new_session=new_session)
    return serving(server)


def serving(server: LiveServer) -> LiveServer:
    """``server`` once it answers; stopped, with its log in the error, if it never does."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            requests.get(server.url + "/", timeout=0.5)
            return server
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or slow to answer
            time.sleep(0.05)
    server.stop()
    raise AssertionError(f"serve did not start: {server.log()}")


def launch_server(
    tmp: Path,
    config_yaml: str | Path,
    *args: str,
    host: str | None = "127.0.0.1",
    command: Sequence[str] = SERVE,
    new_session: bool = False,
    code_dir: Path = LAMBDAS,
) -> LiveServer:
    """``start_server`` without waiting for the server to answer, for tests of what comes before.

    ``config_yaml`` is a YAML snippet, written to ``tmp``, or a config file served where it is (its
    relative paths are relative to it); its handlers live in ``code_dir``. SIGINT is restored to its
    default in the child: a shell's background job inherits it ignored, and the tests that press Ctrl-C
    need it delivered.
    """
    if isinstance(config_yaml, Path):
        config = config_yaml
    else:
        config = tmp / "apig.yaml"
        config.write_text(textwrap.dedent(config_yaml))
    port = free_port()
    log_path = tmp / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--config", str(config), "--code-dir", str(code_dir), "--port", str(port), *args]
            + (["--host", host] if host else []),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            start_new_session=new_session,
        )
    return LiveServer(process, port, log_path)


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    #: The whole bytes received, for assertions that something never reached the wire.
    raw: bytes
    #: Whether the server closed the connection after answering.
    closed: bool

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None


_STATUS = re.compile(rb"^HTTP/1\.[01] (\d{3})")


def parse_response(data: bytes, closed: bool) -> RawResponse:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    match = _STATUS.match(lines[0])
    if match is None:
        raise AssertionError(f"not an HTTP response: {data[:200]!r}")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))
    return RawResponse(int(match.group(1)), headers, body, data, closed)


def exchange(port: int, data: bytes, *, timeout: float = 10.0) -> RawResponse:
    """Send raw bytes, read one response (``Content-Length`` framed, or up to the server's close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_response(sock)


def read_response(sock: socket.socket) -> RawResponse:
    """One response, where only one was asked for on the connection."""
    return Responses(sock).next()


class Responses:
    """The responses of one connection in order, for pipelined requests: a read that brings the start
    of the next response keeps it for the next call (``Content-Length`` framed, or up to the close)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.pending = b""

    def next(self) -> RawResponse:
        while True:
            head, sep, body = self.pending.partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head) if sep else None
            if length and len(body) >= int(length.group(1)):
                end = len(head) + len(sep) + int(length.group(1))
                data, self.pending = self.pending[:end], self.pending[end:]
                return parse_response(data, closed=re.search(rb"(?im)^connection:\s*close", head) is not None)
            chunk = self.sock.recv(65536)
            if not chunk:
                data, self.pending = self.pending, b""
                return parse_response(data, closed=True)
            self.pending += chunk


def request_bytes(
    method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@contextmanager
def serve_on_a_terminal(config: Path, port: int) -> Iterator[tuple[subprocess.Popen[bytes], bytearray]]:
    """``serve`` with its stderr on a pseudo-terminal, colours allowed: the process, and every byte the
    terminal received, complete once the block has ended (the server stopped, the reader drained)."""
    master, slave = pty.openpty()
    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    process = subprocess.Popen(
        [*SERVE, "--config", str(config), "--code-dir", str(LAMBDAS), "--port", str(port), "--no-reload"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    received = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer of the terminal is gone
                return
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield process, received
    finally:
        process.terminate()
        process.wait(timeout=60)
        reader.join(timeout=60)
        os.close(master)
