"""Shared fixtures: a gateway over a YAML snippet, reached through the in-process HTTP client."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emulator.app import create_app
from emulator.config import load_definitions
from emulator.config.openapi.cache import CACHE_ENV
from emulator.deployment import deploy
from emulator.gateway import Gateway
from emulator.runtime.threads import ThreadInvoker
from emulator.testing import GatewayClient

LAMBDAS = Path(__file__).parent / "lambdas"
ROOT = Path(__file__).parent.parent

MakeClient = Callable[[str], GatewayClient]


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
def make_client(tmp_path: Path) -> Iterator[MakeClient]:
    """Build a client over a config written from a YAML snippet; handlers live in ``tests/lambdas``."""
    clients: list[GatewayClient] = []

    def make(yaml_text: str) -> GatewayClient:
        config = tmp_path / f"apig{len(clients)}.yaml"
        config.write_text(textwrap.dedent(yaml_text))
        definitions = load_definitions(config, code_dir=LAMBDAS)
        gateway = Gateway(deploy(definitions), invoker=ThreadInvoker())
        client = GatewayClient(create_app(gateway))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.run(client.app.state.gateway.invoker.aclose)
        client.close()


@pytest.fixture
def example_client() -> Iterator[GatewayClient]:
    """The bundled example API of ``config/apig.yaml``."""
    definitions = load_definitions(ROOT / "config" / "apig.yaml", code_dir=ROOT)
    gateway = Gateway(deploy(definitions), invoker=ThreadInvoker())
    with GatewayClient(create_app(gateway)) as client:
        yield client
