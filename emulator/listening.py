"""``serve``'s listening sockets, bound before anything is printed about them.

uvicorn binds its own sockets only once it starts, after ``serve`` has printed its route table, so
``--port 0`` printed port 0, and a port in use was reported after the table, in uvicorn's log. Bound
here first, the table shows the port the kernel picked and a busy port is a one-line error; uvicorn
is then handed the sockets.
"""

from __future__ import annotations

import argparse
import os
import socket

#: uvicorn's default, which ``create_server`` would have used.
BACKLOG = 2048
HIGHEST_PORT = 65535


class ListenError(Exception):
    """A socket could not be bound: the address, and the system's reason."""


def port_number(text: str) -> int:
    """``--port`` and ``--static-port``: 0 (any free port) to 65535, or argparse says which option is wrong."""
    try:
        port = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to {HIGHEST_PORT})") from None
    if not 0 <= port <= HIGHEST_PORT:
        raise argparse.ArgumentTypeError(
            f"{port} is out of range: a port is 0 to {HIGHEST_PORT} (0 picks a free one)"
        )
    return port


def url_port(text: str) -> int:
    """A port that appears in a URL (``routes --port``): 1 to 65535, since 0 only means "pick one" to a server."""
    port = port_number(text)
    if port == 0:
        raise argparse.ArgumentTypeError(
            "0 is not a port a URL can name (serve --port 0 picks a free one); give the port the server uses"
        )
    return port


def listen(host: str, port: int, *, backlog: int = BACKLOG) -> list[socket.socket]:
    """Listening sockets on every address ``host`` resolves to, all on one port.

    Port 0 becomes the port the kernel gives the first socket, shared by the others (``localhost``
    may be 127.0.0.1 and ::1), so that one URL reaches them all. Options as asyncio's
    ``create_server`` sets them: an IPv6 socket is IPv6 only, and a restarted server may rebind a port
    whose old connections linger in TIME_WAIT. The sockets are not inherited by worker processes, so
    a worker that outlives the emulator does not keep its port.
    """
    where = format_address(host, port)
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ListenError(f"cannot listen on {where}: {exc.strerror}") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            if os.name == "posix":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            where = format_address(str(address[0]), port)
            sock.bind((address[0], port, *address[2:]))
            sock.listen(backlog)
            port = sock.getsockname()[1]
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise ListenError(f"cannot listen on {where}: {exc.strerror or exc}") from None
    return sockets


def bound_port(sockets: list[socket.socket]) -> int:
    return int(sockets[0].getsockname()[1])


def format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
