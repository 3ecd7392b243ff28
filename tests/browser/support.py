"""What the browser tests share besides fixtures: the served API's record, and ``call``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.app import create_app
from emulator.gateway import Gateway
from emulator.inspector import Recorder, inspector_routes
from emulator.testing import Harness
from tests.conftest import ROOT
from tests.threaded_server import ThreadedServer

#: Screenshots the tests save for a person to look at (git-ignored).
ARTIFACTS = ROOT / "test-artifacts"


@dataclass
class Served:
    """The API on one origin, recording what it answered, as the server saw it."""

    url: str
    recorder: Recorder
    gateway: Gateway

    def answered(self, method: str, path: str) -> list[int]:
        """Statuses the server sent for ``method path``, oldest first: proof that a blocked call was answered."""
        statuses = []
        for record in reversed(self.recorder.records()):
            if record.method == method and record.path == path:
                statuses.append(record.status)
        return statuses


def call(page: Any, url: str, **init: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("([url, init]) => window.call(url, init)", [url, init])
    return result


def serve_definitions(config: Path, code_dir: Path) -> Iterator[Served]:
    """What ``apig-emu serve`` serves (a ``Harness``'s gateway, and the inspector) on a real socket."""
    with Harness(config, code_dir=code_dir) as harness:
        recorder = Recorder(capacity=1000)
        recorder.attach(harness.gateway)
        with ThreadedServer(create_app(harness.gateway, routes=inspector_routes(recorder))) as server:
            yield Served(server.url, recorder, harness.gateway)
