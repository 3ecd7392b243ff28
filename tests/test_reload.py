"""Hot reload: new code reaches only its function, a new config redeploys, a broken one is refused."""

from __future__ import annotations

import logging
import os
import shutil
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from emulator.config import load_definitions
from emulator.model import Definitions
from emulator.reload import Reloader
from emulator.testing import Harness
from tests.conftest import LAMBDAS
from tests.gate import Gate

CONFIG = """
apis:
  shop: {}
functions:
  fa:
    handler: mod_a.handler
    triggers:
      - {api: shop, resource: /a, method: POST}
  fb:
    handler: mod_b.handler
    triggers:
      - {api: shop, resource: /b, method: POST}
"""

MODULE = """
import os

from gated import wait_at_gate

VALUE = {value!r}


def handler(event, context):
    if "gate" in event:
        wait_at_gate(event["gate"])
    return {{"value": VALUE, "pid": os.getpid()}}
"""


@dataclass
class Project:
    root: Path
    harness: Harness
    reloader: Reloader
    deployed: list[Definitions]
    writes: int = 0

    def write(self, name: str, text: str) -> str:
        path = self.root / name
        path.write_text(text)
        # Each write a second later: Python trusts a cached .pyc whose source mtime and size match.
        self.writes += 1
        stamp = time.time() + self.writes
        os.utime(path, (stamp, stamp))
        return str(path)

    def apply(self, *paths: str) -> None:
        """As the watcher does: on the event loop, where the workers live."""
        self.harness.portal.call(self.reloader.apply, paths)

    def restart(self, *paths: str) -> list[str]:
        return self.harness.portal.call(self.reloader.restart, paths)

    def call(self, path: str, **event: Any) -> Any:
        return self.harness.post(f"/Prod{path}", json=event).json()


@contextmanager
def make_project(tmp_path: Path, isolation: str) -> Iterator[Project]:
    (tmp_path / "apig.yaml").write_text(textwrap.dedent(CONFIG))
    (tmp_path / "mod_a.py").write_text(MODULE.format(value="a1"))
    (tmp_path / "mod_b.py").write_text(MODULE.format(value="b1"))
    shutil.copy(LAMBDAS / "gated.py", tmp_path)
    config = tmp_path / "apig.yaml"
    deployed: list[Definitions] = []
    with Harness(config, code_dir=tmp_path, isolation=isolation) as harness:
        reloader = Reloader(
            harness.client.app,
            config=config,
            code_dir=tmp_path,
            load=lambda: load_definitions(config, code_dir=tmp_path),
            on_deploy=deployed.append,
        )
        yield Project(tmp_path, harness, reloader, deployed)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with make_project(tmp_path, "process") as made:
        yield made


@pytest.mark.slow
def test_editing_a_module_restarts_only_the_functions_that_loaded_it(project: Project) -> None:
    a, b = project.call("/a"), project.call("/b")
    path = project.write("mod_a.py", MODULE.format(value="a2"))
    assert project.restart(path) == ["fa"]
    new_a, same_b = project.call("/a"), project.call("/b")
    assert new_a["value"] == "a2" and new_a["pid"] != a["pid"]
    assert same_b == b


@pytest.mark.slow
def test_a_request_in_flight_during_a_code_reload_finishes_on_the_old_code(
    project: Project, gate: Gate
) -> None:
    project.call("/a")
    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(project.call, "/a", gate=gate.port)
        gate.arrival()
        project.apply(project.write("mod_a.py", MODULE.format(value="a2")))
        assert project.call("/a")["value"] == "a2"  # a new environment, while the old one still works
        gate.open()
        assert in_flight.result()["value"] == "a1"


@pytest.mark.slow
def test_a_valid_config_change_is_deployed_and_unchanged_functions_stay_warm(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    a = project.call("/a")
    extra = (
        "  fc:\n    handler: mod_b.handler\n    triggers:\n      - {api: shop, resource: /c, method: POST}\n"
    )
    with caplog.at_level(logging.INFO, logger="apig_emu"):
        project.apply(project.write("apig.yaml", textwrap.dedent(CONFIG) + extra))
    assert "config reloaded" in caplog.text
    assert [sorted(definitions.functions) for definitions in project.deployed] == [["fa", "fb", "fc"]]
    assert project.call("/c")["value"] == "b1"
    assert project.call("/a")["pid"] == a["pid"]


@pytest.mark.slow
def test_a_function_removed_from_the_config_gives_up_its_workers(project: Project) -> None:
    project.call("/a")
    invoker = project.harness.invoker
    assert invoker.worker_pids("fa")
    only_b = textwrap.dedent(CONFIG).split("  fa:")[0] + "  fb:" + textwrap.dedent(CONFIG).split("  fb:")[1]
    project.apply(project.write("apig.yaml", only_b))
    assert invoker.worker_pids("fa") == []
    assert project.harness.post("/Prod/a", json={}).status_code == 403


@pytest.mark.slow
def test_a_broken_config_keeps_the_last_good_deployment_serving(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    broken = textwrap.dedent(CONFIG).replace("method: POST}", "method: FETCH}", 1)
    with caplog.at_level(logging.INFO, logger="apig_emu"):
        project.apply(project.write("apig.yaml", broken))
    assert "unknown method 'FETCH'" in caplog.text
    assert "last good deployment keeps serving" in caplog.text
    assert project.call("/a")["value"] == "a1"


@pytest.mark.slow
def test_the_watcher_applies_a_saved_file(project: Project) -> None:
    assert project.call("/b")["value"] == "b1"
    watching = project.harness.portal.start_task_soon(project.reloader.run)
    try:
        # The watcher does not say when it has started watching: save until it notices, as a user
        # would save again. The deadline only bounds the wait.
        deadline = time.monotonic() + 20
        while project.call("/b")["value"] != "b2":
            assert time.monotonic() < deadline, "the change was not picked up"
            project.write("mod_b.py", MODULE.format(value="b2"))
            time.sleep(0.2)
    finally:
        watching.cancel()


def test_thread_isolation_reloads_code_too(tmp_path: Path) -> None:
    with make_project(tmp_path, "thread") as project:
        assert project.call("/a")["value"] == "a1"
        assert project.restart(project.write("mod_a.py", MODULE.format(value="a2"))) == ["fa"]
        assert project.call("/a")["value"] == "a2"


def test_an_openapi_documents_change_redeploys_wherever_it_lives(tmp_path: Path) -> None:
    elsewhere = tmp_path / "specs"
    elsewhere.mkdir()
    document = elsewhere / "api.json"
    document.write_text(
        '{"openapi": "3.0.1", "paths": {"/ping": {"get": {"x-amazon-apigateway-integration": '
        '{"type": "mock", "requestTemplates": {"application/json": "{\\"statusCode\\": 200}"}}}}}}'
    )
    project = tmp_path / "project"
    project.mkdir()
    config = project / "apig.yaml"
    config.write_text("apis:\n  shop: {openapi: ../specs/api.json}\n")
    with Harness(config, code_dir=project) as harness:
        app = harness.client.app
        reloader = Reloader(
            app, config=config, code_dir=project, load=lambda: load_definitions(config, code_dir=project)
        )
        assert reloader.roots() == [project, elsewhere.resolve()]
        assert reloader.is_config(str(document.resolve()))
        document.write_text(document.read_text().replace("/ping", "/pong"))
        reloader.apply([str(document)])
        assert list(app.state.gateway.deployment.definitions.apis["shop"].resources) == ["/", "/pong"]
