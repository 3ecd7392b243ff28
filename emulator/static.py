"""The static origin: a frontend folder served on its own port, as S3/CloudFront serves it in production.

A page loaded from here calls the API on the emulator's port, another origin, so the browser applies
CORS locally exactly where it will on AWS. Paths are resolved (symlinks included) and refused unless
they stay inside the folder; a path that looks like a client-side route (no file extension) and
matches no file gets ``index.html``, so single-page apps can use the History API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import uvicorn
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from emulator.server import GracefulServer

log = logging.getLogger("apig_emu.static")

INDEX = "index.html"


class StaticSite:
    """An ASGI app serving the files of one folder, read-only."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve(strict=True)
        if not self.root.is_dir():
            raise NotADirectoryError(f"{root} is not a folder")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        response = self.respond(scope["method"], scope["path"])
        await response(scope, receive, send)

    def respond(self, method: str, url_path: str) -> Response:
        if method not in ("GET", "HEAD"):
            return PlainTextResponse("Method Not Allowed", 405, headers={"Allow": "GET, HEAD"})
        found = self.resolve(url_path)
        if found is None and self._is_route(url_path):
            found = self.resolve("/")
        if found is None:
            return PlainTextResponse("Not Found", 404)
        # Always revalidate: the developer edits these files while the page is open.
        return FileResponse(found, headers={"Cache-Control": "no-cache"})

    def resolve(self, url_path: str) -> Path | None:
        """The file a (percent-decoded) URL path names, or ``None`` if none exists inside the folder."""
        if "\x00" in url_path:
            return None
        parts = [part for part in url_path.replace("\\", "/").split("/") if part not in ("", ".")]
        if ".." in parts:
            return None
        path = self._inside(self.root.joinpath(*parts))
        if path is not None and path.is_dir():
            path = self._inside(path / INDEX)
        return path if path is not None and path.is_file() else None

    def _inside(self, path: Path) -> Path | None:
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):  # a symlink loop, an unreadable component
            return None
        return resolved if resolved.is_relative_to(self.root) else None

    @staticmethod
    def _is_route(url_path: str) -> bool:
        last = url_path.rstrip("/").rpartition("/")[2]
        return ".." not in url_path.split("/") and "." not in last and "\x00" not in url_path


class _CompanionServer(uvicorn.Server):
    """A server that leaves the signals to the main one, which stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ServerWithCompanions(GracefulServer):
    """The emulator's server, starting and stopping other servers (the static origin) with it."""

    def __init__(
        self, config: uvicorn.Config, companions: Sequence[tuple[uvicorn.Server, list[socket.socket]]]
    ) -> None:
        super().__init__(config)
        self.companions = list(companions)

    async def serve(self, sockets: Any = None) -> None:
        tasks = [asyncio.create_task(companion.serve(bound)) for companion, bound in self.companions]
        try:
            await super().serve(sockets)
        finally:
            for companion, _ in self.companions:
                companion.should_exit = True
            await asyncio.gather(*tasks, return_exceptions=True)


def static_server(root: Path) -> uvicorn.Server:
    """A server for ``root``, to run on sockets bound beforehand (``emulator.listening``)."""
    config = uvicorn.Config(
        StaticSite(root),
        lifespan="off",
        # As the API's server: plain HTTP/1.x, a WebSocket handshake is an ordinary request.
        ws="none",
        server_header=False,
        access_log=False,
        log_config=None,
    )
    return _CompanionServer(config)


def with_static(config: uvicorn.Config, root: Path, sockets: list[socket.socket]) -> GracefulServer:
    """A server for ``config``, serving ``root`` on ``sockets`` alongside."""
    return ServerWithCompanions(config, [(static_server(root), sockets)])
