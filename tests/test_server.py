"""``emulator.server``: settings of the serving process itself, and the uvicorn internals it relies on."""

from __future__ import annotations

import gc
import importlib.metadata
import inspect
from collections.abc import Iterator

import httptools
import pytest
import uvicorn
from packaging.requirements import Requirement
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from emulator.app import CasedName
from emulator.server import GC_YOUNG_THRESHOLD, tune_garbage_collector, upgrade_body_framing, uvicorn_config


@pytest.fixture
def thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


@pytest.mark.usefixtures("thresholds")
def test_serve_collects_the_young_generation_less_often_than_python_does() -> None:
    gc.set_threshold(700, 10, 10)
    tune_garbage_collector()
    assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, 10, 10)


@pytest.mark.usefixtures("thresholds")
def test_a_higher_threshold_set_by_the_user_is_kept() -> None:
    gc.set_threshold(50_000, 20, 20)
    tune_garbage_collector()
    assert gc.get_threshold() == (50_000, 20, 20)


#: What ``emulator.server`` overrides on uvicorn's httptools protocol, and the parameters it passes on.
OVERRIDDEN = {
    "connection_made": ["self", "transport"],
    "connection_lost": ["self", "exc"],
    "on_message_begin": ["self"],
    "on_url": ["self", "url"],
    "on_header": ["self", "name", "value"],
    "on_headers_complete": ["self"],
    "on_message_complete": ["self"],
    "data_received": ["self", "data"],
    #: Not overridden, but called by the override of ``data_received``, which stands in for uvicorn's.
    "_unset_keepalive_if_required": ["self"],
}


def test_uvicorns_protocol_still_has_the_hooks_the_server_overrides() -> None:
    """A uvicorn upgrade that renames or reshapes these breaks header case and the request bounds silently.

    Checked with the versions pyproject.toml allows; if this fails, read ``emulator/server.py`` and
    ``emulator.app.CasedName`` against the new uvicorn before widening the pin.
    """
    for name, parameters in OVERRIDDEN.items():
        assert list(inspect.signature(getattr(HttpToolsProtocol, name)).parameters) == parameters, name
    assert "Expected ASGI message" in inspect.getsource(RequestResponseCycle.send)


class _Events:
    """A parser's callbacks, recorded."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def on_url(self, url: bytes) -> None:
        self.events.append(url)

    def on_body(self, body: bytes) -> None:
        self.events.append(("body", body))

    def on_message_complete(self) -> None:
        self.events.append("complete")


def test_httptools_stops_an_upgrade_request_at_its_head_and_resumes_after_it() -> None:
    """What ``CasePreservingHttpToolsProtocol.data_received`` works around to serve upgrade requests.

    httptools ends an upgrade request at its head, without reading its body, and stops with the offset
    of what follows; fed again, it parses the next request. If it ever reads the body itself, the
    server would wait for that body a second time.
    """
    head = b"POST /a HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 5\r\n\r\n"
    recorder = _Events()
    parser = httptools.HttpRequestParser(recorder)
    with pytest.raises(httptools.HttpParserUpgrade) as stopped:
        parser.feed_data(head + b"hello")
    assert stopped.value.args[0] == len(head)
    assert recorder.events == [b"/a", "complete"]
    parser.feed_data(b"GET /b HTTP/1.1\r\n\r\n")
    assert recorder.events[2:] == [b"/b", "complete"]


@pytest.mark.parametrize(
    ("headers", "framing"),
    [
        ([(b"host", b"x")], None),
        ([(b"content-length", b"0")], None),
        ([(b"content-length", b"000")], None),
        ([(b"content-length", b"12")], b"Content-Length: 12"),
        ([(b"transfer-encoding", b"Chunked")], b"Transfer-Encoding: chunked"),
    ],
)
def test_an_upgrade_requests_body_is_framed_as_its_head_says(
    headers: list[tuple[bytes, bytes]], framing: bytes | None
) -> None:
    assert upgrade_body_framing(headers) == framing


def test_the_server_speaks_no_websocket() -> None:
    """With a WebSocket protocol configured, uvicorn would hand a handshake to it instead of the gateway."""

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("never called")

    config = uvicorn_config(app, host="127.0.0.1", port=0)
    config.load()
    assert config.ws_protocol_class is None


def test_uvicorn_lowercases_names_through_lower_so_cased_names_survive() -> None:
    """``CasedName`` works because uvicorn's cycle lowercases with ``name.lower()`` and compares with ``==``."""
    source = inspect.getsource(RequestResponseCycle.send)
    assert "name = name.lower()" in source
    assert 'name == b"content-length"' in source
    cased = CasedName(b"Content-Length")
    assert cased.lower() == b"content-length"
    assert bytes(cased.lower()) == b"Content-Length"
    assert b"".join([cased.lower(), b": 1"]) == b"Content-Length: 1"


def test_the_installed_uvicorn_is_within_the_pinned_range() -> None:
    requirements = [Requirement(text) for text in importlib.metadata.requires("apig-emu") or []]
    pinned = next(requirement for requirement in requirements if requirement.name == "uvicorn")
    assert pinned.specifier.contains(uvicorn.__version__)
    assert any(spec.operator == "<" for spec in pinned.specifier), "uvicorn needs an upper bound"
