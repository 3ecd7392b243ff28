"""How to use the harness without its fixtures: another test runner, a script, another config.

``Harness`` is the class behind ``apig``. It takes what ``apig-emu serve`` takes — the config and the
code directory — or definitions already loaded, such as ``definitions_from_yaml``'s, which validates a
snippet exactly as ``apig-emu validate`` validates ``config/apig.yaml``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from emulator.testing import Harness, definitions_from_yaml

#: The project: the folder with config/ and handlers_example/, where a script would be run from.
PROJECT = Path(__file__).resolve().parents[2]

CONFIG = """
apis:
  shop: {}
functions:
  smart:
    handler: handlers_example.smart.handler
    triggers: [{api: shop, resource: /hello, method: POST}]
"""


def test_the_projects_config_and_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT)  # as a script or another runner would be started
    with Harness("config/apig.yaml", code_dir=".") as apig:
        assert apig.get("/Prod/items/1").json()["name"] == "teapot"
        with apig.serve() as server:  # the same gateway on a socket
            assert requests.get(f"{server.url}/Prod/items/1", timeout=5).status_code == 200
        assert len(apig.invocations_of("items")) == 2


def test_a_gateway_of_its_own() -> None:
    with Harness(definitions_from_yaml(CONFIG)) as apig:
        assert apig.post("/Prod/hello", json={"name": "Bo"}).json()["greeting"] == "Hello, Bo!"
        assert apig.invocations[-1].trigger.resource == "/hello"
