"""``emulator.server``: settings of the serving process itself, and the uvicorn internals it relies on."""

from __future__ import annotations

import gc
import importlib.metadata
import inspect
from collections.abc import Iterator

import pytest
import uvicorn
from packaging.requirements import Requirement
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from emulator.app import CasedName
from emulator.server import GC_YOUNG_THRESHOLD, tune_garbage_collector


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
    "handle_websocket_upgrade": ["self"],
    "send_400_response": ["self", "msg"],
}


def test_uvicorns_protocol_still_has_the_hooks_the_server_overrides() -> None:
    """A uvicorn upgrade that renames or reshapes these breaks header case and the request bounds silently.

    Checked with the versions pyproject.toml allows; if this fails, read ``emulator/server.py`` and
    ``emulator.app.CasedName`` against the new uvicorn before widening the pin.
    """
    for name, parameters in OVERRIDDEN.items():
        assert list(inspect.signature(getattr(HttpToolsProtocol, name)).parameters) == parameters, name
    assert "Expected ASGI message" in inspect.getsource(RequestResponseCycle.send)


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
