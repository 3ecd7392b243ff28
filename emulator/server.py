"""Serving the app with uvicorn, keeping the header-name case that API Gateway preserves.

ASGI lowercases header names; AWS passes them to the proxy event as the client sent them
(``tEsT-HEADeR`` stays so, reference section 1.3). uvicorn's httptools protocol sees the raw names
first, so a small subclass hands them over in a scope extension. uvicorn with uvloop and httptools is
the fastest maintained ASGI stack for this workload (see the benchmark in ``scripts/bench.py``).
"""

from __future__ import annotations

import logging
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from emulator.request import RAW_HEADER_NAMES

log = logging.getLogger("apig_emu.server")

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class CasePreservingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus the raw header names under ``scope["extensions"]``."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._raw_header_names: list[bytes] = []
        self.scope["extensions"] = {RAW_HEADER_NAMES: self._raw_header_names}  # type: ignore[dict-item]

    def on_header(self, name: bytes, value: bytes) -> None:
        self._raw_header_names.append(name)
        super().on_header(name, value)


def uvicorn_config(app: Any, *, host: str, port: int, **options: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=CasePreservingHttpToolsProtocol,
        loop="auto",
        server_header=False,
        access_log=False,
        log_config=None,
        **options,
    )


def warn_if_exposed(host: str) -> None:
    if host not in LOOPBACK:
        log.warning(
            "!!! apig-emu is listening on %s, reachable from other machines: it runs your handlers for "
            "anyone who can connect and has no authentication. Use --host 127.0.0.1 unless you mean it.",
            host,
        )
