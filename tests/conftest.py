"""Shared fixtures: the gateway under test is the public ``Harness``, as a user's tests would build it.

Most modules test one API definition, their ``CONFIG``: ``harness`` is a fresh ``Harness`` over it.
``make_harness`` builds more from other snippets; ``inspector`` adds the pages ``serve`` mounts at
``/_emu``; ``gate`` lets a test decide when a handler finishes (``tests/gate.py``).
"""

from __future__ import annotations

import logging
import os
import textwrap
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from emulator.app import create_app
from emulator.config.openapi.cache import CACHE_ENV
from emulator.inspector import Recorder, inspector_routes
from emulator.testing import GatewayClient, Harness
from tests.gate import Gate

LAMBDAS = Path(__file__).parent / "lambdas"
ROOT = Path(__file__).parent.parent

MakeHarness = Callable[..., Harness]

#: Both places handlers run, for ``parametrize`` and fixture ``params``: starting worker processes is
#: what makes ``process`` slow (``dev.py test --fast`` leaves it out).
#: A pytester run of projects that use apig-emu only: hypothesis's plugin would re-import itself in
#: every run (a second each), and the cache would write into the project.
PYTESTER_ARGS = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")
ISOLATIONS = ("thread", pytest.param("process", marks=pytest.mark.slow))


@pytest.fixture(scope="session", autouse=True)
def openapi_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Imported OpenAPI documents are cached between runs: the tests keep theirs apart, starting cold."""
    folder = tmp_path_factory.mktemp("openapi-cache")
    previous = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(folder)
    yield folder
    if previous is None:
        del os.environ[CACHE_ENV]
    else:
        os.environ[CACHE_ENV] = previous


@pytest.fixture
def make_harness(tmp_path: Path) -> Iterator[MakeHarness]:
    """``make(yaml_text, **options)``: a ``Harness`` over a YAML snippet, closed after the test.

    The snippet is written to a file in ``tmp_path``, as a user's config would be, so paths in it
    (``body_file``) are relative to that folder and errors name the file; handlers are imported from
    ``tests/lambdas``. ``options`` go to ``Harness`` (``isolation=``, ``invoker=``).
    """
    with ExitStack() as harnesses:
        written: list[Path] = []

        def make(yaml_text: str, **options: Any) -> Harness:
            config = tmp_path / f"apig{len(written)}.yaml"
            config.write_text(textwrap.dedent(yaml_text))
            written.append(config)
            return harnesses.enter_context(Harness(config, code_dir=LAMBDAS, **options))

        yield make


@pytest.fixture
def harness(request: pytest.FixtureRequest, make_harness: MakeHarness) -> Harness:
    """A fresh ``Harness`` over the requesting module's ``CONFIG`` (handlers run on threads)."""
    config = getattr(request.module, "CONFIG", None)
    if not isinstance(config, str):
        pytest.fail(f"the harness fixture reads CONFIG, a YAML string, from {request.module.__name__}")
    return make_harness(config)


def inspector_client(harness: Harness, recorder: Recorder | None = None) -> GatewayClient:
    """The app ``apig-emu serve`` runs over ``harness``'s gateway: its APIs, and the inspector at ``/_emu``.

    On the harness's event loop, so it shares the harness's invoker; close it before the harness.
    """
    recorder = recorder if recorder is not None else Recorder(capacity=5)
    recorder.attach(harness.gateway)
    app = create_app(harness.gateway, routes=inspector_routes(recorder))
    return GatewayClient(app, base_url=harness.base_url, portal=harness.portal)


@pytest.fixture
def recorder() -> Recorder:
    """What the inspector shows: a small buffer, so that tests can fill it."""
    return Recorder(capacity=5)


@pytest.fixture
def inspector(harness: Harness, recorder: Recorder) -> Iterator[GatewayClient]:
    """The module's ``CONFIG`` served with the inspector, recording into ``recorder``."""
    with inspector_client(harness, recorder) as client:
        yield client


@pytest.fixture
def gate() -> Iterator[Gate]:
    """A gate handlers wait at until the test opens it; closed (and so opened) after the test."""
    with Gate() as opened_at_the_end:
        yield opened_at_the_end


class Captured(logging.Handler):
    """The records apig-emu's loggers emit during a test (the ``captured`` fixture)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured() -> Iterator[Captured]:
    handler = Captured()
    logger = logging.getLogger("apig_emu")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)
